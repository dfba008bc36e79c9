use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::OrgId;

/// An in-app notification of one org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub notification_id: uuid::Uuid,
    pub org_id: OrgId,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<OrgId>,
}
