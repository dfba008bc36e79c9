//! Notifications: an org's own, and a partner's view of its customers' notifications.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::notifications;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/orgs/{org_id}/notifications" => get_notifications,
    "GET /v1/orgs/{org_id}/customer-notifications" => get_customer_notifications,
    "POST /v1/orgs/{org_id}/customer-notifications/{notification_id}/dismiss" => post_customer_notifications_by_notification_dismiss,
];

async fn get_notifications(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let page = notifications::own(&app.context(), call.caller()?, &org, &call.page()?).await?;
    Ok(call.answer_page(&page))
}

async fn get_customer_notifications(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let page = notifications::customer_feed(
        &app.context(),
        call.caller()?,
        &partner,
        call.query("customer_id"),
        &call.page()?,
    )
    .await?;
    Ok(call.answer_page(&page))
}

async fn post_customer_notifications_by_notification_dismiss(
    app: &App,
    call: ApiCall,
) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let id = call.path_param("notification_id")?;
    notifications::dismiss(&app.context(), call.caller()?, &partner, id).await?;
    Ok(ApiResponse::no_content())
}
