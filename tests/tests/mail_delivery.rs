//! Mail is never silently lost: each recipient is its own send, a permanent SES
//! refusal is recorded (not retried) and shown to the sender, transient failures are
//! retried as many times as the template says and then land in the failure queue.
//! Also: the hourly email limit answers only 202 or 429, the gateway answers the
//! contract's 413 for every size of body, and `/local/emails` works whatever else
//! moto holds.
//!
//! SES refusals come from a small proxy in front of the local SES (moto cannot be
//! made to refuse a well-formed recipient): it answers chosen addresses with SES v2's
//! own errors and forwards everything else.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate, Utc};
use partner_hub::App;
use partner_hub_tests::{unique, Gateway};
use reqwest::Method as M;
use serde_json::{json, Value};

fn email(prefix: &str) -> String {
    format!("{}@example.com", unique(prefix))
}

/// What the SES proxy does with the sends to each address.
#[derive(Default)]
struct Script {
    /// Refused for good (`MessageRejected`), every time.
    refused: HashSet<String>,
    /// Throttled (`TooManyRequestsException`) this many more times, then forwarded.
    throttled: HashMap<String, usize>,
    /// Throttled every time.
    down: HashSet<String>,
    /// Every `SendEmail` seen, by recipient.
    attempts: HashMap<String, usize>,
}

#[derive(Clone)]
struct SesProxy {
    script: Arc<Mutex<Script>>,
    upstream: String,
    http: reqwest::Client,
}

impl SesProxy {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn attempts(&self, to: &str) -> usize {
        self.script().attempts.get(to).copied().unwrap_or(0)
    }
}

fn ses_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json"), ("x-amzn-errortype", kind), ("x-amzn-requestid", "proxy")],
        json!({"message": message}).to_string(),
    )
        .into_response()
}

async fn ses_proxy(
    State(proxy): State<SesProxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path() == "/v2/email/outbound-emails" {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let to =
            request.pointer("/Destination/ToAddresses/0").and_then(Value::as_str).unwrap_or("").to_string();
        let mut script = proxy.script();
        *script.attempts.entry(to.clone()).or_default() += 1;
        if script.refused.contains(&to) {
            return ses_error(
                StatusCode::BAD_REQUEST,
                "MessageRejected",
                "Email address is not deliverable.",
            );
        }
        if script.down.contains(&to) {
            return ses_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Too many requests.",
            );
        }
        if let Some(left) = script.throttled.get_mut(&to).filter(|left| **left > 0) {
            *left -= 1;
            return ses_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Too many requests.",
            );
        }
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = proxy.http.request(method, format!("{}{path}", proxy.upstream)).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.expect("the local SES answers");
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let mut response = Response::new(axum::body::Body::from(answer.bytes().await.unwrap_or_default()));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

/// The gateway with SES behind the scripted proxy (itself in front of the local SES's
/// catcher, so what goes through is listed by `/local/emails`). The SDK's own retries
/// are off, so each invocation of notify is one attempt per recipient.
async fn gateway_with_ses_proxy() -> (Gateway, SesProxy) {
    let moto = std::env::var("AWS_ENDPOINT_URL_SESV2").expect("AWS_ENDPOINT_URL_SESV2");
    let upstream = local_gateway::emails::standalone_catcher(&moto).expect("catcher");
    let proxy = SesProxy { script: Arc::default(), upstream, http: reqwest::Client::new() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().fallback(ses_proxy).with_state(proxy.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let gw = Gateway::start_with(move |sdk, config| {
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(sdk)
                .endpoint_url(url)
                .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled())
                .build(),
        );
        App::from_clients(
            config,
            aws_sdk_dynamodb::Client::new(sdk),
            aws_sdk_eventbridge::Client::new(sdk),
            ses,
            partner_hub_tests::s3(sdk),
        )
    })
    .await;
    (gw, proxy)
}

/// Makes `email` a second full administrator of `org`, as accepting an invitation
/// would.
async fn add_full_admin(gw: &Gateway, org: &str, email: &str) {
    let admin = partner_hub::domain::Administrator::full(
        partner_hub::domain::OrgId::parse(org).expect("org id"),
        Gateway::sub_of(email),
        partner_hub::domain::Email::parse(email).expect("email"),
        Utc::now(),
    );
    let item = partner_hub::store::to_item(&admin).expect("item");
    aws_sdk_dynamodb::Client::new(&gw.sdk)
        .put_item()
        .table_name(gw.table())
        .set_item(Some(item))
        .send()
        .await
        .expect("admin written");
}

