//! The records behind the contract's `Idempotency-Key` replay (`http::idempotency`
//! decides what a key is and when to replay).

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dynamo::{to_item, DynamoStore};
use super::errors::{corrupt, StoreError};
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

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    fingerprint: String,
    /// Until when the claim of a request still in progress holds (epoch seconds).
    lease_until: i64,
    ttl: i64,
    /// Absent (not NULL) while the request is in progress: the claim's condition
    /// tests for its existence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<StoredResponse>,
}

const ENTITY: &str = "IdempotencyRecord";

impl DynamoStore {
    /// Storage for the contract's `Idempotency-Key` replay; see `http::idempotency`.
    /// Claims `key` for a request with this fingerprint, or says what holds it.
    pub async fn begin(&self, key: &str, fingerprint: &str, now: DateTime<Utc>) -> Result<Begin> {
        let item = IdempotencyItem {
            pk: keys::idempotency_pk(key),
            sk: keys::IDEMPOTENCY_SK.to_string(),
            entity: ENTITY.to_string(),
            fingerprint: fingerprint.to_string(),
            lease_until: (now + LEASE).timestamp(),
            ttl: (now + RETENTION).timestamp(),
            response: None,
        };
        // Free when new, expired (TTL deletes lazily), or claimed by a crashed
        // invocation of the same request whose lease ran out.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
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
                    Some(item) => item.clone(),
                    None => match self.get_raw(&item.pk).await? {
                        Some(item) => item,
                        // Deleted in between (abandoned): let the caller try again.
                        None => return Ok(Begin::InProgress),
                    },
                },
                _ => return Err(StoreError::from_sdk(error).into()),
            },
        };
        let existing: IdempotencyItem = serde_dynamo::from_item(existing).map_err(|e| corrupt(ENTITY, e))?;
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
            .key(keys::PK, AttributeValue::S(keys::idempotency_pk(key)))
            .key(keys::SK, AttributeValue::S(keys::IDEMPOTENCY_SK.to_string()))
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
            .key(keys::PK, AttributeValue::S(keys::idempotency_pk(key)))
            .key(keys::SK, AttributeValue::S(keys::IDEMPOTENCY_SK.to_string()))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

impl DynamoStore {
    async fn get_raw(&self, pk: &str) -> Result<Option<super::dynamo::Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk.to_string()))
            .key(keys::SK, AttributeValue::S(keys::IDEMPOTENCY_SK.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(output.item)
    }
}
