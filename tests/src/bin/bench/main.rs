//! `make bench`: latency of routes through the local gateway beside the bare DynamoDB
//! Local calls underneath them, measured in the same run, plus each function's
//! deployable binary size. Writes BENCHMARKS.md. Each section is a module that
//! measures and returns its Markdown.

mod measure;
mod scale;
mod usage;

use std::fmt::Write as _;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use partner_hub_tests::Gateway;
use serde_json::json;

use measure::{machine, measure, ms, CountingAllocator, SAMPLES, WARMUP};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[tokio::main]
async fn main() {
    let gw = Gateway::start().await;
    let token = gw.token("bench@example.com").await;
    // `BENCH_ONLY=usage` or `BENCH_ONLY=scale`: that section alone, printed, BENCHMARKS.md untouched.
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("usage") => return print!("{}", usage::usage_bench(&gw, &token).await),
        Ok("scale") => return print!("{}", scale::scale_bench(&gw).await),
        _ => {}
    }
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

    let usage = usage::usage_bench(&gw, &token).await;
    let scale = scale::scale_bench(&gw).await;

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
    out.push_str(&scale);
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
