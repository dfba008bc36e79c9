//! The contract's `Idempotency-Key` replay, end to end through the gateway.

use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::json;

async fn sign_up_with_key(gw: &Gateway, token: &str, key: &str, name: &str) -> partner_hub_tests::Answer {
    partner_hub_tests::read(
        gw.request(Method::POST, "/v1/signup", Some(token))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(json!({"name": name}).to_string()),
    )
    .await
}

async fn org_count(gw: &Gateway, token: &str) -> usize {
    gw.get("/v1/me", token).await.body["orgs"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer_without_doing_the_work_again() {
    let gw = Gateway::start().await;
    let token = gw.token("ada@example.com").await;
    let first = sign_up_with_key(&gw, &token, "key-1", "Acme").await;
    let second = sign_up_with_key(&gw, &token, "key-1", "Acme").await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.text, second.text, "replay is byte for byte");
    assert_eq!(org_count(&gw, &token).await, 1);

    let other_key = sign_up_with_key(&gw, &token, "key-2", "Acme").await;
    assert_eq!(other_key.status, 201);
    assert_ne!(other_key.body["org_id"], first.body["org_id"]);
    assert_eq!(org_count(&gw, &token).await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let gw = Gateway::start().await;
    let token = gw.token("ada@example.com").await;
    assert_eq!(sign_up_with_key(&gw, &token, "k", "Acme").await.status, 201);
    let reused = sign_up_with_key(&gw, &token, "k", "Other").await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.error_code(), "idempotency_key_reused");
    assert_eq!(org_count(&gw, &token).await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let gw = Gateway::start().await;
    let ada = gw.token("ada@example.com").await;
    let bob = gw.token("bob@example.com").await;
    let a = sign_up_with_key(&gw, &ada, "shared", "Acme").await;
    let b = sign_up_with_key(&gw, &bob, "shared", "Acme").await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    assert_ne!(a.body["org_id"], b.body["org_id"]);
}

#[tokio::test]
async fn racing_requests_with_one_key_do_the_work_once() {
    let gw = Gateway::start().await;
    let token = gw.token("ada@example.com").await;
    let answers =
        futures::future::join_all((0..8).map(|_| sign_up_with_key(&gw, &token, "race", "Acme"))).await;
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.body["org_id"], answers[0].body["org_id"]);
    }
    assert_eq!(org_count(&gw, &token).await, 1);
}

#[tokio::test]
async fn refused_answers_replay_too_and_bad_keys_are_400() {
    let gw = Gateway::start().await;
    let token = gw.token("ada@example.com").await;
    let first = sign_up_with_key(&gw, &token, "bad-name", "").await;
    let again = sign_up_with_key(&gw, &token, "bad-name", "").await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (400, 400));
    assert_eq!(first.text, again.text);

    let too_long = sign_up_with_key(&gw, &token, &"k".repeat(256), "Acme").await;
    assert_eq!((too_long.status.as_u16(), too_long.error_code()), (400, "invalid_request"));
    assert_eq!(org_count(&gw, &token).await, 0);
}
