//! The partner-wide usage export: one CSV over every connected customer and service,
//! written to storage part by part as it is produced, so memory does not grow with
//! the number of rows; the caller gets a link to the finished file.

use super::Context;
use crate::exports::S3Exports;
use crate::store::Page;
use serde::Serialize;

use super::access;
use super::usage_csv;
use super::usage_report::{rollups, MonthRange};
use crate::domain::{month_of, Caller, OrgId, Permission};
use crate::error::Result;
use crate::store::PageRequest;

#[derive(Debug, Serialize)]
pub struct Exported {
    pub url: String,
    pub filename: String,
    pub rows: usize,
    pub link_expires_at: chrono::DateTime<chrono::Utc>,
}

pub fn filename(partner: &OrgId, range: &MonthRange) -> String {
    format!("usage-{partner}-{}-{}.csv", month_of(range.from), month_of(range.to))
}

pub async fn export(
    cx: &Context<'_>,
    storage: &S3Exports,
    caller: &Caller,
    partner: &OrgId,
    range: &MonthRange,
) -> Result<Exported> {
    access::partner_admin_with(cx, caller, partner, Some(Permission::LicensingView)).await?;
    let name = filename(partner, range);
    let key = format!("exports/{partner}/{}-{name}", cx.clock.now().format("%Y%m%dT%H%M%S%.3f"));
    let mut sink = storage.start(&key, &name).await?;
    sink.write(usage_csv::header()?).await?;
    let mut rows = 0;
    let mut page = PageRequest::first(100);
    loop {
        let Page { items: connections, next } = cx.store.customers_of(partner, &page).await?;
        let ids: Vec<OrgId> = connections.iter().map(|c| c.customer_id.clone()).collect();
        let orgs = cx.store.orgs(&ids).await?;
        for id in &ids {
            let Some(org) = orgs.get(id) else { continue };
            for service in cx.store.services_with_usage(id).await? {
                let found = rollups(cx.store, id, &service, range).await?;
                rows += usage_csv::row_count(&found);
                sink.write(usage_csv::rows(org, &found)?).await?;
            }
        }
        match next {
            Some(cursor) => page.after = Some(cursor),
            None => break,
        }
    }
    let (url, link_expires_at) = sink.finish().await?;
    Ok(Exported { url, filename: name, rows, link_expires_at })
}
