//! Scale: the rollup's steady-state day (every org reports one new day), its rate
//! per shard and with the work fanned out over shard ranges as template.yaml does,
//! the DynamoDB calls it makes per day (counted by an SDK interceptor), the
//! extrapolation to 1,000 partners × 100 customers, and the table of every key
//! written with its peak write rate at that scale.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use chrono::{Datelike, NaiveDate};
use partner_hub::domain::{BandwidthDay, OrgId, UsageRecord, UserDay, CATALOG, GATEWAY};
use partner_hub::store::{keys, DynamoStore};
use partner_hub::usecases::usage_rollup::{self, RollupReport, Share, CONCURRENCY};
use partner_hub::usecases::Context;
use partner_hub_tests::Gateway;

use crate::measure::env_number;

/// DynamoDB calls made through a client, by kind.
#[derive(Debug, Default)]
pub struct Calls {
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
}

impl Calls {
    pub fn total(&self) -> usize {
        self.reads.load(Relaxed) + self.writes.load(Relaxed)
    }

    pub fn reset(&self) {
        self.reads.store(0, Relaxed);
        self.writes.store(0, Relaxed);
    }
}

#[derive(Debug)]
struct CountCalls(Arc<Calls>);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::{
            batch_get_item::BatchGetItemInput, get_item::GetItemInput, query::QueryInput,
        };
        let input = context.input();
        if input.downcast_ref::<QueryInput>().is_some()
            || input.downcast_ref::<GetItemInput>().is_some()
            || input.downcast_ref::<BatchGetItemInput>().is_some()
        {
            self.0.reads.fetch_add(1, Relaxed);
        } else {
            self.0.writes.fetch_add(1, Relaxed);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A store on the gateway's table whose client counts its calls.
pub fn counting_store(gw: &Gateway) -> (DynamoStore, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let config =
        aws_sdk_dynamodb::config::Builder::from(&gw.sdk).interceptor(CountCalls(calls.clone())).build();
    (DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), gw.table()), calls)
}

/// A context on `store` with the system clock and ids.
pub fn context_on(store: &DynamoStore) -> Context<'_> {
    Context { store, clock: &partner_hub::domain::SystemClock, ids: &partner_hub::domain::RandomIds }
}

/// The user-metered services the scale run reports (every one of the catalog) and
/// the gateway's bandwidth: every service an org can report.
fn user_services() -> Vec<&'static str> {
    CATALOG.iter().map(|s| s.service).filter(|s| *s != GATEWAY).collect()
}

fn day_records(orgs: &[OrgId], date: NaiveDate, users: u32) -> Vec<UsageRecord> {
    let mut out = Vec::new();
    for (n, org) in orgs.iter().enumerate() {
        for service in user_services() {
            for user in 0..users {
                out.push(UsageRecord::Users(UserDay {
                    org_id: org.clone(),
                    service: service.to_string(),
                    date,
                    user_hash: format!("{:016x}", (n as u64) << 16 | u64::from(user)),
                    assigned: true,
                    active: (user + date.day()).is_multiple_of(3),
                }));
            }
        }
        out.push(UsageRecord::Bandwidth(BandwidthDay {
            org_id: org.clone(),
            date,
            bandwidth_mb: 1024.0 + f64::from(date.day()),
        }));
    }
    out
}

async fn report_day(store: &DynamoStore, orgs: &[OrgId], date: NaiveDate, users: u32) {
    let records = day_records(orgs, date, users);
    // As the feed does: 500 records a call.
    for chunk in records.chunks(500) {
        store.put_records(chunk, &chrono::Utc::now().to_rfc3339()).await.expect("put records");
    }
}

struct Timed {
    report: RollupReport,
    elapsed: Duration,
    calls: usize,
    reads: usize,
}

