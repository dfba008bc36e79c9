//! Entities and value types. Everything here is pure: no I/O, no clock, no AWS.

mod admin;
mod caller;
mod connection;
mod email;
mod invite_code;
mod notification;
mod org;
mod org_id;

pub use admin::{Access, Administrator, Permission};
pub use caller::Caller;
pub use connection::{Connection, ConnectionStatus, Origin, RemovedBy, PARTNER_CUSTOMER_LIMIT};
pub use email::Email;
pub use invite_code::InviteCode;
pub use notification::Notification;
pub use org::{Country, Org, OrgName, Program, Tenancy};
pub use org_id::OrgId;
