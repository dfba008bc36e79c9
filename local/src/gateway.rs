//! The local API Gateway: matches a request against the template's routes, plays the
//! JWT authorizer, builds the same payload-2.0 event API Gateway sends, and hands it
//! to the function's own handler.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use lambda_http::{Body, BoxFuture};
use serde_json::{json, Map, Value};

use crate::jwt;
use crate::template::RouteDef;

/// A function's handler, as the Lambda binary runs it.
pub type Handler =
    Arc<dyn Fn(lambda_http::Request) -> BoxFuture<'static, lambda_http::Response<Body>> + Send + Sync>;

pub struct Gateway {
    routes: Vec<(RouteDef, Handler)>,
    /// The scheduled functions, for `/local/schedules/{function}`.
    pub(crate) scheduled: HashMap<String, crate::bus::EventHandler>,
    pub(crate) jwt_secret: String,
    pub(crate) moto_endpoint: String,
    pub(crate) http: reqwest::Client,
}

impl Gateway {
    /// Every template route must have a handler: a route the gateway could not serve
    /// is a startup error, not a 404 at request time.
    pub fn new(
        routes: Vec<RouteDef>,
        handlers: &HashMap<String, Handler>,
        scheduled: HashMap<String, crate::bus::EventHandler>,
        jwt_secret: String,
        moto_endpoint: String,
    ) -> Result<Self, String> {
        let routes = routes
            .into_iter()
            .map(|route| {
                let handler = handlers.get(&route.function).cloned().ok_or_else(|| {
                    format!("no handler for function {} ({})", route.function, route.route_key())
                })?;
                Ok((route, handler))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { routes, scheduled, jwt_secret, moto_endpoint, http: reqwest::Client::new() })
    }

    pub fn routes(&self) -> impl Iterator<Item = &RouteDef> {
        self.routes.iter().map(|(route, _)| route)
    }

    /// The most specific route for this method and path, with its path parameters.
    fn matching(&self, method: &Method, path: &str) -> Option<(&RouteDef, &Handler, Map<String, Value>)> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.routes
            .iter()
            .filter(|(route, _)| route.method == method.as_str())
            .filter_map(|(route, handler)| {
                let template: Vec<&str> = route.path.split('/').collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut params = Map::new();
                let mut literals = 0;
                for (want, got) in template.iter().zip(&segments) {
                    if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                        if got.is_empty() {
                            return None;
                        }
                        let decoded = percent_encoding::percent_decode_str(got).decode_utf8_lossy();
                        params.insert(name.to_string(), Value::String(decoded.into_owned()));
                    } else if want == got {
                        literals += 1;
                    } else {
                        return None;
                    }
                }
                Some((literals, route, handler, params))
            })
            .max_by_key(|(literals, ..)| *literals)
            .map(|(_, route, handler, params)| (route, handler, params))
    }
}

pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}});
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

/// Every `/v1` and public route.
pub async fn api(
    State(gateway): State<Arc<Gateway>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((route, handler, params)) = gateway.matching(&method, uri.path()) else {
        if method == Method::GET || method == Method::HEAD {
            if let Some(page) = crate::console::serve(uri.path()) {
                return page;
            }
        }
        return error(StatusCode::NOT_FOUND, "not_found", "no route matches this method and path");
    };
    let claims = if route.public {
        None
    } else {
        match authorize(&gateway.jwt_secret, &headers) {
            Ok(claims) => Some(claims),
            Err(why) => return error(StatusCode::UNAUTHORIZED, "unauthenticated", why),
        }
    };
    let event = api_gateway_event(route, &method, &uri, &headers, params, claims, &body);
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(e) => {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &format!("building the event: {e}"))
        }
    };
    let response = handler(request).await;
    match export_link(&gateway.moto_endpoint, &response) {
        Some(link) => stream_export(&gateway.http, &link).await,
        None => into_axum(response),
    }
}

/// A 303 to a file in the local S3: the export route's answer. Deployed the client
/// follows it to S3; locally the gateway streams the file itself, so the route
/// answers with the CSV either way.
fn export_link(moto: &str, response: &lambda_http::Response<Body>) -> Option<String> {
    if response.status() != StatusCode::SEE_OTHER {
        return None;
    }
    let location = response.headers().get("location")?.to_str().ok()?;
    location.starts_with(moto.trim_end_matches('/')).then(|| location.to_string())
}

async fn stream_export(http: &reqwest::Client, link: &str) -> Response {
    match http.get(link).send().await {
        Ok(file) if file.status().is_success() => {
            let headers = file.headers().clone();
            let mut out = Response::new(axum::body::Body::from_stream(file.bytes_stream()));
            for name in ["content-type", "content-disposition"] {
                if let Some(value) = headers.get(name) {
                    out.headers_mut().insert(name, value.clone());
                }
            }
            out
        }
        Ok(file) => {
            error(StatusCode::BAD_GATEWAY, "unavailable", &format!("local S3 answered {}", file.status()))
        }
        Err(e) => error(StatusCode::BAD_GATEWAY, "unavailable", &format!("local S3: {e}")),
    }
}

fn authorize(secret: &str, headers: &HeaderMap) -> Result<Map<String, Value>, &'static str> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("an Authorization: Bearer <token> header is required")?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or("the Authorization header must be Bearer <token>")?;
    jwt::verify(secret, token.trim(), chrono::Utc::now().timestamp())
}

/// The payload-2.0 event API Gateway's HTTP API sends to a Lambda integration.
pub fn api_gateway_event(
    route: &RouteDef,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    path_parameters: Map<String, Value>,
    claims: Option<Map<String, Value>>,
    body: &[u8],
) -> Value {
    let mut header_map = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        header_map
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                if let Value::String(existing) = v {
                    existing.push(',');
                    existing.push_str(&value);
                }
            })
            .or_insert(Value::String(value));
    }
    let raw_query = uri.query().unwrap_or_default();
    let mut query = Map::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .and_modify(|v| {
                if let Value::String(existing) = v {
                    existing.push(',');
                    existing.push_str(&value);
                }
            })
            .or_insert(Value::String(value.clone().into_owned()));
    }
    let authorizer = claims.map(|claims| {
        let claims: Map<String, Value> = claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, Value::String(text))
            })
            .collect();
        json!({"jwt": {"claims": claims, "scopes": null}})
    });
    let now = chrono::Utc::now();
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => {
            use base64::Engine;
            (base64::engine::general_purpose::STANDARD.encode(body), true)
        }
    };
    let mut context = json!({
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "http": {
            "method": method.as_str(),
            "path": uri.path(),
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default(),
        },
        "requestId": uuid::Uuid::new_v4().to_string(),
        "routeKey": route.route_key(),
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    });
    if let (Some(authorizer), Some(context)) = (authorizer, context.as_object_mut()) {
        context.insert("authorizer".into(), authorizer);
    }
    json!({
        "version": "2.0",
        "routeKey": route.route_key(),
        "rawPath": uri.path(),
        "rawQueryString": raw_query,
        "headers": header_map,
        "queryStringParameters": if query.is_empty() { Value::Null } else { Value::Object(query) },
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { Value::Object(path_parameters) },
        "requestContext": context,
        "body": if body.is_empty() { Value::Null } else { Value::String(body) },
        "isBase64Encoded": is_base64,
    })
}

fn into_axum(response: lambda_http::Response<Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    let mut out = Response::new(axum::body::Body::from(bytes));
    *out.status_mut() = parts.status;
    *out.headers_mut() = parts.headers;
    out
}
