//! The scheduled rollup: every month with records newer than its rollup is rolled
//! up again as a whole, its days with it, from its records and the org's
//! entitlements. The result depends only on those, so running it twice gives the
//! same rollups, and a record that arrives late for an earlier day is picked up by
//! the next run.

use super::Context;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::domain::{
    days_of_month, mb_to_gb, month_of, overage, overage_gb, round_gb, DailyRollup, Entitlement,
    GatewayCommitment, Kind, MonthlyRollup, OrgId, RolledMonth, Term, UserStanding, GATEWAY,
};
use crate::error::{AppError, Result};
use crate::store::{DirtyMonth, DirtyScan, MARKS_A_TRANSACTION};

/// Marked months read, and rolled up, at once: up to about two thousand day reads,
/// so the steps between batches (entitlements, writes, clearing) cost little
/// beside them.
pub const BATCH: u32 = 64;
const MAX_BATCHES: usize = 100_000;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct RollupReport {
    /// Days named by the marks cleared: rolled up, with every month they feed.
    pub days: usize,
    /// Months rolled up.
    pub months: usize,
    /// Days left marked for the next run because their month, or a month it feeds,
    /// could not be rolled up (each failure is logged).
    pub failed: usize,
    /// The run stopped at its deadline with marks still unread: the next run goes on.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
}

impl RollupReport {
    fn add(&mut self, other: RollupReport) {
        self.days += other.days;
        self.months += other.months;
        self.failed += other.failed;
        self.unfinished |= other.unfinished;
    }
}

/// A month of an org's service, by its first day.
type Month = (OrgId, String, NaiveDate);

fn month_of_mark(mark: &DirtyMonth) -> Month {
    (mark.org_id.clone(), mark.service.clone(), mark.month)
}

/// Whether `month` must wait because a month of its series failed in this run: the
/// month itself, or for the gateway an earlier one (its cumulative use feeds later
/// months).
fn blocked(failed: &BTreeSet<Month>, (org, service, first): &Month) -> bool {
    failed
        .iter()
        .any(|(o, s, f)| o == org && s == service && (f == first || (service == GATEWAY && f <= first)))
}

