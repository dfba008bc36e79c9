//! Usage as CSV (RFC 4180, a header row), with every cell that a spreadsheet would
//! read as a formula neutralised.

use crate::domain::{MeteredBy, Org};
use crate::error::{AppError, Result};

use super::usage_report::Rollups;

pub const HEADER: [&str; 15] = [
    "org_id",
    "org_name",
    "service",
    "granularity",
    "period",
    "term",
    "purchased",
    "assigned",
    "active_users",
    "peak_daily_active_users",
    "overage",
    "used_gb",
    "cumulative_gb",
    "committed_gb",
    "overage_gb",
];

/// A cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so that no
/// spreadsheet runs it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>> {
    writer.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))
}

pub fn header() -> Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(HEADER).map_err(|e| AppError::internal(format!("csv: {e}")))?;
    finish(w)
}

/// The rows of one org's service: its months, then its days.
pub fn rows(org: &Org, rollups: &Rollups) -> Result<Vec<u8>> {
    let mut w = writer();
    let base = [
        neutralise(org.org_id.as_str()).into_owned(),
        neutralise(&org.name).into_owned(),
        rollups.service.clone(),
    ];
    let gb = |v: f64| format!("{v}");
    let write = |w: &mut csv::Writer<Vec<u8>>, rest: [String; 12]| {
        let record: Vec<String> = base.iter().cloned().chain(rest).collect();
        w.write_record(&record).map_err(|e| AppError::internal(format!("csv: {e}")))
    };
    for m in &rollups.monthly {
        let term = m.term.map(|t| {
            serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        });
        let cells = match rollups.metered_by {
            MeteredBy::Users => [
                "monthly".into(),
                m.month.clone(),
                String::new(),
                m.purchased.to_string(),
                m.assigned.to_string(),
                m.monthly_active_users.to_string(),
                m.peak_daily_active_users.to_string(),
                m.overage.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
            MeteredBy::Bandwidth => [
                "monthly".into(),
                m.month.clone(),
                term.unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                gb(m.used_gb),
                gb(m.cumulative_gb),
                gb(m.committed_gb),
                gb(m.overage_gb),
            ],
        };
        write(&mut w, cells)?;
    }
    for d in &rollups.daily {
        let cells = match rollups.metered_by {
            MeteredBy::Users => [
                "daily".into(),
                d.date.to_string(),
                String::new(),
                d.purchased.to_string(),
                d.assigned.to_string(),
                d.daily_active_users.to_string(),
                String::new(),
                d.overage.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
            MeteredBy::Bandwidth => [
                "daily".into(),
                d.date.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                gb(d.used_gb),
                String::new(),
                String::new(),
                String::new(),
            ],
        };
        write(&mut w, cells)?;
    }
    finish(w)
}

/// How many data rows `rows` writes.
pub fn row_count(rollups: &Rollups) -> usize {
    rollups.monthly.len() + rollups.daily.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(neutralise("Acme"), "Acme");
    }
}
