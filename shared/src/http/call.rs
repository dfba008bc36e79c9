use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use super::pagination::PageRequest;
use crate::domain::{Caller, Email, OrgId};
use crate::error::{AppError, Result};

/// The contract's limit on request bodies.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One API request as a handler sees it: the route API Gateway matched, its
/// parameters, the body, and the caller the authorizer vouched for (if any).
#[derive(Debug)]
pub struct ApiCall {
    pub request_id: String,
    /// API Gateway's route key, e.g. `POST /v1/orgs/{org_id}/programs`.
    pub route_key: String,
    pub path: String,
    pub headers: http::HeaderMap,
    path_params: HashMap<String, String>,
    query: HashMap<String, String>,
    body: Vec<u8>,
    caller: std::result::Result<Caller, String>,
}

impl ApiCall {
    pub fn from_request(request: Request) -> Self {
        let (route_key, request_id, caller) = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => (
                ctx.route_key.clone().unwrap_or_default(),
                ctx.request_id.clone().unwrap_or_default(),
                caller_from_claims(ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref())),
            ),
            _ => (String::new(), String::new(), Err("no authorizer context".into())),
        };
        let path_params = request
            .path_parameters_ref()
            .map(|p| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let query = request
            .query_string_parameters_ref()
            .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let path = request.uri().path().to_string();
        let (parts, body) = request.into_parts();
        let body = match body {
            Body::Empty => Vec::new(),
            Body::Text(text) => text.into_bytes(),
            Body::Binary(bytes) => bytes,
            _ => Vec::new(),
        };
        Self {
            request_id: if request_id.is_empty() { uuid::Uuid::new_v4().to_string() } else { request_id },
            route_key,
            path,
            headers: parts.headers,
            path_params,
            query,
            body,
            caller,
        }
    }

    pub fn check_body_size(&self) -> Result<()> {
        if self.body.len() > MAX_BODY_BYTES {
            Err(AppError::PayloadTooLarge)
        } else {
            Ok(())
        }
    }

    pub fn method(&self) -> &str {
        self.route_key.split_once(' ').map_or("", |(method, _)| method)
    }

    /// The authenticated caller, or 401 for a route that needs one.
    pub fn caller(&self) -> Result<&Caller> {
        self.caller
            .as_ref()
            .map_err(|why| AppError::Unauthenticated(format!("a valid bearer token is required: {why}")))
    }

    pub fn has_caller(&self) -> bool {
        self.caller.is_ok()
    }

    pub fn path_param(&self, name: &str) -> Result<&str> {
        self.path_params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| AppError::invalid(format!("missing path parameter {name}")))
    }

    /// A path parameter that must be an ORGID. A malformed one cannot name an org,
    /// so it is answered like an unknown one.
    pub fn org_id_param(&self, name: &str) -> Result<OrgId> {
        OrgId::parse(self.path_param(name)?).map_err(|_| AppError::not_found("organization not found"))
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn page(&self) -> Result<PageRequest> {
        PageRequest::parse(self.query("limit"), self.query("next_token"))
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON of type `T`; a 400 names the offending field.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::invalid("the request body must be a JSON object"));
        }
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                AppError::invalid(format!("the request body is not valid JSON: {inner}"))
            } else if path == "." {
                AppError::invalid(format!("invalid request body: {inner}"))
            } else {
                AppError::invalid(format!("{path}: {inner}"))
            }
        })?;
        de.end().map_err(|e| AppError::invalid(format!("the request body is not valid JSON: {e}")))?;
        Ok(value)
    }
}

fn caller_from_claims(
    jwt: Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizerJwtDescription>,
) -> std::result::Result<Caller, String> {
    let jwt = jwt.ok_or("no token")?;
    let sub = jwt.claims.get("sub").filter(|s| !s.is_empty()).ok_or("the token has no sub claim")?;
    let email = jwt
        .claims
        .get("email")
        .ok_or("the token has no email claim")
        .and_then(|e| Email::parse(e).map_err(|_| "the token's email claim is not an email address"))?;
    let mut scopes: Vec<String> = jwt
        .claims
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    scopes.extend(jwt.scopes.iter().flatten().cloned());
    Ok(Caller { sub: sub.clone(), email, scopes })
}
