//! `make bench`: latency of routes through the local gateway beside the bare DynamoDB
//! Local calls underneath them, measured in the same run, usage at scale, cold starts
//! and each function's deployable size. Writes BENCHMARKS.md. Each section is a module that
//! measures and returns its Markdown.

mod coldstart;
mod latency;
mod load;
mod measure;
mod scale;
mod usage;

use std::fmt::Write as _;
use std::path::Path;

use partner_hub_tests::Gateway;

use measure::{machine, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Whether to run this section: `BENCH_ONLY=latency` (a comma-separated list of
/// section names) runs only those, for working on one section.
fn runs(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

#[tokio::main]
async fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let latency = if runs("latency") { latency::latency_bench().await } else { String::new() };
    // These before usage fills DynamoDB Local with a year of records.
    let coldstart = if runs("coldstart") {
        coldstart::section(&partner_hub_tests::sdk().await, &root).await
    } else {
        String::new()
    };
    let load = if runs("load") { load::load_bench(&Gateway::start().await).await } else { String::new() };
    let usage = if runs("usage") {
        let gw = Gateway::start().await;
        let token = gw.token("bench@example.com").await;
        usage::usage_bench(&gw, &token).await
    } else {
        String::new()
    };
    let scale = if runs("scale") { scale::scale_bench(&Gateway::start().await).await } else { String::new() };

    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ =
        writeln!(out, "Written by `make bench` on {} UTC.\n", chrono::Utc::now().format("%Y-%m-%d %H:%M"));
    let _ = writeln!(out, "Machine: {}.\n", machine());
    let _ = writeln!(
        out,
        "Everything runs on loopback over DynamoDB Local (in-memory), which is far slower than \
         DynamoDB itself: compare rows with each other, not with production.\n"
    );
    out.push_str(&latency);
    out.push_str(&load);
    out.push_str(&usage);
    out.push_str(&scale);
    out.push_str(&coldstart);
    // A run of some sections only prints them: BENCHMARKS.md is one whole run.
    if std::env::var("BENCH_ONLY").is_err() {
        std::fs::write(root.join("BENCHMARKS.md"), &out).expect("writing BENCHMARKS.md");
    }
    print!("{out}");
}
