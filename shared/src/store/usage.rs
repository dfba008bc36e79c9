use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dynamo::{DynamoStore, Item};
use super::entity::{from_item, to_item, Entity, Key};
use super::errors::{corrupt, StoreError};
use super::keys;
use super::page::PageRequest;
use super::transact::{Part, Transacted};
use crate::domain::{
    days_of_month, month_of, parse_month, BandwidthDay, DailyRollup, MonthlyRollup, OrgId, RolledMonth,
    UsageRecord, UserDay, UserStanding, CATALOG,
};
use crate::error::Result;

/// A month of one org's service with records newer than its rollup: the mark
/// waiting for the rollup, which rolls the whole month up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyMonth {
    pub org_id: OrgId,
    pub service: String,
    /// The month's first day.
    pub month: NaiveDate,
    /// The last write that marked it (each write's own): clearing the mark only
    /// succeeds if no write came since.
    pub touched: String,
    /// The days that writes named since the month was last rolled up.
    pub days: BTreeSet<NaiveDate>,
}

/// The mark's attributes other than `days` (a string set, read on its own).
#[derive(Serialize, Deserialize)]
struct StoredMark {
    org_id: OrgId,
    service: String,
    /// `yyyy-mm`.
    month: String,
    touched: String,
}

/// `USAGE_DIRTY#<shard>` / `<org_id>#<service>#<yyyy-mm>`, the shard by org
/// ([`keys::dirty_shard`]).
impl Entity for StoredMark {
    const TYPE: &'static str = "DirtyUsageMonth";

    fn key(&self) -> Key {
        mark_key(&self.org_id, &self.service, &self.month)
    }
}

fn mark_key(org: &OrgId, service: &str, month: &str) -> Key {
    Key::new(keys::dirty_pk(keys::dirty_shard(org)), keys::dirty_sk(org, service, month))
}

impl DirtyMonth {
    pub fn key(&self) -> Key {
        mark_key(&self.org_id, &self.service, &month_of(self.month))
    }

    fn of(mut item: Item) -> Result<Self> {
        let days = match item.remove(DAYS) {
            Some(AttributeValue::Ss(days)) => days
                .iter()
                .map(|day| day.parse::<NaiveDate>().map_err(|e| corrupt(StoredMark::TYPE, e)))
                .collect::<Result<_>>()?,
            // Every write that marks a month names at least one day.
            other => return Err(corrupt(StoredMark::TYPE, format!("days is {other:?}"))),
        };
        let stored: StoredMark = from_item(item)?;
        let month = parse_month(&stored.month)
            .ok_or_else(|| corrupt(StoredMark::TYPE, format!("month {:?}", stored.month)))?;
        Ok(Self { org_id: stored.org_id, service: stored.service, month, touched: stored.touched, days })
    }
}

/// The mark's set of days.
const DAYS: &str = "days";

/// What every write that marks a month sets: who it is, the write that touched it
/// last, and the days it names added to the set (an `ADD` to a set is atomic, so
/// concurrent writes lose none).
const MARK_UPDATE: &str = "SET #entity = :entity, #org = :org, #service = :service, #month = :month, \
                           #touched = :touched ADD #days :days";

/// The names and values of [`MARK_UPDATE`] for one month's days.
fn mark_values(
    org: &OrgId,
    service: &str,
    month: &str,
    days: &BTreeSet<NaiveDate>,
    touched: &str,
) -> [(&'static str, &'static str, AttributeValue); 6] {
    [
        ("#entity", keys::ENTITY, AttributeValue::S(StoredMark::TYPE.into())),
        ("#org", "org_id", AttributeValue::S(org.to_string())),
        ("#service", "service", AttributeValue::S(service.into())),
        ("#month", "month", AttributeValue::S(month.into())),
        ("#touched", "touched", AttributeValue::S(touched.into())),
        ("#days", DAYS, AttributeValue::Ss(days.iter().map(NaiveDate::to_string).collect())),
    ]
}

/// The expression attribute names and values of [`MARK_UPDATE`] for one month's
/// days (`#x` is set to `:x`), as `UpdateItem` and a transaction's `Update` take them.
type MarkExpression = (HashMap<String, String>, HashMap<String, AttributeValue>);

fn mark_expression(
    org: &OrgId,
    service: &str,
    month: &str,
    days: &BTreeSet<NaiveDate>,
    touched: &str,
) -> MarkExpression {
    let (mut names, mut values) = (HashMap::new(), HashMap::new());
    for (name, attribute, value) in mark_values(org, service, month, days, touched) {
        names.insert(name.to_string(), attribute.to_string());
        values.insert(format!(":{}", &name[1..]), value);
    }
    (names, values)
}

