//! Accounts and partner programs: the request in, a use-case call, the answer out.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::store::JoinProgram;
use partner_hub::usecases::{add_customer, join_program, sign_up, who_am_i};
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/signup" => post_signup,
    "GET /v1/me" => get_me,
    "POST /v1/orgs/{org_id}/programs" => post_programs,
    "POST /v1/orgs/{org_id}/customers" => post_customers,
];

async fn post_signup(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let caller = call.caller()?;
    let input = call.json()?;
    let org = sign_up::sign_up(&app.context(), caller, input).await?;
    Ok(ApiResponse::created(&org))
}

async fn get_me(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let me = who_am_i::who_am_i(&app.context(), call.caller()?).await?;
    Ok(ApiResponse::ok(&me))
}

async fn post_programs(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let caller = call.caller()?;
    let org_id = call.org_id_param("org_id")?;
    let joined = join_program::join_program(&app.context(), caller, &org_id, call.json()?).await?;
    let status = match joined {
        JoinProgram::Joined(_) => 201,
        JoinProgram::AlreadyMember(_) => 200,
    };
    Ok(ApiResponse::json(status, joined.org()))
}

async fn post_customers(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let added = add_customer::add_customer(&app.context(), call.caller()?, &partner, call.json()?).await?;
    Ok(ApiResponse::created(&added))
}
