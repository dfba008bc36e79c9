use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, OrgId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Full,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "customer-dashboard.view")]
    CustomerDashboardView,
    #[serde(rename = "licensing.view")]
    LicensingView,
    #[serde(rename = "notifications.view")]
    NotificationsView,
    #[serde(rename = "services.manage")]
    ServicesManage,
}

/// A person's standing in one org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administrator {
    pub org_id: OrgId,
    pub sub: String,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub added_at: DateTime<Utc>,
}

impl Administrator {
    pub fn full(org_id: OrgId, sub: String, email: Email, added_at: DateTime<Utc>) -> Self {
        Self { org_id, sub, email, access: Access::Full, permissions: Vec::new(), added_at }
    }

    pub fn is_full(&self) -> bool {
        self.access == Access::Full
    }

    /// Full access can do everything an administrator can.
    pub fn can(&self, permission: Permission) -> bool {
        self.is_full() || self.permissions.contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(access: Access, permissions: Vec<Permission>) -> Administrator {
        Administrator {
            org_id: OrgId::from_number(1),
            sub: "sub".into(),
            email: Email::parse("a@example.com").unwrap(),
            access,
            permissions,
            added_at: Utc::now(),
        }
    }

    #[test]
    fn full_access_can_do_everything() {
        let full = admin(Access::Full, vec![]);
        assert!(full.can(Permission::ServicesManage));
        assert!(full.can(Permission::LicensingView));
    }

    #[test]
    fn custom_access_can_do_only_what_it_was_given() {
        let custom = admin(Access::Custom, vec![Permission::CustomerDashboardView]);
        assert!(custom.can(Permission::CustomerDashboardView));
        assert!(!custom.can(Permission::ServicesManage));
    }

    #[test]
    fn permissions_use_the_contract_names() {
        let json = serde_json::to_string(&Permission::CustomerDashboardView).unwrap();
        assert_eq!(json, "\"customer-dashboard.view\"");
    }
}
