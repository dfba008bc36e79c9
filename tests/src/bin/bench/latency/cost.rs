//! What a million calls of each route cost at on-demand list prices: Lambda (arm64,
//! the function's memory from template.yaml, billed duration = the measured handler
//! p50 rounded up to 1 ms, plus the request charge), the HTTP API request, and the
//! DynamoDB request units the route consumed.

use std::fmt::Write as _;

use super::{units, RouteRun};

/// us-east-1 list prices (first pricing tier of each), the figures the table uses.
const LAMBDA_ARM_PER_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_PER_MILLION_REQUESTS: f64 = 0.20;
const HTTP_API_PER_MILLION_REQUESTS: f64 = 1.00;
/// On-demand request units, since the price cut of 2024-11-01.
const DYNAMODB_PER_MILLION_WRU: f64 = 0.625;
const DYNAMODB_PER_MILLION_RRU: f64 = 0.125;

/// A function's `MemorySize` in MB: its own in template.yaml, else the `Globals` one.
fn memory_mb(function: &str) -> u32 {
    let text =
        std::fs::read_to_string(local_gateway::template::Template::default_path()).expect("template.yaml");
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("template.yaml parses");
    let own = yaml["Resources"].as_mapping().and_then(|resources| {
        resources
            .values()
            .find(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(function))
            .and_then(|r| r["Properties"]["MemorySize"].as_u64())
    });
    let global = yaml["Globals"]["Function"]["MemorySize"].as_u64();
    // 128 MB is Lambda's own default when the template names none.
    own.or(global).map_or(128, |mb| mb as u32)
}

pub fn table(runs: &[RouteRun]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n### Cost per million calls\n");
    let _ = writeln!(
        out,
        "A computation from the figures above and list prices for us-east-1 (first tier, no free tier): \
         Lambda arm64 ${LAMBDA_ARM_PER_GB_SECOND} per GB-second and ${LAMBDA_PER_MILLION_REQUESTS:.2} per \
         million requests; API Gateway HTTP API ${HTTP_API_PER_MILLION_REQUESTS:.2} per million requests \
         (each under 512 KB); DynamoDB on-demand ${DYNAMODB_PER_MILLION_WRU} per million write request \
         units and ${DYNAMODB_PER_MILLION_RRU} per million read request units (the prices in force since \
         2024-11-01). These are the published list prices as of 2025, checked against stored copies of \
         pricing summaries, not the live AWS pages: treat them as stated assumptions. The billed duration \
         is the handler's measured p50 rounded up to the next millisecond at the function's `MemorySize`; \
         measured here over DynamoDB Local on this machine, it is pessimistic (DynamoDB answers a warm \
         call in a few milliseconds at most, DynamoDB Local on loopback in several), so the Lambda column \
         is an upper bound. Request units are what DynamoDB Local reported as consumed capacity, which is \
         what on-demand bills. Data transfer and logs are not included.\n"
    );
    let _ = writeln!(
        out,
        "| route | function MB | billed ms | Lambda $ | HTTP API $ | RRU | WRU | DynamoDB $ | total $ per 1M calls |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for run in runs {
        let memory = memory_mb(run.function);
        let billed_ms = (run.handler.p50.as_secs_f64() * 1000.0).ceil();
        let lambda = 1e6 * f64::from(memory) / 1024.0 * billed_ms / 1000.0 * LAMBDA_ARM_PER_GB_SECOND
            + LAMBDA_PER_MILLION_REQUESTS;
        let (rru, wru) = units(&run.route_calls);
        let dynamo = rru * DYNAMODB_PER_MILLION_RRU + wru * DYNAMODB_PER_MILLION_WRU;
        let total = lambda + HTTP_API_PER_MILLION_REQUESTS + dynamo;
        let _ = writeln!(
            out,
            "| `{}` | {memory} | {billed_ms:.0} | {lambda:.2} | {HTTP_API_PER_MILLION_REQUESTS:.2} | {rru} | {wru} | {dynamo:.2} | {total:.2} |",
            run.key
        );
    }
    out
}
