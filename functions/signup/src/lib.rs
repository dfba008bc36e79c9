//! Accounts and partner programs: the request in, a use-case call, the answer out.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::ports::JoinProgram;
use partner_hub::usecases::{add_customer, join_program, sign_up, who_am_i};
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/signup" => {
            let caller = call.caller()?;
            let input = call.json()?;
            let org =
                sign_up::sign_up(&app.store, app.clock.as_ref(), app.ids.as_ref(), caller, input).await?;
            Ok(ApiResponse::created(&org))
        }
        "GET /v1/me" => {
            let me =
                who_am_i::who_am_i(&app.store, app.clock.as_ref(), app.ids.as_ref(), call.caller()?).await?;
            Ok(ApiResponse::ok(&me))
        }
        "POST /v1/orgs/{org_id}/programs" => {
            let caller = call.caller()?;
            let org_id = call.org_id_param("org_id")?;
            let joined = join_program::join_program(
                &app.store,
                app.clock.as_ref(),
                app.ids.as_ref(),
                caller,
                &org_id,
                call.json()?,
            )
            .await?;
            let status = match joined {
                JoinProgram::Joined(_) => 201,
                JoinProgram::AlreadyMember(_) => 200,
            };
            Ok(ApiResponse::json(status, joined.org()))
        }
        "POST /v1/orgs/{org_id}/customers" => {
            let partner = call.org_id_param("org_id")?;
            let added =
                add_customer::add_customer(&app.connection_ports(), call.caller()?, &partner, call.json()?)
                    .await?;
            Ok(ApiResponse::created(&added))
        }
        other => Err(AppError::not_found(format!("signup does not serve {other}"))),
    }
}
