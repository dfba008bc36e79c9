//! Accounts and programs through the local gateway, as a client sees them.

use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn sign_up_creates_a_standard_org_with_the_caller_as_full_administrator() {
    let gw = Gateway::start().await;
    let token = gw.token("Ada@Example.com").await;

    let created = gw.post("/v1/signup", &token, json!({"name": "  Acme Networks ", "country": "de"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let org = &created.body;
    let org_id = org["org_id"].as_str().unwrap();
    assert_eq!(org_id.len(), 8);
    assert!(org_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(org["name"], "Acme Networks");
    assert_eq!(org["country"], "DE");
    assert_eq!(org["tenancy"], "standard");
    assert_eq!(org["programs"], json!([]));
    assert!(chrono::DateTime::parse_from_rfc3339(org["created_at"].as_str().unwrap()).is_ok());

    let me = gw.get("/v1/me", &token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(
        me.body["orgs"],
        json!([{"org_id": org_id, "name": "Acme Networks", "access": "full", "permissions": [], "programs": []}])
    );
}

#[tokio::test]
async fn country_is_optional_and_null_when_absent() {
    let gw = Gateway::start().await;
    let token = gw.token("bob@example.com").await;
    let created = gw.post("/v1/signup", &token, json!({"name": "Bob's Shop"})).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["country"], serde_json::Value::Null);
}

#[tokio::test]
async fn me_lists_every_org_of_the_caller_and_no_one_elses() {
    let gw = Gateway::start().await;
    let ada = gw.token("ada@example.com").await;
    let eve = gw.token("eve@example.com").await;
    let first = gw.sign_up(&ada, "First").await;
    let second = gw.sign_up(&ada, "Second").await;
    gw.sign_up(&eve, "Eve's").await;

    let me = gw.get("/v1/me", &ada).await;
    let mut ids: Vec<&str> =
        me.body["orgs"].as_array().unwrap().iter().map(|o| o["org_id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![first.as_str(), second.as_str()];
    want.sort();
    assert_eq!(ids, want);

    let newcomer = gw.token("new@example.com").await;
    let me = gw.get("/v1/me", &newcomer).await;
    assert_eq!(me.body, json!({"email": "new@example.com", "orgs": []}));
}

#[tokio::test]
async fn joining_a_program_badges_the_org_once() {
    let gw = Gateway::start().await;
    let token = gw.token("partner@example.com").await;
    let org_id = gw.sign_up(&token, "Partner Co").await;
    let path = format!("/v1/orgs/{org_id}/programs");

    let joined = gw.post(&path, &token, json!({"program": "CSP"})).await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    assert_eq!(joined.body["programs"], json!(["CSP"]));
    assert_eq!(joined.body["org_id"], org_id.as_str());

    let again = gw.post(&path, &token, json!({"program": "CSP"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["programs"], json!(["CSP"]));

    let second = gw.post(&path, &token, json!({"program": "CSA"})).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.body["programs"], json!(["CSP", "CSA"]));

    let me = gw.get("/v1/me", &token).await;
    assert_eq!(me.body["orgs"][0]["programs"], json!(["CSP", "CSA"]));
}

#[tokio::test]
async fn concurrent_joins_of_one_program_add_it_once() {
    let gw = Gateway::start().await;
    let token = gw.token("race@example.com").await;
    let org_id = gw.sign_up(&token, "Race Co").await;
    let path = format!("/v1/orgs/{org_id}/programs");
    let answers =
        futures::future::join_all((0..10).map(|_| gw.post(&path, &token, json!({"program": "CSA"})))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let ok = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!((created, ok), (1, 9));
    let me = gw.get("/v1/me", &token).await;
    assert_eq!(me.body["orgs"][0]["programs"], json!(["CSA"]));
}

/// Each bad request gets the contract's 4xx and leaves the table as it was.
#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let gw = Gateway::start().await;
    let token = gw.token("careful@example.com").await;
    let org_id = gw.sign_up(&token, "Careful Co").await;
    let before = gw.items().await;
    let programs = format!("/v1/orgs/{org_id}/programs");

    let raw = |path: &str, body: &str| {
        gw.request(Method::POST, path, Some(&token))
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str, &str)> = vec![
        ("malformed JSON", raw("/v1/signup", "{\"name\": "), 400, "invalid_request", "JSON"),
        ("empty body", raw("/v1/signup", ""), 400, "invalid_request", "JSON"),
        ("missing name", raw("/v1/signup", "{}"), 400, "invalid_request", "name"),
        ("name of wrong type", raw("/v1/signup", "{\"name\": 5}"), 400, "invalid_request", "name"),
        ("blank name", raw("/v1/signup", "{\"name\": \"   \"}"), 400, "invalid_request", "name"),
        (
            "name over 200 characters",
            raw("/v1/signup", &json!({"name": "x".repeat(201)}).to_string()),
            400,
            "invalid_request",
            "200",
        ),
        (
            "bad country",
            raw("/v1/signup", "{\"name\": \"A\", \"country\": \"Germany\"}"),
            400,
            "invalid_request",
            "country",
        ),
        (
            "body over 64 KiB",
            raw("/v1/signup", &json!({"name": "A", "pad": "x".repeat(70_000)}).to_string()),
            413,
            "payload_too_large",
            "64 KiB",
        ),
        ("unknown program", raw(&programs, "{\"program\": \"XYZ\"}"), 400, "invalid_request", "program"),
        ("program missing", raw(&programs, "{}"), 400, "invalid_request", "program"),
        ("program lowercase", raw(&programs, "{\"program\": \"csa\"}"), 400, "invalid_request", "program"),
    ];
    for (what, request, status, code, mentions) in cases {
        let answer = partner_hub_tests::read(request).await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text);
        assert_eq!(answer.error_code(), code, "{what}");
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(mentions), "{what}: message {message:?} should mention {mentions}");
    }
    assert_eq!(gw.items().await.len(), before.len(), "a refused request wrote to the table");
}

#[tokio::test]
async fn missing_bad_and_expired_tokens_are_401() {
    let gw = Gateway::start().await;
    let good = gw.token("ada@example.com").await;
    let expired = local_gateway::jwt::mint(
        partner_hub_tests::JWT_SECRET,
        json!({"sub": "s", "email": "ada@example.com", "exp": 1_000}).as_object().unwrap(),
    );
    let forged = local_gateway::jwt::mint(
        "not-the-secret",
        json!({"sub": "s", "email": "ada@example.com", "exp": 9_999_999_999i64}).as_object().unwrap(),
    );
    for (what, token) in [
        ("none", None),
        ("garbage", Some("abc.def")),
        ("expired", Some(expired.as_str())),
        ("forged", Some(forged.as_str())),
    ] {
        for (method, path) in [(Method::GET, "/v1/me"), (Method::POST, "/v1/signup")] {
            let answer = gw.send(method.clone(), path, token, Some(json!({"name": "X"}))).await;
            assert_eq!(answer.status, 401, "{what} {method} {path}");
            assert_eq!(answer.error_code(), "unauthenticated");
        }
    }
    assert!(gw.items().await.is_empty());
    assert_eq!(gw.get("/v1/me", &good).await.status, 200);
}

#[tokio::test]
async fn strangers_get_404_and_custom_admins_403_on_programs() {
    let gw = Gateway::start().await;
    let owner = gw.token("owner@example.com").await;
    let stranger = gw.token("stranger@example.com").await;
    let org_id = gw.sign_up(&owner, "Owned").await;

    // A custom administrator of the org, as the admins workflow will create them.
    let custom_email = "custom@example.com";
    let custom = gw
        .custom_admin(&org_id, custom_email, vec![partner_hub::domain::Permission::CustomerDashboardView])
        .await;
    let before = gw.items().await.len();

    let body = json!({"program": "CSA"});
    let stranger_answer = gw.post(&format!("/v1/orgs/{org_id}/programs"), &stranger, body.clone()).await;
    assert_eq!((stranger_answer.status.as_u16(), stranger_answer.error_code()), (404, "not_found"));

    let unknown = gw.post("/v1/orgs/99999999/programs", &owner, body.clone()).await;
    assert_eq!((unknown.status.as_u16(), unknown.error_code()), (404, "not_found"));
    let malformed = gw.post("/v1/orgs/not-an-id/programs", &owner, body.clone()).await;
    assert_eq!((malformed.status.as_u16(), malformed.error_code()), (404, "not_found"));
    assert_eq!(malformed.body["error"], unknown.body["error"], "malformed and unknown ids answer alike");

    let custom_answer = gw.post(&format!("/v1/orgs/{org_id}/programs"), &custom, body).await;
    assert_eq!((custom_answer.status.as_u16(), custom_answer.error_code()), (403, "forbidden"));

    assert_eq!(gw.items().await.len(), before);
    let me = gw.get("/v1/me", &owner).await;
    assert_eq!(me.body["orgs"][0]["programs"], json!([]));
    let custom_me = gw.get("/v1/me", &custom).await;
    assert_eq!(custom_me.body["orgs"][0]["access"], "custom");
    assert_eq!(custom_me.body["orgs"][0]["permissions"], json!(["customer-dashboard.view"]));
}

#[tokio::test]
async fn errors_never_carry_internal_detail_and_unknown_routes_are_404() {
    let gw = Gateway::start().await;
    let token = gw.token("ada@example.com").await;
    let answer = gw.get("/v1/nowhere", &token).await;
    assert_eq!((answer.status.as_u16(), answer.error_code()), (404, "not_found"));
    let wrong_method = gw.send(Method::DELETE, "/v1/me", Some(&token), None).await;
    assert_eq!(wrong_method.status, 404);
}
