use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dynamo::{DynamoStore, Item};
use super::entity::{from_item, to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::page::PageRequest;
use super::transact::Part;
use crate::domain::{BandwidthDay, DailyRollup, MonthlyRollup, OrgId, UsageRecord, UserDay, CATALOG};
use crate::error::Result;

/// A day of one org's service that has records newer than its rollup: the mark
/// waiting for the rollup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirtyDay {
    pub org_id: OrgId,
    pub service: String,
    pub date: chrono::NaiveDate,
    /// When it was last touched: clearing it only succeeds if no record came since.
    pub touched: String,
}

/// `USAGE_DIRTY#<shard>` / `<org_id>#<service>#<date>`, the shard by org
/// ([`keys::dirty_shard`]).
impl Entity for DirtyDay {
    const TYPE: &'static str = "DirtyUsageDay";

    fn key(&self) -> Key {
        Key::new(
            keys::dirty_pk(keys::dirty_shard(&self.org_id)),
            keys::dirty_sk(&self.org_id, &self.service, &self.date),
        )
    }
}

/// Where a walk over the day markers of every shard has got to: shard by shard,
/// each in sort-key order, a page at a time. A marker is met at most once in a walk,
/// so one left in place (its day failed, or a record touched it meanwhile) waits for
/// the next walk rather than being read again.
#[derive(Debug, Clone, Default)]
pub struct DirtyScan {
    shard: u32,
    after: Option<super::page::Cursor>,
}

impl DirtyScan {
    pub fn start() -> Self {
        Self::default()
    }

    /// Every shard has been read to its end.
    pub fn done(&self) -> bool {
        self.shard >= keys::DIRTY_SHARDS
    }
}

/// `USAGE#<org_id>#<service>#<date>` / `USER#<user_hash>`.
impl Entity for UserDay {
    const TYPE: &'static str = "UserDay";

    fn key(&self) -> Key {
        Key::new(keys::usage_pk(&self.org_id, &self.service, &self.date), keys::user_sk(&self.user_hash))
    }
}

/// `USAGE#<org_id>#gateway#<date>` / `BANDWIDTH`.
impl Entity for BandwidthDay {
    const TYPE: &'static str = "BandwidthDay";

    fn key(&self) -> Key {
        Key::new(keys::usage_pk(&self.org_id, crate::domain::GATEWAY, &self.date), keys::BANDWIDTH_SK)
    }
}

/// `ROLLUP#<org_id>#<service>` / `DAY#<date>`.
impl Entity for DailyRollup {
    const TYPE: &'static str = "DailyRollup";

    fn key(&self) -> Key {
        Key::new(keys::rollup_pk(&self.org_id, &self.service), keys::day_sk(&self.date))
    }
}

/// `ROLLUP#<org_id>#<service>` / `MONTH#<yyyy-mm>`.
impl Entity for MonthlyRollup {
    const TYPE: &'static str = "MonthlyRollup";

    fn key(&self) -> Key {
        Key::new(keys::rollup_pk(&self.org_id, &self.service), keys::month_sk(&self.month))
    }
}

impl DynamoStore {
    /// Marks a day for the next rollup, as a write to go into another change's
    /// transaction (an entitlement that changes what was purchased that month).
    pub(super) fn dirty_write(
        &self,
        org: &OrgId,
        service: &str,
        date: NaiveDate,
        touched: &str,
    ) -> Result<super::transact::Write> {
        let dirty = DirtyDay {
            org_id: org.clone(),
            service: service.to_string(),
            date,
            touched: touched.to_string(),
        };
        self.put_when(Part::DirtyDay, to_item(&dirty)?, None, &[])
    }
}

fn record_item(record: &UsageRecord) -> Result<(Key, Item)> {
    Ok(match record {
        UsageRecord::Users(day) => (day.key(), to_item(day)?),
        UsageRecord::Bandwidth(day) => (day.key(), to_item(day)?),
    })
}

