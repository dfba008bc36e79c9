//! The local stack: the template's table, bus, rules and mail identity created in
//! DynamoDB Local and moto, and an HTTP server on localhost that routes like the
//! deployed API Gateway, delivers bus events, reads the table's stream and runs
//! schedules.

pub mod body_limit;
pub mod bus;
pub mod console;
pub mod emails;
pub mod filter;
pub mod gateway;
pub mod jwt;
pub mod local_routes;
pub mod relay;
pub mod runtime_api;
pub mod setup;
pub mod stream;
pub mod template;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use partner_hub::config::Config;
use partner_hub::runtime::Route;
use partner_hub::App;

use bus::{Background, EventHandler};
use gateway::{Gateway, Handler};
use template::Template;

#[derive(Debug, Clone)]
pub struct LocalOptions {
    pub config: Config,
    pub jwt_secret: String,
    /// moto's base URL (EventBridge and SES v2), for `/local/emails`.
    pub moto_endpoint: String,
}

/// An HTTP function's handler: its routes, answered as its `main` would.
fn http_handler(app: &Arc<App>, routes: &'static [Route]) -> Handler {
    let app = Arc::clone(app);
    Arc::new(move |request: lambda_http::Request| {
        let app = Arc::clone(&app);
        Box::pin(async move { partner_hub::runtime::answer(&app, routes, request).await })
            as lambda_http::BoxFuture<'static, _>
    })
}

/// Each HTTP function's handler under its binary name.
pub fn http_handlers(app: &Arc<App>) -> HashMap<String, Handler> {
    function_routes()
        .into_iter()
        .map(|(name, routes)| (name.to_string(), http_handler(app, routes)))
        .collect()
}

/// The template's routes and the functions' own lists of the routes they answer
/// must be the same: a route in one and not the other is named here.
pub fn check_routes(template: &[template::RouteDef], functions: &[(&str, &[Route])]) -> Result<(), String> {
    let declared: std::collections::BTreeSet<(String, String)> =
        template.iter().map(|r| (r.function.clone(), r.route_key())).collect();
    let answered: std::collections::BTreeSet<(String, String)> = functions
        .iter()
        .flat_map(|(name, routes)| routes.iter().map(move |r| (name.to_string(), r.key.to_string())))
        .collect();
    let unanswered: Vec<_> = declared.difference(&answered).collect();
    let undeclared: Vec<_> = answered.difference(&declared).collect();
    if unanswered.is_empty() && undeclared.is_empty() {
        return Ok(());
    }
    Err(format!(
        "template.yaml and the functions' ROUTES differ: in the template only {unanswered:?}; in a function only {undeclared:?}"
    ))
}

/// As Lambda's runtime does, the event is read into the type the handler takes.
macro_rules! event_function {
    ($app:expr, $handle:path) => {{
        let app = Arc::clone(&$app);
        Arc::new(move |event: serde_json::Value| {
            let app = Arc::clone(&app);
            Box::pin(async move {
                let event =
                    serde_json::from_value(event).map_err(|e| format!("the event does not parse: {e}"))?;
                $handle(&app, event).await.map_err(|e| e.to_string())
            }) as lambda_http::BoxFuture<'static, _>
        }) as EventHandler
    }};
}

include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// What `build` started: the router to serve, what it provisioned, and the bus
/// delivery, stream and schedule loops (stopped when this is dropped).
pub struct LocalStack {
    pub router: Router,
    pub provisioned: Vec<String>,
    pub background: Background,
}

/// Creates what the template declares and wires the gateway to one [`App`] built
/// from `sdk`, as each Lambda would build its own.
pub async fn build(
    sdk: &aws_config::SdkConfig,
    template: &Template,
    options: LocalOptions,
) -> Result<LocalStack, String> {
    let app = Arc::new(App::new(sdk, options.config.clone()));
    build_with(app, sdk, template, options).await
}

