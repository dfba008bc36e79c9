//! Usage: what the services' telemetry feed reports, and the daily and monthly
//! rollups computed from it. Pure arithmetic; the rollup use case feeds it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{OrgId, Term};

/// One user's standing on one day in a user-metered service. The user is only ever
/// kept as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDay {
    pub org_id: OrgId,
    pub service: String,
    pub date: NaiveDate,
    pub user_hash: String,
    pub assigned: bool,
    pub active: bool,
}

/// One user's standing on one day, as the rollup reads it (a [`UserDay`] without
/// what its key already says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserStanding {
    pub user_hash: String,
    pub assigned: bool,
    pub active: bool,
}

/// An org's gateway bandwidth on one day (the feed sends the day's total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandwidthDay {
    pub org_id: OrgId,
    pub date: NaiveDate,
    pub bandwidth_mb: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UsageRecord {
    Users(UserDay),
    Bandwidth(BandwidthDay),
}

impl UsageRecord {
    pub fn org_id(&self) -> &OrgId {
        match self {
            Self::Users(u) => &u.org_id,
            Self::Bandwidth(b) => &b.org_id,
        }
    }

    pub fn service(&self) -> &str {
        match self {
            Self::Users(u) => &u.service,
            Self::Bandwidth(_) => super::GATEWAY,
        }
    }

    pub fn date(&self) -> NaiveDate {
        match self {
            Self::Users(u) => u.date,
            Self::Bandwidth(b) => b.date,
        }
    }
}

/// A day of one org's use of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyRollup {
    pub org_id: OrgId,
    pub service: String,
    pub date: NaiveDate,
    pub assigned: u32,
    pub daily_active_users: u32,
    pub purchased: u32,
    pub overage: u32,
    pub used_gb: f64,
}

/// A month of one org's use of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyRollup {
    pub org_id: OrgId,
    pub service: String,
    /// `YYYY-MM`.
    pub month: String,
    pub purchased: u32,
    /// The most users assigned on any day of the month.
    pub assigned: u32,
    /// Distinct users active on any day of the month.
    pub monthly_active_users: u32,
    pub peak_daily_active_users: u32,
    pub overage: u32,
    pub term: Option<Term>,
    pub used_gb: f64,
    /// Use within the billing period so far, this month included.
    pub cumulative_gb: f64,
    pub committed_gb: f64,
    pub overage_gb: f64,
    /// The gateway entitlements in force in the month, each with its committed GB
    /// (`committed_gb` is their total).
    #[serde(default)]
    pub commitments: Vec<GatewayCommitment>,
}

/// One gateway entitlement in force in a month, as the month's breakdown shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayCommitment {
    pub entitlement_id: uuid::Uuid,
    pub term: Option<Term>,
    pub committed_gb: f64,
}

impl MonthlyRollup {
    /// A month with no use: the start of a rollup, and what a trend shows for a month
    /// without records.
    pub fn empty(org_id: OrgId, service: &str, month: String) -> Self {
        Self {
            org_id,
            service: service.to_string(),
            month,
            purchased: 0,
            assigned: 0,
            monthly_active_users: 0,
            peak_daily_active_users: 0,
            overage: 0,
            term: None,
            used_gb: 0.0,
            cumulative_gb: 0.0,
            committed_gb: 0.0,
            overage_gb: 0.0,
            commitments: Vec::new(),
        }
    }
}

/// A month's rollup with the daily rollups of its days that have records: the
/// rollup makes them together, from the whole month's records, and stores them as
/// one item.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledMonth {
    pub month: MonthlyRollup,
    /// In date order.
    pub days: Vec<DailyRollup>,
}

pub fn overage(assigned: u32, purchased: u32) -> u32 {
    assigned.saturating_sub(purchased)
}

pub fn overage_gb(used_gb: f64, committed_gb: f64) -> f64 {
    round_gb((used_gb - committed_gb).max(0.0))
}

/// Gigabytes to three decimals, so reruns compare equal and reports read cleanly.
pub fn round_gb(gb: f64) -> f64 {
    (gb * 1000.0).round() / 1000.0
}

pub fn mb_to_gb(mb: f64) -> f64 {
    round_gb(mb / 1024.0)
}

pub fn month_of(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Parses `YYYY-MM` to its first day (see [`super::time::parse_month`]).
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    super::time::parse_month(raw)
}

/// Every day of the month that `first` starts.
pub fn days_of_month(first: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    first.iter_days().take_while(move |d| d.month() == first.month())
}

/// The months from `from` to `to`, both first days, inclusive.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut month = from;
    while month <= to {
        months.push(month);
        month = month.checked_add_months(chrono::Months::new(1)).unwrap_or(to.succ_opt().unwrap_or(to));
        if months.len() > 1200 {
            break;
        }
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overage_never_goes_below_zero() {
        assert_eq!(overage(12, 10), 2);
        assert_eq!(overage(8, 10), 0);
        assert_eq!(overage_gb(120.5, 100.0), 20.5);
        assert_eq!(overage_gb(80.0, 100.0), 0.0);
    }

    #[test]
    fn months_parse_and_count() {
        let jan = parse_month("2026-01").unwrap();
        assert_eq!(days_of_month(jan).count(), 31);
        assert_eq!(days_of_month(parse_month("2024-02").unwrap()).count(), 29);
        assert_eq!(months_between(jan, parse_month("2026-12").unwrap()).len(), 12);
        for bad in ["2026-13", "26-01", "2026-1", "abcd-ef", "2026-00"] {
            assert!(parse_month(bad).is_none(), "{bad}");
        }
        assert_eq!(month_of(jan), "2026-01");
    }
}
