//! A proxy in front of DynamoDB Local or moto that can answer some requests itself,
//! for failures the emulators never produce (transaction conflicts, an unreachable
//! EventBridge).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What the proxy does with a request: `None` forwards it.
pub type Fault = Arc<dyn Fn(&HeaderMap) -> Option<Response> + Send + Sync>;

pub struct Proxy {
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Upstream {
    target: String,
    fault: Fault,
    http: reqwest::Client,
}

async fn forward(
    State(upstream): State<Arc<Upstream>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = (upstream.fault)(&headers) {
        return answer;
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", upstream.target);
    match local_gateway::relay::relay(&upstream.http, method, url, &headers, body).await {
        Ok(answer) => answer.into_response(),
        Err(unreachable) => unreachable,
    }
}

impl Proxy {
    pub async fn start(target: &str, fault: Fault) -> Self {
        let upstream = Arc::new(Upstream {
            target: target.trim_end_matches('/').to_string(),
            fault,
            http: reqwest::Client::new(),
        });
        let app = axum::Router::new().fallback(forward).with_state(upstream);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, server }
    }
}

/// DynamoDB's answer when a transaction meets another one on the same item: what
/// real DynamoDB raises under contention and DynamoDB Local never does.
pub fn transaction_conflict(items: usize) -> Response {
    let mut reasons = vec![serde_json::json!({"Code": "None"}); items];
    if let Some(first) = reasons.first_mut() {
        *first = serde_json::json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"});
    }
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
        "CancellationReasons": reasons,
    });
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/x-amz-json-1.0"), ("x-amzn-requestid", "proxy-conflict")],
        body.to_string(),
    )
        .into_response()
}

/// Counts TransactWriteItems calls and, while armed, fails the first `failures` of
/// them with a conflict.
#[derive(Clone, Default)]
pub struct Conflicts {
    pub armed: Arc<AtomicBool>,
    pub seen: Arc<AtomicUsize>,
}

impl Conflicts {
    /// From now on: count again, and fail the next `failures` transactions.
    pub fn arm(&self) {
        self.seen.store(0, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }

    pub fn seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    pub fn fault(&self, failures: usize) -> Fault {
        let this = self.clone();
        Arc::new(move |headers: &HeaderMap| {
            let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !target.ends_with("TransactWriteItems") || !this.armed.load(Ordering::SeqCst) {
                return None;
            }
            let n = this.seen.fetch_add(1, Ordering::SeqCst);
            (n < failures).then(|| transaction_conflict(4))
        })
    }
}

/// Answers every request with 503 while `down` is set, as an unreachable service.
pub fn outage(down: Arc<AtomicBool>) -> Fault {
    Arc::new(move |_: &HeaderMap| {
        down.load(Ordering::SeqCst)
            .then(|| (StatusCode::SERVICE_UNAVAILABLE, "down for the test").into_response())
    })
}
