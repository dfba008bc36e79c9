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

/// Time-limited access ends at most this far after it is given.
pub const MAX_ACCESS_DURATION: chrono::Duration = chrono::Duration::days(366);

/// A person's standing in one org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administrator {
    pub org_id: OrgId,
    pub sub: String,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub added_at: DateTime<Utc>,
    /// The partner through which this standing was given; it ends with the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_via: Option<OrgId>,
    /// Time-limited access: no standing from this instant on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
    /// The stored record's version, so a change applies only to what was read
    /// (0: never stored).
    #[serde(default)]
    pub version: u64,
}

impl Administrator {
    pub fn full(org_id: OrgId, sub: String, email: Email, added_at: DateTime<Utc>) -> Self {
        Self {
            org_id,
            sub,
            email,
            access: Access::Full,
            permissions: Vec::new(),
            added_at,
            granted_via: None,
            access_expires_at: None,
            version: 0,
        }
    }

    pub fn is_full(&self) -> bool {
        self.access == Access::Full
    }

    /// Whether the standing holds at `now` (time-limited access ends by itself).
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.access_expires_at.is_none_or(|end| now < end)
    }

    /// A full administrator without an expiry: an org always keeps at least one.
    pub fn keeps_org(&self) -> bool {
        self.is_full() && self.access_expires_at.is_none()
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
            granted_via: None,
            access_expires_at: None,
            version: 0,
        }
    }

    #[test]
    fn time_limited_access_ends_at_its_instant_and_never_keeps_the_org() {
        let now = Utc::now();
        let mut limited = admin(Access::Full, vec![]);
        limited.access_expires_at = Some(now);
        assert!(limited.is_current(now - chrono::Duration::seconds(1)));
        assert!(!limited.is_current(now));
        assert!(!limited.keeps_org());
        assert!(admin(Access::Full, vec![]).keeps_org());
        assert!(!admin(Access::Custom, vec![Permission::LicensingView]).keeps_org());
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