fn log_failure(org: &OrgId, service: &str, month: NaiveDate, code: &str) {
    tracing::warn!(
        org_id = %org,
        service,
        month = month_of(month),
        code,
        "usage rollup: the month could not be rolled up; it stays marked for the next run"
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

/// How many reads (a day of a user-metered month, or a gateway series) and writes
/// run at once: the work is I/O, one query or write after another, so doing several
/// side by side is what keeps a year of a hundred customers inside one scheduled
/// invocation.
pub const CONCURRENCY: usize = 16;

/// Months (each with its days) written in one BatchWriteItem.
pub const WRITE_AT_ONCE: usize = 25;

/// One invocation's share of the work: the shards of month marks it walks and when
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

/// One run over a share. A month whose rollup fails (a day's records, or the org's
/// entitlements, cannot be read, or its write fails) is logged and left marked; the
/// other months go on. The marks are read as one walk over the shards, so a month
/// left marked is not read again in this run: the next run retries it. Past
/// `until`, no new batch starts.
pub async fn run_share(cx: &Context<'_>, share: &Share) -> Result<RollupReport> {
    use futures::FutureExt;
    let mut report = RollupReport::default();
    let mut scan = DirtyScan::of_shards(share.shards.clone());
    // Months of this run that could not be rolled up.
    let mut failed_months: BTreeSet<Month> = BTreeSet::new();
    // The batch rolled up and not yet stored.
    let mut pending: Option<RolledBatch> = None;
    let mut outcome = Ok(());
    for _ in 0..MAX_BATCHES {
        if share.until.is_some_and(|until| std::time::Instant::now() >= until) {
            report.unfinished = !scan.done();
            break;
        }
        // Boxed, as the batch is: the SDK's futures nest deep, and a Lambda's `main`
        // must stay within the compiler's limit on how deep a future's type goes.
        let marks = match cx.store.dirty_months(&mut scan, BATCH).boxed().await {
            Ok(marks) if marks.is_empty() => break,
            Ok(marks) => marks,
            Err(error) => {
                outcome = Err(error);
                break;
            }
        };
        // This batch's reads go on while the batch before is written and its marks
        // cleared, so the reads never wait for the writes.
        let previous = pending.take();
        let storing = async {
            match previous {
                Some(batch) => Some(store_batch(cx, batch, &failed_months).await),
                None => None,
            }
        };
        let ((rolled, read_failures), stored) =
            futures::join!(roll_batch(cx, marks, &failed_months).boxed(), storing.boxed());
        if let Some((done, store_failures)) = stored {
            report.add(done);
            failed_months.extend(store_failures);
        }
        failed_months.extend(read_failures);
        pending = Some(rolled);
    }
    if let Some(batch) = pending {
        let (done, _) = store_batch(cx, batch, &failed_months).boxed().await;
        report.add(done);
    }
    outcome.map(|()| report)
}

/// What the rollup keeps of a user-metered day it has read.
#[derive(Debug, Default)]
struct DayUsers {
    assigned: u32,
    active: u32,
    active_users: Vec<String>,
}

impl DayUsers {
    /// `None` for a day without records (it has no daily rollup).
    fn of(users: Vec<UserStanding>) -> Option<Self> {
        if users.is_empty() {
            return None;
        }
        let assigned = users.iter().filter(|u| u.assigned).count() as u32;
        let active_users: Vec<String> = users.into_iter().filter(|u| u.active).map(|u| u.user_hash).collect();
        Some(Self { assigned, active: active_users.len() as u32, active_users })
    }
}

/// One call's worth of a batch's reads: a day of a user-metered month, or a whole
/// gateway series (its months one after another: each one's cumulative use builds
/// on the one before).
enum Read {
    Day(Month, NaiveDate),
    Gateway(OrgId, BTreeSet<NaiveDate>),
}

enum ReadOutcome {
    Day(Month, NaiveDate, Result<Option<DayUsers>, &'static str>),
    Gateway(Vec<RolledMonth>, Option<(Month, &'static str)>),
}

/// A batch of marks with its months rolled up, waiting to be stored.
struct RolledBatch {
    marks: Vec<DirtyMonth>,
    /// Each marked month with the months rolled up for it.
    fed: BTreeMap<Month, Vec<Month>>,
    months: Vec<RolledMonth>,
}

/// The months of `failed` that `failed_before` did not hold.
fn new_failures(failed: BTreeSet<Month>, failed_before: &BTreeSet<Month>) -> Vec<Month> {
    failed.into_iter().filter(|month| !failed_before.contains(month)).collect()
}

/// Rolls up one batch of marked months (and, for the gateway, the later months they
/// feed) from their records, [`CONCURRENCY`] reads at a time, and hands back the
/// months that failed (each logged) beside what is to be stored.
async fn roll_batch(
    cx: &Context<'_>,
    marks: Vec<DirtyMonth>,
    failed_before: &BTreeSet<Month>,
) -> (RolledBatch, Vec<Month>) {
    use futures::stream::{self, StreamExt};
    let mut failed = failed_before.clone();
    let failed_months = &mut failed;
    // Entitlements change rarely; one read per org per batch is enough.
    let orgs: BTreeSet<OrgId> = marks.iter().map(|mark| mark.org_id.clone()).collect();
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
    for mark in &marks {
        if let Some(Err(code)) = by_org.get(&mark.org_id) {
            log_failure(&mark.org_id, &mark.service, mark.month, code);
            failed_months.insert(month_of_mark(mark));
        }
    }
    // Each marked month with the months rolled up for it.
    let triggers: BTreeSet<Month> = marks.iter().map(month_of_mark).collect();
    let fed = expand_gateway_periods(cx, triggers, &entitlements).await;
    let mut to_roll: BTreeMap<(OrgId, String), BTreeSet<NaiveDate>> = BTreeMap::new();
    for month in fed.values().flatten() {
        if !blocked(failed_months, month) {
            let (org, service, first) = month.clone();
            to_roll.entry((org, service)).or_default().insert(first);
        }
    }
    let named: BTreeMap<Month, &BTreeSet<NaiveDate>> =
        marks.iter().map(|mark| (month_of_mark(mark), &mark.days)).collect();
    let days_with_records = days_with_records(cx, &to_roll, &named).await;
    let mut reads: Vec<Read> = Vec::new();
    for ((org, service), firsts) in &to_roll {
        if service == GATEWAY {
            reads.push(Read::Gateway(org.clone(), firsts.clone()));
            continue;
        }
        for first in firsts {
            let month = (org.clone(), service.clone(), *first);
            match days_with_records.get(&month) {
                Some(Ok(days)) => reads.extend(days.iter().map(|date| Read::Day(month.clone(), *date))),
                Some(Err(code)) => {
                    log_failure(org, service, *first, code);
                    failed_months.insert(month);
                }
                None => {}
            }
        }
    }
    let outcomes: Vec<ReadOutcome> = stream::iter(reads)
        .map(|read| async move {
            match read {
                Read::Day(month, date) => {
                    let (org, service, _) = &month;
                    let users = cx.store.user_standings(org, service, date).await.map(DayUsers::of);
                    ReadOutcome::Day(month, date, users.map_err(|e| e.code()))
                }
                Read::Gateway(org, firsts) => {
                    let (done, failed) = gateway_series(cx, entitlements(&org), &org, &firsts).await;
                    ReadOutcome::Gateway(done, failed)
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    // Every user-metered month is rolled up, even one with no day to read.
    let mut days_read: BTreeMap<Month, BTreeMap<NaiveDate, Option<DayUsers>>> = to_roll
        .iter()
        .filter(|((_, service), _)| service != GATEWAY)
        .flat_map(|((org, service), firsts)| {
            firsts.iter().map(|first| (org.clone(), service.clone(), *first))
        })
        .map(|month| (month, BTreeMap::new()))
        .collect();
    let mut months: Vec<RolledMonth> = Vec::new();
    for outcome in outcomes {
        match outcome {
            ReadOutcome::Day(month, date, Ok(users)) => {
                days_read.entry(month).or_default().insert(date, users);
            }
            ReadOutcome::Day(month, _, Err(code)) => {
                if failed_months.insert(month.clone()) {
                    log_failure(&month.0, &month.1, month.2, code);
                }
            }
            ReadOutcome::Gateway(done, failed) => {
                months.extend(done);
                if let Some((month, code)) = failed {
                    log_failure(&month.0, &month.1, month.2, code);
                    failed_months.insert(month);
                }
            }
        }
    }
    for (month, days) in days_read {
        if !failed_months.contains(&month) {
            months.push(user_month(entitlements(&month.0), &month, &days));
        }
    }
    (RolledBatch { marks, fed, months }, new_failures(failed, failed_before))
}

/// Writes a rolled-up batch 25 months a call and clears the marks of those done:
/// a month that a failure of this run blocks is neither written nor cleared. Hands
/// back what it did and the months that failed (each logged).
async fn store_batch(
    cx: &Context<'_>,
    batch: RolledBatch,
    failed_before: &BTreeSet<Month>,
) -> (RollupReport, Vec<Month>) {
    let mut report = RollupReport::default();
    let mut failed = failed_before.clone();
    let failed_months = &mut failed;
    let RolledBatch { marks, fed, months } = batch;
    let months: Vec<RolledMonth> = months
        .into_iter()
        .filter(|rolled| {
            let first = crate::domain::parse_month(&rolled.month.month).unwrap_or_default();
            !blocked(failed_months, &(rolled.month.org_id.clone(), rolled.month.service.clone(), first))
        })
        .collect();
    let written = write_in_chunks(months, WRITE_AT_ONCE, |rollups| async move {
        let outcome = cx.store.put_months(&rollups).await;
        (rollups, outcome)
    })
    .await;
    for (rollups, outcome) in written {
        match outcome {
            Ok(()) => report.months += rollups.len(),
            Err(error) => {
                for rolled in rollups {
                    let (org, service) = (rolled.month.org_id, rolled.month.service);
                    let first = crate::domain::parse_month(&rolled.month.month).unwrap_or_default();
                    log_failure(&org, &service, first, error.code());
                    failed_months.insert((org, service, first));
                }
            }
        }
    }
    // A month's mark is cleared only once every month it feeds is rolled up.
    let (clear, keep): (Vec<&DirtyMonth>, Vec<&DirtyMonth>) = marks.iter().partition(|mark| {
        fed.get(&month_of_mark(mark)).is_none_or(|months| months.iter().all(|m| !blocked(failed_months, m)))
    });
    report.failed += keep.iter().map(|mark| mark.days.len()).sum::<usize>();
    for chunk in clear.chunks(MARKS_A_TRANSACTION) {
        let (cleared, failed) = clear_chunk(cx, chunk).await;
        report.days += cleared;
        report.failed += failed;
    }
    (report, new_failures(failed, failed_before))
}

/// Clears marks in one transaction; if a write touched one of them meanwhile (or the
/// transaction failed), each alone, so that only the touched ones stay. Hands back
/// the days cleared and the days still marked by a failure (each logged).
async fn clear_chunk(cx: &Context<'_>, marks: &[&DirtyMonth]) -> (usize, usize) {
    use futures::stream::{self, StreamExt};
    if let Ok(true) = cx.store.clear_marks(marks).await {
        return (marks.iter().map(|mark| mark.days.len()).sum(), 0);
    }
    // By index: a closure taking a reference makes the future not `Send` for every
    // lifetime (a known rustc limitation with higher-ranked closures).
    let cleared: Vec<(usize, Result<()>)> = stream::iter(0..marks.len())
        .map(|i| async move { (i, cx.store.clear_dirty(marks[i]).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let (mut done, mut failed) = (0, 0);
    for (i, outcome) in cleared {
        let mark = marks[i];
        match outcome {
            Ok(()) => done += mark.days.len(),
            // Rolled up, but still marked: the next run does it again.
            Err(error) => {
                log_failure(&mark.org_id, &mark.service, mark.month, error.code());
                failed += mark.days.len();
            }
        }
    }
    (done, failed)
}

/// Each marked month (the key) with the months rolled up for it: itself
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

/// The days of each user-metered month of `to_roll` that may have records: the
/// days its mark names, and the days its stored rollup holds (one query a series).
/// No other day has any: a record's day is named by a mark until a rollup that read
/// the record clears that mark (a write after the rollup's read of the mark changes
/// `touched`, and the mark stays), and that rollup stores the day before it clears.
async fn days_with_records(
    cx: &Context<'_>,
    to_roll: &BTreeMap<(OrgId, String), BTreeSet<NaiveDate>>,
    named: &BTreeMap<Month, &BTreeSet<NaiveDate>>,
) -> BTreeMap<Month, Result<BTreeSet<NaiveDate>, &'static str>> {
    use futures::stream::{self, StreamExt};
    let series: Vec<(&OrgId, &String, &BTreeSet<NaiveDate>)> = to_roll
        .iter()
        .filter(|((_, service), _)| service != GATEWAY)
        .map(|((org, service), firsts)| (org, service, firsts))
        .collect();
    let series = &series;
    // By index, as in `roll_batch`.
    let stored: Vec<(usize, Result<Vec<RolledMonth>>)> = stream::iter(0..series.len())
        .map(|i| async move {
            let (org, service, firsts) = series[i];
            let from = firsts.first().copied().unwrap_or_default();
            let to = firsts.last().copied().unwrap_or_default();
            (i, cx.store.months_consistent(org, service, &month_of(from), &month_of(to)).await)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut found = BTreeMap::new();
    for (i, months) in stored {
        let (org, service, firsts) = series[i];
        let stored_days: BTreeMap<String, BTreeSet<NaiveDate>> = match months {
            Ok(months) => months
                .into_iter()
                .map(|rolled| (rolled.month.month, rolled.days.iter().map(|d| d.date).collect()))
                .collect(),
            Err(error) => {
                let code = error.code();
                found.extend(firsts.iter().map(|first| ((org.clone(), service.clone(), *first), Err(code))));
                continue;
            }
        };
        for first in firsts {
            let month = (org.clone(), service.clone(), *first);
            let mut days = stored_days.get(&month_of(*first)).cloned().unwrap_or_default();
            days.extend(named.get(&month).into_iter().flat_map(|named| named.iter().copied()));
            found.insert(month, Ok(days));
        }
    }
    found
}

/// A user-metered month and its days, from every day of the month that has records
/// (`days`, read).
fn user_month(
    entitlements: &[Entitlement],
    (org, service, first): &Month,
    days: &BTreeMap<NaiveDate, Option<DayUsers>>,
) -> RolledMonth {
    let mut month = MonthlyRollup::empty(org.clone(), service, month_of(*first));
    let mut daily = Vec::new();
    let mut active: HashSet<&str> = HashSet::new();
    for (date, users) in days {
        let Some(users) = users else { continue };
        let purchased = purchased_on(entitlements, service, *date);
        daily.push(DailyRollup {
            org_id: org.clone(),
            service: service.clone(),
            date: *date,
            assigned: users.assigned,
            daily_active_users: users.active,
            purchased,
            overage: overage(users.assigned, purchased),
            used_gb: 0.0,
        });
        month.assigned = month.assigned.max(users.assigned);
        month.peak_daily_active_users = month.peak_daily_active_users.max(users.active);
        month.purchased = month.purchased.max(purchased);
        active.extend(users.active_users.iter().map(String::as_str));
    }
    month.monthly_active_users = active.len() as u32;
    month.overage = overage(month.assigned, month.purchased);
    RolledMonth { month, days: daily }
}

/// The gateway months `firsts` of one org, in order, each from its days' bandwidth
/// (one read a month) and, for its cumulative use, the months before it in its
/// billing period (as stored, or as just rolled up). Stops at the first month that
/// fails: the later ones build on it.
async fn gateway_series(
    cx: &Context<'_>,
    entitlements: &[Entitlement],
    org: &OrgId,
    firsts: &BTreeSet<NaiveDate>,
) -> (Vec<RolledMonth>, Option<(Month, &'static str)>) {
    let entitlement_of = |first: NaiveDate| {
        let last = days_of_month(first).last().unwrap_or(first);
        paid_on(entitlements, GATEWAY, last).or_else(|| paid_on(entitlements, GATEWAY, first))
    };
    let (Some(&earliest), Some(&latest)) = (firsts.first(), firsts.last()) else {
        return (Vec::new(), None);
    };
    let period_start = |first: NaiveDate| billing_period_start(entitlement_of(first), first);
    let from = firsts.iter().map(|first| period_start(*first)).min().unwrap_or(earliest);
    let failure =
        |first: NaiveDate, error: AppError| Some(((org.clone(), GATEWAY.to_string(), first), error.code()));
    // Each month's days' use, in GB: as stored, then as rolled up here.
    let mut used: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    match cx.store.months_consistent(org, GATEWAY, &month_of(from), &month_of(latest)).await {
        Ok(stored) => {
            for rolled in stored {
                if let Some(first) = crate::domain::parse_month(&rolled.month.month) {
                    used.insert(first, rolled.days.iter().map(|d| d.used_gb).sum());
                }
            }
        }
        Err(error) => return (Vec::new(), failure(earliest, error)),
    }
    let mut done = Vec::new();
    for &first in firsts {
        let bandwidth = match cx.store.bandwidth_of_month(org, first).await {
            Ok(found) => found,
            Err(error) => return (done, failure(first, error)),
        };
        let days: Vec<DailyRollup> = bandwidth
            .into_iter()
            .map(|(date, mb)| DailyRollup {
                org_id: org.clone(),
                service: GATEWAY.to_string(),
                date,
                assigned: 0,
                daily_active_users: 0,
                purchased: 0,
                overage: 0,
                used_gb: mb_to_gb(mb),
            })
            .collect();
        let month_used: f64 = days.iter().map(|d| d.used_gb).sum();
        used.insert(first, month_used);
        let entitlement = entitlement_of(first);
        let last = days_of_month(first).last().unwrap_or(first);
        let mut month = MonthlyRollup::empty(org.clone(), GATEWAY, month_of(first));
        month.used_gb = round_gb(month_used);
        month.cumulative_gb = round_gb(used.range(period_start(first)..=first).map(|(_, gb)| gb).sum());
        month.term = entitlement.and_then(|e| e.term);
        // Every gateway entitlement in force at any time in the month commits its GB
        // for that month; the month's commitment is their total.
        month.commitments = gateway_in_force(entitlements, first, last)
            .map(|e| GatewayCommitment {
                entitlement_id: e.entitlement_id,
                term: e.term,
                committed_gb: e.committed_gb.unwrap_or(0) as f64,
            })
            .collect();
        month.committed_gb = round_gb(month.commitments.iter().map(|c| c.committed_gb).sum());
        month.overage_gb = overage_gb(month.used_gb, month.committed_gb);
        done.push(RolledMonth { month, days });
    }
    (done, None)
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
