#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(invite_link::ROUTES, invite_link::CLIENTS).await
}
