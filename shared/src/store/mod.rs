//! The single DynamoDB table: key formats (`keys`), item shapes (`items`) and the
//! adapter that implements the storage ports (`dynamo`).

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
mod rate;
mod support;
mod transact;
mod usage;

pub use dynamo::DynamoStore;
pub use errors::StoreError;
pub use outbox::{outbox_image, OutboxImage};
pub use transact::MAX_ATTEMPTS as MAX_TRANSACTION_ATTEMPTS;
