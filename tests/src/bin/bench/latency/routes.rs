//! One route call described once and sent two ways: through the local gateway over
//! HTTP (what a client sees), and straight to the function's handler in-process
//! with the event the gateway would build (what Lambda bills).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use local_gateway::gateway::{api_gateway_event, Handler};
use local_gateway::template::RouteDef;
use partner_hub_tests::{Gateway, JWT_SECRET};
use serde_json::{Map, Value};

#[derive(Clone)]
pub struct RouteCall {
    pub function: &'static str,
    pub method: Method,
    /// The template's path, e.g. `/v1/orgs/{org_id}/customers`.
    pub template: &'static str,
    pub path: String,
    pub params: Vec<(&'static str, String)>,
    pub token: String,
    pub body: Option<Value>,
    pub status: u16,
}

impl RouteCall {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    pub async fn via_gateway(&self, gw: &Gateway) -> Duration {
        let started = Instant::now();
        let answer = gw.send(self.method.clone(), &self.path, Some(&self.token), self.body.clone()).await;
        let took = started.elapsed();
        assert_eq!(answer.status.as_u16(), self.status, "{} via gateway: {}", self.key(), answer.text);
        took
    }

    /// The handler alone: the event's parsing into a request and the handler's answer,
    /// which is what runs inside a warm Lambda invocation.
    pub async fn in_process(&self, handlers: &Handlers) -> Duration {
        let route = RouteDef {
            method: self.method.to_string(),
            path: self.template.to_string(),
            function: self.function.to_string(),
            public: false,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", self.token)).expect("token header"),
        );
        if self.body.is_some() {
            headers.insert("content-type", HeaderValue::from_static("application/json"));
        }
        let uri: Uri = self.path.parse().expect("path");
        let params: Map<String, Value> =
            self.params.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect();
        let claims = local_gateway::jwt::verify(JWT_SECRET, &self.token, chrono::Utc::now().timestamp())
            .expect("token verifies");
        let body = self.body.as_ref().map(Value::to_string).unwrap_or_default();
        let event =
            api_gateway_event(&route, &self.method, &uri, &headers, params, Some(claims), body.as_bytes())
                .to_string();
        let handler = handlers.0.get(self.function).expect("function has a handler");
        let started = Instant::now();
        let request = lambda_http::request::from_str(&event).expect("event parses");
        let response = handler(request).await;
        let took = started.elapsed();
        assert_eq!(response.status().as_u16(), self.status, "{} in process", self.key());
        took
    }
}

/// Every HTTP function's handler over one [`partner_hub::App`], as the gateway holds them.
pub struct Handlers(HashMap<String, Handler>);

impl Handlers {
    pub fn new(app: partner_hub::App) -> Self {
        Self(local_gateway::http_handlers(&Arc::new(app)))
    }
}
