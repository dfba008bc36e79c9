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

/// What the mail service did with a message it answered for. A transient failure
/// (throttling, an outage, a timeout) is not an outcome but an error: the caller
/// fails and the delivery is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Refused for good (a rejected message or address): sending it again would be
    /// refused again, so it is recorded, not retried. `code` is the service's error
    /// code, for the log and the delivery marker, never shown to a caller.
    Refused {
        code: String,
    },
}
