//! `POST /v1/signup`: a new standard org whose first full administrator is the caller.

use super::Context;
use serde::Deserialize;

use crate::domain::{Actor, Administrator, AuditAction, AuditEntry, Caller, Country, Org, OrgName, Tenancy};
use crate::error::{AppError, Result};
use crate::store::CreateOrg;

/// Random ORGIDs collide rarely; a few fresh draws settle any race.
const MAX_ORG_ID_DRAWS: usize = 10;

#[derive(Debug, Deserialize)]
pub struct SignUp {
    pub name: String,
    #[serde(default)]
    pub country: Option<String>,
}

pub async fn sign_up(cx: &Context<'_>, caller: &Caller, input: SignUp) -> Result<Org> {
    let name = OrgName::parse("name", &input.name)?.into_inner();
    let country = input.country.as_deref().map(Country::parse).transpose()?.map(Country::into_inner);
    let now = cx.clock.now();
    for _ in 0..MAX_ORG_ID_DRAWS {
        let org = Org {
            org_id: cx.ids.org_id(),
            name: name.clone(),
            country: country.clone(),
            tenancy: Tenancy::Standard,
            programs: Vec::new(),
            created_at: now,
        };
        let admin = Administrator::full(org.org_id.clone(), caller.sub.clone(), caller.email.clone(), now);
        let audit = AuditEntry::new(
            &org.org_id,
            cx.ids.uuid(),
            now,
            Actor::person(caller),
            AuditAction::OrgCreated,
            org.org_id.to_string(),
            serde_json::json!({"name": org.name, "tenancy": org.tenancy}),
        );
        match cx.store.create_org(&org, &admin, &[audit]).await? {
            CreateOrg::Created => {
                tracing::info!(org_id = %org.org_id, "org created");
                return Ok(org);
            }
            CreateOrg::OrgIdTaken => continue,
        }
    }
    Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
}
