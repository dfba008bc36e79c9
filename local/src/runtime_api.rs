//! A one-shot stand-in for the Lambda Runtime API, so a function's real binary (its
//! `main`, config and clients included) can be run against a sample event.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, Mutex};

const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000001";

struct Runtime {
    event: Mutex<Option<String>>,
    outcome: mpsc::Sender<Result<Value, String>>,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> Response {
    let Some(event) = runtime.event.lock().await.take() else {
        // One invocation only: later polls wait until the binary is stopped.
        std::future::pending::<()>().await;
        return StatusCode::GONE.into_response();
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", REQUEST_ID.to_string()),
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
    let _ = runtime.outcome.send(parsed).await;
    StatusCode::ACCEPTED
}

async fn error(State(runtime): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    let _ = runtime.outcome.send(Err(String::from_utf8_lossy(&body).into_owned())).await;
    StatusCode::ACCEPTED
}

/// Runs `binary` with `event` as its one invocation and returns what it answered.
pub async fn invoke_binary(binary: &Path, event: &str, env: &[(&str, &str)]) -> Result<Value, String> {
    let (outcome, mut outcomes) = mpsc::channel(2);
    let runtime = Arc::new(Runtime { event: Mutex::new(Some(event.to_string())), outcome });
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
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let result = tokio::select! {
        outcome = outcomes.recv() => outcome.unwrap_or_else(|| Err("the runtime stopped".into())),
        status = child.wait() => Err(format!("{name} exited before answering: {status:?}")),
        _ = tokio::time::sleep(Duration::from_secs(30)) => Err(format!("{name} did not answer within 30 s")),
    };
    let _ = child.kill().await;
    server.abort();
    result
}
