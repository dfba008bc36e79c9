//! Usage: the feed, the rollup's numbers, trends, CSV and the partner-wide export.

use chrono::{Datelike, Months, NaiveDate, Utc};
use partner_hub_tests::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The first day of last month: a whole month in the past whatever today is.
fn last_month() -> NaiveDate {
    Utc::now().date_naive().with_day(1).unwrap().checked_sub_months(Months::new(1)).unwrap()
}

fn month(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

fn user(org: &str, date: NaiveDate, name: &str, assigned: bool, active: bool) -> Value {
    json!({"org_id": org, "service": "sdwan-orchestrator", "date": date.to_string(), "user": name, "assigned": assigned, "active": active})
}

/// A partner connected to a customer that holds a paid SD-WAN entitlement of 3
/// licenses and a monthly gateway commitment of 100 GB.
async fn partner_and_customer(gw: &Gateway, customer_name: &str) -> (String, String, String, String) {
    let (partner_token, partner) = gw.partner(&unique_email("p"), "Partner").await;
    let (customer_token, customer) = gw.customer(&unique_email("c"), customer_name).await;
    let code = gw.invite_code(&partner_token, &partner).await;
    assert_eq!(gw.accept(&customer_token, &code, &customer).await.status, 201);
    let start = last_month().checked_sub_months(Months::new(1)).unwrap().to_string();
    for body in [
        json!({"service": "sdwan-orchestrator", "kind": "paid", "license_count": 3, "term": "annual", "starts_at": start}),
        json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "starts_at": last_month().to_string(), "committed_gb": 100}),
    ] {
        let added = gw.post(&format!("/v1/orgs/{customer}/services"), &customer_token, body).await;
        assert_eq!(added.status, 201, "{}", added.text);
    }
    (partner_token, partner, customer_token, customer)
}

#[tokio::test]
async fn the_feed_checks_every_record_and_stores_nothing_on_error() {
    let gw = Gateway::start().await;
    let (_, org) = gw.customer(&unique_email("c"), "Customer").await;
    let feed = gw.feed_token().await;
    let day = last_month();
    let good = user(&org, day, "alice", true, true);
    let before = gw.items().await.len();

    let plain = gw.token(&unique_email("nofeed")).await;
    let no_scope = gw.post("/v1/usage-records", &plain, json!({"records": [good.clone()]})).await;
    assert_eq!((no_scope.status.as_u16(), no_scope.error_code()), (403, "forbidden"));

    let cases = [
        (json!({"records": []}), "records"),
        (json!({"records": vec![good.clone(); 501]}), "records"),
        (
            json!({"records": [good.clone(), good.clone(), {"org_id": org, "service": "sdwan-orchestrator", "date": "2026-02-30", "user": "x", "assigned": true, "active": true}]}),
            "records[2].date",
        ),
        (
            json!({"records": [good.clone(), {"org_id": "99999999", "service": "sdwan-orchestrator", "date": day.to_string(), "user": "x", "assigned": true, "active": false}]}),
            "records[1].org_id",
        ),
        (
            json!({"records": [{"org_id": org, "service": "mail", "date": day.to_string(), "user": "x", "assigned": true, "active": false}]}),
            "records[0].service",
        ),
        (
            json!({"records": [good.clone(), {"org_id": org, "service": "gateway", "date": day.to_string(), "bandwidth_mb": -5}]}),
            "records[1].bandwidth_mb",
        ),
        (
            json!({"records": [{"org_id": org, "service": "daas", "date": day.to_string(), "assigned": true, "active": false}]}),
            "records[0].user",
        ),
        (
            json!({"records": [{"org_id": org, "service": "daas", "date": "2099-01-01", "user": "x", "assigned": true, "active": false}]}),
            "records[0].date",
        ),
    ];
    for (body, mentions) in cases {
        let refused = gw.post("/v1/usage-records", &feed, body).await;
        assert_eq!(refused.status, 400, "{}", refused.text);
        let message = refused.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{message} should name {mentions}");
    }
    assert_eq!(gw.items().await.len(), before, "nothing was stored");

    let accepted = gw.post("/v1/usage-records", &feed, json!({"records": [good]})).await;
    assert_eq!((accepted.status.as_u16(), accepted.body.clone()), (202, json!({"accepted": 1})));
    let items = gw.items().await;
    assert!(
        items.iter().all(|item| item.values().all(|v| v.as_s().map_or(true, |s| !s.contains("alice")))),
        "user ids are stored only hashed"
    );
}

