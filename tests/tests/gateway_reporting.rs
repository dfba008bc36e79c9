//! Gateway reporting under concurrent entitlements: each month lists the
//! entitlements in force with their committed GB and totals them, the 12-month view
//! adds the months up, and the summary is the current billing month. The numbers
//! below are worked out by hand.

use chrono::{Datelike, Months, Utc};
use partner_hub_tests::Gateway;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn two_concurrent_gateway_entitlements_are_reported_month_by_month() {
    let gw = Gateway::start().await;
    let (token, org) = gw.customer(&unique_email("c"), "Customer").await;
    let this_month = Utc::now().date_naive().with_day(1).unwrap();
    let last_month = this_month.checked_sub_months(Months::new(1)).unwrap();
    let two_ago = this_month.checked_sub_months(Months::new(2)).unwrap();
    let services = format!("/v1/orgs/{org}/services");
    // An annual commitment of 100 GB a month from two months ago, and a one-month
    // commitment of 50 GB last month: both are in force last month.
    let annual = gw
        .post(&services, &token, json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "annual", "starts_at": two_ago.to_string(), "committed_gb": 100}))
        .await;
    assert_eq!(annual.status, 201, "{}", annual.text);
    let monthly = gw
        .post(&services, &token, json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "starts_at": last_month.to_string(), "committed_gb": 50}))
        .await;
    assert_eq!(monthly.status, 201, "{}", monthly.text);
    // One of each term at a time: a second annual one is refused.
    let second = gw
        .post(&services, &token, json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "annual", "committed_gb": 10}))
        .await;
    assert_eq!(second.error_code(), "already_entitled");

    let gb = |n: u64| n * 1024;
    let day = |first: chrono::NaiveDate, n: u32| first.with_day(n).unwrap().to_string();
    gw.ingest(&[
        json!({"org_id": org, "service": "gateway", "date": day(two_ago, 2), "bandwidth_mb": gb(80)}),
        json!({"org_id": org, "service": "gateway", "date": day(last_month, 2), "bandwidth_mb": gb(120)}),
        json!({"org_id": org, "service": "gateway", "date": day(last_month, 3), "bandwidth_mb": gb(60)}),
    ])
    .await;
    gw.rollup().await;

    let month = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
    let trend = gw
        .get(
            &format!("/v1/orgs/{org}/usage?service=gateway&from={}&to={}", month(two_ago), month(this_month)),
            &token,
        )
        .await;
    assert_eq!(trend.status, 200, "{}", trend.text);
    let a = annual.body["entitlement_id"].clone();
    let m = monthly.body["entitlement_id"].clone();
    let annual_in = json!({"entitlement_id": a, "term": "annual", "committed_gb": 100.0});
    let monthly_in = json!({"entitlement_id": m, "term": "monthly", "committed_gb": 50.0});
    let rows: Vec<Value> = trend.body["monthly"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3);
    // Two months ago: 80 GB used against the annual 100: no overage.
    assert_eq!(
        (rows[0]["used_gb"].clone(), rows[0]["committed_gb"].clone(), rows[0]["overage_gb"].clone()),
        (json!(80.0), json!(100.0), json!(0.0))
    );
    assert_eq!(rows[0]["entitlements"], json!([annual_in]));
    // Last month: 120 + 60 = 180 GB against 100 + 50 = 150: 30 GB over; the annual
    // term's cumulative use is 80 + 180 = 260.
    assert_eq!(
        (rows[1]["used_gb"].clone(), rows[1]["committed_gb"].clone(), rows[1]["overage_gb"].clone()),
        (json!(180.0), json!(150.0), json!(30.0))
    );
    assert_eq!(rows[1]["cumulative_gb"], json!(260.0));
    assert_eq!(rows[1]["entitlements"], json!([annual_in, monthly_in]));
    // This month: the monthly commitment has ended; nothing used yet.
    assert_eq!(
        (rows[2]["used_gb"].clone(), rows[2]["committed_gb"].clone(), rows[2]["overage_gb"].clone()),
        (json!(0.0), json!(100.0), json!(0.0))
    );
    assert_eq!(rows[2]["entitlements"], json!([annual_in]));
    // The summary is the current billing month, not the latest month with use.
    assert_eq!(trend.body["summary"], json!({"committed_gb": 100.0, "used_gb": 0.0, "overage_gb": 0.0}));
    // The view's totals: 260 GB used, 350 committed, 30 over.
    assert_eq!(trend.body["totals"], json!({"used_gb": 260.0, "committed_gb": 350.0, "overage_gb": 30.0}));
}