async fn timed_run(store: &DynamoStore, calls: &Calls, shares: &[Share]) -> Timed {
    calls.reset();
    let cx = context_on(store);
    let started = Instant::now();
    let reports =
        futures::future::join_all(shares.iter().map(|share| usage_rollup::run_share(&cx, share))).await;
    let elapsed = started.elapsed();
    let mut report = RollupReport::default();
    for one in reports {
        let one = one.expect("rollup");
        report.days += one.days;
        report.months += one.months;
        report.failed += one.failed;
    }
    assert_eq!(report.failed, 0, "no day fails in the bench");
    Timed { report, elapsed, calls: calls.total(), reads: calls.reads.load(Relaxed) }
}

/// Assumptions of the extrapolation, stated in the output.
const PARTNERS: f64 = 1_000.0;
const CUSTOMERS_PER_PARTNER: f64 = 100.0;
/// Seen from a Lambda function in the table's region: DynamoDB's single-digit
/// milliseconds plus the round trip. An assumption, not measured here.
const PRODUCTION_CALL_MS: f64 = 10.0;
/// Every org reports its day within this window (an assumption).
const REPORT_WINDOW_S: f64 = 3_600.0;
/// Users each org reports per service and day (an assumption).
const USERS_PER_ORG_SERVICE: f64 = 50.0;
/// Records in one feed call (the API's limit).
const RECORDS_PER_CALL: f64 = 500.0;
/// Connections accepted on the busiest day, system-wide, and by one partner (assumptions).
const ACCEPTS_PER_DAY: f64 = 10_000.0;
const PARTNER_ACCEPTS_PER_HOUR: f64 = 100.0;
/// DynamoDB's limits.
const PARTITION_WCU: f64 = 1_000.0;
/// What a write in a transaction costs, per item of up to 1 KB.
const TRANSACTION_WCU: f64 = 2.0;
/// Schedule events of usage-rollup in template.yaml, each a range of shards.
const FAN_OUT: u32 = 16;
/// How long an invocation takes new batches (functions/usage-rollup).
const BUDGET_S: f64 = 12.0 * 60.0;

