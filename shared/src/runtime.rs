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
