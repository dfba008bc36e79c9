use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use super::pagination::PageRequest;
use crate::domain::{Caller, Email, MachineClient, OrgId};
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
    principal: std::result::Result<Principal, String>,
}

/// Who the token says is calling.
#[derive(Debug)]
enum Principal {
    /// A person whose email the identity provider has verified.
    Person(Caller),
    /// A person whose email is unverified or absent: no decision is made by it.
    UnverifiedPerson,
    /// A client-credentials token: scopes, no email.
    Machine(MachineClient),
}

impl ApiCall {
    pub fn from_request(request: Request) -> Self {
        let (route_key, request_id, principal) = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => (
                ctx.route_key.clone().unwrap_or_default(),
                ctx.request_id.clone().unwrap_or_default(),
                principal_from_claims(ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref())),
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
            principal,
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

    fn principal(&self) -> Result<&Principal> {
        self.principal
            .as_ref()
            .map_err(|why| AppError::Unauthenticated(format!("a valid bearer token is required: {why}")))
    }

    /// The person calling a person's route: 401 without a token, 403
    /// `email_not_verified` while their email is unverified, 403 for a machine client.
    pub fn caller(&self) -> Result<&Caller> {
        match self.principal()? {
            Principal::Person(caller) => Ok(caller),
            Principal::UnverifiedPerson => Err(AppError::EmailNotVerified),
            Principal::Machine(_) => {
                Err(AppError::forbidden("machine clients may call only the routes of their scope"))
            }
        }
    }

    /// The machine client calling a route its `scope` opens; any other token is 403.
    pub fn machine(&self, scope: &str) -> Result<&MachineClient> {
        match self.principal()? {
            Principal::Machine(client) if client.has_scope(scope) => Ok(client),
            _ => {
                Err(AppError::forbidden(format!("a client-credentials token with scope {scope} is required")))
            }
        }
    }

    /// Whose idempotency keys these are: one caller's keys never collide with another's.
    pub fn principal_key(&self) -> Option<String> {
        match self.principal.as_ref().ok()? {
            Principal::Person(caller) => Some(caller.sub.clone()),
            Principal::Machine(client) => Some(format!("client:{}", client.client_id)),
            Principal::UnverifiedPerson => None,
        }
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

fn principal_from_claims(
    jwt: Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizerJwtDescription>,
) -> std::result::Result<Principal, String> {
    let jwt = jwt.ok_or("no token")?;
    let claim = |name: &str| jwt.claims.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let sub = claim("sub").ok_or("the token has no sub claim")?;
    if let Some(raw) = claim("email") {
        let email = Email::parse(raw).map_err(|_| "the token's email claim is not an email address")?;
        // API Gateway hands every claim over as a string.
        return Ok(match claim("email_verified") {
            Some("true") => Principal::Person(Caller { sub: sub.to_string(), email }),
            _ => Principal::UnverifiedPerson,
        });
    }
    // Cognito's client-credentials tokens carry scopes and no user; a person's
    // access token names its user, and is no machine whatever its scopes.
    let mut scopes: Vec<String> =
        claim("scope").map(|s| s.split_whitespace().map(scope_name).collect()).unwrap_or_default();
    scopes.extend(jwt.scopes.iter().flatten().map(|s| scope_name(s)));
    if scopes.is_empty() || claim("username").is_some() || claim("cognito:username").is_some() {
        return Ok(Principal::UnverifiedPerson);
    }
    let client_id = claim("client_id").unwrap_or(sub).to_string();
    Ok(Principal::Machine(MachineClient { client_id, scopes }))
}

/// `partnerhub/orders:write` (a Cognito resource server's scope) is `orders:write`.
fn scope_name(raw: &str) -> String {
    raw.rsplit_once('/').map_or(raw, |(_, name)| name).to_string()
}