/// Where a walk over the month marks of a range of shards has got to: the shards
/// in turn, a page of one and then of the next (so that the rollup's writes and
/// deletes, which follow the marks, spread over the shards' partitions rather than
/// pressing on one), each shard in sort-key order. A mark is met at most once in a
/// walk, so one left in place (its month failed, or a record touched it meanwhile)
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

/// `USAGE#<org_id>#<service>#<date>` / `USER#<user_hash>`.
impl Entity for UserDay {
    const TYPE: &'static str = "UserDay";

    fn key(&self) -> Key {
        Key::new(keys::usage_pk(&self.org_id, &self.service, &self.date), keys::user_sk(&self.user_hash))
    }
}

/// A user's standing from the attributes [`DynamoStore::user_standings`] reads of
/// a [`UserDay`] item.
fn standing_of(item: &Item) -> Result<UserStanding> {
    let flag = |name: &str| item.get(name).and_then(|value| value.as_bool().ok()).copied();
    let user_hash = item.get("user_hash").and_then(|value| value.as_s().ok());
    match (user_hash, flag("assigned"), flag("active")) {
        (Some(user_hash), Some(assigned), Some(active)) => {
            Ok(UserStanding { user_hash: user_hash.clone(), assigned, active })
        }
        _ => Err(corrupt(UserDay::TYPE, "user_hash, assigned or active is missing or not of its type")),
    }
}

/// `USAGE#<org_id>#gateway#<date>` / `BANDWIDTH`.
impl Entity for BandwidthDay {
    const TYPE: &'static str = "BandwidthDay";

    fn key(&self) -> Key {
        Key::new(keys::usage_pk(&self.org_id, crate::domain::GATEWAY, &self.date), keys::BANDWIDTH_SK)
    }
}

/// One day of a month's rollup item: a [`DailyRollup`] without what the month
/// item already says (org and service), kept as a JSON array in this order:
/// `[date, assigned, daily_active_users, purchased, overage, used_gb]`.
#[derive(Serialize, Deserialize)]
struct StoredDay(NaiveDate, u32, u32, u32, u32, f64);

/// A month's rollup and its days: one item, so that the rollup writes a month once
/// rather than once a day, and a trend reads its days with its months.
#[derive(Serialize, Deserialize)]
struct StoredMonth {
    #[serde(flatten)]
    month: MonthlyRollup,
    #[serde(default, with = "packed_days")]
    days: Vec<StoredDay>,
}

/// A month's days as one string attribute holding their JSON, not a list of maps:
/// the days are only ever read and written whole with their month, and one string
/// makes a month of 31 days about 1 KB instead of 3 KB (a third of the write
/// units) and far cheaper for DynamoDB to take apart than 186 nested attributes.
mod packed_days {
    use serde::{de::Error as _, ser::Error as _, Deserialize, Deserializer, Serializer};

    use super::StoredDay;

    pub fn serialize<S: Serializer>(days: &[StoredDay], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&serde_json::to_string(days).map_err(S::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<StoredDay>, D::Error> {
        let packed = String::deserialize(deserializer)?;
        serde_json::from_str(&packed).map_err(D::Error::custom)
    }
}

/// `ROLLUP#<org_id>#<service>` / `MONTH#<yyyy-mm>`.
impl Entity for StoredMonth {
    const TYPE: &'static str = "MonthlyRollup";

    fn key(&self) -> Key {
        Key::new(keys::rollup_pk(&self.month.org_id, &self.month.service), keys::month_sk(&self.month.month))
    }
}

impl From<&RolledMonth> for StoredMonth {
    fn from(rolled: &RolledMonth) -> Self {
        let days = rolled
            .days
            .iter()
            .map(|d| StoredDay(d.date, d.assigned, d.daily_active_users, d.purchased, d.overage, d.used_gb))
            .collect();
        Self { month: rolled.month.clone(), days }
    }
}

impl From<StoredMonth> for RolledMonth {
    fn from(stored: StoredMonth) -> Self {
        let month = stored.month;
        let days = stored
            .days
            .into_iter()
            .map(|StoredDay(date, assigned, daily_active_users, purchased, overage, used_gb)| DailyRollup {
                org_id: month.org_id.clone(),
                service: month.service.clone(),
                date,
                assigned,
                daily_active_users,
                purchased,
                overage,
                used_gb,
            })
            .collect();
        Self { month, days }
    }
}

impl DynamoStore {
    /// Marks the month of `first` for the next rollup, as a write to go into another
    /// change's transaction (an entitlement that changes what was purchased that month).
    pub(super) fn dirty_write(
        &self,
        org: &OrgId,
        service: &str,
        first: NaiveDate,
        touched: &str,
    ) -> Result<super::transact::Write> {
        let month = month_of(first);
        let (names, values) = mark_expression(org, service, &month, &BTreeSet::from([first]), touched);
        let update = aws_sdk_dynamodb::types::Update::builder()
            .update_expression(MARK_UPDATE)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values));
        self.update(Part::DirtyMonth, &mark_key(org, service, &month), update)
    }

