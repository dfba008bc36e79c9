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
    // Email goes through `make run`'s catcher of the local SES, so `/local/emails`
    // lists what the function sent.
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let ses = format!("http://127.0.0.1:{port}{}", local_gateway::SES_CATCHER_PATH);
    let env = [("AWS_ENDPOINT_URL_SESV2", ses.as_str())];
    match local_gateway::runtime_api::invoke_binary(&binary, &event, &env).await {
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
