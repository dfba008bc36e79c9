//! The narrow interfaces use cases depend on. Adapters in `store`, `events` and
//! `mail` implement them against AWS; tests may implement them in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    AdminInvitation, Administrator, Allocation, AuditAction, AuditEntry, Connection, DailyRollup, DomainLink,
    Email, Entitlement, FederatedDomain, InviteCode, MonthlyRollup, Notification, Order, Org, OrgId, Program,
    SupportTicket, TicketStatus, UsageRecord, UserDay, WorkspaceTheme,
};
use crate::error::Result;
use crate::events::EventEnvelope;
use crate::http::idempotency::{Begin, StoredResponse};
use crate::http::pagination::{Cursor, PageRequest};
use crate::mail::{MailOutcome, OutgoingEmail};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdSource: Send + Sync {
    /// A random ORGID candidate; the store decides whether it is still free.
    fn org_id(&self) -> OrgId;
    fn uuid(&self) -> uuid::Uuid;
    /// 192 bits from a cryptographically secure generator, for capability codes.
    fn secret(&self) -> [u8; 24];
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

/// How a change to an administrator ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeAdmin {
    Changed,
    /// The record changed (or went) since it was read: read it again.
    Stale,
    /// It would leave the org without a full administrator without an expiry.
    LastFullAdmin,
}

/// Builds the audit entry for taking up a pending role in one org.
pub type PendingAuditFn<'a> = &'a (dyn Fn(&OrgId) -> AuditEntry + Sync);

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Writes the org and its first administrator together, only if the ORGID is free.
    async fn create_org(
        &self,
        org: &Org,
        first_admin: &Administrator,
        audit: &[AuditEntry],
    ) -> Result<CreateOrg>;
    async fn get_org(&self, org_id: &OrgId) -> Result<Option<Org>>;
    async fn get_admin(&self, org_id: &OrgId, sub: &str) -> Result<Option<Administrator>>;
    /// Every org the person administers, with their standing in it.
    async fn orgs_of_admin(&self, sub: &str) -> Result<Vec<(Administrator, Org)>>;
    /// Adds the program atomically; `None` when the org does not exist.
    async fn join_program(
        &self,
        org_id: &OrgId,
        program: Program,
        audit: &AuditEntry,
    ) -> Result<Option<JoinProgram>>;
    async fn admins_of(&self, org_id: &OrgId) -> Result<Vec<Administrator>>;
    /// Makes the person a full administrator of every org that recorded their email as
    /// a pending administrator (an account a partner created for them); answers how many.
    async fn claim_pending_admin(
        &self,
        sub: &str,
        email: &Email,
        now: DateTime<Utc>,
        audit: PendingAuditFn<'_>,
    ) -> Result<usize>;
    /// Replaces the administrator `before` (as read) with `after`, or removes it
    /// (`None`), keeping at least one full administrator without an expiry unless
    /// `keep_last` is false (an expiry that already took effect).
    async fn change_admin(
        &self,
        before: &Administrator,
        after: Option<&Administrator>,
        keep_last: bool,
        event: Option<&EventEnvelope>,
        audit: &AuditEntry,
    ) -> Result<ChangeAdmin>;
    /// Removes a pending administrator (the contact of an added customer) before they
    /// took the role up; `false` when there was none.
    async fn remove_pending_admin(&self, org_id: &OrgId, email: &Email, audit: &AuditEntry) -> Result<bool>;
    async fn orgs(&self, ids: &[OrgId]) -> Result<std::collections::HashMap<OrgId, Org>>;
}

/// What happened when a customer tried to connect to a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connect {
    Created,
    /// Created, and it made the partner's 90th active customer: the connecting
    /// transaction also wrote `DomainEvent::limit_near` (to publish).
    CreatedNearLimit,
    /// Already connected: the connection as it stands.
    AlreadyActive(Connection),
    /// The partner is at its customer limit.
    LimitReached,
}

/// What happened when a partner created a customer's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddCustomer {
    Created,
    /// Created as the partner's 90th active customer (see [`Connect::CreatedNearLimit`]).
    CreatedNearLimit,
    /// The partner's counter moved since it was read: try again.
    CountMoved,
    EmailInUse,
    LimitReached,
    OrgIdTaken,
    /// Another use of the partner's email limit came first: take a new one.
    RateRaced,
}

