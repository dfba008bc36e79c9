#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    partner_hub::runtime::run_routes(customer_dashboard::ROUTES, customer_dashboard::CLIENTS).await
}
