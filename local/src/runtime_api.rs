//! A stand-in for the Lambda Runtime API on loopback, so a function's real binary (its
//! `main`, config and clients included) runs as Lambda runs it: spawned, then polling
//! `GET /runtime/invocation/next` for each event. It records when each poll and each
//! answer arrived, which is what the cold-start benchmark measures.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, Mutex};

const REQUEST_ID_PREFIX: &str = "00000000-0000-4000-8000-";

/// What the runtime saw, in order.
enum Seen {
    /// The binary asked for its next event.
    Poll(Instant),
    /// It answered an event (its response, or the error it reported).
    Answer(Instant, Result<Value, String>),
}

struct Runtime {
    events: Mutex<std::collections::VecDeque<String>>,
    served: std::sync::atomic::AtomicUsize,
    seen: mpsc::UnboundedSender<Seen>,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> Response {
    let _ = runtime.seen.send(Seen::Poll(Instant::now()));
    let Some(event) = runtime.events.lock().await.pop_front() else {
        // No more events: later polls wait until the binary is stopped, as a frozen
        // execution environment would.
        std::future::pending::<()>().await;
        return StatusCode::GONE.into_response();
    };
    let n = runtime.served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", format!("{REQUEST_ID_PREFIX}{n:012}")),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:local".to_string(),
            ),
            ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000".to_string()),
            ("content-type", "application/json".to_string()),
        ],
        event,
    )
        .into_response()
}

async fn response(
    State(runtime): State<Arc<Runtime>>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let parsed = serde_json::from_slice(&body).map_err(|e| format!("response is not JSON: {e}"));
    let _ = runtime.seen.send(Seen::Answer(Instant::now(), parsed));
    StatusCode::ACCEPTED
}

async fn error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    let _ = runtime.seen.send(Seen::Answer(Instant::now(), Err(String::from_utf8_lossy(&body).into_owned())));
    StatusCode::ACCEPTED
}

/// One run of a binary through its events.
pub struct Run {
    /// Spawn → the first `GET /next`: the cold start's init.
    pub init: Duration,
    /// Each invocation, from the poll that fetched its event to its answer.
    pub invocations: Vec<Duration>,
    /// What each invocation answered.
    pub answers: Vec<Result<Value, String>>,
    /// The process's peak resident set (`VmHWM`), in KiB, read once it had answered
    /// every event.
    pub peak_rss_kib: Option<u64>,
}

/// Runs `binary` with `events`, one invocation each, in order, and stops it once it has
/// answered them all (or failed, or taken more than 30 s).
pub async fn run_binary(binary: &Path, events: &[String], env: &[(&str, &str)]) -> Result<Run, String> {
    let (seen, mut timeline) = mpsc::unbounded_channel();
    let runtime = Arc::new(Runtime {
        events: Mutex::new(events.iter().cloned().collect()),
        served: Default::default(),
        seen,
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(runtime);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let name = binary.file_name().and_then(|n| n.to_str()).unwrap_or("function");
    let mut command = tokio::process::Command::new(binary);
    command
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env(partner_hub::runtime::INITIALIZATION_TYPE, "on-demand")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let spawned = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let pid = child.id();

    let outcome = async {
        let mut polls = Vec::new();
        let mut answers = Vec::new();
        let mut answered_at = Vec::new();
        // Done when every event is answered and the binary polls again (it is idle).
        while polls.len() <= events.len() {
            match timeline.recv().await {
                Some(Seen::Poll(at)) => polls.push(at),
                Some(Seen::Answer(at, answer)) => {
                    let failed = answer.is_err();
                    answered_at.push(at);
                    answers.push(answer);
                    if failed {
                        break;
                    }
                }
                None => return Err("the runtime stopped".to_string()),
            }
        }
        let init = polls.first().map(|at| at.duration_since(spawned)).unwrap_or_default();
        let invocations =
            polls.iter().zip(&answered_at).map(|(poll, answer)| answer.duration_since(*poll)).collect();
        Ok(Run { init, invocations, answers, peak_rss_kib: pid.and_then(peak_rss_kib) })
    };
    let result = tokio::select! {
        run = outcome => run,
        status = child.wait() => Err(format!("{name} exited before answering: {status:?}")),
        _ = tokio::time::sleep(Duration::from_secs(30)) => Err(format!("{name} did not answer within 30 s")),
    };
    let _ = child.kill().await;
    server.abort();
    result
}

/// Runs `binary` with `event` as its one invocation and returns what it answered.
pub async fn invoke_binary(binary: &Path, event: &str, env: &[(&str, &str)]) -> Result<Value, String> {
    let run = run_binary(binary, &[event.to_string()], env).await?;
    run.answers.into_iter().next().unwrap_or_else(|| Err("no answer".into()))
}

/// `VmHWM` of a live process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