/// As [`build`], with the functions running on the given `app` (tests use this to
/// put faults between the functions and AWS).
pub async fn build_with(
    app: Arc<App>,
    sdk: &aws_config::SdkConfig,
    template: &Template,
    options: LocalOptions,
) -> Result<LocalStack, String> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let ses = aws_sdk_sesv2::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let s3 =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    let names = setup::Names {
        table: &options.config.table_name,
        bus: &options.config.event_bus_name,
        mail_from: &options.config.mail_from,
        bucket: &options.config.export_bucket,
    };
    let mut provisioned = setup::provision(template, &dynamo, &events, &ses, &s3, &names).await?;
    let rules = template.rules();
    let queues = bus::create_rules(&events, &sqs, names.bus, &rules).await?;
    let failures = bus::failure_queues(&sqs, names.bus, template, &rules).await?;
    for (rule, _) in &queues {
        let retries = failures.get(&rule.name).map_or(0, |f| f.max_retries);
        provisioned.push(format!(
            "rule {} -> {} (delivered through an SQS queue, {retries} retries, then its failure queue)",
            rule.name, rule.function
        ));
    }
    let events_by_function = event_handlers(&app);
    let mut background = Background::default();
    bus::deliver(sqs.clone(), queues, &events_by_function, &failures, &mut background)?;
    let streams = stream::client(sdk);
    for def in template.streams()? {
        let handler = events_by_function
            .get(&def.function)
            .cloned()
            .ok_or_else(|| format!("no handler for function {}", def.function))?;
        let filters = def
            .filters
            .iter()
            .map(filter::Pattern::new)
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("{}: FilterCriteria: {e}", def.name))?;
        // The template's one table (`Template::table`) is the stream's.
        let stream_arn = setup::stream_arn(&dynamo, names.table).await?;
        let dead_letter = match &def.on_failure {
            Some(id) => Some(bus::create_queue(&sqs, &bus::queue_name(names.bus, id)).await?),
            None => None,
        };
        provisioned.push(stream::describe(&def, names.table));
        let source = stream::Source { def, stream_arn, filters, handler, dead_letter };
        stream::poll(streams.clone(), sqs.clone(), source, &mut background);
    }
    let schedules = template.schedules();
    bus::run_schedules(&schedules, &events_by_function, &mut background)?;
    for schedule in &schedules {
        provisioned.push(format!("schedule: {} every {} s", schedule.function, schedule.every.as_secs()));
    }
    check_routes(&template.routes(), &function_routes())?;
    // `/local/schedules/{function}` runs only what the template schedules.
    let scheduled = template.scheduled_functions();
    let scheduled_handlers =
        events_by_function.into_iter().filter(|(function, _)| scheduled.contains(function)).collect();
    let gateway = Gateway::new(
        template.routes(),
        &http_handlers(&app),
        scheduled_handlers,
        options.jwt_secret,
        options.moto_endpoint,
    )?;
    Ok(LocalStack { router: router(Arc::new(gateway)), provisioned, background })
}

/// The local SES's catcher at `/local/ses` (see `emails`): what `make run` and the
/// functions `make invoke-…` runs send their email through.
fn ses_catcher(moto: &str) -> Router {
    let upstream = Arc::new(emails::Upstream { ses: moto.to_string(), http: reqwest::Client::new() });
    // SES v2 takes messages up to 40 MB.
    Router::new().fallback(emails::forward).layer(DefaultBodyLimit::max(40 << 20)).with_state(upstream)
}

/// Where the gateway serves the local SES's catcher.
pub const SES_CATCHER_PATH: &str = "/local/ses";

pub fn router(gateway: Arc<Gateway>) -> Router {
    let catcher = ses_catcher(&gateway.moto_endpoint);
    Router::new()
        .route("/local/token", post(local_routes::mint_token))
        .route("/local/emails", get(local_routes::list_emails))
        .route("/local/schedules/{function}", post(local_routes::run_schedule))
        .fallback(gateway::api)
        // The contract's 64 KiB, answered as the contract says, for every size of body
        // (`body_limit` reads no further); axum's own limit would answer plain text.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(body_limit::limit))
        // Not the API: SES's own limits apply to what the functions send.
        .nest_service(SES_CATCHER_PATH, catcher)
        .with_state(gateway)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(function: &str, method: &str, path: &str) -> template::RouteDef {
        template::RouteDef {
            method: method.into(),
            path: path.into(),
            function: function.into(),
            public: false,
        }
    }

    async fn never(
        _: &App,
        _: partner_hub::http::ApiCall,
    ) -> partner_hub::error::Result<partner_hub::http::ApiResponse> {
        Err(partner_hub::AppError::not_found("unused"))
    }

    #[test]
    fn the_template_and_the_functions_name_the_same_routes() {
        let me: &[Route] = partner_hub::routes!["GET /v1/me" => never];
        let both: &[Route] = partner_hub::routes!["GET /v1/me" => never, "POST /v1/signup" => never];
        let template = [route("signup", "GET", "/v1/me"), route("signup", "POST", "/v1/signup")];
        assert!(check_routes(&template, &[("signup", both)]).is_ok());
        let missing = check_routes(&template, &[("signup", me)]).unwrap_err();
        assert!(missing.contains("POST /v1/signup"), "{missing}");
        let extra = check_routes(&template[..1], &[("signup", both)]).unwrap_err();
        assert!(extra.contains("in a function only") && extra.contains("POST /v1/signup"), "{extra}");
        let elsewhere = check_routes(&template[..1], &[("admins", me)]).unwrap_err();
        assert!(elsewhere.contains("admins"), "{elsewhere}");
    }

    #[test]
    fn every_function_of_the_template_has_its_handler() {
        let template = template::Template::load_default().unwrap();
        let http: std::collections::BTreeSet<_> = function_routes().into_iter().map(|(n, _)| n).collect();
        for (binary, is_http) in template.function_kinds() {
            assert_eq!(http.contains(binary.as_str()), is_http, "{binary}");
        }
        check_routes(&template.routes(), &function_routes()).unwrap();
    }
}
