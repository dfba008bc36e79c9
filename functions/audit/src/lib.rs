//! The audit log: `GET /v1/orgs/{org_id}/audit-log`. Entries are written by the
//! transactions of the changes they record, in every function; this one only reads.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::audit::{self, AuditQuery};
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "GET /v1/orgs/{org_id}/audit-log" => {
            let org = call.org_id_param("org_id")?;
            let query =
                AuditQuery { from: call.query("from"), to: call.query("to"), action: call.query("action") };
            let entries =
                audit::audit_log(&app.audit_ports(), call.caller()?, &org, &query, &call.page()?).await?;
            Ok(ApiResponse::ok(&entries))
        }
        other => Err(AppError::not_found(format!("audit does not serve {other}"))),
    }
}
