//! The single DynamoDB table: key formats (`keys`), item shapes (`items`), and
//! `DynamoStore`, whose methods (one file per part of the domain) are every read and
//! write the use cases make.

mod admin_invitations;
mod admins;
mod audit;
mod connections;
mod csp;
mod dynamo;
mod entitlements;
mod errors;
mod idempotency;
pub mod items;
pub mod keys;
mod notifications;
mod orders;
mod orgs;
mod outbox;
mod page;
mod rate;
mod support;
mod transact;
mod usage;

pub use admin_invitations::AcceptInvitation;
pub use connections::{AddCustomer, Connect, NewCustomer};
pub use csp::LinkDomain;
pub use dynamo::DynamoStore;
pub use entitlements::{AddEntitlement, EndNotice, Ending};
pub use errors::StoreError;
pub use idempotency::{Begin, StoredResponse, LEASE, RETENTION};
pub use notifications::EmailClaim;
pub use orders::{Allocate, RecordOrder};
pub use orgs::{ChangeAdmin, CreateOrg, JoinProgram, PendingAuditFn};
pub use page::{Cursor, Page, PageRequest};
pub use rate::RateUse;
pub use support::CloseTicket;
pub use transact::MAX_ATTEMPTS as MAX_TRANSACTION_ATTEMPTS;
pub use usage::DirtyDay;
