#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_events(entitlement_expiry::handle, entitlement_expiry::CLIENTS).await
}