pub async fn scale_bench(gw: &Gateway) -> String {
    let org_count = env_number("BENCH_SCALE_ORGS", 1_000);
    let users = env_number("BENCH_SCALE_USERS", 5) as u32;
    let prior_days = env_number("BENCH_SCALE_PRIOR_DAYS", 14).clamp(1, 24) as u32;
    let services = CATALOG.len();
    eprintln!(
        "scale bench: {org_count} orgs x {services} services x {users} users, {prior_days} days before"
    );
    let (store, calls) = counting_store(gw);
    // Orgs drawn as `RandomIds` draws them, so they spread over the shards as real ones do.
    let mut state = 0x5EED_u64;
    let orgs: Vec<OrgId> = (0..org_count)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            OrgId::from_number(10_000_000 + ((state >> 33) % 90_000_000) as u32)
        })
        .collect();
    // Last month: the month is complete, and its days are before today.
    let today = chrono::Utc::now().date_naive();
    let this_month = today.with_day(1).expect("first of the month");
    let first = this_month.pred_opt().expect("a day before").with_day(1).expect("first of last month");
    let day = |n: u32| first + chrono::Duration::days(i64::from(n));

    // The month so far, rolled up (not timed).
    for n in 0..prior_days {
        report_day(&store, &orgs, day(n), users).await;
    }
    let backfill = timed_run(&store, &calls, &[Share::all()]).await;

    // The steady-state day: every org reports one new day, one run over every shard.
    report_day(&store, &orgs, day(prior_days), users).await;
    let daily = timed_run(&store, &calls, &[Share::all()]).await;

    // One shard alone, then the rest.
    report_day(&store, &orgs, day(prior_days + 1), users).await;
    let one_shard = timed_run(&store, &calls, &[Share { shards: 0..1, until: None }]).await;
    timed_run(&store, &calls, &[Share { shards: 1..keys::DIRTY_SHARDS, until: None }]).await;

    // The template's fan-out: FAN_OUT invocations side by side, each a range of shards.
    report_day(&store, &orgs, day(prior_days + 2), users).await;
    let per = keys::DIRTY_SHARDS / FAN_OUT;
    let shares: Vec<Share> =
        (0..FAN_OUT).map(|i| Share { shards: i * per..(i + 1) * per, until: None }).collect();
    let fanned = timed_run(&store, &calls, &shares).await;
    assert_eq!(fanned.report.days, daily.report.days, "the shares together cover every shard once");

    // A deadline already passed: the run takes no batch and says it is unfinished.
    report_day(&store, &orgs, day(prior_days + 3), users).await;
    let cx = context_on(&store);
    let stopped =
        usage_rollup::run_share(&cx, &Share { shards: Share::all().shards, until: Some(Instant::now()) })
            .await
            .expect("rollup");
    assert!(stopped.unfinished && stopped.days == 0, "{stopped:?}");
    let resumed = timed_run(&store, &calls, &[Share::all()]).await;

    let days_per_s = |t: &Timed| t.report.days as f64 / t.elapsed.as_secs_f64().max(1e-9);
    let per_day = |t: &Timed| t.calls as f64 / t.report.days.max(1) as f64;
    let reads_per_day = |t: &Timed| t.reads as f64 / t.report.days.max(1) as f64;

    let mut out = String::new();
    let _ = writeln!(out, "\n## Scale\n");
    let _ = writeln!(
        out,
        "The rollup's steady state: {org_count} orgs (ids drawn as `RandomIds` draws them) each report all {services} services of the catalog \
         ({} user-metered, {users} users each, and the gateway's bandwidth) for one new day of last month, after {prior_days} days of that month \
         already rolled up; records written as the feed writes them (`put_records`, 500 a call). DynamoDB calls are counted by an SDK \
         interceptor on the rollup's client. Every run below ends with no day failed.\n",
        services - 1
    );
    let _ = writeln!(out, "| run | days | months | time s | days/s | DynamoDB calls per day (reads) |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (what, t) in [
        (format!("backfill: {prior_days} days of every org, all shards"), &backfill),
        ("the new day, one run over all 32 shards".to_string(), &daily),
        ("the next day, shard 0 alone".to_string(), &one_shard),
        (format!("the next day, {FAN_OUT} runs side by side ({per} shards each, as template.yaml)"), &fanned),
        ("a run stopped at its deadline, then the next run".to_string(), &resumed),
    ] {
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {:.1} | {:.0} | {:.2} ({:.2}) |",
            t.report.days,
            t.report.months,
            t.elapsed.as_secs_f64(),
            days_per_s(t),
            per_day(t),
            reads_per_day(t)
        );
    }
    let _ = writeln!(
        out,
        "\nA run whose deadline has passed takes no batch, reports `unfinished`, and leaves every mark for the next run, which rolls them up \
         (last row). On this machine (2 cores shared by DynamoDB Local and the rollup) the shards side by side share the same CPU, so they \
         show that the split covers every day once, not a speed-up.\n"
    );

    // The extrapolation.
    let orgs_at_scale = PARTNERS * CUSTOMERS_PER_PARTNER;
    let days_at_scale = orgs_at_scale * services as f64;
    // A user-metered month is rolled up again from every day of it that has records:
    // the new day measured above is day {prior_days + 1} of its month, and on a
    // month's 31st day each user-metered service reads that many more days (the
    // gateway reads a month in one call whichever day it is).
    let new_day = prior_days + 1;
    let user_share = (services - 1) as f64 / services as f64;
    let worst_calls = per_day(&daily) + f64::from(31 - new_day) * user_share;
    let invocation_calls_s = CONCURRENCY as f64 * 1_000.0 / PRODUCTION_CALL_MS;
    let invocation_days_s = invocation_calls_s / worst_calls;
    let run_s = days_at_scale / invocation_days_s;
    let per_invocation_s = run_s / f64::from(FAN_OUT);
    let _ = writeln!(out, "### Fan-out at 1,000 partners × 100 customers (computed)\n");
    let _ = writeln!(
        out,
        "- Work: {orgs_at_scale:.0} orgs × {services} services = {days_at_scale:.0} org-days a day, all reported within {:.0} minutes (assumption), so one hourly run meets them all.\n\
         - Calls per day: {:.1} measured above for day {new_day} of a month; a user-metered month is rolled up again from every day of it with records, one Query a day, so on a month's 31st day it is **{worst_calls:.1}** (the measured figure plus {} more reads for each of the {} user-metered services of {services}): the worst day, used below.\n\
         - One invocation keeps {CONCURRENCY} calls in flight (the rollup's `CONCURRENCY`). At an assumed {PRODUCTION_CALL_MS:.0} ms per call seen from Lambda (assumption; DynamoDB Local here is CPU-bound instead): {invocation_calls_s:.0} calls/s = **{invocation_days_s:.0} days/s per invocation**.\n\
         - All shards in one invocation: {days_at_scale:.0} / {invocation_days_s:.0} = {run_s:.0} s, against Lambda's 900 s (and the {BUDGET_S:.0} s the function gives itself to take new batches).\n\
         - template.yaml fans the hourly run out over {FAN_OUT} schedules of {per} shards each: **{per_invocation_s:.0} s per invocation** on the worst day, {}. Marks persist: a run that reaches its {BUDGET_S:.0} s budget stops taking batches (`unfinished`), and the next hour's run goes on where the marks are.\n\
         - Measured here: {:.0} days/s over all shards, {:.0} days/s for one shard alone ({} of the {} days): the per-shard rate is the same work at the same concurrency; a shard holds 1/32 of the orgs.\n",
        REPORT_WINDOW_S / 60.0,
        per_day(&daily),
        31 - new_day,
        services - 1,
        if per_invocation_s < BUDGET_S { "inside the budget" } else { "over the budget: more shards per schedule are needed" },
        days_per_s(&daily),
        days_per_s(&one_shard),
        one_shard.report.days,
        daily.report.days
    );
    let month_item = month_item_size(gw, &orgs[0], first).await;
    let backfill_days_s = invocation_calls_s / per_day(&backfill);
    // One mark, and one month written, for each month of a series with new days.
    let backfill_days_a_month = backfill.report.days as f64 / backfill.report.months.max(1) as f64;
    out.push_str(&key_table(
        services as f64,
        worst_calls,
        invocation_days_s,
        per_day(&backfill),
        backfill_days_s,
        backfill_days_a_month,
        month_item,
    ));
    out
}

