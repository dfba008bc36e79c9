#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(csp::ROUTES, csp::CLIENTS).await
}
