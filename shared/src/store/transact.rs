//! TransactWriteItems with the cancellation reasons read, and the conflicts real
//! DynamoDB raises under contention retried with jittered backoff.

use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use rand::Rng;

use super::dynamo::{DynamoStore, Item};
use super::errors::StoreError;
use crate::error::{AppError, Result};

/// Attempts before a write under contention gives up with 503.
pub const MAX_ATTEMPTS: u32 = 5;
const BASE_BACKOFF_MS: u64 = 20;

/// How a transaction ended, when it did not fail outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transacted {
    Committed,
    /// A condition did not hold: for each item in order, whether its condition failed.
    ConditionFailed(Vec<bool>),
}

impl Transacted {
    pub fn failed(&self, index: usize) -> bool {
        matches!(self, Self::ConditionFailed(failed) if failed.get(index).copied().unwrap_or(false))
    }
}

/// One item to write, with its condition.
pub struct Write {
    pub(super) item: TransactWriteItem,
}

impl DynamoStore {
    pub(super) fn put_new(&self, item: Item) -> Result<Write> {
        self.put_if(item, "attribute_not_exists(PK)")
    }

    pub(super) fn put_if(&self, item: Item, condition: &str) -> Result<Write> {
        self.put_when(item, Some(condition), &[])
    }

    /// A put with an optional condition and the values it names.
    pub(super) fn put_when(
        &self,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<Write> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string));
        for (name, value) in values {
            put = put.expression_attribute_values(*name, value.clone());
        }
        let put = put.build().map_err(AppError::internal)?;
        Ok(Write { item: TransactWriteItem::builder().put(put).build() })
    }

    pub(super) fn update(&self, update: aws_sdk_dynamodb::types::builders::UpdateBuilder) -> Result<Write> {
        let update: Update = update.table_name(&self.table).build().map_err(AppError::internal)?;
        Ok(Write { item: TransactWriteItem::builder().update(update).build() })
    }

    pub(super) fn delete_existing(&self, key: Item) -> Result<Write> {
        self.delete_if(key, "attribute_exists(PK)", &[])
    }

    /// A delete under a condition, with the values it names.
    pub(super) fn delete_if(
        &self,
        key: Item,
        condition: &str,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<Write> {
        let mut delete =
            Delete::builder().table_name(&self.table).set_key(Some(key)).condition_expression(condition);
        for (name, value) in values {
            delete = delete.expression_attribute_values(*name, value.clone());
        }
        let delete = delete.build().map_err(AppError::internal)?;
        Ok(Write { item: TransactWriteItem::builder().delete(delete).build() })
    }

    /// Writes all items or none. Conflicts with concurrent transactions are retried a
    /// bounded number of times; then the caller gets 503 with `Retry-After`.
    pub(super) async fn transact(&self, writes: Vec<Write>) -> Result<Transacted> {
        let items: Vec<TransactWriteItem> = writes.into_iter().map(|w| w.item).collect();
        for attempt in 1..=MAX_ATTEMPTS {
            let result =
                self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let error = match result {
                Ok(_) => return Ok(Transacted::Committed),
                Err(error) => error,
            };
            let reasons: Option<Vec<String>> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Some(
                    cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_string())
                        .collect(),
                ),
                _ => None,
            };
            let conflict = match &reasons {
                Some(codes) if codes.iter().any(|c| c == "ConditionalCheckFailed") => {
                    return Ok(Transacted::ConditionFailed(
                        codes.iter().map(|c| c == "ConditionalCheckFailed").collect(),
                    ))
                }
                Some(codes) => codes.iter().any(|c| c == "TransactionConflict" || c == "ThrottlingError"),
                None => match StoreError::from_sdk(error) {
                    StoreError::Busy(_) => true,
                    other => return Err(other.into()),
                },
            };
            if !conflict {
                return Err(AppError::internal(format!("transaction cancelled: {reasons:?}")));
            }
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        tracing::warn!(attempts = MAX_ATTEMPTS, "transaction kept conflicting");
        Err(AppError::Unavailable { retry_after: Duration::from_secs(1) })
    }
}

/// Full jitter: a random wait up to an exponentially growing ceiling.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE_BACKOFF_MS << attempt.min(6);
    Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
}
