//! `GET /v1/orgs/{org_id}/audit-log`: the org's full administrators read every
//! change made to it, newest first. No route writes or alters an entry: each is
//! written by the transaction of the change it records.

use chrono::{DateTime, NaiveDate, Utc};

use super::access;
use crate::domain::{AuditAction, AuditEntry, Caller, OrgId};
use crate::error::{AppError, Result};
use crate::http::pagination::{Page, PageRequest};
use crate::ports::{AuditStore, Clock, OrgStore};

pub struct AuditPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub audit: &'a dyn AuditStore,
    pub clock: &'a dyn Clock,
}

/// The query's filters as they came, each optional.
#[derive(Debug, Default)]
pub struct AuditQuery<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub action: Option<&'a str>,
}

/// An RFC 3339 instant, or a date: its first instant for `from`, its last for `to`.
fn instant(field: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!("{field} must be an RFC 3339 timestamp or a YYYY-MM-DD date"))
    })?;
    let time = if end_of_day { date.and_hms_milli_opt(23, 59, 59, 999) } else { date.and_hms_opt(0, 0, 0) };
    time.map(|t| t.and_utc()).ok_or_else(|| AppError::invalid(format!("{field} is out of range")))
}

pub async fn audit_log(
    ports: &AuditPorts<'_>,
    caller: &Caller,
    org: &OrgId,
    query: &AuditQuery<'_>,
    page: &PageRequest,
) -> Result<Page<AuditEntry>> {
    access::full_admin_of(ports.orgs, ports.clock, caller, org).await?;
    let now = ports.clock.now();
    let from = query.from.map(|raw| instant("from", raw, false)).transpose()?;
    let to = query.to.map(|raw| instant("to", raw, true)).transpose()?;
    if matches!((from, to), (Some(from), Some(to)) if from > to) {
        return Err(AppError::invalid("from must not be after to"));
    }
    let action = query
        .action
        .map(|raw| {
            AuditAction::parse(raw)
                .ok_or_else(|| AppError::invalid(format!("action: {raw:?} is not an audit action")))
        })
        .transpose()?;
    // Time-limited access that ended shows as `admin.expired` at its instant, even
    // if nothing has touched it since.
    access::current_admins(ports.orgs, org, now).await?;
    let (entries, next) = ports.audit.audit_log(org, from, to, action, page).await?;
    Ok(Page::new(entries, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_their_whole_day_and_instants_stay_exact() {
        assert_eq!(instant("from", "2026-01-02", false).unwrap().to_rfc3339(), "2026-01-02T00:00:00+00:00");
        assert_eq!(
            instant("to", "2026-01-02", true).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "2026-01-02T23:59:59.999Z"
        );
        assert_eq!(
            instant("to", "2026-01-02T10:00:00+02:00", true).unwrap().to_rfc3339(),
            "2026-01-02T08:00:00+00:00"
        );
        assert!(instant("from", "yesterday", false).is_err());
    }
}
