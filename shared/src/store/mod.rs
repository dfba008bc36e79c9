//! The single DynamoDB table: key formats (`keys`), and `DynamoStore`, whose methods
//! (one file per part of the domain) are every read and write the use cases make.
//!
//! Items are made one way: every value the table stores implements [`Entity`] next to
//! where it is written (a domain type, or a small store-side type where the stored
//! shape differs: the org item with its counters, an entitlement with its end in
//! epoch seconds, a lookup item). It names its own `PK`/`SK` (and GSI1 keys, and
//! `ttl`) through the formats in `keys`; [`to_item`] turns it into an item with its
//! `entity`, and `from_item` (behind the typed `get`/`query` of `DynamoStore`) reads
//! one back only if its `entity` says it is that type. Counters and marks kept on an
//! item (`customer_count`, `full_admins`, `grants`, `version`, …) are moved by
//! conditional updates, never by rewriting the item. A transaction's writes each name
//! their [`Part`](transact::Part), and a refusal is read by part. (The outbox's item
//! still names its own keys, in `items`.)

mod admin_invitations;
mod admins;
mod audit;
mod connections;
mod csp;
mod dynamo;
mod entitlements;
mod entity;
mod errors;
mod idempotency;
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
pub use entity::{from_item, to_item, Entity, Key};
pub use errors::StoreError;
pub use idempotency::{Begin, StoredResponse, LEASE, RETENTION};
pub use notifications::EmailClaim;
pub use orders::{Allocate, RecordOrder};
pub use orgs::{ChangeAdmin, CreateOrg, JoinProgram, PendingAuditFn};
pub use outbox::{outbox_image, OutboxEvent, OutboxImage, OUTBOX_RETENTION};
pub use page::{Cursor, Page, PageRequest};
pub use rate::RateUse;
pub use support::CloseTicket;
pub use transact::MAX_ATTEMPTS as MAX_TRANSACTION_ATTEMPTS;
pub use usage::{DirtyMonth, DirtyScan, MARKS_A_TRANSACTION};
