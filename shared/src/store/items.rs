//! The table's item shapes. Each carries its keys and an `entity` naming its type;
//! conversion to and from the domain happens here and nowhere else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys;
use crate::domain::{Access, Administrator, Email, Org, OrgId, Permission, Program, Tenancy};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub org_id: OrgId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub tenancy: Tenancy,
    #[serde(default)]
    pub programs: Vec<Program>,
    pub created_at: DateTime<Utc>,
}

impl OrgItem {
    pub const ENTITY: &'static str = "Org";
}

impl From<&Org> for OrgItem {
    fn from(org: &Org) -> Self {
        Self {
            pk: keys::org_pk(&org.org_id),
            sk: keys::ORG_PROFILE_SK.to_string(),
            entity: Self::ENTITY.to_string(),
            org_id: org.org_id.clone(),
            name: org.name.clone(),
            country: org.country.clone(),
            tenancy: org.tenancy,
            programs: org.programs.clone(),
            created_at: org.created_at,
        }
    }
}

impl From<OrgItem> for Org {
    fn from(item: OrgItem) -> Self {
        Self {
            org_id: item.org_id,
            name: item.name,
            country: item.country,
            tenancy: item.tenancy,
            programs: item.programs,
            created_at: item.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
    pub entity: String,
    pub org_id: OrgId,
    pub sub: String,
    pub email: Email,
    pub access: Access,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    pub added_at: DateTime<Utc>,
}

impl AdminItem {
    pub const ENTITY: &'static str = "Administrator";
}

impl From<&Administrator> for AdminItem {
    fn from(admin: &Administrator) -> Self {
        Self {
            pk: keys::org_pk(&admin.org_id),
            sk: keys::admin_sk(&admin.sub),
            gsi1pk: keys::user_gsi1pk(&admin.sub),
            gsi1sk: keys::org_pk(&admin.org_id),
            entity: Self::ENTITY.to_string(),
            org_id: admin.org_id.clone(),
            sub: admin.sub.clone(),
            email: admin.email.clone(),
            access: admin.access,
            permissions: admin.permissions.clone(),
            added_at: admin.added_at,
        }
    }
}

impl From<AdminItem> for Administrator {
    fn from(item: AdminItem) -> Self {
        Self {
            org_id: item.org_id,
            sub: item.sub,
            email: item.email,
            access: item.access,
            permissions: item.permissions,
            added_at: item.added_at,
        }
    }
}
