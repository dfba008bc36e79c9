use std::collections::HashMap;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::pagination::{page_request, ListBinding, PageTokenKey};
use super::ApiResponse;
use crate::domain::{Caller, Email, MachineClient, OrgId};
use crate::error::{AppError, Result};
use crate::store::{Cursor, Page, PageRequest};

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
    /// A query parameter given more than once (`?limit=1&limit=2`): refused.
    repeated_query: Option<String>,
    body: Vec<u8>,
    principal: std::result::Result<Principal, String>,
    page_tokens: PageTokenKey,
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
    /// The request as API Gateway (or the local gateway) hands it over; `page_tokens`
    /// seals and opens the `next_token`s of its lists.
    pub fn from_request(request: Request, page_tokens: &PageTokenKey) -> Self {
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
        // The query as the raw query string says it, every value of every name.
        let mut query = HashMap::new();
        let mut repeated_query = None;
        for (name, value) in request.query_string_parameters_ref().into_iter().flat_map(|q| q.iter()) {
            if query.insert(name.to_string(), value.to_string()).is_some() && repeated_query.is_none() {
                repeated_query = Some(name.to_string());
            }
        }
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
            repeated_query,
            body,
            principal,
            page_tokens: page_tokens.clone(),
        }
    }

    /// Every query parameter at most once: `?limit=1&limit=2` leaves it unclear which
    /// one counts, so it is 400 on every route, whatever the parameter.
    pub fn check_query(&self) -> Result<()> {
        match &self.repeated_query {
            Some(name) => {
                Err(AppError::invalid(format!("query parameter {name} must be given at most once")))
            }
            None => Ok(()),
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

    /// The page of this route's list asked for. Its `next_token` must be one this
    /// same list gave out: same route, same path parameters (so the same org), same
    /// filters (every other query parameter).
    pub fn page(&self) -> Result<PageRequest> {
        page_request(self.query("limit"), self.query("next_token"), &self.list())
    }

    /// 200 with `body` (an object, such as a [`Page`]) and its `next_token`: where the
    /// list continues after `next`, sealed for this list, or null.
    pub fn listed<T: Serialize>(&self, body: &T, next: Option<&Cursor>) -> ApiResponse {
        let mut value = match serde_json::to_value(body) {
            Ok(Value::Object(fields)) => fields,
            Ok(_) => return ApiResponse::from_error(&AppError::internal("a list answer is an object"), ""),
            Err(e) => return ApiResponse::from_error(&AppError::internal(format!("serialising: {e}")), ""),
        };
        let token = next.map(|cursor| self.list().seal(cursor));
        value.insert("next_token".into(), serde_json::to_value(token).unwrap_or(Value::Null));
        ApiResponse::ok(&value)
    }

    /// 200 with the page's `items` and its `next_token`.
    pub fn answer_page<T: Serialize>(&self, page: &Page<T>) -> ApiResponse {
        self.listed(&serde_json::json!({ "items": page.items }), page.next.as_ref())
    }

    fn list(&self) -> ListBinding {
        ListBinding::new(
            &self.page_tokens,
            &self.route_key,
            self.path_params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            self.query
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "limit" | "next_token"))
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
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

/// The longest `sub` taken: Cognito's are UUIDs, a client's id is shorter still, and
/// the `sub` goes into table keys, which DynamoDB bounds.
const MAX_SUB_LEN: usize = 255;

/// Who the authorizer's claims say is calling.
///
/// API Gateway hands every claim over as a string: a boolean or number as its text,
/// an array or object flattened (`[a b]` deployed; the local gateway writes JSON).
/// A claim of the wrong JSON type — an `email` that is an array, an `email_verified`
/// that is neither `true` nor `false` (boolean or string), a `sub`, `scope` or
/// `client_id` that is an array or object — is refused outright rather than read
/// as text. That is 401 `unauthenticated`, not 403: such a token does not tell us
/// who is calling, so nobody has been authenticated, while 403 would say a known
/// caller lacks a right (the contract keeps 403 for that).
fn principal_from_claims(
    jwt: Option<&lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizerJwtDescription>,
) -> std::result::Result<Principal, String> {
    let jwt = jwt.ok_or("no token")?;
    let claim = |name: &str| -> std::result::Result<Option<&str>, String> {
        match jwt.claims.get(name).map(String::as_str).filter(|v| !v.is_empty()) {
            Some(v) if v.starts_with('[') || v.starts_with('{') => {
                Err(format!("the token's {name} claim must be a string"))
            }
            other => Ok(other),
        }
    };
    let id = |name: &str, value: &str| -> std::result::Result<(), String> {
        if value.len() > MAX_SUB_LEN || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("the token's {name} claim must be 1 to 255 visible ASCII characters"));
        }
        Ok(())
    };
    let sub = claim("sub")?.ok_or("the token has no sub claim")?;
    id("sub", sub)?;
    // Read (and so type-checked) whatever the token is.
    let verified = match claim("email_verified")? {
        Some("true") => true,
        Some("false") | None => false,
        Some(_) => return Err("the token's email_verified claim must be true or false".into()),
    };
    let scope = claim("scope")?;
    if let Some(raw) = claim("email")? {
        let email = Email::parse(raw).map_err(|_| "the token's email claim is not an email address")?;
        return Ok(if verified {
            Principal::Person(Caller { sub: sub.to_string(), email })
        } else {
            Principal::UnverifiedPerson
        });
    }
    // Cognito's client-credentials tokens carry scopes and no user; a person's
    // access token names its user, and is no machine whatever its scopes.
    let mut scopes: Vec<String> =
        scope.map(|s| s.split_whitespace().map(scope_name).collect()).unwrap_or_default();
    scopes.extend(jwt.scopes.iter().flatten().map(|s| scope_name(s)));
    if scopes.is_empty() || claim("username")?.is_some() || claim("cognito:username")?.is_some() {
        return Ok(Principal::UnverifiedPerson);
    }
    let client_id = claim("client_id")?.unwrap_or(sub);
    id("client_id", client_id)?;
    let client_id = client_id.to_string();
    Ok(Principal::Machine(MachineClient { client_id, scopes }))
}

