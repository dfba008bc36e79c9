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

/// The sections, in the order BENCHMARKS.md shows them.
const SECTIONS: &[&str] = &["latency", "load", "usage", "scale", "coldstart"];

/// Whether to run this section: `BENCH_ONLY=latency` (a comma-separated list of
/// section names) runs only those, for working on one section.
fn runs(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

async fn run_section(name: &str, root: &Path) -> String {
    match name {
        "latency" => latency::latency_bench().await,
        "coldstart" => coldstart::section(&partner_hub_tests::sdk().await, root).await,
        "load" => load::load_bench(&Gateway::start().await).await,
        "usage" => {
            let gw = Gateway::start().await;
            let token = gw.token("bench@example.com").await;
            usage::usage_bench(&gw, &token).await
        }
        "scale" => scale::scale_bench(&Gateway::start().await).await,
        other => panic!("no bench section {other}"),
    }
}

/// BENCHMARKS.md: the machine, the date, and the sections in their order.
fn document(sections: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ =
        writeln!(out, "Written by `make bench` on {} UTC.\n", chrono::Utc::now().format("%Y-%m-%d %H:%M"));
    let _ = writeln!(out, "Machine: {}.\n", machine());
    let _ = writeln!(
        out,
        "Everything runs on loopback over DynamoDB Local (in-memory), which is far slower than \
         DynamoDB itself: compare rows with each other, not with production. `make bench` gives each \
         section a DynamoDB Local and moto of its own, so no section measures what an earlier one left \
         behind.\n"
    );
    for section in sections {
        out.push_str(section);
    }
    out
}

/// `bench` runs the sections `BENCH_ONLY` names (all by default) in one process and
/// prints them; a whole run also writes BENCHMARKS.md. With `BENCH_SECTION_DIR`, each
/// section is also written to `<dir>/<name>.md`, and `bench --assemble <dir>` writes
/// BENCHMARKS.md from those: `make bench` runs each section on a fresh stack that way.
#[tokio::main]
async fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir] = args.as_slice() {
        assert_eq!(flag, "--assemble", "usage: bench [--assemble <dir>]");
        let sections: Vec<String> = SECTIONS
            .iter()
            .map(|name| {
                let path = Path::new(dir).join(format!("{name}.md"));
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            })
            .collect();
        std::fs::write(root.join("BENCHMARKS.md"), document(&sections)).expect("writing BENCHMARKS.md");
        return;
    }
    let section_dir = std::env::var_os("BENCH_SECTION_DIR");
    let mut sections = Vec::new();
    // Run order: cold starts before usage fills DynamoDB Local with a year of records.
    for name in ["latency", "coldstart", "load", "usage", "scale"] {
        if !runs(name) {
            continue;
        }
        let markdown = run_section(name, &root).await;
        if let Some(dir) = &section_dir {
            let path = Path::new(dir).join(format!("{name}.md"));
            std::fs::write(&path, &markdown).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        print!("{markdown}");
        sections.push((name, markdown));
    }
    // A run of some sections only prints them: BENCHMARKS.md is one whole run.
    if std::env::var("BENCH_ONLY").is_err() {
        sections.sort_by_key(|(name, _)| SECTIONS.iter().position(|s| s == name));
        let ordered: Vec<String> = sections.into_iter().map(|(_, markdown)| markdown).collect();
        std::fs::write(root.join("BENCHMARKS.md"), document(&ordered)).expect("writing BENCHMARKS.md");
    }
}
