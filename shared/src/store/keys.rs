//! Every partition key, sort key and GSI key format of the table, in one place.
//!
//! | item | PK | SK | GSI1PK / GSI1SK |
//! |---|---|---|---|
//! | org | `ORG#<org_id>` | `PROFILE` | |
//! | administrator | `ORG#<org_id>` | `ADMIN#<sub>` | `USER#<sub>` / `ORG#<org_id>` |
//! | idempotency record | `IDEMPOTENCY#<sub>#<key>` | `IDEMPOTENCY` | |

use crate::domain::OrgId;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// Every item names what it is.
pub const ENTITY: &str = "entity";
/// Epoch seconds after which DynamoDB's TTL deletes the item.
pub const TTL: &str = "ttl";

pub const ORG_PROFILE_SK: &str = "PROFILE";
pub const ADMIN_SK_PREFIX: &str = "ADMIN#";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";

pub fn org_pk(org_id: &OrgId) -> String {
    format!("ORG#{org_id}")
}

pub fn admin_sk(sub: &str) -> String {
    format!("{ADMIN_SK_PREFIX}{sub}")
}

pub fn user_gsi1pk(sub: &str) -> String {
    format!("USER#{sub}")
}

pub fn idempotency_pk(scoped_key: &str) -> String {
    format!("IDEMPOTENCY#{scoped_key}")
}