    /// Marks a month for the next rollup, after its records are written.
    async fn mark(
        &self,
        org: &OrgId,
        service: &str,
        month: &str,
        days: &BTreeSet<NaiveDate>,
        touched: &str,
    ) -> Result<()> {
        let (names, values) = mark_expression(org, service, month, days, touched);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(mark_key(org, service, month).item()))
            .update_expression(MARK_UPDATE)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

fn record_item(record: &UsageRecord) -> Result<(Key, Item)> {
    Ok(match record {
        UsageRecord::Users(day) => (day.key(), to_item(day)?),
        UsageRecord::Bandwidth(day) => (day.key(), to_item(day)?),
    })
}

/// The most marks [`DynamoStore::clear_marks`] takes: DynamoDB's limit of items in
/// a transaction.
pub const MARKS_A_TRANSACTION: usize = 100;

/// Month marks written at once by [`DynamoStore::put_records`].
const MARKS_AT_ONCE: usize = 8;

impl DynamoStore {
    /// Stores the records, then marks their months for the rollup (after: a mark the
    /// rollup reads stands for records it can read). A repeated record overwrites
    /// itself.
    pub async fn put_records(&self, records: &[UsageRecord], touched: &str) -> Result<()> {
        use futures::stream::{self, StreamExt, TryStreamExt};
        // One write per key: a batch may not name a key twice, and the last record wins.
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        let mut months: BTreeMap<(OrgId, String, String), BTreeSet<NaiveDate>> = BTreeMap::new();
        for record in records {
            let (key, item) = record_item(record)?;
            items.insert((key.pk, key.sk), item);
            let month = (record.org_id().clone(), record.service().to_string(), month_of(record.date()));
            months.entry(month).or_default().insert(record.date());
        }
        self.batch_put(items.into_values().collect()).await?;
        // Owned: a closure taking references makes the future not `Send` for every
        // lifetime (a known rustc limitation with higher-ranked closures).
        stream::iter(months)
            .map(|((org, service, month), days)| async move {
                self.mark(&org, &service, &month, &days, touched).await
            })
            .buffer_unordered(MARKS_AT_ONCE)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// The next page of month marks of the walk, read consistently: up to `limit` of
    /// one shard (then the walk turns to the next shard); none once every shard is read.
    pub async fn dirty_months(&self, scan: &mut DirtyScan, limit: u32) -> Result<Vec<DirtyMonth>> {
        let count = scan.shards.len();
        // Shards read to their end are passed over; an empty one gives nothing.
        for _ in 0..count {
            let index = scan.next;
            scan.next = (scan.next + 1) % count;
            let Some(after) = scan.shards[index].take() else { continue };
            let pk = keys::dirty_pk(scan.first + index as u32);
            let page = PageRequest { limit, after };
            let (items, next) = self.query_items_consistent(&pk, "", &page, true).await?;
            if let Some(cursor) = next {
                scan.shards[index] = Some(Some(cursor));
            }
            if !items.is_empty() {
                return items.into_iter().map(DirtyMonth::of).collect();
            }
        }
        Ok(Vec::new())
    }

    /// Clears the mark unless a write touched the month meanwhile (then it stays
    /// for the next run).
    pub async fn clear_dirty(&self, mark: &DirtyMonth) -> Result<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(mark.key().item()))
            .condition_expression("touched = :touched")
            .expression_attribute_values(":touched", AttributeValue::S(mark.touched.clone()))
            .send()
            .await;
        match result.map_err(StoreError::from_sdk) {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Clears the marks (at most [`MARKS_A_TRANSACTION`]) in one transaction, each on
    /// the same condition as [`Self::clear_dirty`]: one call instead of one a mark.
    /// Whether they were: if a write touched any of them meanwhile, none is, for the
    /// caller to clear them one by one.
    pub async fn clear_marks(&self, marks: &[&DirtyMonth]) -> Result<bool> {
        if marks.is_empty() {
            return Ok(true);
        }
        let writes = marks
            .iter()
            .map(|mark| {
                let touched = AttributeValue::S(mark.touched.clone());
                self.delete_if(Part::DirtyMonth, &mark.key(), "touched = :touched", &[(":touched", touched)])
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.transact(writes).await? == Transacted::Committed)
    }

    /// Each user's standing on the day, read consistently and with only the three
    /// attributes the rollup needs (it reads every day of a month, so what each item
    /// costs to send and to read counts).
    pub async fn user_standings(
        &self,
        org: &OrgId,
        service: &str,
        date: NaiveDate,
    ) -> Result<Vec<UserStanding>> {
        let pk = keys::usage_pk(org, service, &date);
        let items =
            self.query_all_projected(&pk, keys::USER_SK_PREFIX, &["user_hash", "assigned", "active"]).await?;
        items.iter().map(standing_of).collect()
    }

    /// The gateway bandwidth in MB of each day of the month that `first` starts
    /// that has it: one call.
    pub async fn bandwidth_of_month(
        &self,
        org: &OrgId,
        first: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, f64>> {
        let keys = days_of_month(first)
            .map(|date| Key::new(keys::usage_pk(org, crate::domain::GATEWAY, &date), keys::BANDWIDTH_SK))
            .collect();
        let days: Vec<BandwidthDay> = self.batch_get(keys).await?;
        Ok(days.into_iter().map(|day| (day.date, day.bandwidth_mb)).collect())
    }

    /// Writes months with their days, 25 a call (plain puts: a rollup replaces the
    /// one before).
    pub async fn put_months(&self, months: &[RolledMonth]) -> Result<()> {
        self.batch_put(months.iter().map(|m| to_item(&StoredMonth::from(m))).collect::<Result<_>>()?).await
    }

    /// The rolled-up months from `from` to `to` (`yyyy-mm`, inclusive) with their
    /// days, in order; a month never rolled up is missing.
    pub async fn months(&self, org: &OrgId, service: &str, from: &str, to: &str) -> Result<Vec<RolledMonth>> {
        let stored: Vec<StoredMonth> = self
            .query_range(None, &keys::rollup_pk(org, service), &keys::month_sk(from), &keys::month_sk(to))
            .await?;
        Ok(stored.into_iter().map(RolledMonth::from).collect())
    }

    /// [`Self::months`], read consistently: the rollup reads the months it has written.
    pub async fn months_consistent(
        &self,
        org: &OrgId,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<RolledMonth>> {
        let stored: Vec<StoredMonth> = self
            .query_range_consistent(
                &keys::rollup_pk(org, service),
                &keys::month_sk(from),
                &keys::month_sk(to),
            )
            .await?;
        Ok(stored.into_iter().map(RolledMonth::from).collect())
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
    fn a_mark_reads_back_from_its_attributes() {
        let org = OrgId::parse("12345678").unwrap();
        let days: BTreeSet<NaiveDate> =
            ["2026-03-09", "2026-03-01"].iter().map(|d| d.parse().unwrap()).collect();
        let mut item: Item = mark_values(&org, "daas", "2026-03", &days, "t1")
            .into_iter()
            .map(|(_, attribute, value)| (attribute.to_string(), value))
            .collect();
        item.extend(mark_key(&org, "daas", "2026-03").item());
        let mark = DirtyMonth::of(item.clone()).unwrap();
        assert_eq!(mark.month, "2026-03-01".parse::<NaiveDate>().unwrap());
        assert_eq!((mark.touched.as_str(), mark.days.clone()), ("t1", days));
        assert_eq!(mark.key().sk, "12345678#daas#2026-03");
        assert_eq!(mark.key().pk, keys::dirty_pk(keys::dirty_shard(&org)));
        item.remove(DAYS);
        assert!(DirtyMonth::of(item).is_err(), "a mark names its days");
    }

    #[test]
    fn a_month_item_keeps_its_days() {
        let org = OrgId::parse("12345678").unwrap();
        let mut month = MonthlyRollup::empty(org.clone(), "daas", "2026-03".into());
        month.assigned = 4;
        month.used_gb = 1.5;
        let day = DailyRollup {
            org_id: org,
            service: "daas".into(),
            date: "2026-03-09".parse().unwrap(),
            assigned: 4,
            daily_active_users: 2,
            purchased: 3,
            overage: 1,
            used_gb: 0.25,
        };
        let rolled = RolledMonth { month, days: vec![day] };
        let item = to_item(&StoredMonth::from(&rolled)).unwrap();
        assert_eq!(item[keys::SK].as_s().unwrap(), "MONTH#2026-03");
        let back: StoredMonth = from_item(item).unwrap();
        assert_eq!(RolledMonth::from(back), rolled);
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
