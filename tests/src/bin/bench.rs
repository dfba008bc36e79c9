//! `make bench`: latency of routes through the local gateway beside the bare DynamoDB
//! Local calls underneath them, measured in the same run, plus each function's
//! deployable binary size. Writes BENCHMARKS.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use partner_hub_tests::Gateway;
use serde_json::json;

/// Counts live heap bytes and their peak, for the export's memory.
struct CountingAllocator;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Peak heap above what was live when `work` started.
async fn peak_heap<T>(work: impl std::future::Future<Output = T>) -> (T, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = work.await;
    (out, PEAK.load(Relaxed).saturating_sub(base))
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const SAMPLES: usize = 300;
const WARMUP: usize = 30;

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    Stats { p50: at(0.50), p99: at(0.99), mean }
}

async fn measure<F, Fut>(mut op: F) -> Stats
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for i in 0..WARMUP {
        op(i).await;
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let start = Instant::now();
        op(WARMUP + i).await;
        samples.push(start.elapsed());
    }
    stats(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {memory} RAM, {}", std::env::consts::ARCH)
}

#[tokio::main]
async fn main() {
    let gw = Gateway::start().await;
    let token = gw.token("bench@example.com").await;
    let dynamo = aws_sdk_dynamodb::Client::new(&gw.sdk);
    let table = gw.table().to_string();

    let signup = measure(|i| {
        let (gw, token) = (&gw, &token);
        async move {
            let answer = gw.post("/v1/signup", token, json!({"name": format!("Bench {i}")})).await;
            assert_eq!(answer.status, 201);
        }
    })
    .await;
    // The caller now administers WARMUP + SAMPLES orgs; /v1/me reads a fresh user with one.
    let reader = gw.token("reader@example.com").await;
    gw.sign_up(&reader, "Reader Co").await;
    let me = measure(|_| {
        let (gw, reader) = (&gw, &reader);
        async move {
            assert_eq!(gw.get("/v1/me", reader).await.status, 200);
        }
    })
    .await;
    let put = measure(|i| {
        let (dynamo, table) = (&dynamo, &table);
        async move {
            dynamo
                .put_item()
                .table_name(table)
                .item("PK", AttributeValue::S(format!("BENCH#{i}")))
                .item("SK", AttributeValue::S("PROFILE".into()))
                .item("name", AttributeValue::S("Bench".into()))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await
                .expect("put");
        }
    })
    .await;
    let get = measure(|i| {
        let (dynamo, table) = (&dynamo, &table);
        async move {
            dynamo
                .get_item()
                .table_name(table)
                .key("PK", AttributeValue::S(format!("BENCH#{i}")))
                .key("SK", AttributeValue::S("PROFILE".into()))
                .consistent_read(true)
                .send()
                .await
                .expect("get");
        }
    })
    .await;

    let usage = usage_bench(&gw, &token).await;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ =
        writeln!(out, "Written by `make bench` on {} UTC.\n", chrono::Utc::now().format("%Y-%m-%d %H:%M"));
    let _ = writeln!(out, "Machine: {}.\n", machine());
    let _ = writeln!(
        out,
        "Latency is measured sequentially ({SAMPLES} samples after {WARMUP} warm-up calls) from an HTTP client \
         to the local gateway (release build) on loopback, over DynamoDB Local (in-memory). The bare \
         DynamoDB rows are single SDK calls against the same DynamoDB Local in the same run: the floor \
         the routes stand on. DynamoDB Local is far slower than DynamoDB itself, so compare rows with \
         each other, not with production.\n"
    );
    let _ = writeln!(out, "## Latency\n");
    let _ = writeln!(out, "| what | DynamoDB calls | p50 ms | p99 ms | mean ms |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for (what, calls, s) in [
        ("`POST /v1/signup` via gateway", "1 TransactWriteItems (2 puts)", &signup),
        ("`GET /v1/me` via gateway (1 org)", "1 Query (GSI1) + 1 BatchGetItem", &me),
        ("bare `PutItem` (conditional)", "1", &put),
        ("bare `GetItem` (consistent)", "1", &get),
    ] {
        let _ = writeln!(out, "| {what} | {calls} | {} | {} | {} |", ms(s.p50), ms(s.p99), ms(s.mean));
    }
    out.push_str(&usage);
    let _ = writeln!(out, "\n## Binary size\n");
    let _ = writeln!(
        out,
        "`cargo lambda build --release --arm64` (lto, one codegen unit, panic=abort, stripped).\n"
    );
    let _ = writeln!(out, "| function | bootstrap KiB |");
    let _ = writeln!(out, "|---|---:|");
    let mut functions: Vec<String> = std::fs::read_dir(root.join("functions"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    functions.sort();
    for function in functions {
        let size = std::fs::metadata(root.join("target/lambda").join(&function).join("bootstrap"))
            .map(|m| format!("{}", m.len() / 1024))
            .unwrap_or_else(|_| "not built".into());
        let _ = writeln!(out, "| {function} | {size} |");
    }
    std::fs::write(root.join("BENCHMARKS.md"), &out).expect("writing BENCHMARKS.md");
    print!("{out}");
}

fn rate(count: usize, elapsed: Duration) -> String {
    format!("{:.0}", count as f64 / elapsed.as_secs_f64().max(1e-9))
}

/// Ingestion, rollup and the partner-wide export at the scale (100 customers,
/// 3 user-metered services, 365 days; `BENCH_CUSTOMERS`, `BENCH_DAYS`, `BENCH_USERS`
/// change it), each beside the bare DynamoDB Local cost of the same kind of calls.
async fn usage_bench(gw: &Gateway, _token: &str) -> String {
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

    // The rollup, in-process on the same table.
    let mut config = gw.config.clone();
    config.s3_force_path_style = true;
    let app = partner_hub::App::new(&gw.sdk, config);
    let started = Instant::now();
    let report = partner_hub::usecases::usage_rollup::run(&app.context()).await.expect("rollup");
    let rollup = started.elapsed();

    // The bare cost of one day's read: Query of one org's users on one day.
    let sample_org = partner_hub::domain::OrgId::parse(&orgs[0]).expect("org id");
    let started = Instant::now();
    let bare_queries = 2_000;
    for i in 0..bare_queries {
        let day = first_day + chrono::Duration::days((i % days as usize) as i64);
        dynamo
            .query()
            .table_name(gw.table())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(partner_hub::store::keys::usage_pk(&sample_org, "daas", &day)),
            )
            .send()
            .await
            .expect("query");
    }
    let bare_query = started.elapsed();

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
        &app.exports,
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
        &app.exports,
        &caller,
        &partner_id,
        &one_month,
    ))
    .await;
    let small = small.expect("export");

    // The bare cost of the export's reads: the two range queries per customer and service.
    let started = Instant::now();
    for org in &orgs {
        let org = partner_hub::domain::OrgId::parse(org).expect("org id");
        for service in ["sdwan-orchestrator", "daas", "analytics"] {
            for (from, to) in [("MONTH#", "MONTH#~"), ("DAY#", "DAY#~")] {
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
        "| rollup (`usage-rollup`, 16 at a time) | {} days, {} months | {:.1} | {} days/s | Query of one day's users: {} queries/s sequential |",
        report.days,
        report.months,
        rollup.as_secs_f64(),
        rate(report.days, rollup),
        rate(bare_queries, bare_query)
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
