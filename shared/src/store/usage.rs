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

/// How many day marks [`DynamoStore::clear_dirty_days`] clears in one call: the
/// items one TransactWriteItems takes.
pub const CLEAR_AT_ONCE: usize = 100;

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

/// Where a walk over the day markers of a range of shards has got to: the shards
/// in turn, a page of one and then of the next (so that the rollup's writes and
/// deletes, which follow the markers, spread over the shards' partitions rather than
/// pressing on one), each shard in sort-key order. A marker is met at most once in a
/// walk, so one left in place (its day failed, or a record touched it meanwhile)
/// waits for the next walk rather than being read again.
#[derive(Debug, Clone)]
pub struct DirtyScan {
    first: u32,
    /// Per shard of the range: where its next page starts, or `None` once read to its end.
    shards: Vec<Option<Option<super::page::Cursor>>>,
    /// The shard whose page comes next (an index into `shards`).
    next: usize,
}

impl DirtyScan {
    /// A walk over every shard.
    pub fn start() -> Self {
        Self::of_shards(0..keys::DIRTY_SHARDS)
    }

    /// A walk over the shards of `range` (clamped to the shards there are): one
    /// invocation's share of a run fanned out over several.
    pub fn of_shards(range: std::ops::Range<u32>) -> Self {
        let end = range.end.min(keys::DIRTY_SHARDS);
        let first = range.start.min(end);
        Self { first, shards: vec![Some(None); (end - first) as usize], next: 0 }
    }

    /// Every shard has been read to its end.
    pub fn done(&self) -> bool {
        self.shards.iter().all(Option::is_none)
    }
}

/// The shared start of the sort keys of one month of one org's service:
/// `<org_id>#<service>#<yyyy-mm>-`.
fn month_prefix(day: &DirtyDay) -> String {
    let date = keys::dirty_sk(&day.org_id, &day.service, &day.date);
    // `<date>` is `yyyy-mm-dd`: drop the day.
    date[..date.len() - 2].to_string()
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

    /// The next page of day markers of the walk, read consistently: about `limit`
    /// of one shard (then the walk turns to the next shard), and the rest of the
    /// last marker's month, so that a month's days come in one page and its rollup
    /// reads them once; none once every shard is read.
    pub async fn dirty_days(&self, scan: &mut DirtyScan, limit: u32) -> Result<Vec<DirtyDay>> {
        let mut found: Vec<DirtyDay> = Vec::new();
        let count = scan.shards.len();
        // Shards read to their end are passed over; an empty one gives nothing.
        for _ in 0..count {
            let index = scan.next;
            scan.next = (scan.next + 1) % count;
            let Some(after) = scan.shards[index].take() else { continue };
            let pk = keys::dirty_pk(scan.first + index as u32);
            let page = PageRequest { limit, after };
            let (items, next) = self.query_items_consistent(&pk, "", &page, true).await?;
            for item in items {
                found.push(from_item(item)?);
            }
            // The rest of the last marker's month, if the page cut it.
            let next = match (next, found.last()) {
                (Some(cursor), Some(last)) => {
                    let prefix = month_prefix(last);
                    let mut rest = PageRequest { limit: 32, after: Some(cursor) };
                    loop {
                        let (items, more) = self.query_items_consistent(&pk, &prefix, &rest, true).await?;
                        for item in items {
                            found.push(from_item(item)?);
                        }
                        match more {
                            Some(cursor) => rest.after = Some(cursor),
                            None => break,
                        }
                    }
                    // Where the shard goes on: after the last marker read.
                    found.last().map(|last| {
                        let Key { pk, sk } = last.key();
                        super::dynamo::cursor_of(
                            [
                                (keys::PK.to_string(), AttributeValue::S(pk)),
                                (keys::SK.to_string(), AttributeValue::S(sk)),
                            ]
                            .into_iter()
                            .collect(),
                        )
                    })
                }
                (next, _) => next,
            };
            if let Some(cursor) = next {
                scan.shards[index] = Some(Some(cursor));
            }
            if !found.is_empty() {
                break;
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

    /// [`Self::clear_dirty`] for up to [`CLEAR_AT_ONCE`] days in one call: one
    /// transaction of conditional deletes (BatchWriteItem takes no condition). If a
    /// record touched one of them meanwhile, the transaction as a whole is refused,
    /// and each mark is then cleared on its own, so the touched one stays.
    pub async fn clear_dirty_days(&self, days: &[DirtyDay]) -> Result<()> {
        if days.len() <= 1 {
            return match days.first() {
                Some(day) => self.clear_dirty(day).await,
                None => Ok(()),
            };
        }
        let deletes = days
            .iter()
            .map(|day| {
                self.delete_if(
                    Part::DirtyDay,
                    &day.key(),
                    "touched = :touched",
                    &[(":touched", AttributeValue::S(day.touched.clone()))],
                )
            })
            .collect::<Result<Vec<_>>>()?;
        match self.transact(deletes).await? {
            super::transact::Transacted::Committed => Ok(()),
            super::transact::Transacted::ConditionFailed(_) => {
                for day in days {
                    self.clear_dirty(day).await?;
                }
                Ok(())
            }
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

    /// Writes daily rollups, 25 a call (plain puts: a rollup replaces the one before).
    pub async fn put_dailies(&self, rollups: &[DailyRollup]) -> Result<()> {
        self.batch_put(rollups.iter().map(to_item).collect::<Result<_>>()?).await
    }

    /// Writes monthly rollups, 25 a call.
    pub async fn put_monthlies(&self, rollups: &[MonthlyRollup]) -> Result<()> {
        self.batch_put(rollups.iter().map(to_item).collect::<Result<_>>()?).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_prefix_covers_the_days_of_that_month_only() {
        let day = |date: &str| DirtyDay {
            org_id: OrgId::parse("12345678").unwrap(),
            service: "daas".into(),
            date: date.parse().unwrap(),
            touched: String::new(),
        };
        let prefix = month_prefix(&day("2026-03-09"));
        assert_eq!(prefix, "12345678#daas#2026-03-");
        for date in ["2026-03-01", "2026-03-31"] {
            assert!(day(date).key().sk.starts_with(&prefix));
        }
        for date in ["2026-02-28", "2026-04-01"] {
            assert!(!day(date).key().sk.starts_with(&prefix));
        }
    }

    #[test]
    fn a_scan_of_a_range_walks_only_its_shards() {
        let scan = DirtyScan::of_shards(8..16);
        assert_eq!((scan.first, scan.shards.len()), (8, 8));
        assert!(!scan.done());
        let clamped = DirtyScan::of_shards(30..40);
        assert_eq!((clamped.first, clamped.shards.len()), (30, 2));
        assert!(DirtyScan::of_shards(5..5).done());
    }
}
