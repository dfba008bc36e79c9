//! The local stack: the template's table and bus created in DynamoDB Local and moto,
//! and an HTTP server on localhost that routes like the deployed API Gateway.

pub mod emails;
pub mod gateway;
pub mod jwt;
pub mod local_routes;
pub mod runtime_api;
pub mod setup;
pub mod template;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use partner_hub::config::Config;
use partner_hub::App;

use gateway::{Gateway, Handler};
use template::Template;

/// API Gateway's own payload limit; the functions enforce the contract's 64 KiB.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct LocalOptions {
    pub config: Config,
    pub jwt_secret: String,
    /// moto's base URL (EventBridge and SES v2), for `/local/emails`.
    pub moto_endpoint: String,
}

macro_rules! http_function {
    ($app:expr, $handle:path) => {{
        let app = Arc::clone(&$app);
        Arc::new(move |request: lambda_http::Request| {
            let app = Arc::clone(&app);
            Box::pin(async move { $handle(&app, request).await }) as lambda_http::BoxFuture<'static, _>
        }) as Handler
    }};
}

/// Each function's handler under its cargo-lambda binary name.
pub fn function_handlers(app: Arc<App>) -> HashMap<String, Handler> {
    HashMap::from([("signup".to_string(), http_function!(app, signup::handle))])
}

/// Creates what the template declares and returns the gateway's router, plus a line
/// for each thing provisioned.
pub async fn build(
    sdk: &aws_config::SdkConfig,
    template: &Template,
    options: LocalOptions,
) -> Result<(Router, Vec<String>), String> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let ses = aws_sdk_sesv2::Client::new(sdk);
    let provisioned = setup::provision(
        template,
        &dynamo,
        &events,
        &ses,
        &setup::Names {
            table: &options.config.table_name,
            bus: &options.config.event_bus_name,
            mail_from: &options.config.mail_from,
        },
    )
    .await?;
    let app = Arc::new(App::new(sdk, options.config.clone()));
    let gateway =
        Gateway::new(template.routes(), &function_handlers(app), options.jwt_secret, options.moto_endpoint)?;
    Ok((router(Arc::new(gateway)), provisioned))
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/local/token", post(local_routes::mint_token))
        .route("/local/emails", get(local_routes::list_emails))
        .fallback(gateway::api)
        .layer(DefaultBodyLimit::max(GATEWAY_BODY_LIMIT))
        .with_state(gateway)
}
