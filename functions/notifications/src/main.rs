#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(notifications::ROUTES, notifications::CLIENTS).await
}
