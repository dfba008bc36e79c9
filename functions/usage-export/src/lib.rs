//! Usage trends (JSON or CSV) for one org and service, and the partner-wide export.

use partner_hub::app::Client;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::usage_report::{self, MonthRange};
use partner_hub::usecases::{usage_csv, usage_export};
use partner_hub::App;

fn wants_csv(call: &ApiCall) -> bool {
    call.query("format") == Some("csv") || call.header("accept").is_some_and(|a| a.contains("text/csv"))
}

fn range(app: &App, call: &ApiCall) -> Result<MonthRange> {
    MonthRange::parse(call.query("from"), call.query("to"), app.clock.now().date_naive())
}

fn answer(
    call: &ApiCall,
    org: &partner_hub::domain::Org,
    rollups: usage_report::Rollups,
    range: &MonthRange,
) -> Result<ApiResponse> {
    if !wants_csv(call) {
        return Ok(ApiResponse::ok(&rollups.trend()));
    }
    let mut body = usage_csv::header()?;
    body.extend(usage_csv::rows(org, &rollups)?);
    let filename = format!(
        "usage-{}-{}-{}-{}.csv",
        org.org_id,
        rollups.service,
        partner_hub::domain::month_of(range.from),
        partner_hub::domain::month_of(range.to)
    );
    let text = String::from_utf8(body).map_err(AppError::internal)?;
    Ok(ApiResponse::text(200, "text/csv; charset=utf-8", text)
        .with_header("content-disposition", format!("attachment; filename=\"{filename}\"")))
}

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE, Client::EXPORTS];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/orgs/{org_id}/customers/{customer_id}/usage" => get_customers_by_customer_usage,
    "GET /v1/orgs/{org_id}/usage" => get_usage,
    "GET /v1/orgs/{org_id}/usage.csv" => get_usage_csv,
];

async fn get_customers_by_customer_usage(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let (partner, customer) = (call.org_id_param("org_id")?, call.org_id_param("customer_id")?);
    let range = range(app, &call)?;
    let (org, rollups) = usage_report::for_partner(
        &app.context(),
        call.caller()?,
        &partner,
        &customer,
        call.query("service"),
        &range,
    )
    .await?;
    answer(&call, &org, rollups, &range)
}

async fn get_usage(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org_id = call.org_id_param("org_id")?;
    let range = range(app, &call)?;
    let (org, rollups) =
        usage_report::for_org(&app.context(), call.caller()?, &org_id, call.query("service"), &range).await?;
    answer(&call, &org, rollups, &range)
}

async fn get_usage_csv(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let range = range(app, &call)?;
    let exported =
        usage_export::export(&app.context(), app.exports()?, call.caller()?, &partner, &range).await?;
    // API Gateway cannot stream and caps answers at 6 MB: the file is in S3 and
    // the answer sends the client there.
    Ok(ApiResponse::json(303, &exported).with_header("location", exported.url.clone()))
}
