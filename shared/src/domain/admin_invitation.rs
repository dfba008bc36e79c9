use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Access, Email, OrgId, Permission};

/// An invitation to administer an org ends this long after it is sent.
pub const ADMIN_INVITATION_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInvitation {
    pub invitation_id: uuid::Uuid,
    pub org_id: OrgId,
    pub email: Email,
    pub access: Access,
    pub permissions: Vec<Permission>,
    pub status: InvitationStatus,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Time-limited access the invitation gives, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<DateTime<Utc>>,
    /// `bounced` once the mail service refused the invitation's email for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<EmailDelivery>,
}

/// What became of an email Partner Hub sent, where it matters to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailDelivery {
    /// Refused for good (a rejected message or address); it is not sent again.
    Bounced,
}

impl AdminInvitation {
    pub fn is_full(&self) -> bool {
        self.access == Access::Full
    }
}
