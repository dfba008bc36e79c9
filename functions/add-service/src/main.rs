#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(add_service::ROUTES, add_service::CLIENTS).await
}
