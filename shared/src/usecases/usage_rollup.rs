//! The scheduled rollup: every day with records newer than its rollup is rolled up
//! again, then its month. The result depends only on the records and entitlements,
//! so running it twice gives the same rollups, and a record that arrives late for an
//! earlier day is picked up by the next run.

use super::Context;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::domain::{
    days_of_month, mb_to_gb, month_of, overage, overage_gb, round_gb, DailyRollup, Entitlement,
    GatewayCommitment, Kind, MonthlyRollup, OrgId, Term, GATEWAY,
};
use crate::error::Result;
use crate::store::{DirtyDay, DirtyScan};

/// Marked days read, and rolled up, at once.
pub const BATCH: u32 = 200;
const MAX_BATCHES: usize = 10_000;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct RollupReport {
    /// Days rolled up, with every month they feed, and their marks cleared.
    pub days: usize,
    /// Months rolled up.
    pub months: usize,
    /// Days left marked for the next run because they, or a month they feed, could
    /// not be rolled up (each failure is logged).
    pub failed: usize,
    /// The run stopped at its deadline with markers still unread: the next run goes on.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
}

/// A month of an org's service, by its first day.
type Month = (OrgId, String, NaiveDate);

fn month_of_day(day: &DirtyDay) -> Month {
    (day.org_id.clone(), day.service.clone(), day.date.with_day(1).unwrap_or(day.date))
}

/// Whether `month` must wait because a month of its series failed in this run: the
/// month itself, or for the gateway an earlier one (its cumulative use feeds later
/// months).
fn blocked(failed: &BTreeSet<Month>, (org, service, first): &Month) -> bool {
    failed
        .iter()
        .any(|(o, s, f)| o == org && s == service && (f == first || (service == GATEWAY && f <= first)))
}

fn log_failure(org: &OrgId, service: &str, what: &str, when: &str, code: &str) {
    tracing::warn!(
        org_id = %org,
        service,
        date = when,
        code,
        "usage rollup: the {what} could not be rolled up; it stays marked for the next run"
    );
}

/// The paid entitlement of the service in force on `date`, if any.
fn paid_on<'a>(entitlements: &'a [Entitlement], service: &str, date: NaiveDate) -> Option<&'a Entitlement> {
    entitlements
        .iter()
        .filter(|e| e.service == service && e.kind == Kind::Paid)
        .find(|e| e.starts_at.date_naive() <= date && e.expires_at.is_none_or(|end| date < end.date_naive()))
}

/// The paid gateway entitlements in force on any day from `first` to `last`, oldest first.
fn gateway_in_force(
    entitlements: &[Entitlement],
    first: NaiveDate,
    last: NaiveDate,
) -> impl Iterator<Item = &Entitlement> {
    entitlements.iter().filter(move |e| {
        e.service == GATEWAY
            && e.kind == Kind::Paid
            && e.starts_at.date_naive() <= last
            && e.expires_at.is_none_or(|end| first < end.date_naive())
    })
}

fn purchased_on(entitlements: &[Entitlement], service: &str, date: NaiveDate) -> u32 {
    paid_on(entitlements, service, date).and_then(|e| e.license_count).unwrap_or(0)
}

/// The first month of the billing period that `month` falls in.
fn billing_period_start(entitlement: Option<&Entitlement>, month: NaiveDate) -> NaiveDate {
    let Some(e) = entitlement else { return month };
    let start = e.starts_at.date_naive().with_day(1).unwrap_or(month);
    match e.term {
        Some(Term::Annual) => {
            let elapsed = (month.year() - start.year()) * 12 + month.month() as i32 - start.month() as i32;
            let periods = elapsed.max(0) / 12;
            start.checked_add_months(Months::new(periods as u32 * 12)).unwrap_or(month)
        }
        Some(Term::Termed) => start.min(month),
        Some(Term::Monthly) | None => month,
    }
}

/// How many days (and months) are rolled up at once: the work is I/O, one query or
/// write after another, so doing several side by side is what keeps a year of a
/// hundred customers inside one scheduled invocation.
pub const CONCURRENCY: usize = 16;

/// Daily or monthly rollups written in one BatchWriteItem.
pub const WRITE_AT_ONCE: usize = 25;

/// One invocation's share of the work: the shards of day markers it walks and when
/// it stops taking new batches. What it leaves stays marked for the next run.
#[derive(Debug, Clone)]
pub struct Share {
    pub shards: std::ops::Range<u32>,
    pub until: Option<std::time::Instant>,
}

