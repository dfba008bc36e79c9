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

const BATCH: u32 = 200;
const MAX_BATCHES: usize = 10_000;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct RollupReport {
    pub days: usize,
    pub months: usize,
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
const CONCURRENCY: usize = 16;

pub async fn run(cx: &Context<'_>) -> Result<RollupReport> {
    use futures::stream::{self, TryStreamExt};
    let mut report = RollupReport::default();
    for _ in 0..MAX_BATCHES {
        let dirty = cx.store.dirty_days(BATCH).await?;
        if dirty.is_empty() {
            break;
        }
        // Entitlements change rarely; one read per org per batch is enough.
        let mut entitlements_by_org: HashMap<OrgId, Vec<Entitlement>> = HashMap::new();
        for day in &dirty {
            if !entitlements_by_org.contains_key(&day.org_id) {
                let found = cx.store.entitlements_of(&day.org_id).await?;
                entitlements_by_org.insert(day.org_id.clone(), found);
            }
        }
        let entitlements = |org: &OrgId| entitlements_by_org.get(org).map(Vec::as_slice).unwrap_or_default();
        stream::iter(dirty.iter().map(Ok))
            .try_for_each_concurrent(CONCURRENCY, |day| async move {
                let rollup =
                    daily(cx, entitlements(&day.org_id), &day.org_id, &day.service, day.date).await?;
                cx.store.put_daily(&rollup).await
            })
            .await?;
        report.days += dirty.len();
        let months: BTreeSet<(OrgId, String, NaiveDate)> = dirty
            .iter()
            .map(|d| (d.org_id.clone(), d.service.clone(), d.date.with_day(1).unwrap_or(d.date)))
            .collect();
        let months = expand_gateway_periods(cx, months).await?;
        // A gateway month reads the daily rollups of its period, so months of one org
        // and service go in order; different ones side by side.
        let mut by_series: BTreeMap<(OrgId, String), Vec<NaiveDate>> = BTreeMap::new();
        for (org, service, first) in months {
            by_series.entry((org, service)).or_default().push(first);
        }
        report.months += by_series.values().map(Vec::len).sum::<usize>();
        stream::iter(by_series.into_iter().map(Ok))
            .try_for_each_concurrent(CONCURRENCY, |((org, service), firsts)| {
                let entitlements = entitlements(&org);
                async move {
                    for first in firsts {
                        cx.store
                            .put_monthly(&monthly(cx, entitlements, &org, &service, first).await?)
                            .await?;
                    }
                    Ok::<(), crate::error::AppError>(())
                }
            })
            .await?;
        stream::iter(dirty.iter().map(Ok))
            .try_for_each_concurrent(CONCURRENCY, |day| cx.store.clear_dirty(day))
            .await?;
    }
    Ok(report)
}

/// A gateway month's cumulative use feeds every later month of its billing period,
/// so those are rolled up again too (up to the current month), in order.
async fn expand_gateway_periods(
    cx: &Context<'_>,
    months: BTreeSet<(OrgId, String, NaiveDate)>,
) -> Result<Vec<(OrgId, String, NaiveDate)>> {
    let this_month = cx.clock.now().date_naive().with_day(1).unwrap_or_default();
    let mut all: BTreeSet<(OrgId, String, NaiveDate)> = BTreeSet::new();
    for (org, service, first) in months {
        if service == GATEWAY {
            let entitlements = cx.store.entitlements_of(&org).await?;
            let mut month = first;
            while month <= this_month {
                let next = month.checked_add_months(Months::new(1)).unwrap_or(this_month);
                let entitlement = paid_on(&entitlements, GATEWAY, month);
                if month != first && billing_period_start(entitlement, month) == month {
                    break;
                }
                all.insert((org.clone(), service.clone(), month));
                if next <= month {
                    break;
                }
                month = next;
            }
        }
        all.insert((org, service, first));
    }
    Ok(all.into_iter().collect())
}

async fn daily(
    cx: &Context<'_>,
    entitlements: &[Entitlement],
    org: &OrgId,
    service: &str,
    date: NaiveDate,
) -> Result<DailyRollup> {
    if service == GATEWAY {
        let mb = cx.store.bandwidth(org, date).await?.unwrap_or(0.0);
        return Ok(DailyRollup {
            org_id: org.clone(),
            service: service.to_string(),
            date,
            assigned: 0,
            daily_active_users: 0,
            purchased: 0,
            overage: 0,
            used_gb: mb_to_gb(mb),
        });
    }
    let users = cx.store.user_days(org, service, date).await?;
    let assigned = users.iter().filter(|u| u.assigned).count() as u32;
    let purchased = purchased_on(entitlements, service, date);
    Ok(DailyRollup {
        org_id: org.clone(),
        service: service.to_string(),
        date,
        assigned,
        daily_active_users: users.iter().filter(|u| u.active).count() as u32,
        purchased,
        overage: overage(assigned, purchased),
        used_gb: 0.0,
    })
}

async fn monthly(
    cx: &Context<'_>,
    entitlements: &[Entitlement],
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
        let days = cx.store.daily_rollups(org, service, period_start, last).await?;
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
    let days: Vec<(NaiveDate, Result<Vec<crate::domain::UserDay>>)> = stream::iter(days_of_month(first))
        .map(|date| async move { (date, cx.store.user_days(org, service, date).await) })
        .buffered(8)
        .collect()
        .await;
    let mut active: HashSet<String> = HashSet::new();
    for (date, users) in days {
        let users = users?;
        if users.is_empty() {
            continue;
        }
        let assigned = users.iter().filter(|u| u.assigned).count() as u32;
        let day_active = users.iter().filter(|u| u.active).count() as u32;
        rollup.assigned = rollup.assigned.max(assigned);
        rollup.peak_daily_active_users = rollup.peak_daily_active_users.max(day_active);
        rollup.purchased = rollup.purchased.max(purchased_on(entitlements, service, date));
        active.extend(users.into_iter().filter(|u| u.active).map(|u| u.user_hash));
    }
    rollup.monthly_active_users = active.len() as u32;
    rollup.overage = overage(rollup.assigned, rollup.purchased);
    Ok(rollup)
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
