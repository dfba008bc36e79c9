//! The audit log: every change to an org, with who made it, written in the same
//! transaction as the change.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Caller, Email, MachineClient, OrgId};

/// Entries are kept at least this long (the table's TTL removes them after).
pub const AUDIT_RETENTION: Duration = Duration::days(401);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "org.created")]
    OrgCreated,
    #[serde(rename = "program.joined")]
    ProgramJoined,
    #[serde(rename = "connection.created")]
    ConnectionCreated,
    #[serde(rename = "connection.removed")]
    ConnectionRemoved,
    #[serde(rename = "admin.invited")]
    AdminInvited,
    #[serde(rename = "admin.accepted")]
    AdminAccepted,
    #[serde(rename = "admin.changed")]
    AdminChanged,
    #[serde(rename = "admin.removed")]
    AdminRemoved,
    #[serde(rename = "admin.expired")]
    AdminExpired,
    #[serde(rename = "service.added")]
    ServiceAdded,
    #[serde(rename = "trial.approved")]
    TrialApproved,
    #[serde(rename = "trial.declined")]
    TrialDeclined,
    #[serde(rename = "order.recorded")]
    OrderRecorded,
    #[serde(rename = "license.allocated")]
    LicenseAllocated,
    #[serde(rename = "ticket.opened")]
    TicketOpened,
    #[serde(rename = "ticket.closed")]
    TicketClosed,
    /// A CSP partner registered a federated domain (on the partner's log).
    #[serde(rename = "domain.added")]
    DomainAdded,
    #[serde(rename = "domain.linked")]
    DomainLinked,
    #[serde(rename = "domain.unlinked")]
    DomainUnlinked,
    #[serde(rename = "theme.changed")]
    ThemeChanged,
}

impl AuditAction {
    pub fn parse(raw: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(raw.to_string())).ok()
    }
}

/// Who made a change: a person (by email), the partner through which they acted,
/// or one of the vendor's machine clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<OrgId>,
}

impl Actor {
    pub fn person(caller: &Caller) -> Self {
        Self { email: Some(caller.email.clone()), ..Self::default() }
    }

    /// A person acting for a partner (a partner's admin, or access granted through one).
    pub fn through(caller: &Caller, partner: Option<&OrgId>) -> Self {
        Self { partner_id: partner.cloned(), ..Self::person(caller) }
    }

    pub fn machine(client: &MachineClient) -> Self {
        Self { client: Some(client.client_id.clone()), ..Self::default() }
    }

    /// Partner Hub itself (an expiry that took effect at its time).
    pub fn system() -> Self {
        Self { client: Some("partner-hub".into()), ..Self::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub org_id: OrgId,
    pub entry_id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: AuditAction,
    /// What the change was made to: an org id, an email, an order id…
    pub target: String,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(
        org_id: &OrgId,
        entry_id: uuid::Uuid,
        at: DateTime<Utc>,
        actor: Actor,
        action: AuditAction,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self { org_id: org_id.clone(), entry_id, at, actor, action, target: target.into(), detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_use_the_contract_names() {
        assert_eq!(serde_json::to_value(AuditAction::AdminExpired).unwrap(), "admin.expired");
        assert_eq!(AuditAction::parse("license.allocated"), Some(AuditAction::LicenseAllocated));
        assert_eq!(AuditAction::parse("admin.deleted"), None);
    }

    #[test]
    fn an_actor_shows_only_what_it_has() {
        let machine = Actor::machine(&MachineClient { client_id: "orders-feed".into(), scopes: vec![] });
        assert_eq!(serde_json::to_value(machine).unwrap(), serde_json::json!({"client": "orders-feed"}));
    }
}