/// A customer account a partner creates, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub org: Org,
    /// The partner administrator who created it, made its full administrator.
    pub partner_admin: Administrator,
    pub contact_email: Email,
    pub contact_name: Option<String>,
    pub connection: Connection,
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn invite_code_of(&self, partner: &OrgId) -> Result<Option<InviteCode>>;
    /// Gives the partner this code unless it already has one; answers the partner's
    /// code either way, so racing first calls agree.
    async fn assign_invite_code(&self, partner: &OrgId, code: &InviteCode) -> Result<InviteCode>;
    async fn partner_of_code(&self, code: &InviteCode) -> Result<Option<OrgId>>;
    /// Connects within the partner's customer limit, with the event in the same
    /// transaction.
    async fn connect(
        &self,
        connection: &Connection,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<Connect>;
    /// Removes the connection and, in the same transaction, every administrator right
    /// given through it; `false` when there was no such connection.
    async fn disconnect(
        &self,
        partner: &OrgId,
        customer: &OrgId,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    async fn connection(&self, partner: &OrgId, customer: &OrgId) -> Result<Option<Connection>>;
    async fn customers_of(
        &self,
        partner: &OrgId,
        page: &PageRequest,
    ) -> Result<(Vec<Connection>, Option<Cursor>)>;
    async fn partners_of(
        &self,
        customer: &OrgId,
        page: &PageRequest,
    ) -> Result<(Vec<Connection>, Option<Cursor>)>;
    /// The account, its connection and one use of the partner's email limit, together.
    async fn add_customer(
        &self,
        customer: &NewCustomer,
        event: &[EventEnvelope],
        audit: &[AuditEntry],
        email_use: &RateUse,
    ) -> Result<AddCustomer>;
    /// The partner's counter of active customers.
    async fn customer_count(&self, partner: &OrgId) -> Result<u32>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Writes events that accompany no other state change.
    async fn append(&self, events: &[EventEnvelope]) -> Result<()>;
}

/// How one event's email to one address stands, as `claim_email` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailClaim {
    /// This delivery holds the claim (its id settles or releases it) and sends now.
    Claimed(uuid::Uuid),
    /// It went out before: a repeated delivery sends nothing.
    Sent,
    /// The mail service refused it for good before.
    Refused,
    /// Another delivery of the event holds a live claim: try again later.
    InFlight,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Records a notification; `false` when it was recorded before (a repeated event).
    async fn record(&self, notification: &Notification) -> Result<bool>;
    /// Claims the right to send one event's email to one address, or says how that
    /// email stands (sent, refused, being sent by another delivery of the event).
    async fn claim_email(&self, event_id: &uuid::Uuid, to: &Email, now: DateTime<Utc>) -> Result<EmailClaim>;
    /// Gives the claim back after a transient failure, so a redelivery tries again.
    async fn release_email(&self, event_id: &uuid::Uuid, to: &Email, claim: &uuid::Uuid) -> Result<()>;
    /// Records what the mail service did with the claimed email, for good.
    async fn settle_email(
        &self,
        event_id: &uuid::Uuid,
        to: &Email,
        claim: &uuid::Uuid,
        outcome: &MailOutcome,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Rewrites the title and body of a recorded notification (to say an email
    /// about it bounced); nothing when it is not there.
    async fn amend(&self, notification: &Notification) -> Result<()>;
    /// Newest first.
    async fn notifications_of(
        &self,
        org: &OrgId,
        page: &PageRequest,
    ) -> Result<(Vec<Notification>, Option<Cursor>)>;
    async fn dismiss(&self, partner: &OrgId, notification_id: &uuid::Uuid, now: DateTime<Utc>) -> Result<()>;
    async fn dismissed_by(&self, partner: &OrgId) -> Result<std::collections::HashSet<uuid::Uuid>>;
}

/// One use of a rolling-window limit, to be written with the change it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateUse {
    pub org: OrgId,
    pub what: String,
    /// Uses taken so far, ever.
    pub used: i64,
    /// The free slot this use takes: the write holds only while it is still free.
    pub slot: String,
    pub at: DateTime<Utc>,
    /// Epoch seconds: a slot holding a time at or before this is free.
    pub free_before: i64,
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// A use of `limit` uses of `what` for the org in the rolling `window`, not yet
    /// written; `Err(retry_after)` inside `Ok` when none is left.
    async fn reserve(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<RateUse, std::time::Duration>>;
    /// Takes one of `limit` uses of `what` for the org in the rolling `window`;
    /// `Err(retry_after)` inside `Ok` when none is left.
    async fn take(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), std::time::Duration>>;
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
    /// Sends one message to its one recipient. A permanent refusal is an outcome
    /// ([`MailOutcome::Refused`]); a transient failure is an error, to retry.
    async fn send(&self, email: &OutgoingEmail) -> Result<MailOutcome>;
}

/// How accepting an administrator invitation ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptInvitation {
    Accepted,
    /// Used already, or past its end.
    Gone,
    /// The person's standing, or the connection the right comes through, changed
    /// since it was read: read again.
    Stale,
    /// Accepting would take the org's last full administrator without an expiry.
    LastFullAdmin,
}

#[async_trait]
pub trait AdminInvitationStore: Send + Sync {
    /// The invitation, its lookup by token and its event, together.
    async fn create_invitation(
        &self,
        invitation: &AdminInvitation,
        token: &InviteCode,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn invitation_by_token(&self, token: &InviteCode) -> Result<Option<AdminInvitation>>;
    async fn invitation(
        &self,
        org: &OrgId,
        invitation_id: &uuid::Uuid,
    ) -> Result<Option<(AdminInvitation, InviteCode)>>;
    /// Marks it accepted (only while pending and unexpired) and makes the
    /// administrator in place of `before` (the person's standing as read). A right
    /// given through a partner (`admin.granted_via`) is recorded on that connection,
    /// which must still exist.
    async fn accept_invitation(
        &self,
        invitation: &AdminInvitation,
        before: Option<&Administrator>,
        admin: &Administrator,
        now: DateTime<Utc>,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<AcceptInvitation>;
    async fn invitations_of(&self, org: &OrgId) -> Result<Vec<AdminInvitation>>;
    /// Marks the invitation's email as bounced (the mail service refused it for good).
    async fn mark_bounced(&self, org: &OrgId, invitation_id: &uuid::Uuid, at: DateTime<Utc>) -> Result<()>;
    /// People recorded as pending administrators (accounts a partner created).
    async fn pending_admins_of(&self, org: &OrgId) -> Result<Vec<(Email, crate::domain::Access)>>;
}

/// How adding an entitlement ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddEntitlement {
    Added,
    /// The org holds a current one of the same service and kind.
    AlreadyEntitled,
    /// The trial it was to convert changed (ended, converted) since it was read.
    Stale,
}

/// A notice of an entitlement's end, sent once each by the expiry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndNotice {
    /// 7 days before the end.
    Expiring,
    /// Once it has ended.
    Expired,
}

/// An entitlement with an end that has not yet been reported as ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub entitlement: Entitlement,
    pub expiring_sent: bool,
}

