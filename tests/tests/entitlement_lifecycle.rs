//! The entitlement lifecycle: the sales desk approves or declines pending trials, a
//! paid entitlement converts a running trial, none is ever overwritten, the end
//! notices go out once each, and a change marks the rollups it affects.

use chrono::{Datelike, Duration, Months, Utc};
use partner_hub_tests::{Answer, Gateway, TestClock};
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

fn status(answer: &Answer) -> (u16, &str) {
    (answer.status.as_u16(), answer.error_code())
}

async fn entitlements(gw: &Gateway, org: &str, token: &str) -> Vec<Value> {
    let list = gw.get(&format!("/v1/orgs/{org}/entitlements"), token).await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_sales_desk_approves_and_declines_pending_trials() {
    let gw = Gateway::start().await;
    let email = unique_email("customer");
    let (token, org) = gw.customer(&email, "Customer").await;
    let services = format!("/v1/orgs/{org}/services");
    let pending = gw.post(&services, &token, json!({"service": "daas", "kind": "trial"})).await;
    assert_eq!((pending.status.as_u16(), pending.body["status"].clone()), (201, json!("trial_pending")));
    let id = pending.body["entitlement_id"].as_str().unwrap().to_string();
    // A pending trial blocks a second request.
    let again = gw.post(&services, &token, json!({"service": "daas", "kind": "trial"})).await;
    assert_eq!(status(&again), (409, "already_entitled"));

    let desk = gw.machine_token("trials:approve").await;
    let orders = gw.machine_token("orders:write").await;
    let person_with_scope = gw.minted(json!({"email": email, "scope": "trials:approve"})).await;
    let approve = format!("/v1/orgs/{org}/entitlements/{id}/approve");
    let before = gw.settled_items().await;
    let refused = [
        (gw.post(&approve, &token, json!({})).await, (403, "forbidden")),
        (gw.post(&approve, &person_with_scope, json!({})).await, (403, "forbidden")),
        (gw.post(&approve, &orders, json!({})).await, (403, "forbidden")),
        (
            gw.post(&format!("/v1/orgs/12345678/entitlements/{id}/approve"), &desk, json!({})).await,
            (404, "not_found"),
        ),
        (
            gw.post(
                &format!("/v1/orgs/{org}/entitlements/{}/approve", uuid::Uuid::new_v4()),
                &desk,
                json!({}),
            )
            .await,
            (404, "not_found"),
        ),
        (
            gw.post(&format!("/v1/orgs/{org}/entitlements/nope/decline"), &desk, json!({})).await,
            (404, "not_found"),
        ),
        (
            gw.post(&format!("/v1/orgs/{org}/entitlements/{id}/decline"), &desk, json!({"reason": 5})).await,
            (400, "invalid_request"),
        ),
    ];
    for (n, (answer, want)) in refused.iter().enumerate() {
        assert_eq!(status(answer), *want, "case {n}: {}", answer.text);
    }
    assert_eq!(gw.items().await.len(), before.len(), "no refused call changed anything");
    assert_eq!(entitlements(&gw, &org, &token).await[0]["status"], "trial_pending");

    let approved = gw.post(&approve, &desk, json!({})).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["status"], "trial_active");
    let ends = chrono::DateTime::parse_from_rfc3339(approved.body["expires_at"].as_str().unwrap()).unwrap();
    let days = (ends.with_timezone(&Utc) - Utc::now()).num_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "30 days from the approval: {days} h");
    let before = gw.settled_items().await;
    assert_eq!(status(&gw.post(&approve, &desk, json!({})).await), (409, "conflict"));
    let decline_approved = format!("/v1/orgs/{org}/entitlements/{id}/decline");
    assert_eq!(status(&gw.post(&decline_approved, &desk, json!({})).await), (409, "conflict"));
    assert_eq!(gw.items().await.len(), before.len());
    assert_eq!(gw.notifications_of_type(&org, &token, "trial_approved", 1).await.len(), 1);

    // Decline another: it blocks nothing afterwards, and stays in the history.
    let spa = gw.post(&services, &token, json!({"service": "secure-private-access", "kind": "trial"})).await;
    assert_eq!(spa.body["status"], "trial_pending");
    let spa_id = spa.body["entitlement_id"].as_str().unwrap();
    let declined = gw
        .post(
            &format!("/v1/orgs/{org}/entitlements/{spa_id}/decline"),
            &desk,
            json!({"reason": "Not eligible"}),
        )
        .await;
    assert_eq!(declined.status, 200, "{}", declined.text);
    assert_eq!(
        (declined.body["status"].clone(), declined.body["decline_reason"].clone()),
        (json!("trial_declined"), json!("Not eligible"))
    );
    let retried =
        gw.post(&services, &token, json!({"service": "secure-private-access", "kind": "trial"})).await;
    assert_eq!((retried.status.as_u16(), retried.body["status"].clone()), (201, json!("trial_pending")));
    // A decline without a body works too.
    let retried_id = retried.body["entitlement_id"].as_str().unwrap();
    let bare = gw
        .send(
            reqwest::Method::POST,
            &format!("/v1/orgs/{org}/entitlements/{retried_id}/decline"),
            Some(&desk),
            None,
        )
        .await;
    assert_eq!((bare.status.as_u16(), bare.body["status"].clone()), (200, json!("trial_declined")));

    let spa_history: Vec<String> = entitlements(&gw, &org, &token)
        .await
        .iter()
        .filter(|e| e["service"] == "secure-private-access")
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(spa_history, ["trial_declined", "trial_declined"], "every entitlement is its own item");
    let notes = gw.notifications_of_type(&org, &token, "trial_declined", 2).await;
    assert_eq!(notes.len(), 2);
    assert!(notes.iter().any(|n| n["body"].as_str().unwrap().contains("Not eligible")));

    // The audit log names the sales desk's client.
    let log = gw.get(&format!("/v1/orgs/{org}/audit-log"), &token).await;
    let entries = log.body["items"].as_array().unwrap();
    let approved_entry = entries.iter().find(|e| e["action"] == "trial.approved").expect("trial.approved");
    assert_eq!(approved_entry["actor"], json!({"client": "sales-desk"}));
    assert_eq!(entries.iter().filter(|e| e["action"] == "trial.declined").count(), 2);
}

