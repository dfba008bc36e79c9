//! `POST /v1/usage-records`: the services' telemetry feed. Every record is checked
//! before anything is stored; user ids are kept only as a keyed hash.

use std::collections::HashSet;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::domain::{service, BandwidthDay, MachineClient, MeteredBy, OrgId, UsageRecord, UserDay};
use crate::error::{AppError, Result};
use crate::ports::{Clock, IdSource, OrgStore, UsageStore};

pub const MAX_RECORDS: usize = 500;
const MAX_USER_LEN: usize = 256;

/// Turns a user id into what is stored: HMAC-SHA256 under a secret key, per org, so
/// the stored value reveals neither the id nor that two orgs share a user.
pub struct UserHasher {
    key: Vec<u8>,
}

impl UserHasher {
    pub fn new(key: &str) -> Self {
        Self { key: key.as_bytes().to_vec() }
    }

    pub fn hash(&self, org: &OrgId, user: &str) -> String {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("hmac takes any key length");
        mac.update(org.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(user.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

pub struct IngestPorts<'a> {
    pub orgs: &'a dyn OrgStore,
    pub usage: &'a dyn UsageStore,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdSource,
    pub hasher: &'a UserHasher,
}

#[derive(Debug, Deserialize)]
pub struct Ingest {
    pub records: Vec<Value>,
}

fn field<'a>(record: &'a Value, index: usize, name: &str) -> Result<&'a Value> {
    record.get(name).ok_or_else(|| AppError::invalid(format!("records[{index}].{name}: missing")))
}

fn text<'a>(record: &'a Value, index: usize, name: &str) -> Result<&'a str> {
    field(record, index, name)?
        .as_str()
        .ok_or_else(|| AppError::invalid(format!("records[{index}].{name}: must be a string")))
}

fn flag(record: &Value, index: usize, name: &str) -> Result<bool> {
    field(record, index, name)?
        .as_bool()
        .ok_or_else(|| AppError::invalid(format!("records[{index}].{name}: must be true or false")))
}

fn parse_record(record: &Value, index: usize, latest: NaiveDate, hasher: &UserHasher) -> Result<UsageRecord> {
    if !record.is_object() {
        return Err(AppError::invalid(format!("records[{index}]: must be an object")));
    }
    let org_id = OrgId::parse(text(record, index, "org_id")?).map_err(|_| {
        AppError::invalid(format!("records[{index}].org_id: must be an org id of 8 decimal digits"))
    })?;
    let offering = service(text(record, index, "service")?)
        .map_err(|e| AppError::invalid(format!("records[{index}].{}", e.public_message())))?;
    let date = NaiveDate::parse_from_str(text(record, index, "date")?, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(format!("records[{index}].date: must be a date YYYY-MM-DD")))?;
    if date > latest {
        return Err(AppError::invalid(format!("records[{index}].date: is in the future")));
    }
    match offering.metered_by {
        MeteredBy::Bandwidth => {
            let mb = field(record, index, "bandwidth_mb")?.as_f64().filter(|mb| mb.is_finite()).ok_or_else(
                || AppError::invalid(format!("records[{index}].bandwidth_mb: must be a number")),
            )?;
            if mb < 0.0 {
                return Err(AppError::invalid(format!(
                    "records[{index}].bandwidth_mb: must not be negative"
                )));
            }
            Ok(UsageRecord::Bandwidth(BandwidthDay { org_id, date, bandwidth_mb: mb }))
        }
        MeteredBy::Users => {
            let user = text(record, index, "user")?;
            if user.is_empty() || user.len() > MAX_USER_LEN {
                return Err(AppError::invalid(format!(
                    "records[{index}].user: must be 1 to {MAX_USER_LEN} characters"
                )));
            }
            Ok(UsageRecord::Users(UserDay {
                user_hash: hasher.hash(&org_id, user),
                org_id,
                service: offering.service.to_string(),
                date,
                assigned: flag(record, index, "assigned")?,
                active: flag(record, index, "active")?,
            }))
        }
    }
}

/// Checks all records, then stores them; answers how many were accepted.
/// The feed's client is vouched for by its scope (see `http::ApiCall::machine`).
pub async fn ingest(ports: &IngestPorts<'_>, feed: &MachineClient, input: Ingest) -> Result<usize> {
    if input.records.is_empty() || input.records.len() > MAX_RECORDS {
        return Err(AppError::invalid(format!("records must hold 1 to {MAX_RECORDS} records")));
    }
    let now = ports.clock.now();
    // A feed in another time zone may already report tomorrow.
    let latest = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    let records = input
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| parse_record(record, index, latest, ports.hasher))
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<OrgId> =
        records.iter().map(|r| r.org_id().clone()).collect::<HashSet<_>>().into_iter().collect();
    let known = ports.orgs.orgs(&ids).await?;
    if let Some(index) = records.iter().position(|r| !known.contains_key(r.org_id())) {
        return Err(AppError::invalid(format!("records[{index}].org_id: no such organization")));
    }
    let touched = format!("{}#{}", crate::store::keys::timestamp(&now), ports.ids.uuid());
    ports.usage.put_records(&records, &touched).await?;
    tracing::info!(client = %feed.client_id, records = records.len(), "usage records accepted");
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_and_per_org() {
        let a = UserHasher::new("k1");
        let b = UserHasher::new("k2");
        let org = OrgId::from_number(1);
        let other = OrgId::from_number(2);
        assert_eq!(a.hash(&org, "alice"), a.hash(&org, "alice"));
        assert_ne!(a.hash(&org, "alice"), b.hash(&org, "alice"));
        assert_ne!(a.hash(&org, "alice"), a.hash(&other, "alice"));
        assert!(!a.hash(&org, "alice").contains("alice"));
    }
}