#[async_trait]
pub trait EntitlementStore: Send + Sync {
    /// Adds it (its own item: none is ever overwritten) with its event, audit entry
    /// and the rollup marks of `dirty_months` (first days), unless the org holds a
    /// current one of the same service and kind. `converts`, a running trial of the
    /// same service (as read), ends at `now` as `converted` in the same transaction.
    #[allow(clippy::too_many_arguments)]
    async fn add_entitlement(
        &self,
        entitlement: &Entitlement,
        now: DateTime<Utc>,
        converts: Option<&Entitlement>,
        dirty_months: &[chrono::NaiveDate],
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<AddEntitlement>;
    async fn entitlements_of(&self, org: &OrgId) -> Result<Vec<Entitlement>>;
    async fn entitlement(&self, org: &OrgId, entitlement_id: &uuid::Uuid) -> Result<Option<Entitlement>>;
    /// Replaces a pending trial (`before`) with its approved or declined self, with
    /// the event and audit entry; `false` when it was no longer pending.
    async fn settle_trial(
        &self,
        before: &Entitlement,
        after: &Entitlement,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Entitlements ending before `until` whose `EntitlementExpired` has not gone out.
    async fn ending_before(&self, until: DateTime<Utc>) -> Result<Vec<Ending>>;
    /// Records that the notice went out, with its event, unless it did before (or
    /// the end moved meanwhile): `false` then.
    async fn record_notice(
        &self,
        entitlement: &Entitlement,
        notice: EndNotice,
        event: &EventEnvelope,
    ) -> Result<bool>;
}

/// How recording an order from the feed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOrder {
    Recorded,
    /// The order id was recorded before: the order as it stands.
    Existing(Order),
}

/// How an allocation ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocate {
    Allocated,
    /// Fewer licenses remain than asked for.
    Insufficient,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    async fn record_order(&self, order: &Order, audit: &AuditEntry) -> Result<RecordOrder>;
    async fn order(&self, partner: &OrgId, order_id: &str) -> Result<Option<Order>>;
    async fn orders_of(&self, partner: &OrgId, page: &PageRequest) -> Result<(Vec<Order>, Option<Cursor>)>;
    /// Takes the licenses off the order's remainder, only if enough remain, together
    /// with the allocation and its event.
    async fn allocate(
        &self,
        partner: &OrgId,
        allocation: &Allocation,
        event: &EventEnvelope,
        audit: &[AuditEntry],
    ) -> Result<Allocate>;
    async fn allocations_of(&self, partner: &OrgId) -> Result<Vec<Allocation>>;
}

/// A day of one org's service that has records newer than its rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyDay {
    pub org_id: OrgId,
    pub service: String,
    pub date: chrono::NaiveDate,
    /// When it was last touched: clearing it only succeeds if no record came since.
    pub touched: String,
}

