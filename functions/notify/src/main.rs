// The typed event and notify's deep future nest past the default limit when laid out.
#![recursion_limit = "256"]

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_events(notify::handle, notify::CLIENTS).await
}
