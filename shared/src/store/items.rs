//! The table's item shapes. Each carries its keys and an `entity` naming its type;
//! conversion to and from the domain happens here and nowhere else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys;
use crate::domain::{
    Access, Administrator, Connection, ConnectionStatus, Email, Notification, Org, OrgId, Origin, Permission,
    Program, Tenancy,
};
use crate::events::EventEnvelope;

/// A domain value as an item: its keys and entity type beside its own fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored<T> {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    #[serde(flatten)]
    pub value: T,
}

impl<T> Stored<T> {
    pub fn new(pk: String, sk: String, entity: &str, value: T) -> Self {
        Self { pk, sk, entity: entity.to_string(), value }
    }
}

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
    /// Kept by the connection writes; see `store::connections`.
    #[serde(default, skip_serializing)]
    pub customer_count: Option<u32>,
    /// Set once, by the first call for the partner's invitation link.
    #[serde(default, skip_serializing)]
    pub invite_code: Option<String>,
    /// Full administrators without an expiry; kept by `store::admins`.
    #[serde(default, skip_serializing)]
    pub full_admins: Option<u32>,
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
            customer_count: None,
            invite_code: None,
            full_admins: None,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_via: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
    /// Bumped by every write; see `store::admins`.
    #[serde(default)]
    pub version: u64,
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
            granted_via: admin.granted_via.clone(),
            access_expires_at: admin.access_expires_at,
            version: admin.version,
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
            granted_via: item.granted_via,
            access_expires_at: item.access_expires_at,
            version: item.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub partner_id: OrgId,
    pub customer_id: OrgId,
    pub status: ConnectionStatus,
    pub origin: Origin,
    pub connected_at: DateTime<Utc>,
    /// On the partner side: a version bumped by every administrator right given
    /// through the connection, so removing it revokes exactly what it read.
    #[serde(default, skip_serializing)]
    pub grants: Option<u64>,
}

impl ConnectionItem {
    pub const PARTNER_SIDE: &'static str = "PartnerCustomer";
    pub const CUSTOMER_SIDE: &'static str = "CustomerPartner";

    /// The two items of one connection: under the partner, and under the customer.
    pub fn both_sides(connection: &Connection) -> [Self; 2] {
        let item = |pk: String, sk: String, entity: &str| Self {
            pk,
            sk,
            entity: entity.to_string(),
            partner_id: connection.partner_id.clone(),
            customer_id: connection.customer_id.clone(),
            status: connection.status,
            origin: connection.origin,
            connected_at: connection.connected_at,
            grants: None,
        };
        [
            item(
                keys::org_pk(&connection.partner_id),
                keys::customer_sk(&connection.customer_id),
                Self::PARTNER_SIDE,
            ),
            item(
                keys::org_pk(&connection.customer_id),
                keys::partner_sk(&connection.partner_id),
                Self::CUSTOMER_SIDE,
            ),
        ]
    }
}

impl From<ConnectionItem> for Connection {
    fn from(item: ConnectionItem) -> Self {
        Self {
            partner_id: item.partner_id,
            customer_id: item.customer_id,
            status: item.status,
            origin: item.origin,
            connected_at: item.connected_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    pub event: EventEnvelope,
    /// Epoch seconds: the table's TTL deletes the item [`OutboxItem::RETENTION`] after
    /// the event. Its INSERT on the table's stream is what publishes it.
    pub ttl: i64,
}

impl OutboxItem {
    pub const ENTITY: &'static str = "OutboxEvent";
    /// How long an outbox item stays in the table: well past the stream's 24 hours,
    /// so an event whose stream record went to the relay's dead-letter queue can still
    /// be read and replayed from the table.
    pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(7);
}

impl From<&EventEnvelope> for OutboxItem {
    fn from(event: &EventEnvelope) -> Self {
        Self {
            pk: keys::outbox_pk(&event.event_id),
            sk: keys::OUTBOX_SK.to_string(),
            entity: Self::ENTITY.to_string(),
            event: event.clone(),
            ttl: (event.occurred_at + Self::RETENTION).timestamp(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAdminItem {
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
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub access: Access,
    pub invited_by: String,
    pub invited_at: DateTime<Utc>,
}

impl PendingAdminItem {
    pub const ENTITY: &'static str = "PendingAdministrator";
}

pub const NOTIFICATION_ENTITY: &str = "Notification";

pub fn notification_item(n: &Notification) -> Stored<Notification> {
    Stored::new(
        keys::org_pk(&n.org_id),
        keys::notification_sk(&n.created_at, &n.notification_id),
        NOTIFICATION_ENTITY,
        n.clone(),
    )
}
