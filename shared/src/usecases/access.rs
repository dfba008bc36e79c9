//! Who may act in an org. A route under `/v1/orgs/{org_id}` answers 404 when the org
//! does not exist or the caller has no standing in it (so strangers learn nothing),
//! and 403 only when the caller is an administrator there but lacks what the route needs.

use crate::domain::{Administrator, Caller, Org, OrgId, Permission};
use crate::error::{AppError, Result};
use crate::ports::OrgStore;

pub struct Standing {
    pub org: Org,
    pub admin: Administrator,
}

pub async fn admin_of(store: &dyn OrgStore, caller: &Caller, org_id: &OrgId) -> Result<Standing> {
    let not_found = || AppError::not_found("organization not found");
    let admin = store.get_admin(org_id, &caller.sub).await?.ok_or_else(not_found)?;
    let org = store.get_org(org_id).await?.ok_or_else(not_found)?;
    Ok(Standing { org, admin })
}

pub async fn full_admin_of(store: &dyn OrgStore, caller: &Caller, org_id: &OrgId) -> Result<Standing> {
    let standing = admin_of(store, caller, org_id).await?;
    if !standing.admin.is_full() {
        return Err(AppError::forbidden("this requires full administrator access"));
    }
    Ok(standing)
}

pub async fn admin_with(
    store: &dyn OrgStore,
    caller: &Caller,
    org_id: &OrgId,
    permission: Permission,
) -> Result<Standing> {
    let standing = admin_of(store, caller, org_id).await?;
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

/// An administrator of a partner-badged org; 403 `not_a_partner` otherwise.
pub async fn partner_admin_with(
    store: &dyn OrgStore,
    caller: &Caller,
    partner: &OrgId,
    permission: Option<Permission>,
) -> Result<Standing> {
    let standing = admin_of(store, caller, partner).await?;
    if !standing.org.is_partner() {
        return Err(AppError::NotAPartner);
    }
    match permission {
        Some(permission) => require(&standing, permission)?,
        None if !standing.admin.is_full() => {
            return Err(AppError::forbidden("this requires full administrator access"))
        }
        None => {}
    }
    Ok(standing)
}
