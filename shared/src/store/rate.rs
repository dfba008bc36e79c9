//! A rolling-window limit, exact and race-free: the times of the last `limit` uses sit
//! in a ring of slots on one item, and a use takes the oldest slot only if that use
//! has left the window. The write is conditional on the ring's version, so two
//! racing uses cannot both take the same slot.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::dynamo::{key, DynamoStore};
use super::errors::StoreError;
use super::keys;
use crate::domain::OrgId;
use crate::error::{AppError, Result};
use crate::ports::RateLimiter;

const MAX_ROUNDS: usize = 20;

#[async_trait]
impl RateLimiter for DynamoStore {
    async fn take(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Duration>> {
        let item_key = key(keys::rate_pk(org, what), keys::RATE_SK);
        for _ in 0..MAX_ROUNDS {
            let current = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(item_key.clone()))
                .consistent_read(true)
                .send()
                .await
                .map_err(StoreError::from_sdk)?
                .item
                .unwrap_or_default();
            let number = |name: &str| {
                current.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok())
            };
            let used = number("n").unwrap_or(0);
            let slot = format!("s{}", used % i64::from(limit.max(1)));
            if let Some(oldest) = number(&slot) {
                let frees_at = oldest + window.num_seconds();
                if frees_at > now.timestamp() {
                    return Ok(Err(Duration::from_secs((frees_at - now.timestamp()) as u64)));
                }
            }
            let version_holds = if used == 0 { "attribute_not_exists(n)" } else { "n = :used" };
            let mut update = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(item_key.clone()))
                .update_expression("SET n = :next, #slot = :now, entity = :entity")
                .condition_expression(version_holds)
                .expression_attribute_names("#slot", &slot)
                .expression_attribute_values(":next", AttributeValue::N((used + 1).to_string()))
                .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
                .expression_attribute_values(":entity", AttributeValue::S("RateWindow".into()));
            if used != 0 {
                update = update.expression_attribute_values(":used", AttributeValue::N(used.to_string()));
            }
            match update.send().await.map_err(StoreError::from_sdk) {
                Ok(_) => return Ok(Ok(())),
                Err(StoreError::ConditionFailed) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Unavailable { retry_after: Duration::from_secs(1) })
    }
}
