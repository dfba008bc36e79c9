#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_events(usage_rollup::handle, usage_rollup::CLIENTS).await
}