/// Waits (bounded) until `check` holds.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 15 s");
}

#[tokio::test]
async fn a_refused_recipient_bounces_visibly_and_stops_nobody_elses_email() {
    let (gw, ses) = gateway_with_ses_proxy().await;
    let (refused, good) = (email("refused-admin"), email("good-admin"));
    ses.script().refused.insert(refused.clone());

    // Two full administrators, one of whom SES refuses: a ticket tells both.
    let (token, org) = gw.customer(&refused, "Bounce Org").await;
    add_full_admin(&gw, &org, &good).await;
    let ticket = gw.post(&format!("/v1/orgs/{org}/support-tickets"), &token, json!({"subject": "VPN"})).await;
    assert_eq!(ticket.status, 201, "{}", ticket.text);
    let mail = gw.wait_for_emails(&good, 1).await;
    assert!(mail[0]["subject"].as_str().unwrap().contains("Support ticket"), "{mail:?}");
    let mut note = Value::Null;
    eventually("the notification says the email bounced", async || {
        let notes = gw.notifications_of_type(&org, &token, "support_ticket_opened", 1).await;
        note = notes.first().cloned().unwrap_or_default();
        note["body"].as_str().unwrap_or_default().contains("could not be delivered")
    })
    .await;
    let body = note["body"].as_str().unwrap();
    assert!(body.contains("a full administrator"), "{body}");
    assert!(!body.contains(&refused), "the feed names the role, not the address: {body}");

    // An administrator invitation to a refused address: the sender's list says so.
    let invited = email("refused-invitee");
    ses.script().refused.insert(invited.clone());
    let invitation = gw
        .post(
            &format!("/v1/orgs/{org}/admin-invitations"),
            &token,
            json!({"email": invited, "access": "full"}),
        )
        .await;
    assert_eq!(invitation.status, 201, "{}", invitation.text);
    eventually("the pending invitation is marked bounced", async || {
        let admins = gw.get(&format!("/v1/orgs/{org}/admins"), &token).await;
        let list = admins.body.get("items").unwrap_or(&admins.body).as_array().cloned().unwrap_or_default();
        list.iter()
            .any(|a| a["email"] == invited.as_str() && a["status"] == "pending" && a["delivery"] == "bounced")
    })
    .await;
    let bounced = gw.notifications_of_type(&org, &token, "email_bounced", 1).await;
    assert_eq!(bounced.len(), 1, "{bounced:?}");
    assert!(bounced[0]["body"].as_str().unwrap().contains("administrator"), "{bounced:?}");

    // A partner's invitation link to a refused address and to a good one.
    let (partner_token, partner) = gw.partner(&email("partner"), "Bounce Partner").await;
    let (customer_refused, customer_good) = (email("refused-customer"), email("good-customer"));
    ses.script().refused.insert(customer_refused.clone());
    for to in [&customer_refused, &customer_good] {
        let sent = gw
            .post(&format!("/v1/orgs/{partner}/invite-link/emails"), &partner_token, json!({"email": to}))
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
    }
    gw.wait_for_emails(&customer_good, 1).await;
    let notes = gw.notifications_of_type(&partner, &partner_token, "email_bounced", 1).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0]["body"].as_str().unwrap().contains(&customer_refused), "{notes:?}");

    // Nothing was retried or sent to the refused addresses; nothing sent twice.
    gw.settled_items().await;
    for to in [&refused, &invited, &customer_refused] {
        assert_eq!(ses.attempts(to), 1, "{to} is refused once and not retried");
        assert!(gw.emails_to(to).await.is_empty());
    }
    assert_eq!(gw.emails_to(&good).await.len(), 1);
    assert_eq!(gw.emails_to(&customer_good).await.len(), 1);
    let dead = failure_queue_messages(&gw).await;
    assert!(dead.is_empty(), "a refusal is no failure: {dead:?}");
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_then_delivered_once() {
    let (gw, ses) = gateway_with_ses_proxy().await;
    let retries = notify_retries();
    assert!(retries >= 1, "the template lets notify retry");
    let (partner_token, partner) = gw.partner(&email("partner"), "Flaky Partner").await;
    let to = email("throttled");
    // Throttled on every attempt but the last the template allows.
    ses.script().throttled.insert(to.clone(), retries);
    let sent = gw
        .post(&format!("/v1/orgs/{partner}/invite-link/emails"), &partner_token, json!({"email": to}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let mail = gw.wait_for_emails(&to, 1).await;
    assert!(mail[0]["text"].as_str().unwrap().contains("/invite/"));
    gw.settled_items().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(ses.attempts(&to), retries + 1);
    assert_eq!(gw.emails_to(&to).await.len(), 1, "sent once");
    assert!(failure_queue_messages(&gw).await.is_empty());
    let notes = gw.notifications_of_type(&partner, &partner_token, "email_bounced", 0).await;
    assert!(notes.is_empty(), "{notes:?}");

    // Two recipients, one throttled once: the retry sends only to that one.
    let (good, flaky) = (email("first-admin"), email("flaky-admin"));
    let (token, org) = gw.customer(&good, "Two Admins").await;
    add_full_admin(&gw, &org, &flaky).await;
    ses.script().throttled.insert(flaky.clone(), 1);
    let ticket = gw.post(&format!("/v1/orgs/{org}/support-tickets"), &token, json!({"subject": "DNS"})).await;
    assert_eq!(ticket.status, 201, "{}", ticket.text);
    gw.wait_for_emails(&flaky, 1).await;
    gw.settled_items().await;
    assert_eq!((ses.attempts(&good), ses.attempts(&flaky)), (1, 2));
    assert_eq!(gw.emails_to(&good).await.len(), 1, "not sent again by the retry");
    assert_eq!(gw.emails_to(&flaky).await.len(), 1);
    let note = gw.notifications_of_type(&org, &token, "support_ticket_opened", 1).await;
    assert!(!note[0]["body"].as_str().unwrap().contains("could not be delivered"), "{note:?}");
}

#[tokio::test]
async fn a_send_that_keeps_failing_lands_in_the_failure_queue_and_is_not_retried_forever() {
    let (gw, ses) = gateway_with_ses_proxy().await;
    let retries = notify_retries();
    let (partner_token, partner) = gw.partner(&email("partner"), "Down Partner").await;
    let to = email("unreachable");
    ses.script().down.insert(to.clone());
    let sent = gw
        .post(&format!("/v1/orgs/{partner}/invite-link/emails"), &partner_token, json!({"email": to}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);

    let mut records = Vec::new();
    eventually("the event reaches the failure queue", async || {
        records = failure_queue_messages(&gw).await;
        !records.is_empty()
    })
    .await;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], retries + 1);
    assert_eq!(record["requestPayload"]["detail-type"], "CustomerInvited");
    assert_eq!(record["requestPayload"]["detail"]["email"], to.as_str());
    assert_eq!(ses.attempts(&to), retries + 1, "one attempt and the template's retries");
    // Given up on: no further attempts, nothing left on the rule's queue.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(ses.attempts(&to), retries + 1, "not retried forever");
    assert!(gw.emails_to(&to).await.is_empty());
}

/// notify's `EventInvokeConfig.MaximumRetryAttempts`, from the template.
fn notify_retries() -> usize {
    let template = partner_hub_tests::template();
    let rule = template.rules().into_iter().find(|r| r.function == "notify").expect("notify's rule");
    template.failure(&rule).max_retries as usize
}

/// What the local stack's copy of `NotifyFailedInvocationsQueue` holds now (messages
/// are left in place for a later look).
async fn failure_queue_messages(gw: &Gateway) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&gw.sdk);
    let name = local_gateway::bus::queue_name(&gw.config.event_bus_name, "NotifyFailedInvocationsQueue");
    let url = sqs.get_queue_url().queue_name(name).send().await.expect("the failure queue exists").queue_url;
    let received = sqs
        .receive_message()
        .queue_url(url.unwrap_or_default())
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("receive");
    received.messages().iter().filter_map(|m| serde_json::from_str(m.body()?).ok()).collect()
}

