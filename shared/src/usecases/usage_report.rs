//! Usage trends for one org and service: JSON as the contract gives it, or CSV.
//! A partner sees only connected customers, and never a user id or hash.

use super::Context;
use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::access;
use crate::domain::{
    month_of, months_between, parse_month, round_gb, service, Caller, DailyRollup, GatewayCommitment,
    MeteredBy, MonthlyRollup, Org, OrgId, Permission, Term,
};
use crate::error::{AppError, Result};
use crate::store::DynamoStore;

/// The longest range one answer covers.
pub const MAX_MONTHS: usize = 36;

/// Whole months, first days, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The current month (its first day): the gateway's summary is its billing month.
    pub current: NaiveDate,
}

impl MonthRange {
    /// `from`/`to` as `YYYY-MM`; by default the 12 months ending with this one.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self> {
        let month = |field: &str, raw: &str| {
            parse_month(raw).ok_or_else(|| AppError::invalid(format!("{field} must be a month YYYY-MM")))
        };
        let to = match to {
            Some(raw) => month("to", raw)?,
            None => today.with_day(1).unwrap_or(today),
        };
        let from = match from {
            Some(raw) => month("from", raw)?,
            // Never before year 0001, which could not be written back.
            None => to
                .checked_sub_months(Months::new(11))
                .filter(|from| from.year() >= crate::domain::time::MIN_YEAR)
                .unwrap_or(to),
        };
        if from > to {
            return Err(AppError::invalid("from must not be after to"));
        }
        if months_between(from, to).len() > MAX_MONTHS {
            return Err(AppError::invalid(format!("a range covers at most {MAX_MONTHS} months")));
        }
        Ok(Self { from, to, current: today.with_day(1).unwrap_or(today) })
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct UsersSummary {
    pub purchased: u32,
    pub assigned: u32,
    pub assigned_ratio: f64,
    pub overage: u32,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct UsersMonth {
    pub month: String,
    pub purchased: u32,
    pub assigned: u32,
    pub monthly_active_users: u32,
    pub peak_daily_active_users: u32,
    pub overage: u32,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct UsersDay {
    pub date: NaiveDate,
    pub daily_active_users: u32,
    pub assigned: u32,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct GatewaySummary {
    pub committed_gb: f64,
    pub used_gb: f64,
    pub overage_gb: f64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct GatewayMonth {
    pub month: String,
    pub term: Option<Term>,
    pub used_gb: f64,
    pub cumulative_gb: f64,
    /// The total of the entitlements in force that month.
    pub committed_gb: f64,
    pub overage_gb: f64,
    /// The gateway entitlements in force that month, each with its committed GB.
    pub entitlements: Vec<GatewayCommitment>,
}

/// The months of the view added up.
#[derive(Debug, Serialize, PartialEq)]
pub struct GatewayTotals {
    pub used_gb: f64,
    pub committed_gb: f64,
    pub overage_gb: f64,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Trend {
    Users { service: String, summary: UsersSummary, monthly: Vec<UsersMonth>, daily: Vec<UsersDay> },
    Bandwidth { service: String, summary: GatewaySummary, monthly: Vec<GatewayMonth>, totals: GatewayTotals },
}

/// Every month of the range, from the rollups where there are some, zeros elsewhere.
fn months_filled(
    range: &MonthRange,
    rollups: Vec<MonthlyRollup>,
    org: &OrgId,
    service: &str,
) -> Vec<MonthlyRollup> {
    let mut by_month: std::collections::HashMap<String, MonthlyRollup> =
        rollups.into_iter().map(|r| (r.month.clone(), r)).collect();
    months_between(range.from, range.to)
        .into_iter()
        .map(|first| {
            let month = month_of(first);
            by_month.remove(&month).unwrap_or_else(|| MonthlyRollup::empty(org.clone(), service, month))
        })
        .collect()
}

/// The rollups behind a trend, for JSON and CSV alike.
pub struct Rollups {
    pub service: String,
    pub metered_by: MeteredBy,
    pub monthly: Vec<MonthlyRollup>,
    pub daily: Vec<DailyRollup>,
    /// `YYYY-MM` of the current month.
    pub current_month: String,
}

pub async fn rollups(
    usage: &DynamoStore,
    org: &OrgId,
    service_id: &str,
    range: &MonthRange,
) -> Result<Rollups> {
    let offering = service(service_id)?;
    let stored = usage.months(org, offering.service, &month_of(range.from), &month_of(range.to)).await?;
    // Whole months: every day of a month read is in the range.
    let mut monthly = Vec::with_capacity(stored.len());
    let mut daily = Vec::new();
    for rolled in stored {
        monthly.push(rolled.month);
        daily.extend(rolled.days);
    }
    Ok(Rollups {
        service: offering.service.to_string(),
        metered_by: offering.metered_by,
        monthly: months_filled(range, monthly, org, offering.service),
        daily,
        current_month: month_of(range.current),
    })
}

impl Rollups {
    /// The summary reads the latest month that has any use.
    pub fn trend(self) -> Trend {
        let latest = self
            .monthly
            .iter()
            .rev()
            .find(|m| m.assigned > 0 || m.purchased > 0 || m.used_gb > 0.0 || m.committed_gb > 0.0)
            .or(self.monthly.last())
            .cloned();
        match self.metered_by {
            MeteredBy::Users => Trend::Users {
                service: self.service,
                summary: latest.map_or(
                    UsersSummary { purchased: 0, assigned: 0, assigned_ratio: 0.0, overage: 0 },
                    |m| UsersSummary {
                        purchased: m.purchased,
                        assigned: m.assigned,
                        assigned_ratio: if m.purchased == 0 {
                            0.0
                        } else {
                            round_gb(f64::from(m.assigned) / f64::from(m.purchased))
                        },
                        overage: m.overage,
                    },
                ),
                monthly: self
                    .monthly
                    .into_iter()
                    .map(|m| UsersMonth {
                        month: m.month,
                        purchased: m.purchased,
                        assigned: m.assigned,
                        monthly_active_users: m.monthly_active_users,
                        peak_daily_active_users: m.peak_daily_active_users,
                        overage: m.overage,
                    })
                    .collect(),
                daily: self
                    .daily
                    .into_iter()
                    .map(|d| UsersDay {
                        date: d.date,
                        daily_active_users: d.daily_active_users,
                        assigned: d.assigned,
                    })
                    .collect(),
            },
            MeteredBy::Bandwidth => Trend::Bandwidth {
                service: self.service,
                totals: GatewayTotals {
                    used_gb: round_gb(self.monthly.iter().map(|m| m.used_gb).sum()),
                    committed_gb: round_gb(self.monthly.iter().map(|m| m.committed_gb).sum()),
                    overage_gb: round_gb(self.monthly.iter().map(|m| m.overage_gb).sum()),
                },
                // The current billing month when the view covers it (not the latest
                // month with use), else the view's last month.
                summary: self
                    .monthly
                    .iter()
                    .find(|m| m.month == self.current_month)
                    .or(self.monthly.last())
                    .cloned()
                    .map_or(GatewaySummary { committed_gb: 0.0, used_gb: 0.0, overage_gb: 0.0 }, |m| {
                        GatewaySummary {
                            committed_gb: m.committed_gb,
                            used_gb: m.used_gb,
                            overage_gb: m.overage_gb,
                        }
                    }),
                monthly: self
                    .monthly
                    .into_iter()
                    .map(|m| GatewayMonth {
                        month: m.month,
                        term: m.term,
                        used_gb: m.used_gb,
                        cumulative_gb: m.cumulative_gb,
                        committed_gb: m.committed_gb,
                        overage_gb: m.overage_gb,
                        entitlements: m.commitments,
                    })
                    .collect(),
            },
        }
    }
}

/// A connected partner's administrator (full or `licensing.view`) asks about a customer.
pub async fn for_partner(
    cx: &Context<'_>,
    caller: &Caller,
    partner: &OrgId,
    customer: &OrgId,
    service_id: Option<&str>,
    range: &MonthRange,
) -> Result<(Org, Rollups)> {
    access::partner_admin_with(cx, caller, partner, Some(Permission::LicensingView)).await?;
    cx.store.connection(partner, customer).await?.ok_or_else(AppError::not_connected)?;
    let org = cx.store.get_org(customer).await?.ok_or_else(AppError::not_connected)?;
    let service_id = service_id.ok_or_else(|| AppError::invalid("service is required"))?;
    Ok((org, rollups(cx.store, customer, service_id, range).await?))
}

/// The org's own administrators ask about their usage.
pub async fn for_org(
    cx: &Context<'_>,
    caller: &Caller,
    org_id: &OrgId,
    service_id: Option<&str>,
    range: &MonthRange,
) -> Result<(Org, Rollups)> {
    let standing = access::admin_of(cx, caller, org_id).await?;
    let service_id = service_id.ok_or_else(|| AppError::invalid("service is required"))?;
    Ok((standing.org, rollups(cx.store, org_id, service_id, range).await?))
}
