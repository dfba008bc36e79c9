//! What every function's `main` does: JSON logs, config and AWS clients once per cold
//! start, then the Lambda runtime loop around the function's handler. An HTTP
//! function is its routes, as data: `template.yaml`'s route keys, each with the
//! function that answers it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use lambda_http::{service_fn, Body, Request, Response};

use crate::app::Client;
use crate::error::{AppError, Result};
use crate::http::{self, ApiCall, ApiResponse};
use crate::App;

/// What answers a route: the call in, a use-case call, the answer out.
pub type Answer =
    for<'a> fn(&'a App, ApiCall) -> Pin<Box<dyn Future<Output = Result<ApiResponse>> + Send + 'a>>;

/// One route: API Gateway's route key (as `template.yaml` names it) and its answer.
pub struct Route {
    pub key: &'static str,
    pub answer: Answer,
}

/// A function's routes: `routes!["GET /v1/me" => me, ...]`, each answer an
/// `async fn(&App, ApiCall) -> Result<ApiResponse>`.
#[macro_export]
macro_rules! routes {
    ($($key:literal => $answer:path),* $(,)?) => {
        &[$($crate::runtime::Route { key: $key, answer: |app, call| Box::pin($answer(app, call)) }),*]
    };
}

/// Answers one API request with the route it was sent to, through the contract's
/// conventions (`http::serve`); a route this function does not serve is 404.
pub async fn answer(app: &App, routes: &[Route], request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| async move {
        match routes.iter().find(|route| route.key == call.route_key) {
            Some(route) => (route.answer)(app, call).await,
            None => Err(AppError::not_found(format!("no route {}", call.route_key))),
        }
    })
    .await
}

/// Runs an HTTP API function made of `routes`, which call `clients`.
pub async fn run_routes(
    routes: &'static [Route],
    clients: &'static [Client],
) -> std::result::Result<(), lambda_http::Error> {
    run_http(clients, move |app, request| answer(app, routes, request)).await
}

/// Reads the function's settings and returns its [`App`], built once per execution
/// environment: a `LazyLock` that the first invocation (or init, see below) forces. The
/// app lives as long as the environment, so it is leaked once rather than
/// reference-counted on every request.
///
/// Init only reads and checks the settings (the config, the region, the extra trust
/// bundle), so a bad environment still fails init, where Lambda reports it. What
/// cannot fail, building the clients and the app, happens when it is first needed,
/// which depends on how Lambda started the environment:
/// - On demand (a cold start): a request is already waiting when the runtime asks for
///   it, and every millisecond of init is on its path. So init does nothing more; the
///   first invocation builds the app (about half a millisecond) and its own first call
///   opens the connection. A warm-up call would only add a round trip before it.
/// - Ahead of requests (provisioned concurrency): init is on no request's path, and
///   the environment is frozen once it asks for the first request. So init builds the
///   app and makes each client's warm-up call, and the first request finds its
///   connection open.
async fn start(clients: &'static [Client]) -> Result<&'static LazyLock<App, impl FnOnce() -> App + Send>> {
    crate::telemetry::init();
    let config = crate::config::Config::from_env()?;
    let sdk = crate::sdk::load().await?;
    let app = Box::leak(Box::new(LazyLock::new(move || App::for_function(&sdk, config, clients))));
    if initialized_ahead_of_requests() {
        LazyLock::force(app).warm_up(clients).await;
    }
    Ok(app)
}

/// Lambda's `AWS_LAMBDA_INITIALIZATION_TYPE`: `on-demand`, or `provisioned-concurrency`
/// for an environment made before any request needs it.
pub const INITIALIZATION_TYPE: &str = "AWS_LAMBDA_INITIALIZATION_TYPE";

fn initialized_ahead_of_requests() -> bool {
    std::env::var(INITIALIZATION_TYPE).is_ok_and(|kind| kind == "provisioned-concurrency")
}

/// Runs an HTTP API function.
async fn run_http<F, Fut>(
    clients: &'static [Client],
    handler: F,
) -> std::result::Result<(), lambda_http::Error>
where
    F: Fn(&'static App, Request) -> Fut + Sync,
    Fut: Future<Output = Response<Body>> + Send,
{
    let app = start(clients).await?;
    let handler = &handler;
    lambda_http::run(service_fn(|request: Request| async move {
        Ok::<_, Infallible>(handler(LazyLock::force(app), request).await)
    }))
    .await
}

/// Runs a function invoked with an event of type `E` (an EventBridge rule's target,
/// a schedule, a stream's batch), which calls `clients`. An error fails the
/// invocation, so Lambda's retries apply.
pub async fn run_events<E, F, Fut>(
    handler: F,
    clients: &'static [Client],
) -> std::result::Result<(), lambda_http::Error>
where
    E: serde::de::DeserializeOwned + Send + 'static,
    F: Fn(&'static App, E) -> Fut + Sync,
    Fut: Future<Output = Result<serde_json::Value>> + Send,
{
    let app = start(clients).await?;
    let handler = &handler;
    lambda_runtime::run(service_fn(|event: lambda_runtime::LambdaEvent<E>| async move {
        handler(LazyLock::force(app), event.payload).await.map_err(|error| {
            crate::http::log_error(&error, "event");
            lambda_runtime::Diagnostic {
                error_type: error.code().to_string(),
                error_message: error.public_message(),
            }
        })
    }))
    .await
}