#[tokio::test]
async fn eighty_concurrent_invitation_emails_are_fifty_202_and_thirty_429() {
    let gw = Gateway::start().await;
    let (token, partner) = gw.partner(&email("busy"), "Busy Partner").await;
    let stamp = unique("burst");
    let path = format!("/v1/orgs/{partner}/invite-link/emails");
    let answers = futures::future::join_all((0..80).map(|i| {
        let (gw, token, path) = (&gw, &token, &path);
        let to = format!("{stamp}-{i}@example.com");
        async move {
            let answer = gw.post(path, token, json!({"email": to})).await;
            (to, answer)
        }
    }))
    .await;
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (_, answer) in &answers {
        *by_status.entry(answer.status.as_u16()).or_default() += 1;
        if answer.status == 429 {
            assert_eq!(answer.error_code(), "rate_limited");
            assert!(answer.headers.get("retry-after").is_some());
        }
    }
    assert_eq!(by_status, HashMap::from([(202, 50), (429, 30)]), "never a 503");

    // The ring counts exactly the 50 taken, and exactly their 50 emails go out.
    let items = gw.items().await;
    let ring = items
        .iter()
        .find(|i| i.get("PK").and_then(|v| v.as_s().ok()).is_some_and(|pk| pk.starts_with("RATE#")))
        .expect("the rate ring");
    assert_eq!(ring["n"].as_n().unwrap(), "50");
    let accepted: HashSet<&str> =
        answers.iter().filter(|(_, a)| a.status == 202).map(|(to, _)| to.as_str()).collect();
    let mut mailed = Vec::new();
    eventually("the 50 accepted emails are sent", async || {
        let all = gw.send(M::GET, "/local/emails", None, None).await;
        mailed = all
            .body
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m["to"].as_str().map(str::to_string))
            .filter(|to| to.starts_with(&stamp))
            .collect();
        mailed.len() >= 50
    })
    .await;
    let mailed: HashSet<&str> = mailed.iter().map(String::as_str).collect();
    assert_eq!(mailed, accepted);
}

