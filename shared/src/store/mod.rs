//! The single DynamoDB table: key formats (`keys`), item shapes (`items`) and the
//! adapter that implements the storage ports (`dynamo`).

mod dynamo;
mod errors;
mod idempotency;
pub mod items;
pub mod keys;
mod orgs;

pub use dynamo::DynamoStore;
pub use errors::StoreError;
