//! The narrow interfaces use cases depend on. Adapters in `store`, `events` and
//! `mail` implement them against AWS; tests may implement them in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Administrator, Org, OrgId, Program};
use crate::error::Result;
use crate::events::EventEnvelope;
use crate::http::idempotency::{Begin, StoredResponse};
use crate::mail::OutgoingEmail;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdSource: Send + Sync {
    /// A random ORGID candidate; the store decides whether it is still free.
    fn org_id(&self) -> OrgId;
    fn uuid(&self) -> uuid::Uuid;
}

/// What happened when a new org was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOrg {
    Created,
    /// Another org already holds this ORGID; the caller draws a new one.
    OrgIdTaken,
}

/// What happened when a program was joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinProgram {
    Joined(Org),
    AlreadyMember(Org),
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Writes the org and its first administrator together, only if the ORGID is free.
    async fn create_org(&self, org: &Org, first_admin: &Administrator) -> Result<CreateOrg>;
    async fn get_org(&self, org_id: &OrgId) -> Result<Option<Org>>;
    async fn get_admin(&self, org_id: &OrgId, sub: &str) -> Result<Option<Administrator>>;
    /// Every org the person administers, with their standing in it.
    async fn orgs_of_admin(&self, sub: &str) -> Result<Vec<(Administrator, Org)>>;
    /// Adds the program atomically; `None` when the org does not exist.
    async fn join_program(&self, org_id: &OrgId, program: Program) -> Result<Option<JoinProgram>>;
}

/// Storage for the contract's `Idempotency-Key` replay; see `http::idempotency`.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with this fingerprint, or says what holds it.
    async fn begin(&self, key: &str, fingerprint: &str, now: DateTime<Utc>) -> Result<Begin>;
    /// Records the answer so later requests with the key replay it.
    async fn complete(&self, key: &str, response: &StoredResponse, now: DateTime<Utc>) -> Result<()>;
    /// Releases the key after a failure that should not be replayed (a 5xx).
    async fn abandon(&self, key: &str) -> Result<()>;
}

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, events: &[EventEnvelope]) -> Result<()>;
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<()>;
}
