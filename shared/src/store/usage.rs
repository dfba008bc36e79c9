use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dynamo::{key, to_item, DynamoStore, Item};
use super::errors::StoreError;
use super::items::Stored;
use super::keys;
use super::page::{Page, PageRequest};
use crate::domain::{BandwidthDay, DailyRollup, MonthlyRollup, OrgId, UsageRecord, UserDay, CATALOG};
use crate::error::Result;

/// A day of one org's service that has records newer than its rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyDay {
    pub org_id: OrgId,
    pub service: String,
    pub date: chrono::NaiveDate,
    /// When it was last touched: clearing it only succeeds if no record came since.
    pub touched: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct DirtyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    org_id: OrgId,
    service: String,
    date: NaiveDate,
    touched: String,
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
        let dirty = DirtyItem {
            pk: keys::USAGE_DIRTY_PK.into(),
            sk: keys::dirty_sk(org, service, &date),
            entity: DIRTY.into(),
            org_id: org.clone(),
            service: service.to_string(),
            date,
            touched: touched.to_string(),
        };
        self.put_when(to_item(&dirty)?, None, &[])
    }
}

const USER_DAY: &str = "UserDay";
const BANDWIDTH: &str = "BandwidthDay";
const DIRTY: &str = "DirtyUsageDay";
const DAILY: &str = "DailyRollup";
const MONTHLY: &str = "MonthlyRollup";

fn record_item(record: &UsageRecord) -> Result<(String, String, Item)> {
    let (pk, sk, item) = match record {
        UsageRecord::Users(day) => {
            let pk = keys::usage_pk(&day.org_id, &day.service, &day.date);
            let sk = keys::user_sk(&day.user_hash);
            let item = to_item(&Stored::new(pk.clone(), sk.clone(), USER_DAY, day.clone()))?;
            (pk, sk, item)
        }
        UsageRecord::Bandwidth(day) => {
            let pk = keys::usage_pk(&day.org_id, crate::domain::GATEWAY, &day.date);
            let sk = keys::BANDWIDTH_SK.to_string();
            let item = to_item(&Stored::new(pk.clone(), sk.clone(), BANDWIDTH, day.clone()))?;
            (pk, sk, item)
        }
    };
    Ok((pk, sk, item))
}

impl DynamoStore {
    /// Stores the records and marks their days for the rollup. A repeated record
    /// overwrites itself.
    pub async fn put_records(&self, records: &[UsageRecord], touched: &str) -> Result<()> {
        // One write per key: a batch may not name a key twice, and the last record wins.
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for record in records {
            let (pk, sk, item) = record_item(record)?;
            items.insert((pk, sk), item);
            let dirty = DirtyItem {
                pk: keys::USAGE_DIRTY_PK.into(),
                sk: keys::dirty_sk(record.org_id(), record.service(), &record.date()),
                entity: DIRTY.into(),
                org_id: record.org_id().clone(),
                service: record.service().to_string(),
                date: record.date(),
                touched: touched.to_string(),
            };
            items.insert((dirty.pk.clone(), dirty.sk.clone()), to_item(&dirty)?);
        }
        self.batch_put(items.into_values().collect()).await
    }

    pub async fn dirty_days(&self, limit: u32) -> Result<Vec<DirtyDay>> {
        let Page { items, next: _ } = self
            .query_page::<DirtyItem>(None, keys::USAGE_DIRTY_PK, "", &PageRequest::first(limit), true, DIRTY)
            .await?;
        Ok(items
            .into_iter()
            .map(|d| DirtyDay { org_id: d.org_id, service: d.service, date: d.date, touched: d.touched })
            .collect())
    }

    /// Clears the mark unless a newer record touched the day meanwhile.
    pub async fn clear_dirty(&self, day: &DirtyDay) -> Result<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::USAGE_DIRTY_PK.into(),
                &keys::dirty_sk(&day.org_id, &day.service, &day.date),
            )))
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
        let items: Vec<Stored<UserDay>> = self
            .query_all(None, &keys::usage_pk(org, service, &date), keys::USER_SK_PREFIX, USER_DAY)
            .await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    /// The day's gateway bandwidth in MB, if reported.
    pub async fn bandwidth(&self, org: &OrgId, date: NaiveDate) -> Result<Option<f64>> {
        let item: Option<Stored<BandwidthDay>> = self
            .get(keys::usage_pk(org, crate::domain::GATEWAY, &date), keys::BANDWIDTH_SK, BANDWIDTH)
            .await?;
        Ok(item.map(|i| i.value.bandwidth_mb))
    }

    pub async fn put_daily(&self, rollup: &DailyRollup) -> Result<()> {
        let pk = keys::rollup_pk(&rollup.org_id, &rollup.service);
        self.put(to_item(&Stored::new(pk, keys::day_sk(&rollup.date), DAILY, rollup))?).await
    }

    pub async fn put_monthly(&self, rollup: &MonthlyRollup) -> Result<()> {
        let pk = keys::rollup_pk(&rollup.org_id, &rollup.service);
        self.put(to_item(&Stored::new(pk, keys::month_sk(&rollup.month), MONTHLY, rollup))?).await
    }

    pub async fn daily_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>> {
        let items: Vec<Stored<DailyRollup>> = self
            .query_range(
                None,
                &keys::rollup_pk(org, service),
                &keys::day_sk(&from),
                &keys::day_sk(&to),
                DAILY,
            )
            .await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    pub async fn monthly_rollups(
        &self,
        org: &OrgId,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<MonthlyRollup>> {
        let items: Vec<Stored<MonthlyRollup>> = self
            .query_range(
                None,
                &keys::rollup_pk(org, service),
                &keys::month_sk(from),
                &keys::month_sk(to),
                MONTHLY,
            )
            .await?;
        Ok(items.into_iter().map(|i| i.value).collect())
    }

    /// The services an org has rollups for.
    pub async fn services_with_usage(&self, org: &OrgId) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for service in CATALOG.iter() {
            let Page { items, next: _ } = self
                .query_page::<serde_json::Value>(
                    None,
                    &keys::rollup_pk(org, service.service),
                    "",
                    &PageRequest::first(1),
                    true,
                    MONTHLY,
                )
                .await?;
            if !items.is_empty() {
                found.push(service.service.to_string());
            }
        }
        Ok(found)
    }
}
