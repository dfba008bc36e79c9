//! Entities and value types. Everything here is pure: no I/O, no clock, no AWS.

mod admin;
mod caller;
mod email;
mod org;
mod org_id;

pub use admin::{Access, Administrator, Permission};
pub use caller::Caller;
pub use email::Email;
pub use org::{Country, Org, OrgName, Program, Tenancy};
pub use org_id::OrgId;
