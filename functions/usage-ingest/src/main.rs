#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(usage_ingest::ROUTES, usage_ingest::CLIENTS).await
}
