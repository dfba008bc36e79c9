//! `GET /v1/me`: the caller and the orgs they administer.

use super::Context;
use serde::Serialize;

use crate::domain::{Access, Actor, AuditAction, AuditEntry, Caller, OrgId, Permission, Program};
use crate::error::Result;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Me {
    pub email: String,
    pub orgs: Vec<MyOrg>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct MyOrg {
    pub org_id: OrgId,
    pub name: String,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub programs: Vec<Program>,
}

/// The caller's orgs. An account a partner created for the caller's (verified)
/// email becomes theirs here, on their first look.
pub async fn who_am_i(cx: &Context<'_>, caller: &Caller) -> Result<Me> {
    let now = cx.clock.now();
    let audit = |org: &OrgId| {
        AuditEntry::new(
            org,
            cx.ids.uuid(),
            now,
            Actor::person(caller),
            AuditAction::AdminAccepted,
            caller.email.as_str(),
            serde_json::json!({"access": Access::Full, "as": "contact of an account a partner created"}),
        )
    };
    cx.store.claim_pending_admin(&caller.sub, &caller.email, now, &audit).await?;
    let orgs = cx
        .store
        .orgs_of_admin(&caller.sub)
        .await?
        .into_iter()
        .filter(|(admin, _)| admin.is_current(now))
        .map(|(admin, org)| MyOrg {
            org_id: org.org_id,
            name: org.name,
            access: admin.access,
            permissions: admin.permissions,
            programs: org.programs,
        })
        .collect();
    Ok(Me { email: caller.email.to_string(), orgs })
}