/// The size of a month item of 31 days, in bytes as DynamoDB counts them, and the
/// write units it costs: the largest of the org's items for `month` (each service),
/// as stored, with its `days` grown from the days it holds to 31 at their mean size.
async fn month_item_size(gw: &Gateway, org: &OrgId, month: NaiveDate) -> (f64, f64) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    let mut largest: f64 = 0.0;
    for service in CATALOG.iter().map(|s| s.service) {
        let found = dynamo
            .get_item()
            .table_name(gw.table())
            .key("PK", AttributeValue::S(keys::rollup_pk(org, service)))
            .key("SK", AttributeValue::S(keys::month_sk(&partner_hub::domain::month_of(month))))
            .consistent_read(true)
            .send()
            .await
            .expect("get a month item");
        let Some(item) = found.item else { continue };
        let Some(AttributeValue::S(days)) = item.get("days") else { panic!("a month item without its days") };
        let held: Vec<serde_json::Value> = serde_json::from_str(days).expect("the days");
        let per_day = days.len() as f64 / held.len().max(1) as f64;
        let size = item.iter().map(|(name, value)| name.len() + value_size(value)).sum::<usize>() as f64
            + per_day * (31 - held.len()) as f64;
        largest = largest.max(size);
    }
    assert!(largest > 0.0, "no month item of {org} for {month}");
    (largest, (largest / 1024.0).ceil())
}

/// An attribute value's size by DynamoDB's rules: a string its UTF-8 bytes, a
/// number a byte per two significant digits plus one, a boolean or null one byte, a
/// list or map 3 bytes plus one a member plus its members (a map's names too).
fn value_size(value: &aws_sdk_dynamodb::types::AttributeValue) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    match value {
        V::S(s) => s.len(),
        V::N(n) => {
            let digits = n.trim_start_matches('-').replace('.', "");
            let significant = digits.trim_start_matches('0').trim_end_matches('0').len().max(1);
            significant.div_ceil(2) + 1
        }
        V::Bool(_) | V::Null(_) => 1,
        V::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        V::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        V::Ss(set) => set.iter().map(String::len).sum(),
        V::B(bytes) => bytes.as_ref().len(),
        _ => 0,
    }
}

