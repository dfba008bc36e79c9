//! `make invoke-<fn>`: runs a function's debug binary against a sample event through a
//! local Lambda Runtime API and prints its answer.
//!   invoke <function> <event.json>

use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [function, event_file] = args.as_slice() else {
        eprintln!("usage: invoke <function> <event.json>");
        return ExitCode::from(2);
    };
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug").join(function);
    let event = match std::fs::read_to_string(event_file) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("reading {event_file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match local_gateway::runtime_api::invoke_binary(&binary, &event, &[]).await {
        Ok(answer) => {
            println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
