//! A rolling-window limit, exact and race-free: the times of the last `limit` uses sit
//! in `limit` slots (`s0`…) on one item, and a use takes a slot only if the slot is
//! empty or its use has left the window — so each slot holds at most one use of any
//! window, and the window at most `limit` uses. Racing uses pick among the free slots
//! at random, so most of a burst lands in different slots at once; the one whose
//! slot was taken first reads the ring again and retries (after a jittered pause)
//! until it takes a slot or finds none free. A limit answers "yes" or "not now",
//! never "busy". `n` counts the uses ever taken.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::dynamo::DynamoStore;
use super::entity::{Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::transact::{Part, Write};
use crate::domain::OrgId;
use crate::error::{AppError, Result};

/// One use of a rolling-window limit, to be written with the change it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateUse {
    pub org: OrgId,
    pub what: String,
    /// Uses taken so far, ever.
    pub used: i64,
    /// The free slot this use takes: the write holds only while it is still free.
    pub slot: String,
    pub at: DateTime<Utc>,
    /// Epoch seconds: a slot holding a time at or before this is free.
    pub free_before: i64,
}

/// The ring of one limit: `n`, the uses ever taken, and the slots `s0`… holding the
/// times (epoch seconds) of the last uses. Only ever written by [`RATE_UPDATE`].
#[derive(Debug, Default, Serialize, Deserialize)]
struct RateWindow {
    /// Its key only.
    #[serde(skip)]
    at: Key,
    #[serde(default)]
    n: i64,
    /// Every other attribute: the slots among them.
    #[serde(flatten)]
    slots: HashMap<String, serde_json::Value>,
}

impl RateWindow {
    fn key_of(org: &OrgId, what: &str) -> Key {
        Key::new(keys::rate_pk(org, what), keys::RATE_SK)
    }

    /// The time a slot holds, if any.
    fn slot(&self, name: &str) -> Option<i64> {
        self.slots.get(name).and_then(serde_json::Value::as_i64)
    }
}

/// `RATE#<org_id>#<what>` / `RATE`.
impl Entity for RateWindow {
    const TYPE: &'static str = "RateWindow";

    fn key(&self) -> Key {
        self.at.clone()
    }
}

/// How long a use keeps retrying lost races before giving up with 503: far more
/// than any realistic burst needs (each round at least one racer wins), and well
/// inside the functions' `Timeout` in template.yaml.
const TAKE_PATIENCE: Duration = Duration::from_secs(6);
/// Lost races retried whatever the time, however slow the store answers.
const MIN_ROUNDS: u32 = 5;
const BACKOFF_BASE_MS: u64 = 5;
const BACKOFF_CAP_MS: u64 = 100;

/// Full jitter: a random pause up to a ceiling that doubles with each lost race.
fn backoff(round: u32) -> Duration {
    let ceiling = (BACKOFF_BASE_MS << round.min(10)).min(BACKOFF_CAP_MS);
    Duration::from_millis(rand::rng().random_range(0..=ceiling))
}

impl DynamoStore {
    /// The use's write: it holds only while its slot is still free.
    pub(super) fn rate_write(&self, use_: &RateUse) -> Result<Write> {
        self.update(
            Part::RateSlot,
            &RateWindow::key_of(&use_.org, &use_.what),
            Update::builder()
                .update_expression(RATE_UPDATE)
                .condition_expression(RATE_CONDITION)
                .set_expression_attribute_names(Some(rate_names(use_)))
                .set_expression_attribute_values(Some(rate_values(use_))),
        )
    }

    /// Takes the use on its own; `false` when another use won the race for it (its
    /// condition failed, or a transaction holding the ring was in the way).
    async fn try_take(&self, use_: &RateUse) -> Result<bool> {
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(RateWindow::key_of(&use_.org, &use_.what).item()))
            .update_expression(RATE_UPDATE)
            .condition_expression(RATE_CONDITION)
            .set_expression_attribute_names(Some(rate_names(use_)))
            .set_expression_attribute_values(Some(rate_values(use_)))
            .send()
            .await;
        match written.map_err(StoreError::from_sdk) {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) | Err(StoreError::Busy(_)) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }
}

const RATE_UPDATE: &str = "SET #slot = :now, entity = :entity ADD n :one";
/// The slot is free: never used, or its use has left the window.
const RATE_CONDITION: &str = "attribute_not_exists(#slot) OR #slot <= :cutoff";

fn rate_names(use_: &RateUse) -> HashMap<String, String> {
    HashMap::from([("#slot".to_string(), use_.slot.clone())])
}

fn rate_values(use_: &RateUse) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":one".to_string(), AttributeValue::N("1".into())),
        (":now".to_string(), AttributeValue::N(use_.at.timestamp().to_string())),
        (":cutoff".to_string(), AttributeValue::N(use_.free_before.to_string())),
        (":entity".to_string(), AttributeValue::S(RateWindow::TYPE.into())),
    ])
}

impl DynamoStore {
    /// A use of `limit` uses of `what` for the org in the rolling `window`, not yet
    /// written; `Err(retry_after)` inside `Ok` when none is left.
    pub async fn reserve(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<RateUse, Duration>> {
        let current: RateWindow = self.get(RateWindow::key_of(org, what)).await?.unwrap_or_default();
        let used = current.n;
        // A slot holding a time at or before this is free again.
        let free_before = now.timestamp() - window.num_seconds();
        let (mut free, mut oldest) = (Vec::new(), None::<i64>);
        for index in 0..limit.max(1) {
            let slot = format!("s{index}");
            match current.slot(&slot) {
                Some(at) if at > free_before => oldest = Some(oldest.map_or(at, |o| o.min(at))),
                _ => free.push(slot),
            }
        }
        if free.is_empty() {
            let frees_at = oldest.unwrap_or(now.timestamp()) + window.num_seconds();
            return Ok(Err(Duration::from_secs((frees_at - now.timestamp()).max(1) as u64)));
        }
        let slot = free.swap_remove(rand::rng().random_range(0..free.len()));
        Ok(Ok(RateUse { org: org.clone(), what: what.to_string(), used, slot, at: now, free_before }))
    }

    /// Takes one of `limit` uses of `what` for the org in the rolling `window`;
    /// `Err(retry_after)` inside `Ok` when none is left.
    pub async fn take(
        &self,
        org: &OrgId,
        what: &str,
        limit: u32,
        window: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), Duration>> {
        let started = std::time::Instant::now();
        let mut round = 0;
        loop {
            let use_ = match self.reserve(org, what, limit, window, now).await? {
                Ok(use_) => use_,
                Err(retry_after) => return Ok(Err(retry_after)),
            };
            if self.try_take(&use_).await? {
                return Ok(Ok(()));
            }
            if started.elapsed() >= TAKE_PATIENCE && round >= MIN_ROUNDS {
                tracing::warn!(org = %org, what, rounds = round, "a rate limit kept losing races");
                return Err(AppError::Unavailable { retry_after: Duration::from_secs(1) });
            }
            tokio::time::sleep(backoff(round)).await;
            round += 1;
        }
    }
}
