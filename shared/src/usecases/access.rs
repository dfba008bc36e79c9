//! Who may act in an org. A route under `/v1/orgs/{org_id}` answers 404 when the org
//! does not exist or the caller has no standing in it (so strangers learn nothing),
//! and 403 only when the caller is an administrator there but lacks what the route
//! needs. Standing is decided at the request's instant: time-limited access that has
//! ended is no standing, whether or not anything has cleaned it up yet.

use super::Context;
use chrono::{DateTime, Utc};

use crate::domain::{Actor, Administrator, AuditAction, AuditEntry, Caller, Org, OrgId, Permission};
use crate::error::{AppError, Result};
use crate::store::{ChangeAdmin, DynamoStore};

pub struct Standing {
    pub org: Org,
    pub admin: Administrator,
}

impl Standing {
    /// Who the audit log names for a change this administrator makes.
    pub fn actor(&self, caller: &Caller) -> Actor {
        Actor::through(caller, self.admin.granted_via.as_ref())
    }
}

pub fn no_standing() -> AppError {
    AppError::not_found("organization not found")
}

pub async fn admin_of(cx: &Context<'_>, caller: &Caller, org_id: &OrgId) -> Result<Standing> {
    let admin = cx.store.get_admin(org_id, &caller.sub).await?.ok_or_else(no_standing)?;
    // Ended access is no standing from its instant on; recording it as
    // `admin.expired` is left to the readers of the administrators and the log.
    if !admin.is_current(cx.clock.now()) {
        return Err(no_standing());
    }
    let org = cx.store.get_org(org_id).await?.ok_or_else(no_standing)?;
    Ok(Standing { org, admin })
}

pub async fn full_admin_of(cx: &Context<'_>, caller: &Caller, org_id: &OrgId) -> Result<Standing> {
    let standing = admin_of(cx, caller, org_id).await?;
    if !standing.admin.is_full() {
        return Err(AppError::forbidden("this requires full administrator access"));
    }
    Ok(standing)
}

pub async fn admin_with(
    cx: &Context<'_>,
    caller: &Caller,
    org_id: &OrgId,
    permission: Permission,
) -> Result<Standing> {
    let standing = admin_of(cx, caller, org_id).await?;
    require(&standing, permission)?;
    Ok(standing)
}

/// 403 unless the administrator has full access or the permission.
pub fn require(standing: &Standing, permission: Permission) -> Result<()> {
    if standing.admin.can(permission) {
        return Ok(());
    }
    let name = serde_json::to_value(permission).unwrap_or_default();
    Err(AppError::forbidden(format!(
        "this requires full access or the {} permission",
        name.as_str().unwrap_or("required")
    )))
}

/// Any administrator of a partner-badged org; 403 `not_a_partner` otherwise.
pub async fn partner_admin_of(cx: &Context<'_>, caller: &Caller, partner: &OrgId) -> Result<Standing> {
    let standing = admin_of(cx, caller, partner).await?;
    if !standing.org.is_partner() {
        return Err(AppError::NotAPartner);
    }
    Ok(standing)
}

/// An administrator of a partner-badged org with full access or `permission`
/// (`None`: full access only); 403 `not_a_partner` otherwise.
pub async fn partner_admin_with(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    permission: Option<Permission>,
) -> Result<Standing> {
    let standing = partner_admin_of(cx, caller, partner).await?;
    match permission {
        Some(permission) => require(&standing, permission)?,
        None if !standing.admin.is_full() => {
            return Err(AppError::forbidden("this requires full administrator access"))
        }
        None => {}
    }
    Ok(standing)
}

/// Records an ended time-limited access as `admin.expired` (at the instant it ended)
/// and removes the record, in one transaction. The entry's id is derived from the
/// record, so any number of requests settling it at once write it once. Standing
/// never waits for this: it is decided by the clock.
pub async fn settle_expired(store: &DynamoStore, admin: &Administrator, now: DateTime<Utc>) {
    let Some(ended) = admin.access_expires_at.filter(|end| *end <= now) else { return };
    let name = format!("admin.expired:{}:{}:{}", admin.org_id, admin.sub, ended.timestamp_millis());
    let entry = AuditEntry::new(
        &admin.org_id,
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()),
        ended,
        Actor::system(),
        AuditAction::AdminExpired,
        admin.email.as_str(),
        serde_json::json!({"access": admin.access, "access_expires_at": ended}),
    );
    match store.change_admin(admin, None, false, None, &entry).await {
        Ok(ChangeAdmin::Changed) => tracing::info!(org_id = %admin.org_id, "expired administrator settled"),
        // Another request settled it, or it was changed meanwhile.
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(org_id = %admin.org_id, %error, "settling an expired administrator failed")
        }
    }
}

/// The org's administrators whose standing holds at `now`; ended time-limited
/// access is settled on the way.
pub async fn current_admins(
    store: &DynamoStore,
    org: &OrgId,
    now: DateTime<Utc>,
) -> Result<Vec<Administrator>> {
    let mut current = Vec::new();
    for admin in store.admins_of(org).await? {
        if admin.is_current(now) {
            current.push(admin);
        } else {
            settle_expired(store, &admin, now).await;
        }
    }
    Ok(current)
}