/// `partnerhub/orders:write` (a Cognito resource server's scope) is `orders:write`.
fn scope_name(raw: &str) -> String {
    raw.rsplit_once('/').map_or(raw, |(_, name)| name).to_string()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::http::idempotency;

    fn event(method: &str, query: &str, claims: Value) -> String {
        let route = format!("{method} /v1/orgs/{{org_id}}/customers");
        json!({
            "version": "2.0",
            "routeKey": route,
            "rawPath": "/v1/orgs/10000001/customers",
            "rawQueryString": query,
            "headers": {"host": "localhost"},
            "requestContext": {
                "accountId": "1", "apiId": "a", "domainName": "localhost", "domainPrefix": "localhost",
                "authorizer": {"jwt": {"claims": claims, "scopes": null}},
                "http": {"method": method, "path": "/v1/orgs/10000001/customers", "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "t"},
                "requestId": "r", "routeKey": route, "stage": "$default",
                "time": "21/Nov/2026:10:00:00 +0000", "timeEpoch": 0
            },
            "isBase64Encoded": false,
            "pathParameters": {"org_id": "10000001"}
        })
        .to_string()
    }

    fn person() -> Value {
        json!({"sub": "5f1a7c3e-2b8d-4e6f-9a01-3c4d5e6f7a8b", "email": "ada@example.com", "email_verified": "true"})
    }

    fn call_with(method: &str, query: &str, claims: Value) -> ApiCall {
        let request = lambda_http::request::from_str(&event(method, query, claims)).unwrap();
        ApiCall::from_request(request, &PageTokenKey::new("k"))
    }

    fn call(query: &str) -> ApiCall {
        call_with("GET", query, person())
    }

    /// The claims as API Gateway hands them over: every value a string.
    fn flattened(claims: Value) -> Value {
        let Value::Object(map) = claims else { unreachable!() };
        map.into_iter()
            .map(|(k, v)| (k, Value::String(if let Value::String(s) = v { s } else { v.to_string() })))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    #[test]
    fn a_repeated_query_parameter_is_400_whatever_it_is() {
        assert!(call("limit=1&service=daas").check_query().is_ok());
        for query in ["limit=1&limit=2", "service=a&service=b", "x=1&x=1", "next_token=a&next_token=", "a&a"]
        {
            let error = call(query).check_query().unwrap_err();
            assert_eq!((error.status(), error.code()), (400, "invalid_request"), "{query}");
            assert!(error.public_message().contains("given at most once"), "{query}");
        }
    }

    #[test]
    fn page_tokens_are_bound_to_route_org_and_filters() {
        let cursor = Cursor::for_tests(&[("PK", "ORG#10000001")]);
        let token = call("service=daas").list().seal(&cursor);
        let next = call(&format!("service=daas&limit=5&next_token={}", token.as_str())).page().unwrap();
        assert_eq!((next.limit, next.after), (5, Some(cursor)));
        for other in [
            format!("next_token={}", token.as_str()),
            format!("service=gateway&next_token={}", token.as_str()),
        ] {
            assert_eq!(call(&other).page().unwrap_err().status(), 400, "{other}");
        }
    }

    #[test]
    fn claims_of_the_wrong_type_are_401() {
        let cases = [
            json!({"sub": "s", "email": ["e@example.com"], "email_verified": true}),
            json!({"sub": "s", "email": {"a": "e@example.com"}, "email_verified": true}),
            json!({"sub": "s", "email": 5, "email_verified": true}),
            json!({"sub": "s", "email": "e@example.com", "email_verified": 1}),
            json!({"sub": "s", "email": "e@example.com", "email_verified": "yes"}),
            json!({"sub": "s", "email": "e@example.com", "email_verified": [true]}),
            json!({"sub": ["s"], "email": "e@example.com", "email_verified": true}),
            json!({"sub": {"id": "s"}, "scope": "orders:write"}),
            json!({"sub": "orders-feed", "scope": ["orders:write"]}),
            json!({"sub": "orders-feed", "scope": "orders:write", "client_id": ["x"]}),
            json!({"sub": "s p a c e", "email": "e@example.com", "email_verified": true}),
            json!({"sub": "x".repeat(256), "email": "e@example.com", "email_verified": true}),
            json!({"email": "e@example.com", "email_verified": true}),
            json!({"sub": "s", "email": "a,b@example.com", "email_verified": true}),
        ];
        for claims in cases {
            // As the local gateway (JSON text) and as API Gateway (`[a b]`) flatten them.
            let deployed = claims
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::Array(items) => format!(
                            "[{}]",
                            items
                                .iter()
                                .map(|i| i.as_str().map_or(i.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), Value::String(text))
                })
                .collect::<serde_json::Map<_, _>>();
            for flat in [flattened(claims.clone()), Value::Object(deployed)] {
                let call = call_with("GET", "", flat.clone());
                let error = call.caller().unwrap_err();
                assert_eq!((error.status(), error.code()), (401, "unauthenticated"), "{flat}");
                assert!(call.machine("orders:write").is_err(), "{flat}");
                assert_eq!(call.principal_key(), None, "{flat}");
            }
        }
    }

    #[test]
    fn well_typed_claims_still_name_the_caller() {
        let verified = flattened(json!({"sub": "s", "email": "Ada@Example.com", "email_verified": true}));
        assert_eq!(call_with("GET", "", verified).caller().unwrap().email.as_str(), "ada@example.com");
        let as_string = json!({"sub": "s", "email": "ada@example.com", "email_verified": "true"});
        assert!(call_with("GET", "", as_string).caller().is_ok());
        for unverified in [
            json!({"sub": "s", "email": "ada@example.com", "email_verified": "false"}),
            json!({"sub": "s", "email": "ada@example.com"}),
        ] {
            assert_eq!(call_with("GET", "", unverified).caller().unwrap_err().code(), "email_not_verified");
        }
        let machine =
            json!({"sub": "orders-feed", "client_id": "orders-feed", "scope": "partnerhub/orders:write"});
        assert_eq!(call_with("GET", "", machine).machine("orders:write").unwrap().client_id, "orders-feed");
    }

    fn with_key(value: &[u8]) -> ApiCall {
        let mut call = call_with("POST", "", person());
        call.headers.insert(idempotency::HEADER, http::HeaderValue::from_bytes(value).unwrap());
        call
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_255_or_400() {
        assert!(idempotency::key_of(&with_key(b"order-1001")).unwrap().unwrap().ends_with("#order-1001"));
        for bad in [&b"cl\xc3\xa9"[..], b"a b", b"\xff", b"tab\tkey", &[b'k'; 256][..], b""] {
            let error = idempotency::key_of(&with_key(bad)).unwrap_err();
            assert_eq!((error.status(), error.code()), (400, "invalid_request"), "{bad:?}");
        }
        let mut twice = with_key(b"a");
        twice.headers.append(idempotency::HEADER, http::HeaderValue::from_static("b"));
        assert_eq!(idempotency::key_of(&twice).unwrap_err().status(), 400);
        // Only a POST replays; other methods ignore the header.
        let mut get = call("");
        get.headers.insert(idempotency::HEADER, http::HeaderValue::from_static("x y"));
        assert_eq!(idempotency::key_of(&get).unwrap(), None);
    }

    proptest! {
        #[test]
        fn arbitrary_claims_never_panic_and_a_caller_has_a_real_email(
            sub in "\\PC{0,20}",
            email in "\\PC{0,30}",
            verified in "(true|false|\\PC{0,6})",
        ) {
            let call = call_with("GET", "", json!({"sub": sub, "email": email, "email_verified": verified}));
            if let Ok(caller) = call.caller() {
                prop_assert_eq!(Email::parse(caller.email.as_str()).unwrap(), caller.email.clone());
                prop_assert!(caller.sub.bytes().all(|b| b.is_ascii_graphic()));
                prop_assert_eq!(verified, "true");
            }
        }

        #[test]
        fn arbitrary_queries_never_panic(query in "[a-z=&%0-9]{0,30}") {
            let call = call(&query);
            let _ = call.check_query();
            let _ = call.page();
        }

        #[test]
        fn any_header_bytes_give_a_key_or_400(bytes in proptest::collection::vec(0x20u8..=0xff, 0..300)) {
            prop_assume!(!bytes.contains(&0x7f));
            if let Ok(value) = http::HeaderValue::from_bytes(&bytes) {
                let mut call = call_with("POST", "", person());
                call.headers.insert(idempotency::HEADER, value);
                match idempotency::key_of(&call) {
                    Ok(Some(key)) => prop_assert!(key.ends_with(std::str::from_utf8(&bytes).unwrap())),
                    Ok(None) => prop_assert!(false, "a key that is there was ignored"),
                    Err(error) => prop_assert_eq!(error.status(), 400),
                }
            }
        }
    }
}