impl Share {
    /// Every shard, with no deadline.
    pub fn all() -> Self {
        Self { shards: 0..crate::store::keys::DIRTY_SHARDS, until: None }
    }
}

/// One run over every shard: [`run_share`] of [`Share::all`].
pub async fn run(cx: &Context<'_>) -> Result<RollupReport> {
    run_share(cx, &Share::all()).await
}

/// One run over a share. A day whose rollup fails (or whose org's entitlements
/// cannot be read) is logged and left marked, and its month is not rolled up from a
/// partial picture in this run; the other days go on. The markers are read as one
/// walk over the shards, so a day left marked is not read again in this run: the
/// next run retries it. Past `until`, no new batch starts.
pub async fn run_share(cx: &Context<'_>, share: &Share) -> Result<RollupReport> {
    use futures::FutureExt;
    let mut report = RollupReport::default();
    let mut scan = DirtyScan::of_shards(share.shards.clone());
    // Months of this run that could not be rolled up: a day of theirs failed, or they did.
    let mut failed_months: BTreeSet<Month> = BTreeSet::new();
    for _ in 0..MAX_BATCHES {
        if share.until.is_some_and(|until| std::time::Instant::now() >= until) {
            report.unfinished = !scan.done();
            break;
        }
        // Boxed, as the batch is: the SDK's futures nest deep, and a Lambda's `main`
        // must stay within the compiler's limit on how deep a future's type goes.
        let dirty = cx.store.dirty_days(&mut scan, BATCH).boxed().await?;
        if dirty.is_empty() {
            break;
        }
        roll_batch(cx, &dirty, &mut failed_months, &mut report).boxed().await;
    }
    Ok(report)
}

/// What the rollup keeps of a user-metered day it has read: what that day's month
/// needs, so the month is rolled up without reading the day again.
#[derive(Debug, Default)]
struct DayUsers {
    assigned: u32,
    active: u32,
    active_users: Vec<String>,
}

impl DayUsers {
    /// `None` for a day without records (it does not count towards the month).
    fn of(users: Vec<crate::domain::UserDay>) -> Option<Self> {
        if users.is_empty() {
            return None;
        }
        let assigned = users.iter().filter(|u| u.assigned).count() as u32;
        let active_users: Vec<String> = users.into_iter().filter(|u| u.active).map(|u| u.user_hash).collect();
        Some(Self { assigned, active: active_users.len() as u32, active_users })
    }
}

/// The user-metered days read in a batch, by series (org and service) and date.
type DaysRead = HashMap<(OrgId, String), HashMap<NaiveDate, Option<DayUsers>>>;

