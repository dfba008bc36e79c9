//! `GET /v1/orgs/{org_id}/audit-log`: the org's full administrators read every
//! change made to it, newest first. No route writes or alters an entry: each is
//! written by the transaction of the change it records.

use super::access;
use super::Context;
use crate::domain::{time, AuditAction, AuditEntry, Caller, OrgId};
use crate::error::{AppError, Result};
use crate::store::{Page, PageRequest};

/// The query's filters as they came, each optional.
#[derive(Debug, Default)]
pub struct AuditQuery<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub action: Option<&'a str>,
}

pub async fn audit_log(
    cx: &Context<'_>,
    caller: &Caller,
    org: &OrgId,
    query: &AuditQuery<'_>,
    page: &PageRequest,
) -> Result<Page<AuditEntry>> {
    access::full_admin_of(cx, caller, org).await?;
    let now = cx.clock.now();
    // An RFC 3339 instant, or a date: its first instant for `from`, its last for `to`.
    let from = query.from.map(|raw| time::parse_instant("from", raw)).transpose()?;
    let to = query.to.map(|raw| time::parse_instant_end("to", raw)).transpose()?;
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
    access::current_admins(cx.store, org, now).await?;
    let Page { items: entries, next } = cx.store.audit_log(org, from, to, action, page).await?;
    Ok(Page::new(entries, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_their_whole_day_and_instants_stay_exact() {
        assert_eq!(
            time::parse_instant("from", "2026-01-02").unwrap().to_rfc3339(),
            "2026-01-02T00:00:00+00:00"
        );
        assert_eq!(
            time::parse_instant_end("to", "2026-01-02")
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "2026-01-02T23:59:59.999Z"
        );
        assert_eq!(
            time::parse_instant_end("to", "2026-01-02T10:00:00+02:00").unwrap().to_rfc3339(),
            "2026-01-02T08:00:00+00:00"
        );
        assert!(time::parse_instant("from", "yesterday").is_err());
        assert!(time::parse_instant_end("to", "9999-12-31T23:59:59-14:00").is_err());
    }
}