#[tokio::test]
async fn rollups_count_distinct_users_against_purchased_licenses_and_rerun_identically() {
    let gw = Gateway::start().await;
    let (partner_token, partner, customer_token, customer) = partner_and_customer(&gw, "Customer").await;
    let (d1, d2) = (last_month(), last_month().succ_opt().unwrap());
    let records = vec![
        user(&customer, d1, "alice", true, true),
        user(&customer, d1, "bob", true, true),
        user(&customer, d1, "carol", true, false),
        user(&customer, d1, "dave", true, false),
        user(&customer, d2, "alice", true, true),
        user(&customer, d2, "bob", true, false),
        user(&customer, d2, "carol", true, true),
        user(&customer, d2, "dave", true, false),
        user(&customer, d2, "erin", true, false),
        // A repeated record changes nothing.
        user(&customer, d2, "erin", true, false),
        json!({"org_id": customer, "service": "gateway", "date": d1.to_string(), "bandwidth_mb": 61_440}),
        json!({"org_id": customer, "service": "gateway", "date": d2.to_string(), "bandwidth_mb": 51_200}),
    ];
    gw.ingest(&records).await;
    gw.rollup().await;

    let m = month(d1);
    let path =
        format!("/v1/orgs/{partner}/customers/{customer}/usage?service=sdwan-orchestrator&from={m}&to={m}");
    let trend = gw.get(&path, &partner_token).await;
    assert_eq!(trend.status, 200, "{}", trend.text);
    assert_eq!(trend.body["service"], "sdwan-orchestrator");
    assert_eq!(
        trend.body["monthly"],
        json!([{"month": m, "purchased": 3, "assigned": 5, "monthly_active_users": 3, "peak_daily_active_users": 2, "overage": 2}])
    );
    assert_eq!(
        trend.body["summary"],
        json!({"purchased": 3, "assigned": 5, "assigned_ratio": 1.667, "overage": 2})
    );
    assert_eq!(
        trend.body["daily"],
        json!([{"date": d1.to_string(), "daily_active_users": 2, "assigned": 4}, {"date": d2.to_string(), "daily_active_users": 2, "assigned": 5}])
    );
    for secret in ["alice", "bob", "user_hash", "user"] {
        assert!(
            !trend.text.contains(&format!("\"{secret}")),
            "no user id or hash reaches a partner: {secret}"
        );
    }

    let gateway = gw
        .get(
            &format!("/v1/orgs/{partner}/customers/{customer}/usage?service=gateway&from={m}&to={m}"),
            &partner_token,
        )
        .await;
    let mut months = gateway.body["monthly"].clone();
    // Each month lists the entitlements in force with their committed GB.
    let in_force = months[0].as_object_mut().unwrap().remove("entitlements").unwrap();
    assert_eq!(in_force.as_array().unwrap().len(), 1);
    assert_eq!(
        (in_force[0]["term"].clone(), in_force[0]["committed_gb"].clone()),
        (json!("monthly"), json!(100.0))
    );
    assert_eq!(
        months,
        json!([{"month": m, "term": "monthly", "used_gb": 110.0, "cumulative_gb": 110.0, "committed_gb": 100.0, "overage_gb": 10.0}])
    );
    assert_eq!(gateway.body["summary"], json!({"committed_gb": 100.0, "used_gb": 110.0, "overage_gb": 10.0}));

    // Running it again changes nothing.
    let report = gw.rollup().await;
    assert_eq!(report, json!({"days": 0, "months": 0, "failed": 0}));
    assert_eq!(gw.get(&path, &partner_token).await.body, trend.body);

    // A record that arrives late for an earlier day is picked up by the next run.
    gw.ingest(&[user(&customer, d1, "frank", true, true)]).await;
    gw.rollup().await;
    let later = gw.get(&path, &partner_token).await;
    assert_eq!(later.body["monthly"][0]["monthly_active_users"], 4);
    assert_eq!(later.body["daily"][0]["daily_active_users"], 3);

    // The customer's own admins read the same; 12 months by default.
    let own = gw.get(&format!("/v1/orgs/{customer}/usage?service=sdwan-orchestrator"), &customer_token).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.body["monthly"].as_array().unwrap().len(), 12);
}

