//! `GET /v1/me`: the caller and the orgs they administer.

use serde::Serialize;

use crate::domain::{Access, Caller, OrgId, Permission, Program};
use crate::error::Result;
use crate::ports::OrgStore;

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

pub async fn who_am_i(store: &dyn OrgStore, caller: &Caller) -> Result<Me> {
    let orgs = store
        .orgs_of_admin(&caller.sub)
        .await?
        .into_iter()
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
