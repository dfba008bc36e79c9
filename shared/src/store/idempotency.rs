//! The records behind the contract's `Idempotency-Key` replay (`http::idempotency`
//! decides what a key is and when to replay).

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{from_item, to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use crate::error::Result;

/// How long an answer is replayed.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// How long a claim protects work in progress; a claim left behind by a crashed
/// invocation can be taken over after this.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// The answer a key holds, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// What the store found when a request tried to claim a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The key is ours: do the work.
    Claimed,
    /// The same request already finished: replay its answer.
    Replay(StoredResponse),
    /// The same request is being worked on right now.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// A key's claim, and then its answer. Expires `RETENTION` after its claim.
#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    /// Its key only (the scoped idempotency key).
    #[serde(skip)]
    key: String,
    fingerprint: String,
    /// Until when the claim of a request still in progress holds (epoch seconds).
    lease_until: i64,
    /// Absent (not NULL) while the request is in progress: the claim's condition
    /// tests for its existence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<StoredResponse>,
}

impl IdempotencyRecord {
    fn key_of(key: &str) -> Key {
        Key::new(keys::idempotency_pk(key), keys::IDEMPOTENCY_SK)
    }
}

/// `IDEMPOTENCY#<sub>#<key>` / `IDEMPOTENCY`.
impl Entity for IdempotencyRecord {
    const TYPE: &'static str = "IdempotencyRecord";

    fn key(&self) -> Key {
        Self::key_of(&self.key)
    }

    /// Claimed at `lease_until - LEASE`, kept `RETENTION` from then.
    fn expires_at(&self) -> Option<i64> {
        Some(self.lease_until - LEASE.num_seconds() + RETENTION.num_seconds())
    }
}

impl DynamoStore {
    /// Storage for the contract's `Idempotency-Key` replay; see `http::idempotency`.
    /// Claims `key` for a request with this fingerprint, or says what holds it.
    pub async fn begin(&self, key: &str, fingerprint: &str, now: DateTime<Utc>) -> Result<Begin> {
        let record = IdempotencyRecord {
            key: key.to_string(),
            fingerprint: fingerprint.to_string(),
            lease_until: (now + LEASE).timestamp(),
            response: None,
        };
        // Free when new, expired (TTL deletes lazily), or claimed by a crashed
        // invocation of the same request whose lease ran out.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record)?))
            .condition_expression(
                "attribute_not_exists(PK) OR #ttl < :now \
                 OR (attribute_not_exists(#response) AND lease_until < :now AND fingerprint = :fp)",
            )
            .expression_attribute_names("#ttl", keys::TTL)
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .expression_attribute_values(":fp", AttributeValue::S(fingerprint.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let existing = match result {
            Ok(_) => return Ok(Begin::Claimed),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => match &failed.item {
                    Some(item) => from_item(item.clone())?,
                    None => match self.get(record.key()).await? {
                        Some(existing) => existing,
                        // Deleted in between (abandoned): let the caller try again.
                        None => return Ok(Begin::InProgress),
                    },
                },
                _ => return Err(StoreError::from_sdk(error).into()),
            },
        };
        let existing: IdempotencyRecord = existing;
        Ok(if existing.fingerprint != fingerprint {
            Begin::Mismatch
        } else {
            match existing.response {
                Some(response) => Begin::Replay(response),
                None => Begin::InProgress,
            }
        })
    }

    /// Records the answer so later requests with the key replay it.
    pub async fn complete(&self, key: &str, response: &StoredResponse, _now: DateTime<Utc>) -> Result<()> {
        let response = serde_dynamo::to_attribute_value(response)
            .map_err(|e| crate::error::AppError::internal(format!("serialising response: {e}")))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(IdempotencyRecord::key_of(key).item()))
            .update_expression("SET #response = :response")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":response", response)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Releases the key after a failure that should not be replayed (a 5xx).
    pub async fn abandon(&self, key: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(IdempotencyRecord::key_of(key).item()))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}
