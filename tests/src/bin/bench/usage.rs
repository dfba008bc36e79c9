//! Ingestion, rollup and export at a real program's scale.

use std::fmt::Write as _;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use partner_hub_tests::Gateway;
use serde_json::json;

use futures::stream::{self, StreamExt};
use partner_hub::usecases::usage_rollup::{BATCH, CONCURRENCY, WRITE_AT_ONCE};

use crate::measure::{env_number, peak_heap, rate};

/// One day's users read as the rollup reads them (`user_standings`): Query pages of
/// 100, consistent, `begins_with(SK, "USER#")`, the three attributes it needs.
/// Returns the calls made.
async fn query_day(dynamo: &aws_sdk_dynamodb::Client, table: &str, pk: &str) -> usize {
    let mut start = None;
    let mut calls = 0;
    loop {
        let page = dynamo
            .query()
            .table_name(table)
            .expression_attribute_names("#pk", "PK")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#sk", "SK")
            .expression_attribute_values(":prefix", AttributeValue::S("USER#".into()))
            .expression_attribute_names("#user", "user_hash")
            .expression_attribute_names("#assigned", "assigned")
            .expression_attribute_names("#active", "active")
            .projection_expression("#user, #assigned, #active")
            .limit(100)
            .scan_index_forward(true)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("query");
        calls += 1;
        start = page.last_evaluated_key;
        if start.is_none() {
            return calls;
        }
    }
}

/// Runs `calls` at the rollup's concurrency, each expected to succeed, and adds the
/// time they took to `spent`.
async fn all_succeed<T, E: std::fmt::Debug>(
    calls: impl Iterator<Item = impl std::future::Future<Output = Result<T, E>>>,
    spent: &mut std::time::Duration,
) {
    let started = Instant::now();
    for outcome in stream::iter(calls).buffer_unordered(CONCURRENCY).collect::<Vec<_>>().await {
        outcome.expect("a bare write");
    }
    *spent += started.elapsed();
}

