//! `make run`'s server: provisions the template's table, bus and mail identity in the
//! local DynamoDB and moto, then serves the API on http://localhost:$PORT.

use std::process::ExitCode;

use local_gateway::template::Template;
use local_gateway::{jwt, LocalOptions};
use partner_hub::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    partner_hub::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("partner-hub-local: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let config = Config::from_lookup(|name| {
        std::env::var(name).ok().or_else(|| match name {
            "TABLE_NAME" => Some("partner-hub".into()),
            "PUBLIC_BASE_URL" => Some(format!("http://localhost:{port}")),
            "LOCAL_TOKEN_PATH" => Some("/local/token".into()),
            "S3_FORCE_PATH_STYLE" => Some("true".into()),
            _ => None,
        })
    })
    .map_err(|e| e.to_string())?;
    let options = LocalOptions {
        config,
        jwt_secret: env("LOCAL_JWT_SECRET", jwt::DEFAULT_SECRET),
        moto_endpoint: env("AWS_ENDPOINT_URL_SESV2", "http://127.0.0.1:5000"),
    };

    // Bind first: a second `make run` learns at once that one is already serving.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        format!(
            "cannot listen on http://localhost:{port} ({e}); is another `make run` already serving there?"
        )
    })?;
    let template = Template::load_default()?;
    let sdk = partner_hub::sdk::load().await.map_err(|e| e.to_string())?;
    // The functions send email through the gateway's catcher of the local SES, which
    // `/local/emails` lists; provisioning talks to moto itself (the gateway does not
    // serve yet).
    let catcher = format!("http://127.0.0.1:{port}{}", local_gateway::SES_CATCHER_PATH);
    let app = partner_hub::App::new(
        &local_gateway::emails::with_ses_endpoint(&sdk, &catcher),
        options.config.clone(),
    );
    let stack = local_gateway::build_with(std::sync::Arc::new(app), &sdk, &template, options).await?;
    for line in &stack.provisioned {
        println!("  {line}");
    }
    println!(
        "Partner Hub API on http://localhost:{port}  ({} routes from template.yaml)",
        template.routes().len()
    );
    println!(
        "  mint a token: curl -s -XPOST localhost:{port}/local/token -d '{{\"email\":\"you@example.com\"}}'"
    );
    println!("  sent email:   curl -s localhost:{port}/local/emails");
    println!("  run a schedule now: curl -s -XPOST localhost:{port}/local/schedules/usage-rollup");
    axum::serve(listener, stack.router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
