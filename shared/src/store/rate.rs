//! A rolling-window limit, exact and race-free: the times of the last `limit` uses sit
//! in a ring of slots on one item, and a use takes the oldest slot only if that use
//! has left the window. The write is conditional on the ring's version, so two
//! racing uses cannot both take the same slot.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};

use super::dynamo::{key, DynamoStore};
use super::errors::StoreError;
use super::keys;
use super::transact::{Transacted, Write};
use crate::domain::OrgId;
use crate::error::{AppError, Result};
use crate::ports::{RateLimiter, RateUse};

const MAX_ROUNDS: usize = 20;

impl DynamoStore {
    /// The use's write: it holds only while nobody else took a use since it was read.
    pub(super) fn rate_write(&self, use_: &RateUse) -> Result<Write> {
        let mut update = Update::builder()
            .set_key(Some(key(keys::rate_pk(&use_.org, &use_.what), keys::RATE_SK)))
            .update_expression("SET n = :next, #slot = :now, entity = :entity")
            .expression_attribute_names("#slot", &use_.slot)
            .expression_attribute_values(":next", AttributeValue::N((use_.used + 1).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(use_.at.timestamp().to_string()))
            .expression_attribute_values(":entity", AttributeValue::S("RateWindow".into()));
        update = if use_.used == 0 {
            update.condition_expression("attribute_not_exists(n)")
        } else {
            update
                .condition_expression("n = :used")
                .expression_attribute_values(":used", AttributeValue::N(use_.used.to_string()))
        };
        self.update(update)
    }
}

#[async_trait]
impl RateLimiter for DynamoStore {
    async fn reserve(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<RateUse, Duration>> {
        let current = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::rate_pk(org, what), keys::RATE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?
            .item
            .unwrap_or_default();
        let number =
            |name: &str| current.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
        let used = number("n").unwrap_or(0);
        let slot = format!("s{}", used % i64::from(limit.max(1)));
        if let Some(oldest) = number(&slot) {
            let frees_at = oldest + window.num_seconds();
            if frees_at > now.timestamp() {
                return Ok(Err(Duration::from_secs((frees_at - now.timestamp()) as u64)));
            }
        }
        Ok(Ok(RateUse { org: org.clone(), what: what.to_string(), used, slot, at: now }))
    }

    async fn take(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Duration>> {
        for _ in 0..MAX_ROUNDS {
            let use_ = match self.reserve(org, what, limit, window, now).await? {
                Ok(use_) => use_,
                Err(retry_after) => return Ok(Err(retry_after)),
            };
            if self.transact(vec![self.rate_write(&use_)?]).await? == Transacted::Committed {
                return Ok(Ok(()));
            }
        }
        Err(AppError::Unavailable { retry_after: Duration::from_secs(1) })
    }
}
