//! `GET /local/emails`: what has been sent through the local SES. The local SES is
//! moto; in front of it sits a catcher that forwards every SES v2 call unchanged
//! and keeps a copy of each message moto accepted, so listing the emails reads only
//! the emails — never moto's whole state, however much else (S3 exports, queues)
//! moto holds. The functions' code is the same as deployed: only the endpoint their
//! SDK configuration names for SES v2 is the catcher (see [`catching`]).

use std::sync::{Arc, Mutex, OnceLock};

use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use mail_parser::MessageParser;
use serde::Serialize;
use serde_json::Value;

/// The SES v2 operation that sends a message.
const SEND_EMAIL_PATH: &str = "/v2/email/outbound-emails";
/// The newest messages kept; older ones are dropped.
const KEPT: usize = 100_000;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
}

/// The messages the local SES accepted, in the order it accepted them; one list per
/// process, as moto keeps one.
#[derive(Default)]
struct Sent {
    emails: Vec<(i64, SentEmail)>,
}

fn sent() -> &'static Mutex<Sent> {
    static SENT: OnceLock<Mutex<Sent>> = OnceLock::new();
    SENT.get_or_init(Default::default)
}

/// Every email sent through the catcher, oldest first (by the `Date` header; the
/// order they were accepted in breaks ties within its second).
pub fn sent_emails() -> Vec<SentEmail> {
    let guard = sent().lock().unwrap_or_else(|e| e.into_inner());
    let mut emails: Vec<(i64, usize, SentEmail)> =
        guard.emails.iter().enumerate().map(|(i, (at, email))| (*at, i, email.clone())).collect();
    drop(guard);
    emails.sort_by_key(|(at, position, _)| (*at, *position));
    emails.into_iter().map(|(_, _, email)| email).collect()
}

fn keep(at: i64, email: SentEmail) {
    let mut guard = sent().lock().unwrap_or_else(|e| e.into_inner());
    if guard.emails.len() >= KEPT {
        guard.emails.remove(0);
    }
    guard.emails.push((at, email));
}

/// A raw MIME message as `/local/emails` lists it, with its `Date` in epoch seconds.
pub fn from_mime(raw: &[u8]) -> Option<(i64, SentEmail)> {
    let message = MessageParser::default().parse(raw)?;
    let date = message.date();
    let email = SentEmail {
        to: message.to().and_then(|to| to.first()).and_then(|a| a.address()).unwrap_or_default().to_string(),
        subject: message.subject().unwrap_or_default().to_string(),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: message.body_html(0).map(|h| h.into_owned()).unwrap_or_default(),
        sent_at: date.map(|d| d.to_rfc3339()).unwrap_or_default(),
    };
    Some((date.map_or(0, |d| d.to_timestamp()), email))
}

/// The messages of one SES v2 `SendEmail` request body: a raw MIME message, or a
/// simple one (one listing per recipient).
pub fn from_send_email(body: &[u8]) -> Vec<(i64, SentEmail)> {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    if let Some(data) = request.pointer("/Content/Raw/Data").and_then(Value::as_str) {
        let raw = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
        return from_mime(&raw).into_iter().collect();
    }
    let Some(simple) = request.pointer("/Content/Simple") else {
        return Vec::new();
    };
    let text =
        |pointer: &str| simple.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string();
    let now = chrono::Utc::now();
    let recipients = ["ToAddresses", "CcAddresses", "BccAddresses"]
        .iter()
        .flat_map(|field| request.pointer(&format!("/Destination/{field}")).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str);
    recipients
        .map(|to| {
            let email = SentEmail {
                to: to.to_string(),
                subject: text("/Subject/Data"),
                text: text("/Body/Text/Data"),
                html: text("/Body/Html/Data"),
                sent_at: now.to_rfc3339(),
            };
            (now.timestamp(), email)
        })
        .collect()
}

/// Where the catcher forwards to.
#[derive(Clone)]
pub struct Upstream {
    /// moto's base URL.
    pub ses: String,
    pub http: reqwest::Client,
}

/// Forwards one SES v2 call to moto as it came and keeps the message when it was a
/// send that moto accepted.
pub async fn forward(
    State(upstream): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Served nested (`/local/ses` on the gateway), it sees the path without the prefix.
    let path = uri.path();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("{}{path}{query}", upstream.ses.trim_end_matches('/'));
    let answer = match crate::relay::relay(&upstream.http, method.clone(), url, &headers, body.clone()).await
    {
        Ok(answer) => answer,
        Err(unreachable) => return unreachable,
    };
    if method == Method::POST && path == SEND_EMAIL_PATH && answer.status.is_success() {
        for (at, email) in from_send_email(&body) {
            keep(at, email);
        }
    }
    answer.into_response()
}

/// The SDK configuration `sdk`, with SES v2 reached at `endpoint` (a catcher) and
/// every other service as the environment says.
pub fn with_ses_endpoint(sdk: &aws_config::SdkConfig, endpoint: &str) -> aws_config::SdkConfig {
    sdk.to_builder().service_config(SesThrough { endpoint: endpoint.to_string() }).build()
}

/// The endpoints of the local stack: SES v2 at the catcher, the rest from the
/// environment (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`) as the SDK
/// reads them.
#[derive(Debug)]
struct SesThrough {
    endpoint: String,
}

impl LoadServiceConfig for SesThrough {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if key.env() == "AWS_ENDPOINT_URL" && key.service_id().eq_ignore_ascii_case("sesv2") {
            return Some(self.endpoint.clone());
        }
        let service = key.service_id().to_uppercase().replace(' ', "_");
        std::env::var(format!("{}_{service}", key.env())).ok().or_else(|| std::env::var(key.env()).ok())
    }
}

/// A catcher of its own, on its own thread and port, for processes whose functions
/// run without a gateway port to serve it (the tests): started once per process,
/// forwarding to `moto`; answers its URL.
pub fn standalone_catcher(moto: &str) -> Result<String, String> {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    let moto = moto.to_string();
    URL.get_or_init(move || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let upstream = Arc::new(Upstream { ses: moto, http: reqwest::Client::new() });
        std::thread::Builder::new()
            .name("local-ses-catcher".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = axum::Router::new()
                        .fallback(forward)
                        .layer(axum::extract::DefaultBodyLimit::max(40 << 20))
                        .with_state(upstream);
                    let _ = axum::serve(listener, app).await;
                });
            })
            .map_err(|e| e.to_string())?;
        Ok(url)
    })
    .clone()
}

/// `sdk` with SES v2 going through this process's catcher in front of `moto`.
pub fn catching(sdk: &aws_config::SdkConfig, moto: &str) -> Result<aws_config::SdkConfig, String> {
    Ok(with_ses_endpoint(sdk, &standalone_catcher(moto)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_send_email_request_reads_back_as_its_message() {
        let mime = "From: Partner Hub <no-reply@x.test>\r\nTo: ada@example.com\r\nSubject: Hi\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nHello\r\n";
        let body = serde_json::json!({
            "FromEmailAddress": "no-reply@x.test",
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Content": {"Raw": {"Data": base64::engine::general_purpose::STANDARD.encode(mime)}},
        });
        let read = from_send_email(body.to_string().as_bytes());
        assert_eq!(read.len(), 1);
        let (at, email) = &read[0];
        assert_eq!(*at, 1_751_364_000);
        assert_eq!(email.to, "ada@example.com");
        assert_eq!(email.subject, "Hi");
        assert_eq!(email.text.trim(), "Hello");
        assert!(from_send_email(b"not json").is_empty());
    }
}
