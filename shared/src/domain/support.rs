//! Support tickets an org opens and closes; its connected partners read them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, OrgId};
use crate::error::{AppError, Result};

/// The longest subject a ticket takes.
pub const MAX_SUBJECT_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    Normal,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Closed,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            _ => Err(AppError::invalid("status must be one of: open, closed")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportTicket {
    pub ticket_id: uuid::Uuid,
    pub org_id: OrgId,
    pub subject: String,
    pub severity: Severity,
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    /// The administrator who opened it.
    pub opened_by: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<Email>,
}

/// A ticket's id: a UUID (version 7) whose first 48 bits are its creation time in
/// milliseconds, so ids sort by creation as text and the org's tickets list newest
/// first straight from the table; the remaining bits are random.
pub fn ticket_id(created_at: DateTime<Utc>, random: uuid::Uuid) -> uuid::Uuid {
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&random.as_bytes()[..10]);
    let millis = u64::try_from(created_at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// A subject: trimmed, not empty, at most [`MAX_SUBJECT_CHARS`] characters.
pub fn subject(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_SUBJECT_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(AppError::invalid(format!(
            "subject must be 1 to {MAX_SUBJECT_CHARS} characters without control characters"
        )));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_sort_by_creation() {
        let t0 = Utc::now();
        let a = ticket_id(t0, uuid::Uuid::from_u128(u128::MAX));
        let b = ticket_id(t0 + chrono::Duration::milliseconds(1), uuid::Uuid::nil());
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.get_version_num(), 7);
    }

    #[test]
    fn subjects_are_checked() {
        assert_eq!(subject("  VPN down ").unwrap(), "VPN down");
        assert!(subject(" ").is_err());
        assert!(subject(&"x".repeat(201)).is_err());
        assert!(subject("a\u{0}b").is_err());
    }
}