/// Rolls up one batch of marked days and their months, and clears the marks of those
/// done; what fails is logged, counted and added to `failed_months`. Per day, the
/// read is the only call of its own: rollups are written 25 a call, a month once
/// per batch from the days already read, and the marks cleared 100 a call.
async fn roll_batch(
    cx: &Context<'_>,
    dirty: &[DirtyDay],
    failed_months: &mut BTreeSet<Month>,
    report: &mut RollupReport,
) {
    use futures::stream::{self, StreamExt};
    // Entitlements change rarely; one read per org per batch is enough.
    let orgs: BTreeSet<OrgId> = dirty.iter().map(|day| day.org_id.clone()).collect();
    let entitlements_by_org: HashMap<OrgId, Result<Vec<Entitlement>, &'static str>> = stream::iter(orgs)
        .map(|org| async move {
            let found = cx.store.entitlements_of_consistent(&org).await.map_err(|e| e.code());
            (org, found)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let by_org = &entitlements_by_org;
    let entitlements = |org: &OrgId| match by_org.get(org) {
        Some(Ok(found)) => found.as_slice(),
        _ => &[],
    };
    // By index: a closure taking a reference makes the future not `Send` for
    // every lifetime (a known rustc limitation with higher-ranked closures).
    type DayOutcome = Result<(DailyRollup, Option<Option<DayUsers>>), &'static str>;
    let outcomes: Vec<(usize, DayOutcome)> = stream::iter(0..dirty.len())
        .map(|i| async move {
            let day = &dirty[i];
            let outcome = async {
                let entitlements = match by_org.get(&day.org_id) {
                    Some(Err(code)) => return Err(*code),
                    Some(Ok(found)) => found.as_slice(),
                    None => &[],
                };
                daily(cx, entitlements, &day.org_id, &day.service, day.date).await.map_err(|e| e.code())
            }
            .await;
            (i, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut read: Vec<(usize, DailyRollup)> = Vec::new();
    let mut days_read: DaysRead = HashMap::new();
    for (i, outcome) in outcomes {
        let day = &dirty[i];
        match outcome {
            Ok((rollup, users)) => {
                if let Some(users) = users {
                    days_read
                        .entry((day.org_id.clone(), day.service.clone()))
                        .or_default()
                        .insert(day.date, users);
                }
                read.push((i, rollup));
            }
            Err(code) => {
                log_failure(&day.org_id, &day.service, "day", &day.date.to_string(), code);
                report.failed += 1;
                failed_months.insert(month_of_day(day));
            }
        }
    }
    // The day rollups, 25 a call; a call that fails fails its days.
    read.sort_by_key(|(i, _)| *i);
    let chunks: Vec<(Vec<usize>, Vec<DailyRollup>)> =
        read.chunks(WRITE_AT_ONCE).map(|chunk| chunk.iter().cloned().unzip()).collect();
    let written: Vec<(Vec<usize>, Result<(), &'static str>)> = stream::iter(chunks)
        .map(|(indexes, rollups)| async move {
            let outcome = cx.store.put_dailies(&rollups).await.map_err(|e| e.code());
            (indexes, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut rolled: Vec<&DirtyDay> = Vec::new();
    for (indexes, outcome) in written {
        for i in indexes {
            let day = &dirty[i];
            match outcome {
                Ok(()) => rolled.push(day),
                Err(code) => {
                    log_failure(&day.org_id, &day.service, "day", &day.date.to_string(), code);
                    report.failed += 1;
                    failed_months.insert(month_of_day(day));
                }
            }
        }
    }
    // Each rolled-up day's month, and the months that month feeds.
    let triggers: BTreeSet<Month> = rolled.iter().map(|d| month_of_day(d)).collect();
    let fed = expand_gateway_periods(cx, triggers, &entitlements).await;
    // A month of a failed day waits; each month is rolled up once per batch, however
    // many of its days the batch holds.
    let mut by_series: BTreeMap<(OrgId, String), BTreeSet<NaiveDate>> = BTreeMap::new();
    for month in fed.values().flatten() {
        if !blocked(failed_months, month) {
            let (org, service, first) = month.clone();
            by_series.entry((org, service)).or_default().insert(first);
        }
    }
    let days_read = &days_read;
    let series_outcomes: Vec<(Vec<MonthlyRollup>, Vec<Month>)> = stream::iter(by_series)
        .map(|((org, service), firsts)| {
            let entitlements = entitlements(&org);
            async move {
                let known = days_read.get(&(org.clone(), service.clone()));
                let (mut done, mut failed) = (Vec::new(), Vec::new());
                for first in firsts {
                    match monthly(cx, entitlements, known, &org, &service, first).await {
                        Ok(rollup) => done.push(rollup),
                        Err(error) => {
                            log_failure(&org, &service, "month", &month_of(first), error.code());
                            failed.push((org.clone(), service.clone(), first));
                            // Later gateway months would build on this one.
                            if service == GATEWAY {
                                break;
                            }
                        }
                    }
                }
                (done, failed)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut months: Vec<MonthlyRollup> = Vec::new();
    for (done, failed) in series_outcomes {
        months.extend(done);
        failed_months.extend(failed);
    }
    let written = write_in_chunks(months, WRITE_AT_ONCE, |rollups| async move {
        let outcome = cx.store.put_monthlies(&rollups).await;
        (rollups, outcome)
    })
    .await;
    for (rollups, outcome) in written {
        match outcome {
            Ok(()) => report.months += rollups.len(),
            Err(error) => {
                for rollup in rollups {
                    log_failure(&rollup.org_id, &rollup.service, "month", &rollup.month, error.code());
                    let first = NaiveDate::parse_from_str(&format!("{}-01", rollup.month), "%Y-%m-%d")
                        .unwrap_or_default();
                    failed_months.insert((rollup.org_id, rollup.service, first));
                }
            }
        }
    }
    // A day's mark is cleared only once every month it feeds is rolled up.
    let (clear, keep): (Vec<&DirtyDay>, Vec<&DirtyDay>) = rolled.into_iter().partition(|day| {
        fed.get(&month_of_day(day)).is_none_or(|months| months.iter().all(|m| !blocked(failed_months, m)))
    });
    report.failed += keep.len();
    let clear: Vec<DirtyDay> = clear.into_iter().cloned().collect();
    let cleared = write_in_chunks(clear, crate::store::CLEAR_AT_ONCE, |days| async move {
        let outcome = cx.store.clear_dirty_days(&days).await;
        (days, outcome)
    })
    .await;
    for (days, outcome) in cleared {
        match outcome {
            Ok(()) => report.days += days.len(),
            // Rolled up, but still marked: the next run does it again.
            Err(error) => {
                for day in days {
                    log_failure(&day.org_id, &day.service, "day's mark", &day.date.to_string(), error.code());
                    report.failed += 1;
                }
            }
        }
    }
}

/// Each month of the rolled-up days (the key) with the months rolled up for it: itself
/// and, for the gateway, whose cumulative use feeds every later month of its billing
/// period, those too (up to the current month), in order.
async fn expand_gateway_periods<'e>(
    cx: &Context<'_>,
    months: BTreeSet<Month>,
    entitlements_of: &impl Fn(&OrgId) -> &'e [Entitlement],
) -> BTreeMap<Month, Vec<Month>> {
    let this_month = cx.clock.now().date_naive().with_day(1).unwrap_or_default();
    let mut all: BTreeMap<Month, Vec<Month>> = BTreeMap::new();
    for (org, service, first) in months {
        let mut fed = vec![(org.clone(), service.clone(), first)];
        if service == GATEWAY {
            let entitlements = entitlements_of(&org);
            let mut month = first;
            while month <= this_month {
                let next = month.checked_add_months(Months::new(1)).unwrap_or(this_month);
                let entitlement = paid_on(entitlements, GATEWAY, month);
                if month != first && billing_period_start(entitlement, month) == month {
                    break;
                }
                if month != first {
                    fed.push((org.clone(), service.clone(), month));
                }
                if next <= month {
                    break;
                }
                month = next;
            }
        }
        all.insert((org, service, first), fed);
    }
    all
}

async fn daily(
    cx: &Context<'_>,
    entitlements: &[Entitlement],
    org: &OrgId,
    service: &str,
    date: NaiveDate,
) -> Result<(DailyRollup, Option<Option<DayUsers>>)> {
    if service == GATEWAY {
        let mb = cx.store.bandwidth(org, date).await?.unwrap_or(0.0);
        let rollup = DailyRollup {
            org_id: org.clone(),
            service: service.to_string(),
            date,
            assigned: 0,
            daily_active_users: 0,
            purchased: 0,
            overage: 0,
            used_gb: mb_to_gb(mb),
        };
        return Ok((rollup, None));
    }
    let users = DayUsers::of(cx.store.user_days(org, service, date).await?);
    let (assigned, daily_active_users) = users.as_ref().map_or((0, 0), |u| (u.assigned, u.active));
    let purchased = purchased_on(entitlements, service, date);
    let rollup = DailyRollup {
        org_id: org.clone(),
        service: service.to_string(),
        date,
        assigned,
        daily_active_users,
        purchased,
        overage: overage(assigned, purchased),
        used_gb: 0.0,
    };
    Ok((rollup, Some(users)))
}

/// The month's rollup; for a user-metered service, from the days in `known` (read
/// in this batch) and a read of each other day of the month.
async fn monthly(
    cx: &Context<'_>,
    entitlements: &[Entitlement],
    known: Option<&HashMap<NaiveDate, Option<DayUsers>>>,
    org: &OrgId,
    service: &str,
    first: NaiveDate,
) -> Result<MonthlyRollup> {
    let mut rollup = MonthlyRollup::empty(org.clone(), service, month_of(first));
    let last = days_of_month(first).last().unwrap_or(first);
    if service == GATEWAY {
        let entitlement =
            paid_on(entitlements, GATEWAY, last).or_else(|| paid_on(entitlements, GATEWAY, first));
        let period_start = billing_period_start(entitlement, first);
        let days = cx.store.daily_rollups_consistent(org, service, period_start, last).await?;
        let month_days = days.iter().filter(|d| d.date >= first);
        rollup.used_gb = round_gb(month_days.map(|d| d.used_gb).sum());
        rollup.cumulative_gb = round_gb(days.iter().map(|d| d.used_gb).sum());
        rollup.term = entitlement.and_then(|e| e.term);
        // Every gateway entitlement in force at any time in the month commits its GB
        // for that month; the month's commitment is their total.
        rollup.commitments = gateway_in_force(entitlements, first, last)
            .map(|e| GatewayCommitment {
                entitlement_id: e.entitlement_id,
                term: e.term,
                committed_gb: e.committed_gb.unwrap_or(0) as f64,
            })
            .collect();
        rollup.committed_gb = round_gb(rollup.commitments.iter().map(|c| c.committed_gb).sum());
        rollup.overage_gb = overage_gb(rollup.used_gb, rollup.committed_gb);
        return Ok(rollup);
    }
    use futures::stream::{self, StreamExt};
    let unread: Vec<NaiveDate> =
        days_of_month(first).filter(|date| known.is_none_or(|days| !days.contains_key(date))).collect();
    let read: Vec<(NaiveDate, Result<Vec<crate::domain::UserDay>>)> = stream::iter(unread)
        .map(|date| async move { (date, cx.store.user_days(org, service, date).await) })
        .buffered(8)
        .collect()
        .await;
    let mut fresh: HashMap<NaiveDate, Option<DayUsers>> = HashMap::new();
    for (date, users) in read {
        fresh.insert(date, DayUsers::of(users?));
    }
    let mut active: HashSet<&str> = HashSet::new();
    for date in days_of_month(first) {
        let day = fresh.get(&date).or_else(|| known.and_then(|days| days.get(&date)));
        let Some(Some(users)) = day else { continue };
        rollup.assigned = rollup.assigned.max(users.assigned);
        rollup.peak_daily_active_users = rollup.peak_daily_active_users.max(users.active);
        rollup.purchased = rollup.purchased.max(purchased_on(entitlements, service, date));
        active.extend(users.active_users.iter().map(String::as_str));
    }
    rollup.monthly_active_users = active.len() as u32;
    rollup.overage = overage(rollup.assigned, rollup.purchased);
    Ok(rollup)
}

/// Writes `items` `size` at a time, [`CONCURRENCY`] calls at once, each chunk handed
/// back with the outcome of its call (in no particular order).
async fn write_in_chunks<T, W, Fut>(items: Vec<T>, size: usize, write: W) -> Vec<(Vec<T>, Result<()>)>
where
    T: Clone,
    W: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, Result<()>)>,
{
    let chunks: Vec<Vec<T>> = items.chunks(size).map(<[T]>::to_vec).collect();
    use futures::stream::{self, StreamExt};
    stream::iter(chunks).map(write).buffer_unordered(CONCURRENCY).collect().await
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn gateway(term: Term, start: (i32, u32, u32), months: u32) -> Entitlement {
        let starts_at = Utc.with_ymd_and_hms(start.0, start.1, start.2, 0, 0, 0).unwrap();
        Entitlement {
            entitlement_id: uuid::Uuid::nil(),
            org_id: OrgId::from_number(1),
            service: GATEWAY.into(),
            kind: Kind::Paid,
            pending_approval: false,
            license_count: Some(1),
            term: Some(term),
            starts_at,
            expires_at: starts_at.checked_add_months(Months::new(months)),
            committed_gb: Some(100),
            added_by: "s".into(),
            added_at: starts_at,
            approved_at: None,
            declined_at: None,
            decline_reason: None,
            converted_at: None,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn billing_periods_follow_the_term() {
        let annual = gateway(Term::Annual, (2025, 3, 15), 24);
        assert_eq!(billing_period_start(Some(&annual), day(2025, 3, 1)), day(2025, 3, 1));
        assert_eq!(billing_period_start(Some(&annual), day(2026, 2, 1)), day(2025, 3, 1));
        assert_eq!(
            billing_period_start(Some(&annual), day(2026, 3, 1)),
            day(2026, 3, 1),
            "a new year of the term"
        );
        let monthly = gateway(Term::Monthly, (2025, 3, 15), 12);
        assert_eq!(billing_period_start(Some(&monthly), day(2025, 7, 1)), day(2025, 7, 1));
        let termed = gateway(Term::Termed, (2025, 3, 15), 18);
        assert_eq!(billing_period_start(Some(&termed), day(2026, 6, 1)), day(2025, 3, 1));
        assert_eq!(billing_period_start(None, day(2026, 6, 1)), day(2026, 6, 1));
    }

    #[test]
    fn purchased_is_the_paid_entitlement_in_force_that_day() {
        let paid = gateway(Term::Annual, (2025, 3, 15), 12);
        let all = [paid];
        assert_eq!(purchased_on(&all, GATEWAY, day(2025, 3, 14)), 0);
        assert_eq!(purchased_on(&all, GATEWAY, day(2025, 3, 15)), 1);
        assert_eq!(purchased_on(&all, GATEWAY, day(2026, 3, 14)), 1);
        assert_eq!(purchased_on(&all, GATEWAY, day(2026, 3, 15)), 0, "ended");
        assert_eq!(purchased_on(&all, "daas", day(2025, 6, 1)), 0);
    }
}
