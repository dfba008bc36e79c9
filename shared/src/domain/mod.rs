//! Entities and value types. Everything here is pure: no I/O, no clock, no AWS.

mod admin;
mod admin_invitation;
mod audit;
mod caller;
mod connection;
mod csp;
mod email;
mod event;
mod invite_code;
mod notification;
mod order;
mod org;
mod org_id;
mod service;
mod sources;
mod support;
pub mod time;
mod usage;

pub use admin::{Access, Administrator, Permission, MAX_ACCESS_DURATION};
pub use admin_invitation::{AdminInvitation, EmailDelivery, InvitationStatus, ADMIN_INVITATION_LIFETIME};
pub use audit::{Actor, AuditAction, AuditEntry, AUDIT_RETENTION};
pub use caller::{scopes, Caller, MachineClient};
pub use connection::{
    Connection, ConnectionStatus, Origin, RemovedBy, CUSTOMER_LIMIT_NEAR, PARTNER_CUSTOMER_LIMIT,
};
pub use csp::{
    domain_name, logo_url, primary_color, theme_name, DomainLink, FederatedDomain, WorkspaceTheme,
};
pub use email::Email;
pub use event::{DomainEvent, EventDetail, EventEnvelope, EVENT_SOURCE};
pub use invite_code::InviteCode;
pub use notification::{MailOutcome, Notification};
pub use order::{own_account_only_from, Allocation, Order, OrderTenancy};
pub use org::{Country, Org, OrgName, Program, Tenancy};
pub use org_id::OrgId;
pub use service::{
    service, trial_end, Entitlement, EntitlementStatus, Kind, MeteredBy, Service, Term, CATALOG, GATEWAY,
    MAX_TRIAL_LEAD, SDWAN_ORCHESTRATOR,
};
pub use sources::{Clock, IdSource, RandomIds, SystemClock};
pub use support::{subject as ticket_subject, ticket_id, Severity, SupportTicket, TicketStatus};
pub use usage::{
    days_of_month, mb_to_gb, month_of, months_between, overage, overage_gb, parse_month, round_gb,
    BandwidthDay, DailyRollup, GatewayCommitment, MonthlyRollup, RolledMonth, UsageRecord, UserDay,
    UserStanding,
};