#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Stores the records and marks their days for the rollup. A repeated record
    /// overwrites itself.
    async fn put_records(&self, records: &[UsageRecord], touched: &str) -> Result<()>;
    async fn dirty_days(&self, limit: u32) -> Result<Vec<DirtyDay>>;
    /// Clears the mark unless a newer record touched the day meanwhile.
    async fn clear_dirty(&self, day: &DirtyDay) -> Result<()>;
    async fn user_days(&self, org: &OrgId, service: &str, date: chrono::NaiveDate) -> Result<Vec<UserDay>>;
    /// The day's gateway bandwidth in MB, if reported.
    async fn bandwidth(&self, org: &OrgId, date: chrono::NaiveDate) -> Result<Option<f64>>;
    async fn put_daily(&self, rollup: &DailyRollup) -> Result<()>;
    async fn put_monthly(&self, rollup: &MonthlyRollup) -> Result<()>;
    async fn daily_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyRollup>>;
    async fn monthly_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<MonthlyRollup>>;
    /// The services an org has rollups for.
    async fn services_with_usage(&self, org: &OrgId) -> Result<Vec<String>>;
}

/// Where a large export is written as it is produced, so memory stays flat.
#[async_trait]
pub trait ExportSink: Send {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<()>;
    /// Completes the file; answers a link to download it and when the link ends.
    async fn finish(self: Box<Self>) -> Result<(String, DateTime<Utc>)>;
}

#[async_trait]
pub trait ExportStorage: Send + Sync {
    async fn start(&self, key: &str, filename: &str) -> Result<Box<dyn ExportSink>>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// One page of the org's entries between `from` and `to` (inclusive; open where
    /// `None`), newest first.
    async fn audit_log(
        &self,
        org: &OrgId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        action: Option<AuditAction>,
        page: &PageRequest,
    ) -> Result<(Vec<AuditEntry>, Option<Cursor>)>;
}

/// How closing a support ticket ended in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseTicket {
    Closed(SupportTicket),
    /// It was closed before: as it stands, unchanged.
    AlreadyClosed(SupportTicket),
    NotFound,
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// The ticket, the org's open-ticket counter +1, its event and its audit entry in
    /// one transaction; `false` when the org does not exist.
    async fn open_ticket(
        &self,
        ticket: &SupportTicket,
        event: &EventEnvelope,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Closes it only while open, with the counter -1 and the audit entry, together.
    async fn close_ticket(
        &self,
        org: &OrgId,
        ticket_id: &uuid::Uuid,
        closed_at: DateTime<Utc>,
        closed_by: &Email,
        audit: &AuditEntry,
    ) -> Result<CloseTicket>;
    async fn ticket(&self, org: &OrgId, ticket_id: &uuid::Uuid) -> Result<Option<SupportTicket>>;
    /// Newest first, optionally only those with `status`.
    async fn tickets_of(
        &self,
        org: &OrgId,
        status: Option<TicketStatus>,
        page: &PageRequest,
    ) -> Result<(Vec<SupportTicket>, Option<Cursor>)>;
    /// Each org's counter of open tickets (absent: 0).
    async fn open_ticket_counts(&self, orgs: &[OrgId]) -> Result<std::collections::HashMap<OrgId, u32>>;
}

/// How linking a federated domain to a customer ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDomain {
    Linked,
    /// Linked before: nothing changed.
    AlreadyLinked,
    /// The partner and the customer are not connected.
    NotConnected,
    /// The partner has no such federated domain.
    NoDomain,
}

#[async_trait]
pub trait CspStore: Send + Sync {
    /// Registers it with its audit entry; `false` when the partner had it already.
    async fn add_domain(&self, domain: &FederatedDomain, audit: &AuditEntry) -> Result<bool>;
    async fn domain(&self, partner: &OrgId, domain: &str) -> Result<Option<FederatedDomain>>;
    /// Every domain the partner registered.
    async fn domains_of(&self, partner: &OrgId) -> Result<Vec<FederatedDomain>>;
    /// Links it in one transaction that needs the connection and the domain to stand
    /// (and records the link on the connection, so removing it sees every link).
    async fn link_domain(&self, link: &DomainLink, audit: &[AuditEntry]) -> Result<LinkDomain>;
    /// `false` when it was not linked.
    async fn unlink_domain(
        &self,
        partner: &OrgId,
        customer: &OrgId,
        domain: &str,
        audit: &[AuditEntry],
    ) -> Result<bool>;
    /// The domains linked to the customer, by any partner.
    async fn links_of(&self, customer: &OrgId) -> Result<Vec<DomainLink>>;
    async fn set_theme(&self, theme: &WorkspaceTheme, audit: &[AuditEntry]) -> Result<()>;
    async fn theme(&self, org: &OrgId) -> Result<Option<WorkspaceTheme>>;
}
