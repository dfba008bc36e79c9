//! Test harness: the local stack that `make test` starts (DynamoDB Local and moto,
//! reached through the standard `AWS_ENDPOINT_URL_*` variables), a fresh table per
//! test created from `template.yaml`, and the local gateway served in-process.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use local_gateway::template::Template;
use local_gateway::{jwt, LocalOptions};
use partner_hub::config::Config;
use partner_hub::App;
use reqwest::StatusCode;
use serde_json::Value;

pub mod proxy;
pub mod samples;
pub mod seed;

/// One raw table item.
pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

pub const JWT_SECRET: &str = "test-secret";

/// The SDK configuration the functions use, pointed at the test stack.
pub async fn sdk() -> SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run the suite with `make test`, which starts DynamoDB Local and moto"
    );
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS is not set (scripts/aws-env.sh sets it): the gateway reads the table's stream there"
    );
    let sdk = partner_hub::sdk::load().await.expect("the SDK configuration loads");
    // SES v2 through the local SES's catcher, which `/local/emails` lists.
    let moto = std::env::var("AWS_ENDPOINT_URL_SESV2").expect("AWS_ENDPOINT_URL_SESV2");
    local_gateway::emails::catching(&sdk, &moto).expect("the local SES catcher starts")
}

/// An S3 client for the local S3 (moto), which serves buckets by path.
pub fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

/// A queue that receives what matches `pattern` on `bus`, set up the way the local
/// stack sets up the template's rules; answers the queue's URL.
pub async fn bus_tap(sdk: &SdkConfig, bus: &str, pattern: Value) -> String {
    let rule = local_gateway::template::RuleDef { name: unique("tap"), function: "tap".into(), pattern };
    let created = local_gateway::bus::create_rules(
        &aws_sdk_eventbridge::Client::new(sdk),
        &aws_sdk_sqs::Client::new(sdk),
        bus,
        &[rule],
    )
    .await
    .expect("tap rule");
    created.into_iter().next().map(|(_, queue)| queue).expect("queue")
}

