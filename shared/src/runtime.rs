//! What every function's `main` does: JSON logs, config and AWS clients once per cold
//! start, then the Lambda runtime loop around the function's handler.

use std::convert::Infallible;
use std::future::Future;

use lambda_http::{service_fn, Body, Request, Response};

use crate::App;

/// Runs an HTTP API function. The [`App`] lives as long as the execution environment,
/// so it is leaked once rather than reference-counted on every request.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static App, Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    crate::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(|request: Request| {
        let answer = handler(app, request);
        async move { Ok::<_, Infallible>(answer.await) }
    }))
    .await
}

/// Runs a function invoked with a JSON event (an EventBridge rule's target, a
/// schedule). An error fails the invocation, so Lambda's retries apply.
pub async fn run_events<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static App, serde_json::Value) -> Fut,
    Fut: Future<Output = crate::error::Result<serde_json::Value>> + Send,
{
    crate::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_runtime::run(service_fn(|event: lambda_runtime::LambdaEvent<serde_json::Value>| {
        let answer = handler(app, event.payload);
        async move {
            answer.await.map_err(|error| {
                crate::http::log_error(&error, "event");
                lambda_runtime::Diagnostic {
                    error_type: error.code().to_string(),
                    error_message: error.public_message(),
                }
            })
        }
    }))
    .await
}
