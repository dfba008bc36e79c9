//! One module per workflow. A use case holds the rules, reads and writes through the
//! table's store, and returns domain values; it knows nothing of HTTP. Its inputs are
//! plain: the caller, what was asked (a page of a list included), and a [`Context`].

pub mod access;
pub mod add_customer;
pub mod admins;
pub mod audit;
pub mod connections;
pub mod csp;
pub mod dashboard;
pub mod entitlement_expiry;
pub mod invitations;
pub mod join_program;
pub mod licenses;
pub mod notifications;
pub mod notify;
pub mod relay_events;
pub mod services;
pub mod sign_up;
pub mod support;
pub mod usage_csv;
pub mod usage_export;
pub mod usage_ingest;
pub mod usage_report;
pub mod usage_rollup;
pub mod who_am_i;

use crate::domain::{Actor, AuditAction, AuditEntry, Clock, IdSource, OrgId};
use crate::store::DynamoStore;

/// What every use case works with: the table, the time, and fresh ids.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub store: &'a DynamoStore,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
}

impl Context<'_> {
    /// An audit entry of `org`, now, with a fresh id.
    pub fn audit(
        &self,
        org: &OrgId,
        actor: Actor,
        action: AuditAction,
        target: &str,
        detail: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry::new(org, self.ids.uuid(), self.clock.now(), actor, action, target, detail)
    }
}