#[tokio::test]
async fn a_paid_entitlement_converts_a_running_trial_and_nothing_is_overwritten() {
    let gw = Gateway::start().await;
    let (token, org) = gw.customer(&unique_email("customer"), "Customer").await;
    let services = format!("/v1/orgs/{org}/services");
    let trial = gw.post(&services, &token, json!({"service": "sdwan-orchestrator", "kind": "trial"})).await;
    assert_eq!(trial.body["status"], "trial_active");
    let paid = gw
        .post(
            &services,
            &token,
            json!({"service": "sdwan-orchestrator", "kind": "paid", "license_count": 10, "term": "annual"}),
        )
        .await;
    assert_eq!((paid.status.as_u16(), paid.body["status"].clone()), (201, json!("active")), "{}", paid.text);
    let all = entitlements(&gw, &org, &token).await;
    assert_eq!(all.len(), 2);
    let converted = all.iter().find(|e| e["entitlement_id"] == trial.body["entitlement_id"]).unwrap();
    assert_eq!(converted["status"], "converted");
    assert!(converted["converted_at"].is_string());
    assert_eq!(converted["expires_at"], converted["converted_at"], "it ends at that instant");

    // A second paid one is refused, and a new trial is too (changing nothing).
    let before = gw.settled_items().await;
    let second = gw
        .post(
            &services,
            &token,
            json!({"service": "sdwan-orchestrator", "kind": "paid", "license_count": 5, "term": "monthly"}),
        )
        .await;
    assert_eq!(status(&second), (409, "already_entitled"));
    assert_eq!(gw.items().await.len(), before.len());
    // The converted trial no longer holds its place: a new trial may be requested.
    let again = gw.post(&services, &token, json!({"service": "sdwan-orchestrator", "kind": "trial"})).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(entitlements(&gw, &org, &token).await.len(), 3);
}

#[tokio::test]
async fn end_notices_go_out_once_each() {
    let clock = TestClock::default();
    let gw = Gateway::start_with_clock(clock.clone()).await;
    let (token, org) = gw.customer(&unique_email("customer"), "Customer").await;
    let added = gw
        .post(
            &format!("/v1/orgs/{org}/services"),
            &token,
            json!({"service": "daas", "kind": "paid", "license_count": 5, "term": "termed",
                   "expires_at": (Utc::now() + Duration::days(20)).to_rfc3339()}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let run =
        || async { gw.send(reqwest::Method::POST, "/local/schedules/entitlement-expiry", None, None).await };

    assert_eq!(run().await.body, json!({"expiring": 0, "expired": 0}));
    clock.advance(Duration::days(14));
    assert_eq!(run().await.body, json!({"expiring": 1, "expired": 0}));
    assert_eq!(run().await.body, json!({"expiring": 0, "expired": 0}), "once");
    clock.advance(Duration::days(7));
    assert_eq!(run().await.body, json!({"expiring": 0, "expired": 1}));
    assert_eq!(run().await.body, json!({"expiring": 0, "expired": 0}), "once");

    assert_eq!(gw.notifications_of_type(&org, &token, "entitlement_expiring", 1).await.len(), 1);
    assert_eq!(gw.notifications_of_type(&org, &token, "entitlement_expired", 1).await.len(), 1);
    gw.settled_items().await;
    assert_eq!(gw.notifications_of_type(&org, &token, "entitlement_expiring", 2).await.len(), 1);
    assert_eq!(entitlements(&gw, &org, &token).await[0]["status"], "expired");
}

/// An entitlement added after its months were rolled up marks them: the next rollup
/// shows the licenses purchased then.
#[tokio::test]
async fn a_new_entitlement_marks_the_months_it_changes() {
    let gw = Gateway::start().await;
    let (token, org) = gw.customer(&unique_email("customer"), "Customer").await;
    let today = Utc::now().date_naive();
    let last_month = today.with_day(1).unwrap().checked_sub_months(Months::new(1)).unwrap();
    let day = last_month.succ_opt().unwrap();
    let records: Vec<Value> = ["alice", "bob", "carol"]
        .iter()
        .map(|u| json!({"org_id": org, "service": "daas", "date": day.to_string(), "user": u, "assigned": true, "active": true}))
        .collect();
    gw.ingest(&records).await;
    gw.rollup().await;
    let m = last_month.format("%Y-%m").to_string();
    let usage = format!("/v1/orgs/{org}/usage?service=daas&from={m}&to={m}");
    let trend = gw.get(&usage, &token).await;
    assert_eq!(trend.status, 200, "{}", trend.text);
    assert_eq!(
        (trend.body["monthly"][0]["purchased"].clone(), trend.body["monthly"][0]["overage"].clone()),
        (json!(0), json!(3))
    );

    let added = gw
        .post(
            &format!("/v1/orgs/{org}/services"),
            &token,
            json!({"service": "daas", "kind": "paid", "license_count": 2, "term": "annual", "starts_at": last_month.to_string()}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    gw.rollup().await;
    let trend = gw.get(&usage, &token).await;
    assert_eq!(
        (trend.body["monthly"][0]["purchased"].clone(), trend.body["monthly"][0]["overage"].clone()),
        (json!(2), json!(1))
    );
}