#[tokio::test]
async fn a_body_over_64_kib_of_any_size_gets_the_contracts_413() {
    let gw = Gateway::start().await;
    let token = gw.token(&email("big")).await;
    for (what, size) in [("100 KiB", 100 * 1024), ("11 MiB", 11 * 1024 * 1024)] {
        let body = json!({"name": "A", "pad": "x".repeat(size)}).to_string();
        for (route, bearer) in [("/v1/signup", Some(token.as_str())), ("/local/token", None)] {
            let mut request = gw.request(M::POST, route, bearer).header("content-type", "application/json");
            request = request.body(body.clone());
            let answer = partner_hub_tests::read(request).await;
            assert_eq!(
                answer.status,
                413,
                "{what} to {route}: {}",
                &answer.text[..answer.text.len().min(200)]
            );
            assert_eq!(answer.error_code(), "payload_too_large", "{what} to {route}");
            assert!(answer.headers["content-type"].to_str().unwrap().starts_with("application/json"));
        }
        // Streamed, without a length up front.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.as_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        let stream = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let answer =
            partner_hub_tests::read(gw.request(M::POST, "/v1/signup", Some(&token)).body(stream)).await;
        assert_eq!(answer.status, 413, "{what} streamed");
        assert_eq!(answer.error_code(), "payload_too_large");
    }
    // Up to the limit the route answers itself.
    let fits = json!({"name": "Fits"}).to_string();
    assert_eq!(gw.post("/v1/signup", &token, serde_json::from_str(&fits).unwrap()).await.status, 201);
}

fn last_month() -> NaiveDate {
    Utc::now().date_naive().with_day(1).unwrap().checked_sub_months(Months::new(1)).unwrap()
}

#[tokio::test]
async fn local_emails_answers_after_a_partner_wide_export() {
    let gw = Gateway::start().await;
    let (partner_token, partner) = gw.partner(&email("exporter"), "Exporting Partner").await;
    let (_, customer) = gw.connected_customer(&partner_token, &partner, &email("customer")).await;
    let orgs = vec![customer];
    let plan = partner_hub_tests::seed::Plan {
        orgs: &orgs,
        services: &["sdwan-orchestrator"],
        gateway: true,
        first_day: last_month(),
        days: 5,
        users_per_org: 4,
        seed: 11,
    };
    gw.ingest(&partner_hub_tests::seed::records(&plan)).await;
    gw.rollup().await;
    let m = format!("{:04}-{:02}", last_month().year(), last_month().month());
    let export = gw.get(&format!("/v1/orgs/{partner}/usage.csv?from={m}&to={m}"), &partner_token).await;
    assert_eq!(export.status, 200, "{}", export.text);

    let to = email("after-export");
    let sent = gw
        .post(&format!("/v1/orgs/{partner}/invite-link/emails"), &partner_token, json!({"email": to}))
        .await;
    assert_eq!(sent.status, 202);
    for _ in 0..3 {
        let listed = gw.send(M::GET, "/local/emails", None, None).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert!(listed.body.is_array());
    }
    gw.wait_for_emails(&to, 1).await;
}
