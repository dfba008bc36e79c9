use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::OrgId;

/// A partner has at most this many active customers, counting both origins.
pub const PARTNER_CUSTOMER_LIMIT: u32 = 100;

/// The partner is told once (`CustomerLimitNear`) when this many customers are active.
pub const CUSTOMER_LIMIT_NEAR: u32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The customer accepted the partner's invitation link.
    Invite,
    /// The partner created the customer's account ("Add a customer").
    Added,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub partner_id: OrgId,
    pub customer_id: OrgId,
    pub status: ConnectionStatus,
    pub origin: Origin,
    pub connected_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovedBy {
    Partner,
    Customer,
}
