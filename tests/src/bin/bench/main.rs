//! `make bench`: latency of routes through the local gateway beside the bare DynamoDB
//! Local calls underneath them, measured in the same run, plus each function's
//! deployable binary size. Writes BENCHMARKS.md. Each section is a module that
//! measures and returns its Markdown.

mod latency;
mod measure;
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
    let latency = if runs("latency") { latency::latency_bench().await } else { String::new() };
    let usage = if runs("usage") {
        let gw = Gateway::start().await;
        let token = gw.token("bench@example.com").await;
        usage::usage_bench(&gw, &token).await
    } else {
        String::new()
    };

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
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