/// Ingestion, rollup and the partner-wide export at the scale (100 customers,
/// 3 user-metered services, 365 days; `BENCH_CUSTOMERS`, `BENCH_DAYS`, `BENCH_USERS`
/// change it), each beside the bare DynamoDB Local cost of the same kind of calls.
pub async fn usage_bench(gw: &Gateway, _token: &str) -> String {
    use partner_hub_tests::seed::{records, Plan};
    let customers = env_number("BENCH_CUSTOMERS", 100);
    let days = env_number("BENCH_DAYS", 365) as u32;
    let users = env_number("BENCH_USERS", 3) as u32;
    eprintln!("usage bench: {customers} customers x 3 services x {days} days x {users} users");

    let (partner_token, partner) = gw.partner("usage-bench@example.com", "Usage Bench Partner").await;
    let mut orgs = Vec::new();
    for n in 0..customers {
        let (_, customer) =
            gw.connected_customer(&partner_token, &partner, &format!("bench-customer-{n}@example.com")).await;
        orgs.push(customer);
    }
    let first_day = chrono::Utc::now().date_naive() - chrono::Duration::days(i64::from(days));
    let plan = Plan {
        orgs: &orgs,
        services: &["sdwan-orchestrator", "daas", "analytics"],
        gateway: false,
        first_day,
        days,
        users_per_org: users,
        seed: 42,
    };
    let all = records(&plan);

    // Ingestion through the gateway, 500 records a call.
    let feed = gw.feed_token().await;
    let started = Instant::now();
    for chunk in all.chunks(500) {
        let answer = gw.post("/v1/usage-records", &feed, json!({"records": chunk})).await;
        assert_eq!(answer.status, 202, "{}", answer.text);
    }
    let ingest = started.elapsed();

    // The bare cost of writing that many items: BatchWriteItem, 25 a call.
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    let bare_items = all.len().min(50_000);
    let started = Instant::now();
    for batch in 0..bare_items.div_ceil(25) {
        let requests = (0..25)
            .map(|i| {
                let put = aws_sdk_dynamodb::types::PutRequest::builder()
                    .item("PK", AttributeValue::S(format!("BARE#{batch}")))
                    .item("SK", AttributeValue::S(format!("ITEM#{i}")))
                    .item("assigned", AttributeValue::Bool(true))
                    .build()
                    .expect("put request");
                aws_sdk_dynamodb::types::WriteRequest::builder().put_request(put).build()
            })
            .collect();
        dynamo.batch_write_item().request_items(gw.table(), requests).send().await.expect("batch write");
    }
    let bare_write = started.elapsed();

    // The bare floor of the rollup's reads: the same Query the rollup makes for a
    // day (`user_standings`: consistent, begins_with(SK, "USER#"), pages of 100,
    // three attributes), once for each day the feed marked, at the rollup's
    // concurrency.
    let days_marked: std::collections::BTreeSet<String> = all
        .iter()
        .map(|r| {
            let org = partner_hub::domain::OrgId::parse(r["org_id"].as_str().expect("org")).expect("org id");
            let date = r["date"].as_str().expect("date").parse().expect("date");
            partner_hub::store::keys::usage_pk(&org, r["service"].as_str().expect("service"), &date)
        })
        .collect();
    let started = Instant::now();
    let bare_queries: usize = stream::iter(days_marked.iter())
        .map(|pk| {
            let dynamo = &dynamo;
            async move { query_day(dynamo, gw.table(), pk).await }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<usize>>()
        .await
        .into_iter()
        .sum();
    let bare_read = started.elapsed();

    // The bare floor of the rollup's own calls: per batch of marked months, the same
    // day queries, then one item written per month (25 a BatchWriteItem), then one
    // item per month deleted on a condition, all of the batch in one transaction, as
    // the rollup writes each month with its days and clears their marks; each step
    // at the rollup's concurrency. Left out, so this is a floor: the entitlements,
    // the mark reads, and the days of a marked month the feed did not name (the
    // rollup reads every day of the month).
    let started = Instant::now();
    let mut months_marked: std::collections::BTreeMap<String, Vec<&String>> = Default::default();
    for pk in &days_marked {
        // `USAGE#<org>#<service>#<yyyy-mm>-<dd>`: the month is all but the day.
        months_marked.entry(pk[..pk.len() - 3].to_string()).or_default().push(pk);
    }
    let months_marked: Vec<(&String, &Vec<&String>)> = months_marked.iter().collect();
    let mut steps = [std::time::Duration::ZERO; 3];
    for batch in months_marked.chunks(BATCH as usize) {
        let step = Instant::now();
        stream::iter(batch.iter().flat_map(|(_, days)| days.iter()))
            .map(|pk| query_day(&dynamo, gw.table(), pk))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<usize>>()
            .await;
        steps[0] += step.elapsed();
        let bare_key = |month: &str| {
            std::collections::HashMap::from([
                ("PK".to_string(), AttributeValue::S(format!("BARE-ROLLUP#{month}"))),
                ("SK".to_string(), AttributeValue::S("MONTH".into())),
            ])
        };
        let writes = batch.chunks(WRITE_AT_ONCE).map(|chunk| {
            let requests = chunk
                .iter()
                .map(|(month, days)| {
                    let mut item = bare_key(month);
                    item.insert("assigned".into(), AttributeValue::N("3".into()));
                    // The month's days, as the rollup stores them: one string of
                    // their JSON.
                    let days: Vec<String> =
                        days.iter().map(|pk| format!("[\"{}\",3,2,3,0,0.0]", &pk[pk.len() - 10..])).collect();
                    item.insert("days".into(), AttributeValue::S(format!("[{}]", days.join(","))));
                    let put = aws_sdk_dynamodb::types::PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("put request");
                    aws_sdk_dynamodb::types::WriteRequest::builder().put_request(put).build()
                })
                .collect();
            dynamo.batch_write_item().request_items(gw.table(), requests).send()
        });
        all_succeed(writes, &mut steps[1]).await;
        // The marks of a batch cleared in one transaction, each on a condition.
        let deletes = batch.chunks(partner_hub::store::MARKS_A_TRANSACTION).map(|chunk| {
            let deletes = chunk
                .iter()
                .map(|(month, _)| {
                    let delete = aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(gw.table())
                        .set_key(Some(bare_key(month)))
                        .condition_expression("attribute_exists(PK)")
                        .build()
                        .expect("delete");
                    aws_sdk_dynamodb::types::TransactWriteItem::builder().delete(delete).build()
                })
                .collect();
            dynamo.transact_write_items().set_transact_items(Some(deletes)).send()
        });
        all_succeed(deletes, &mut steps[2]).await;
    }
    let bare_calls = started.elapsed();

    // The rollup, in-process on the same table, its calls counted.
    let mut config = gw.config.clone();
    config.s3_force_path_style = true;
    let app = partner_hub::App::new(&gw.sdk, config);
    let (store, calls) = crate::scale::counting_store(gw);
    let started = Instant::now();
    let report =
        partner_hub::usecases::usage_rollup::run(&crate::scale::context_on(&store)).await.expect("rollup");
    let rollup = started.elapsed();
    assert_eq!(report.failed, 0, "{report:?}");
    let rollup_calls = calls.total();
    let rollup_rate = report.days as f64 / rollup.as_secs_f64();
    let bare_rate = bare_queries as f64 / bare_read.as_secs_f64();
    let bare_calls_rate = days_marked.len() as f64 / bare_calls.as_secs_f64();

    // The partner-wide export over every month of the data.
    let today = chrono::Utc::now().date_naive();
    let range = partner_hub::usecases::usage_report::MonthRange::parse(
        Some(&partner_hub::domain::month_of(first_day)),
        None,
        today,
    )
    .or_else(|_| partner_hub::usecases::usage_report::MonthRange::parse(None, None, today))
    .expect("range");
    let caller = partner_hub::domain::Caller {
        sub: Gateway::sub_of("usage-bench@example.com"),
        email: partner_hub::domain::Email::parse("usage-bench@example.com").expect("email"),
    };
    let partner_id = partner_hub::domain::OrgId::parse(&partner).expect("partner");
    let started = Instant::now();
    let (exported, peak) = peak_heap(partner_hub::usecases::usage_export::export(
        &app.context(),
        app.exports().expect("exports"),
        &caller,
        &partner_id,
        &range,
    ))
    .await;
    let export = started.elapsed();
    let exported = exported.expect("export");
    // The same export over one month: if memory grew with rows, this peak would be far lower.
    let this_month = partner_hub::domain::month_of(today);
    let one_month =
        partner_hub::usecases::usage_report::MonthRange::parse(Some(&this_month), Some(&this_month), today)
            .expect("range");
    let (small, small_peak) = peak_heap(partner_hub::usecases::usage_export::export(
        &app.context(),
        app.exports().expect("exports"),
        &caller,
        &partner_id,
        &one_month,
    ))
    .await;
    let small = small.expect("export");

    // The bare cost of the export's reads: the range query of the months (each
    // holding its days) per customer and service.
    let started = Instant::now();
    for org in &orgs {
        let org = partner_hub::domain::OrgId::parse(org).expect("org id");
        for service in ["sdwan-orchestrator", "daas", "analytics"] {
            for (from, to) in [("MONTH#", "MONTH#~")] {
                let mut start = None;
                loop {
                    let page = dynamo
                        .query()
                        .table_name(gw.table())
                        .key_condition_expression("PK = :pk AND SK BETWEEN :a AND :b")
                        .expression_attribute_values(
                            ":pk",
                            AttributeValue::S(partner_hub::store::keys::rollup_pk(&org, service)),
                        )
                        .expression_attribute_values(":a", AttributeValue::S(from.into()))
                        .expression_attribute_values(":b", AttributeValue::S(to.into()))
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .expect("query");
                    start = page.last_evaluated_key;
                    if start.is_none() {
                        break;
                    }
                }
            }
        }
    }
    let bare_export_reads = started.elapsed();

    let mut out = String::new();
    let _ = writeln!(out, "\n## Usage\n");
    let _ = writeln!(
        out,
        "{customers} customers × 3 user-metered services × {days} days × {users} users each: {} records, generated by `tests/src/seed.rs` (the generator `make seed-usage` uses).\n",
        all.len()
    );
    let _ = writeln!(out, "| what | amount | time s | rate | bare DynamoDB Local, same run |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    let _ = writeln!(
        out,
        "| ingestion via `POST /v1/usage-records` (500 a call) | {} records | {:.1} | {} records/s | BatchWriteItem: {} items/s ({} items) |",
        all.len(),
        ingest.as_secs_f64(),
        rate(all.len(), ingest),
        rate(bare_items, bare_write),
        bare_items
    );
    let _ = writeln!(
        out,
        "| rollup (`usage-rollup`, {CONCURRENCY} at a time) | {} days, {} months | {:.1} | {:.0} days/s ({:.2} DynamoDB calls a day) | the same Query of each day's users (consistent, pages of 100, the three attributes the rollup reads), {CONCURRENCY} at a time: {:.0} queries/s ({bare_queries} queries); **rollup ÷ bare = {:.2}** (goal 0.8). The same queries, one item a month written with its days (25 a call), and the batch's items deleted each on a condition in one transaction, by batches of {BATCH} months: {:.0} days/s (queries {:.1} s, writes {:.1} s, deletes {:.1} s); **rollup ÷ bare calls = {:.2}** |",
        report.days,
        report.months,
        rollup.as_secs_f64(),
        rollup_rate,
        rollup_calls as f64 / report.days.max(1) as f64,
        bare_rate,
        rollup_rate / bare_rate,
        bare_calls_rate,
        steps[0].as_secs_f64(),
        steps[1].as_secs_f64(),
        steps[2].as_secs_f64(),
        rollup_rate / bare_calls_rate
    );
    let _ = writeln!(
        out,
        "| partner-wide export (`usage.csv`, to S3 in 5 MiB parts) | {} rows | {:.1} | {} rows/s | the same range queries alone: {:.1} s |",
        exported.rows,
        export.as_secs_f64(),
        rate(exported.rows, export),
        bare_export_reads.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "\nPeak heap of the export (counting allocator, above what was live before it): {:.1} MiB for {} rows; {:.1} MiB for the same export over one month ({} rows). The CSV leaves in 5 MiB parts: the peak is a few parts' worth (the part in flight while the next one fills), a bound set by the part size; a one-month export (one part) stays below it, and more rows only mean more parts.",
        peak as f64 / 1048576.0,
        exported.rows,
        small_peak as f64 / 1048576.0,
        small.rows
    );
    out
}