async fn own_usage(gw: &Gateway, path: String, token: String) -> Value {
    let answer = gw.get(&path, &token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

#[tokio::test]
async fn a_day_that_cannot_be_rolled_up_waits_without_holding_up_the_others() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use partner_hub::store::keys;

    let gw = Gateway::start().await;
    let (_, _, broken_token, broken) = partner_and_customer(&gw, "Broken").await;
    let (_, _, fine_token, fine) = partner_and_customer(&gw, "Fine").await;
    // The days the entitlements marked are rolled up first: what follows counts only the records.
    assert_eq!(gw.rollup().await["failed"], 0);
    let (d1, d2) = (last_month(), last_month().succ_opt().unwrap());
    gw.ingest(&[
        user(&broken, d1, "alice", true, true),
        user(&broken, d1, "bob", true, true),
        json!({"org_id": broken, "service": "gateway", "date": d1.to_string(), "bandwidth_mb": 1024}),
        user(&fine, d1, "alice", true, true),
        user(&fine, d2, "alice", true, false),
        user(&fine, d2, "bob", true, true),
    ])
    .await;
    // One of the broken org's SD-WAN users of d1 is stored in a shape nothing reads.
    let org = partner_hub::domain::OrgId::parse(&broken).unwrap();
    let corrupt_key = [
        ("PK", AttributeValue::S(keys::usage_pk(&org, "sdwan-orchestrator", &d1))),
        ("SK", AttributeValue::S(keys::user_sk("corrupt"))),
    ];
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    dynamo
        .put_item()
        .table_name(gw.table())
        .set_item(Some(corrupt_key.iter().cloned().map(|(k, v)| (k.to_string(), v)).collect()))
        .item("entity", AttributeValue::S("UserDay".into()))
        .item("assigned", AttributeValue::S("not a bool".into()))
        .send()
        .await
        .unwrap();

    let report = gw.rollup().await;
    assert_eq!(
        report,
        json!({"days": 3, "months": 2, "failed": 1}),
        "the broken org's gateway and the other org"
    );
    let m = month(d1);
    let usage = |org: &str, token: &str, service: &str| {
        let path = format!("/v1/orgs/{org}/usage?service={service}&from={m}&to={m}");
        own_usage(&gw, path, token.to_string())
    };
    let fine_trend = usage(&fine, &fine_token, "sdwan-orchestrator").await;
    assert_eq!(
        fine_trend["daily"],
        json!([{"date": d1.to_string(), "daily_active_users": 1, "assigned": 1}, {"date": d2.to_string(), "daily_active_users": 1, "assigned": 2}])
    );
    assert_eq!(fine_trend["monthly"][0]["monthly_active_users"], 2);
    let gateway = usage(&broken, &broken_token, "gateway").await;
    assert_eq!(gateway["monthly"][0]["used_gb"], 1.0, "{gateway}");
    let broken_trend = usage(&broken, &broken_token, "sdwan-orchestrator").await;
    // Still the rollups from before the records came: nothing from a partial picture.
    assert_eq!(broken_trend["daily"], json!([]), "{broken_trend}");
    assert_eq!(broken_trend["monthly"][0]["monthly_active_users"], 0, "{broken_trend}");

    // The month stays marked, with its day, in its org's shard.
    let marker = |items: &[partner_hub_tests::Item]| {
        items.iter().any(|item| {
            item["PK"].as_s().unwrap() == &format!("USAGE_DIRTY#{:02}", keys::dirty_shard(&org))
                && item["SK"].as_s().unwrap() == &keys::dirty_sk(&org, "sdwan-orchestrator", &month(d1))
                && item["days"].as_ss().unwrap() == &vec![d1.to_string()]
        })
    };
    let items = gw.items().await;
    assert!(marker(&items), "the failed month is still marked");
    let markers = items.iter().filter(|i| i["PK"].as_s().unwrap().starts_with("USAGE_DIRTY")).count();
    assert_eq!(markers, 1, "every other mark is cleared");

    // Once the item is repaired, the next run rolls the month (and its day) up.
    dynamo
        .delete_item()
        .table_name(gw.table())
        .set_key(Some(corrupt_key.iter().cloned().map(|(k, v)| (k.to_string(), v)).collect()))
        .send()
        .await
        .unwrap();
    assert_eq!(gw.rollup().await, json!({"days": 1, "months": 1, "failed": 0}));
    assert!(!marker(&gw.items().await));
    let broken_trend = usage(&broken, &broken_token, "sdwan-orchestrator").await;
    assert_eq!(
        broken_trend["daily"],
        json!([{"date": d1.to_string(), "daily_active_users": 2, "assigned": 2}])
    );
    assert_eq!(broken_trend["monthly"][0]["monthly_active_users"], 2);
    assert_eq!(gw.rollup().await, json!({"days": 0, "months": 0, "failed": 0}));
}

#[tokio::test]
async fn usage_csv_matches_the_json_and_neutralises_formulas() {
    let gw = Gateway::start().await;
    let (partner_token, partner, _, customer) = partner_and_customer(&gw, "=HYPERLINK(\"x\")").await;
    let (d1, m) = (last_month(), month(last_month()));
    gw.ingest(&[user(&customer, d1, "alice", true, true), user(&customer, d1, "bob", true, false)]).await;
    gw.rollup().await;
    let path =
        format!("/v1/orgs/{partner}/customers/{customer}/usage?service=sdwan-orchestrator&from={m}&to={m}");
    let json = gw.get(&path, &partner_token).await;
    let csv_answer = partner_hub_tests::read(
        gw.request(Method::GET, &path, Some(&partner_token)).header("accept", "text/csv"),
    )
    .await;
    assert_eq!(csv_answer.status, 200);
    assert!(csv_answer.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv_answer.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    let same = gw.get(&format!("{path}&format=csv"), &partner_token).await;
    assert_eq!(same.text, csv_answer.text);

    let mut reader = csv::Reader::from_reader(csv_answer.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..5], ["org_id", "org_name", "service", "granularity", "period"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let monthly = rows.iter().find(|r| &r[col("granularity")] == "monthly").unwrap();
    assert_eq!(&monthly[col("org_name")], "'=HYPERLINK(\"x\")", "formula neutralised, kept as text");
    assert_eq!(
        monthly[col("assigned")].parse::<u64>().unwrap(),
        json.body["monthly"][0]["assigned"].as_u64().unwrap()
    );
    assert_eq!(
        monthly[col("active_users")].parse::<u64>().unwrap(),
        json.body["monthly"][0]["monthly_active_users"].as_u64().unwrap()
    );
    assert_eq!(monthly[col("purchased")].parse::<u64>().unwrap(), 3);
    let daily = rows.iter().find(|r| &r[col("granularity")] == "daily").unwrap();
    assert_eq!(&daily[col("period")], d1.to_string());
    assert_eq!(daily[col("active_users")].parse::<u64>().unwrap(), 1);
}

#[tokio::test]
async fn the_partner_wide_export_covers_connected_customers_only() {
    let gw = Gateway::start().await;
    let (partner_token, partner, _, first) = partner_and_customer(&gw, "First Customer").await;
    let (second_token, second) =
        gw.connected_customer(&partner_token, &partner, &unique_email("second")).await;
    let _ = second_token;
    let (_, stranger) = gw.customer(&unique_email("stranger"), "Not Connected").await;
    let orgs = vec![first.clone(), second.clone(), stranger.clone()];
    let plan = partner_hub_tests::seed::Plan {
        orgs: &orgs,
        services: &["sdwan-orchestrator", "daas"],
        gateway: true,
        first_day: last_month(),
        days: 10,
        users_per_org: 6,
        seed: 7,
    };
    gw.ingest(&partner_hub_tests::seed::records(&plan)).await;
    gw.rollup().await;
    let m = month(last_month());

    let export = gw.get(&format!("/v1/orgs/{partner}/usage.csv?from={m}&to={m}"), &partner_token).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert!(export.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("usage-{partner}-{m}-{m}.csv")));
    let mut reader = csv::Reader::from_reader(export.text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let orgs_in: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.get(col("org_id")).unwrap()).collect();
    assert_eq!(orgs_in, [first.as_str(), second.as_str()].into_iter().collect());
    // Each customer: 3 services × (1 month + 10 days).
    assert_eq!(rows.len(), 2 * 3 * 11);

    // The export's numbers are the trend's numbers.
    let trend = gw
        .get(
            &format!("/v1/orgs/{partner}/customers/{second}/usage?service=daas&from={m}&to={m}"),
            &partner_token,
        )
        .await;
    let row = rows
        .iter()
        .find(|r| {
            &r[col("org_id")] == second.as_str()
                && &r[col("service")] == "daas"
                && &r[col("granularity")] == "monthly"
        })
        .unwrap();
    assert_eq!(
        row[col("assigned")].parse::<u64>().unwrap(),
        trend.body["monthly"][0]["assigned"].as_u64().unwrap()
    );
    assert_eq!(
        row[col("active_users")].parse::<u64>().unwrap(),
        trend.body["monthly"][0]["monthly_active_users"].as_u64().unwrap()
    );
    let gateway_trend = gw
        .get(
            &format!("/v1/orgs/{partner}/customers/{first}/usage?service=gateway&from={m}&to={m}"),
            &partner_token,
        )
        .await;
    let gateway_row = rows
        .iter()
        .find(|r| {
            &r[col("org_id")] == first.as_str()
                && &r[col("service")] == "gateway"
                && &r[col("granularity")] == "monthly"
        })
        .unwrap();
    assert_eq!(
        gateway_row[col("used_gb")].parse::<f64>().unwrap(),
        gateway_trend.body["monthly"][0]["used_gb"].as_f64().unwrap()
    );
}

#[tokio::test]
async fn usage_is_for_the_org_and_its_connected_partners_only() {
    let gw = Gateway::start().await;
    let (partner_token, partner, _, customer) = partner_and_customer(&gw, "Customer").await;
    let (other_token, other_partner) = gw.partner(&unique_email("other"), "Other Partner").await;
    let (stranger_token, _) = gw.customer(&unique_email("s"), "Stranger").await;
    let no_licensing = gw
        .custom_admin(
            &partner,
            &unique_email("viewer"),
            vec![partner_hub::domain::Permission::CustomerDashboardView],
        )
        .await;
    let licensing = gw
        .custom_admin(&partner, &unique_email("lic"), vec![partner_hub::domain::Permission::LicensingView])
        .await;
    let path = |p: &str| format!("/v1/orgs/{p}/customers/{customer}/usage?service=daas");
    let cases = [
        ("another partner", path(&other_partner), &other_token, 404, "not_found"),
        ("a stranger on the partner's route", path(&partner), &stranger_token, 404, "not_found"),
        ("a custom admin without licensing.view", path(&partner), &no_licensing, 403, "forbidden"),
        (
            "a stranger on the customer's route",
            format!("/v1/orgs/{customer}/usage?service=daas"),
            &stranger_token,
            404,
            "not_found",
        ),
        (
            "the partner on the customer's own route",
            format!("/v1/orgs/{customer}/usage?service=daas"),
            &partner_token,
            404,
            "not_found",
        ),
        ("a stranger exporting", format!("/v1/orgs/{partner}/usage.csv"), &stranger_token, 404, "not_found"),
        (
            "no service",
            format!("/v1/orgs/{partner}/customers/{customer}/usage"),
            &partner_token,
            400,
            "invalid_request",
        ),
        ("a bad month", format!("{}&from=2026-13", path(&partner)), &partner_token, 400, "invalid_request"),
        (
            "from after to",
            format!("{}&from=2026-05&to=2026-01", path(&partner)),
            &partner_token,
            400,
            "invalid_request",
        ),
    ];
    for (what, url, token, status, code) in cases {
        let answer = gw.get(&url, token).await;
        assert_eq!((answer.status.as_u16(), answer.error_code()), (status, code), "{what}: {}", answer.text);
    }
    assert_eq!(gw.get(&path(&partner), &licensing).await.status, 200);
}
