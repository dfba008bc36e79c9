#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_http(add_service::handle).await
}
