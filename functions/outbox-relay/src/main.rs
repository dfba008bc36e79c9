#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_events(outbox_relay::handle, outbox_relay::CLIENTS).await
}