pub fn template() -> Template {
    Template::load_default().expect("template.yaml parses")
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub fn config(table: &str) -> Config {
    Config {
        table_name: table.to_string(),
        event_bus_name: unique("bus"),
        mail_from: "no-reply@partnerhub.test".into(),
        public_base_url: "http://localhost:3000".into(),
        local_token_path: Some("/local/token".into()),
        export_bucket: unique("exports"),
        s3_force_path_style: true,
        usage_hash_key: "test-usage-key".into(),
        page_token_key: "test-page-token-key".into(),
    }
}

/// A table of its own for one test, created exactly as the template defines it.
pub async fn fresh_table(sdk: &SdkConfig) -> String {
    let name = unique("test");
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    local_gateway::setup::create_table(&dynamo, &name, &template().table().expect("table definition"))
        .await
        .expect("table created");
    name
}

/// An [`App`] on a fresh table, for tests of use cases and adapters.
pub async fn fresh_app() -> App {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    App::new(&sdk, config(&table))
}

/// Every item in the table, for asserting that a refused request wrote nothing.
pub async fn all_items(
    sdk: &SdkConfig,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = dynamo
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The local gateway on a free port, over a fresh table and bus.
pub struct Gateway {
    pub base: String,
    pub http: reqwest::Client,
    pub sdk: SdkConfig,
    pub config: Config,
    server: tokio::task::JoinHandle<()>,
    _background: local_gateway::bus::Background,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The contract's error code, if this is an error answer.
    pub fn error_code(&self) -> &str {
        self.body.pointer("/error/code").and_then(Value::as_str).unwrap_or("")
    }
}

impl Gateway {
    pub async fn start() -> Self {
        Self::start_with(App::new).await
    }

    /// The gateway with its functions running on an [`App`] the test builds, e.g.
    /// with a proxy between them and AWS.
    pub async fn start_with(make_app: impl FnOnce(&SdkConfig, Config) -> App) -> Self {
        let sdk = sdk().await;
        let table = unique("test");
        let config = config(&table);
        let app = std::sync::Arc::new(make_app(&sdk, config.clone()));
        let options = LocalOptions {
            config: config.clone(),
            jwt_secret: JWT_SECRET.into(),
            moto_endpoint: std::env::var("AWS_ENDPOINT_URL_SESV2").expect("AWS_ENDPOINT_URL_SESV2"),
        };
        let stack = local_gateway::build_with(app, &sdk, &template(), options).await.expect("gateway builds");
        let (router, background) = (stack.router, stack.background);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { base, http: reqwest::Client::new(), sdk, config, server, _background: background }
    }

    pub fn table(&self) -> &str {
        &self.config.table_name
    }

    /// A bearer token as `/local/token` mints it.
    pub async fn token(&self, email: &str) -> String {
        let answer = self
            .send(reqwest::Method::POST, "/local/token", None, Some(serde_json::json!({"email": email})))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["token"].as_str().expect("token").to_string()
    }

    pub fn sub_of(email: &str) -> String {
        jwt::sub_for(&email.to_lowercase())
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        read(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(token), Some(body)).await
    }

    /// Signs up an org for `email` and returns its ORGID.
    pub async fn sign_up(&self, token: &str, name: &str) -> String {
        let answer = self.post("/v1/signup", token, serde_json::json!({"name": name})).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["org_id"].as_str().expect("org_id").to_string()
    }

    pub async fn items(&self) -> Vec<Item> {
        all_items(&self.sdk, self.table()).await
    }

    /// The table's items once the bus has stopped delivering (notifications and email
    /// markers are written in the background): the count held still for 600 ms.
    pub async fn settled_items(&self) -> Vec<Item> {
        let mut last = self.items().await;
        let mut still = 0;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let now = self.items().await;
            still = if now.len() == last.len() { still + 1 } else { 0 };
            last = now;
            if still >= 3 {
                break;
            }
        }
        last
    }
}

pub async fn read(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("gateway answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, body, text }
}

/// Signed-up orgs and their people, for tests that need partners and customers.
impl Gateway {
    /// A partner-badged org (CSP) whose full administrator is `email`.
    pub async fn partner(&self, email: &str, name: &str) -> (String, String) {
        let token = self.token(email).await;
        let org = self.sign_up(&token, name).await;
        let joined = self
            .post(&format!("/v1/orgs/{org}/programs"), &token, serde_json::json!({"program": "CSP"}))
            .await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        (token, org)
    }

    /// A standard org whose full administrator is `email`.
    pub async fn customer(&self, email: &str, name: &str) -> (String, String) {
        let token = self.token(email).await;
        let org = self.sign_up(&token, name).await;
        (token, org)
    }

    /// Makes `email` a custom administrator of `org` with these permissions, as the
    /// admins workflow will; answers their token.
    pub async fn custom_admin(
        &self,
        org: &str,
        email: &str,
        permissions: Vec<partner_hub::domain::Permission>,
    ) -> String {
        let admin = partner_hub::domain::Administrator {
            org_id: partner_hub::domain::OrgId::parse(org).expect("org id"),
            sub: Self::sub_of(email),
            email: partner_hub::domain::Email::parse(email).expect("email"),
            access: partner_hub::domain::Access::Custom,
            permissions,
            added_at: chrono::Utc::now(),
            granted_via: None,
            access_expires_at: None,
            version: 1,
        };
        let item = partner_hub::store::to_item(&admin).expect("item");
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .expect("admin written");
        self.token(email).await
    }

    pub async fn invite_code(&self, partner_token: &str, partner: &str) -> String {
        let link = self.get(&format!("/v1/orgs/{partner}/invite-link"), partner_token).await;
        assert_eq!(link.status, 200, "{}", link.text);
        link.body["code"].as_str().expect("code").to_string()
    }

    pub async fn accept(&self, customer_token: &str, code: &str, customer: &str) -> Answer {
        self.post(
            &format!("/v1/invite/{code}/accept"),
            customer_token,
            serde_json::json!({"customer_org_id": customer}),
        )
        .await
    }

    /// Connects a new customer to the partner through its link; answers the customer.
    pub async fn connected_customer(
        &self,
        partner_token: &str,
        partner: &str,
        email: &str,
    ) -> (String, String) {
        let (token, customer) = self.customer(email, &format!("Customer of {email}")).await;
        let code = self.invite_code(partner_token, partner).await;
        let accepted = self.accept(&token, &code, &customer).await;
        assert_eq!(accepted.status, 201, "{}", accepted.text);
        (token, customer)
    }

    pub async fn emails_to(&self, to: &str) -> Vec<Value> {
        let answer = self.send(reqwest::Method::GET, "/local/emails", None, None).await;
        answer.body.as_array().cloned().unwrap_or_default().into_iter().filter(|m| m["to"] == to).collect()
    }

    /// The org's notifications of one type, waiting (bounded) until there are `count`.
    pub async fn notifications_of_type(
        &self,
        org: &str,
        token: &str,
        kind: &str,
        count: usize,
    ) -> Vec<Value> {
        let mut found = Vec::new();
        for _ in 0..100 {
            let list = self.get(&format!("/v1/orgs/{org}/notifications?limit=100"), token).await;
            let items = list.body["items"].as_array().cloned().unwrap_or_default();
            found = items.into_iter().filter(|n| n["type"] == kind).collect();
            if found.len() >= count {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        found
    }

    /// Waits (bounded) until `to` has received at least `count` emails.
    pub async fn wait_for_emails(&self, to: &str, count: usize) -> Vec<Value> {
        for _ in 0..100 {
            let emails = self.emails_to(to).await;
            if emails.len() >= count {
                return emails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{to} did not receive {count} email(s) within 10 s: {:?}", self.emails_to(to).await)
    }
}

/// A clock tests set and move, so that expiry is tested without sleeping.
#[derive(Clone)]
pub struct TestClock(std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>);

impl Default for TestClock {
    fn default() -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(chrono::Utc::now())))
    }
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl partner_hub::domain::Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Gateway {
    /// The gateway on a clock the test moves.
    pub async fn start_with_clock(clock: TestClock) -> Self {
        Self::start_with(move |sdk, config| {
            let mut app = App::new(sdk, config);
            app.clock = Box::new(clock);
            app
        })
        .await
    }

    /// Sets a partner's active-customer counter as if `count` customers were connected
    /// (what a test of the cap needs is the move across a threshold, not 90 sign-ups).
    pub async fn set_customer_count(&self, partner: &str, count: u32) {
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .update_item()
            .table_name(self.table())
            .key("PK", AttributeValue::S(format!("ORG#{partner}")))
            .key("SK", AttributeValue::S("PROFILE".into()))
            .update_expression("SET customer_count = :n")
            .expression_attribute_values(":n", AttributeValue::N(count.to_string()))
            .send()
            .await
            .expect("counter set");
    }

    /// The accept link's token from the `nth` (1-based) administrator invitation
    /// mailed to `to`, waiting (bounded) for it to arrive.
    pub async fn admin_invitation_token(&self, to: &str, nth: usize) -> String {
        for _ in 0..100 {
            let tokens: Vec<String> = self
                .emails_to(to)
                .await
                .iter()
                .filter_map(|m| invitation_token_in(m["text"].as_str()?))
                .collect();
            if let Some(token) = tokens.get(nth - 1) {
                return token.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no administrator invitation number {nth} reached {to}")
    }
}

/// The token of the administrator invitation link in an email's text, if it has one.
pub fn invitation_token_in(text: &str) -> Option<String> {
    // The email links to the invitation's page, `/admin-invitations/{token}`.
    const LINK: &str = "/admin-invitations/";
    let start = text.find(LINK)? + LINK.len();
    text[start..].split(|c: char| c == '/' || c.is_whitespace()).next().map(str::to_string)
}

impl Gateway {
    /// A token of the services' telemetry feed.
    pub async fn feed_token(&self) -> String {
        self.machine_token("usage:write").await
    }

    /// A machine client's token (client credentials): a scope and no email.
    pub async fn machine_token(&self, scope: &str) -> String {
        self.minted(serde_json::json!({"scope": scope})).await
    }

    /// A person's token whose email the identity provider has not verified.
    pub async fn unverified_token(&self, email: &str) -> String {
        self.minted(serde_json::json!({"email": email, "email_verified": false})).await
    }

    pub async fn minted(&self, request: Value) -> String {
        let answer = self.send(reqwest::Method::POST, "/local/token", None, Some(request)).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body["token"].as_str().expect("token").to_string()
    }

    /// Records an order as the commerce system's feed does; answers the answer.
    pub async fn record_order(&self, partner: &str, order: Value) -> Answer {
        let feed = self.machine_token("orders:write").await;
        self.post(&format!("/v1/orgs/{partner}/orders"), &feed, order).await
    }

    /// Sends records to the feed in calls of at most 500.
    pub async fn ingest(&self, records: &[Value]) {
        let token = self.feed_token().await;
        for chunk in records.chunks(500) {
            let answer = self.post("/v1/usage-records", &token, serde_json::json!({"records": chunk})).await;
            assert_eq!(answer.status, 202, "{}", answer.text);
        }
    }

    /// Runs the scheduled rollup now.
    pub async fn rollup(&self) -> Value {
        let answer = self.send(reqwest::Method::POST, "/local/schedules/usage-rollup", None, None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.body
    }
}

/// The gateway with DynamoDB behind a proxy that fails the first `failures`
/// transactions (once armed) with the conflicts real DynamoDB raises under contention.
pub async fn gateway_behind_proxy(failures: usize) -> (Gateway, proxy::Proxy, proxy::Conflicts) {
    let conflicts = proxy::Conflicts::default();
    let dynamo_url = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("AWS_ENDPOINT_URL_DYNAMODB");
    let proxy = proxy::Proxy::start(&dynamo_url, conflicts.fault(failures)).await;
    let proxy_url = proxy.url.clone();
    let gw = Gateway::start_with(move |sdk, config| {
        let dynamo = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk).endpoint_url(proxy_url).build(),
        );
        App::from_clients(
            config,
            dynamo,
            aws_sdk_eventbridge::Client::new(sdk),
            aws_sdk_sesv2::Client::new(sdk),
            s3(sdk),
        )
    })
    .await;
    (gw, proxy, conflicts)
}