impl DynamoStore {
    /// Stores the records and marks their days for the rollup. A repeated record
    /// overwrites itself.
    pub async fn put_records(&self, records: &[UsageRecord], touched: &str) -> Result<()> {
        // One write per key: a batch may not name a key twice, and the last record wins.
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for record in records {
            let (key, item) = record_item(record)?;
            items.insert((key.pk, key.sk), item);
            let dirty = DirtyDay {
                org_id: record.org_id().clone(),
                service: record.service().to_string(),
                date: record.date(),
                touched: touched.to_string(),
            };
            let Key { pk, sk } = dirty.key();
            items.insert((pk, sk), to_item(&dirty)?);
        }
        self.batch_put(items.into_values().collect()).await
    }

    /// The next (at most) `limit` day markers of the walk, read consistently, a
    /// bounded page of one shard after another; none once every shard is read.
    pub async fn dirty_days(&self, scan: &mut DirtyScan, limit: u32) -> Result<Vec<DirtyDay>> {
        let mut found = Vec::new();
        while !scan.done() && (found.len() as u32) < limit {
            let page = PageRequest { limit: limit - found.len() as u32, after: scan.after.take() };
            let (items, next) =
                self.query_items_consistent(&keys::dirty_pk(scan.shard), "", &page, true).await?;
            for item in items {
                found.push(from_item(item)?);
            }
            match next {
                Some(cursor) => scan.after = Some(cursor),
                None => scan.shard += 1,
            }
        }
        Ok(found)
    }

    /// Clears the mark unless a newer record touched the day meanwhile.
    pub async fn clear_dirty(&self, day: &DirtyDay) -> Result<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(day.key().item()))
            .condition_expression("touched = :touched")
            .expression_attribute_values(":touched", AttributeValue::S(day.touched.clone()))
            .send()
            .await;
        match result.map_err(StoreError::from_sdk) {
            // Touched again since: the next run picks it up.
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn user_days(&self, org: &OrgId, service: &str, date: NaiveDate) -> Result<Vec<UserDay>> {
        self.query_all_consistent(&keys::usage_pk(org, service, &date), keys::USER_SK_PREFIX).await
    }

    /// The day's gateway bandwidth in MB, if reported.
    pub async fn bandwidth(&self, org: &OrgId, date: NaiveDate) -> Result<Option<f64>> {
        let day: Option<BandwidthDay> = self
            .get(Key::new(keys::usage_pk(org, crate::domain::GATEWAY, &date), keys::BANDWIDTH_SK))
            .await?;
        Ok(day.map(|d| d.bandwidth_mb))
    }

    pub async fn put_daily(&self, rollup: &DailyRollup) -> Result<()> {
        self.put(rollup).await
    }

    pub async fn put_monthly(&self, rollup: &MonthlyRollup) -> Result<()> {
        self.put(rollup).await
    }

    pub async fn daily_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        self.query_range(None, &keys::rollup_pk(org, service), &keys::day_sk(&from), &keys::day_sk(&to)).await
    }

    /// [`Self::daily_rollups`], read consistently: the rollup reads the days it has
    /// just written.
    pub async fn daily_rollups_consistent(
        &self,
        org: &OrgId,
        service: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        self.query_range_consistent(&keys::rollup_pk(org, service), &keys::day_sk(&from), &keys::day_sk(&to))
            .await
    }

    pub async fn monthly_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<MonthlyRollup>> {
        self.query_range(None, &keys::rollup_pk(org, service), &keys::month_sk(from), &keys::month_sk(to))
            .await
    }

    /// The services an org has rollups for.
    pub async fn services_with_usage(&self, org: &OrgId) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for service in CATALOG.iter() {
            // Any rollup, daily or monthly, says so.
            let (items, _) = self
                .query_items(None, &keys::rollup_pk(org, service.service), "", &PageRequest::first(1), true)
                .await?;
            if !items.is_empty() {
                found.push(service.service.to_string());
            }
        }
        Ok(found)
    }
}
