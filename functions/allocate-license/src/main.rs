#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(allocate_license::ROUTES, allocate_license::CLIENTS).await
}
