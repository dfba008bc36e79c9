//! The audit log: `GET /v1/orgs/{org_id}/audit-log`. Entries are written by the
//! transactions of the changes they record, in every function; this one only reads.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::audit::{self, AuditQuery};
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/orgs/{org_id}/audit-log" => get_audit_log,
];

async fn get_audit_log(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let query = AuditQuery { from: call.query("from"), to: call.query("to"), action: call.query("action") };
    let entries = audit::audit_log(&app.context(), call.caller()?, &org, &query, &call.page()?).await?;
    Ok(call.answer_page(&entries))
}