/// Every key written, who writes it, its peak write rate at 1,000 partners × 100
/// customers and the limit it stands against. Rates are computed from the
/// assumptions above (named in the table), not measured.
fn key_table(
    services: f64,
    calls_per_day: f64,
    invocation_days_s: f64,
    backfill_calls_per_day: f64,
    backfill_days_s: f64,
    backfill_days_a_month: f64,
    (month_bytes, month_wcu): (f64, f64),
) -> String {
    let orgs = PARTNERS * CUSTOMERS_PER_PARTNER;
    let shards = f64::from(keys::DIRTY_SHARDS);
    let org_days = orgs * services;
    // Each feed call updates a month's mark once per org, service and month it holds.
    let marks_per_org_day = (USERS_PER_ORG_SERVICE / RECORDS_PER_CALL).ceil().max(1.0);
    let mark_writes_s = org_days * marks_per_org_day / REPORT_WINDOW_S;
    // The rollup walks its shards in turn, a page each: its deletes (one a month,
    // in a transaction: 2 WCU each) spread over the shards of each invocation's range. In the steady
    // state a mark holds the one new day.
    let per_range = shards / f64::from(FAN_OUT);
    let mark_deletes_shard_s = invocation_days_s / per_range * TRANSACTION_WCU;
    let backfill_marks_s = backfill_days_s / backfill_days_a_month.max(1.0) * TRANSACTION_WCU;
    let record_writes_s = USERS_PER_ORG_SERVICE; // one feed call, within a second
    let accept_rate = ACCEPTS_PER_DAY / 86_400.0;
    let partner_accepts = PARTNER_ACCEPTS_PER_HOUR / 3_600.0;
    let pct = |rate: f64| format!("{:.1}%", rate / PARTITION_WCU * 100.0);
    let mut rows: Vec<(String, String, String, f64, String)> = vec![
        (
            "`USAGE#<org>#<service>#<date>` / `USER#…`, `BANDWIDTH`".into(),
            "one org: the feed".into(),
            format!("{USERS_PER_ORG_SERVICE:.0} users of a day in one feed call (BatchWriteItem, retried when throttled); ≤ 500 a call"),
            record_writes_s,
            "1,000 WCU/s a partition; each item ~100 B of 400 KB".into(),
        ),
        (
            "`USAGE_DIRTY#<shard>` (32) / `<org>#<service>#<yyyy-mm>`: writes (an `UpdateItem` adding the days)".into(),
            "every org: the feed".into(),
            format!(
                "{org_days:.0} org-days × {marks_per_org_day:.0} feed call(s) each / {REPORT_WINDOW_S:.0} s / {shards:.0} shards"
            ),
            mark_writes_s / shards,
            "1,000 WCU/s a partition".into(),
        ),
        (
            "`USAGE_DIRTY#<shard>`: the rollup's deletes, steady state".into(),
            "the system: usage-rollup".into(),
            format!(
                "{invocation_days_s:.0} days/s an invocation (any day of the month), a mark of one day each, over its {per_range:.0} shards in turn, cleared in transactions: {TRANSACTION_WCU:.0} WCU each"
            ),
            mark_deletes_shard_s,
            "1,000 WCU/s a partition".into(),
        ),
        (
            "`USAGE_DIRTY#<shard>`: the rollup's deletes, a backfill in every shard".into(),
            "the system: usage-rollup".into(),
            format!(
                "{backfill_days_s:.0} days/s an invocation ({backfill_calls_per_day:.2} calls a day, measured backfill), {backfill_days_a_month:.1} days a mark, over {per_range:.0} shards, {TRANSACTION_WCU:.0} WCU each"
            ),
            backfill_marks_s / per_range,
            "1,000 WCU/s a partition".into(),
        ),
        (
            "`USAGE_DIRTY#<shard>`: the rollup's deletes, a backfill in one shard only".into(),
            "the system: usage-rollup".into(),
            format!("{backfill_days_s:.0} days/s, {backfill_days_a_month:.1} days a mark, all in one shard (one org sends a year): throttled and retried with backoff, not lost"),
            backfill_marks_s,
            "1,000 WCU/s a partition (over it: the rollup slows, no error)".into(),
        ),
        (
            "`ROLLUP#<org>#<service>` / `MONTH#…` (the month with its days)".into(),
            "one org: usage-rollup".into(),
            format!(
                "a backfill of one series at {backfill_days_s:.0} days/s over {per_range:.0} shards, one month item ({backfill_days_a_month:.1} days; of 31 days {month_bytes:.0} B: {month_wcu:.0} WCU, measured) a mark; steady state: 1 month a run"
            ),
            backfill_days_s / backfill_days_a_month.max(1.0) / per_range * month_wcu,
            "1,000 WCU/s a partition (25 items a BatchWriteItem); 400 KB an item".into(),
        ),
        (
            "`ORG#<partner>` / `PROFILE` (`customer_count`), `CUSTOMER#…`, `ORDER#…`, `ALLOCATION#…`, `NOTIFICATION#…`".into(),
            "one partner".into(),
            format!("{PARTNER_ACCEPTS_PER_HOUR:.0} accepts an hour at one partner (its cap), each a transaction"),
            partner_accepts * 2.0,
            "1,000 WCU/s a partition; 100 customers a partner; 100 actions a transaction".into(),
        ),
        (
            "`ORG#<org>` / everything else of one org (admins, entitlements, tickets, audit)".into(),
            "one org".into(),
            "an administrator's clicks: ≤ 1 change a second (assumption)".into(),
            2.0,
            "1,000 WCU/s a partition".into(),
        ),
        (
            "GSI1 `ENTITLEMENT_ENDS` / `<expires_at>#…`".into(),
            "every org: entitlements with an end".into(),
            format!("all {org_days:.0} org-services renewed on one day (worst case, assumption)"),
            org_days / 86_400.0,
            "1,000 WCU/s a GSI partition".into(),
        ),
        (
            "`OUTBOX#<event>`, `DELIVERY#<event>`, `IDEMPOTENCY#…`, `INVITE#…`, `CONTACT#…`, `ADMIN_INVITE#…`, `RATE#<org>#…`".into(),
            "one request each (a key of its own)".into(),
            format!("{ACCEPTS_PER_DAY:.0} accepts a day system-wide, one key each"),
            accept_rate.min(1.0),
            "1,000 WCU/s a partition; a rate window is one item of ≤ its limit's slots".into(),
        ),
    ];
    rows.sort_by(|a, b| b.3.total_cmp(&a.3));
    let mut out = String::new();
    let _ = writeln!(out, "### Keys written, at 1,000 partners × 100 customers (computed)\n");
    let _ = writeln!(
        out,
        "Assumptions: every org reports every service daily, {USERS_PER_ORG_SERVICE:.0} users a service, all within {:.0} minutes; \
         {ACCEPTS_PER_DAY:.0} connections accepted a day system-wide, at most {PARTNER_ACCEPTS_PER_HOUR:.0} an hour at one partner; \
         the rollup at the invocation rate computed above ({calls_per_day:.1} calls a day measured, {PRODUCTION_CALL_MS:.0} ms a call assumed). \
         Key formats: `shared/src/store/keys.rs`. Rates are peak write units a second into one partition.\n",
        REPORT_WINDOW_S / 60.0
    );
    let _ = writeln!(out, "| key | written by | peak assumed | WCU/s a partition | of 1,000 WCU/s | limit |");
    let _ = writeln!(out, "|---|---|---|---:|---:|---|");
    for (key, by, how, rate, limit) in rows {
        let _ = writeln!(out, "| {key} | {by} | {how} | {rate:.1} | {} | {limit} |", pct(rate));
    }
    out
}
