#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(accept_connection::ROUTES, accept_connection::CLIENTS).await
}
