//! `POST /v1/usage-records`: the services' telemetry feed. Every record is checked
//! before anything is stored; user ids are kept only as a keyed hash.

use super::Context;
use std::collections::HashSet;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::domain::{service, time, BandwidthDay, MachineClient, MeteredBy, OrgId, UsageRecord, UserDay};
use crate::error::{AppError, Result};

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

/// The most a day's bandwidth may be: 10^12 MB (an exabyte), far above any real
/// day and far inside what DynamoDB stores.
pub const MAX_BANDWIDTH_MB: f64 = 1e12;
/// The resolution bandwidth is kept at: a millionth of a MB (about a byte).
pub const BANDWIDTH_MB_STEP: f64 = 1e-6;
const STEPS_PER_MB: f64 = 1e6;

/// A day's bandwidth: a number from 0 to [`MAX_BANDWIDTH_MB`], kept to
/// [`BANDWIDTH_MB_STEP`]. A positive amount below the step is refused, not rounded
/// to nothing (`1e-200` is a feed's bug, not a measurement). What it returns has at
/// most 18 significant digits and no exponent beyond DynamoDB's range.
fn bandwidth_mb(value: &Value) -> std::result::Result<f64, String> {
    let mb = value.as_f64().filter(|mb| mb.is_finite()).ok_or("must be a number")?;
    if mb < 0.0 {
        return Err("must not be negative".into());
    }
    if mb > MAX_BANDWIDTH_MB {
        return Err(format!("must be at most {MAX_BANDWIDTH_MB:e} MB a day"));
    }
    if mb > 0.0 && mb < BANDWIDTH_MB_STEP {
        return Err(format!("must be 0 or at least {BANDWIDTH_MB_STEP} MB"));
    }
    // `+ 0.0` turns -0 into 0.
    Ok((mb * STEPS_PER_MB).round() / STEPS_PER_MB + 0.0)
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
    let date = time::parse_date("date", text(record, index, "date")?)
        .map_err(|_| AppError::invalid(format!("records[{index}].date: must be a date YYYY-MM-DD")))?;
    if date > latest {
        return Err(AppError::invalid(format!("records[{index}].date: is in the future")));
    }
    match offering.metered_by {
        MeteredBy::Bandwidth => {
            let mb = bandwidth_mb(field(record, index, "bandwidth_mb")?)
                .map_err(|why| AppError::invalid(format!("records[{index}].bandwidth_mb: {why}")))?;
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
pub async fn ingest(
    cx: &Context<'_>,
    hasher: &UserHasher,
    feed: &MachineClient,
    input: Ingest,
) -> Result<usize> {
    if input.records.is_empty() || input.records.len() > MAX_RECORDS {
        return Err(AppError::invalid(format!("records must hold 1 to {MAX_RECORDS} records")));
    }
    let now = cx.clock.now();
    // A feed in another time zone may already report tomorrow.
    let latest = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    let records = input
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| parse_record(record, index, latest, hasher))
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<OrgId> =
        records.iter().map(|r| r.org_id().clone()).collect::<HashSet<_>>().into_iter().collect();
    let known = cx.store.orgs(&ids).await?;
    if let Some(index) = records.iter().position(|r| !known.contains_key(r.org_id())) {
        return Err(AppError::invalid(format!("records[{index}].org_id: no such organization")));
    }
    let touched = format!("{}#{}", crate::store::keys::timestamp(&now), cx.ids.uuid());
    cx.store.put_records(&records, &touched).await?;
    tracing::info!(client = %feed.client_id, records = records.len(), "usage records accepted");
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What DynamoDB takes as a number: at most 38 significant digits, magnitude
    /// from 1e-130 to below 1e126 (or zero).
    fn dynamo_number(text: &str) -> bool {
        let digits: String = text.trim_start_matches('-').chars().filter(|c| *c != '.').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || text.contains(['e', 'E']) {
            return false;
        }
        let significant = digits.trim_start_matches('0').trim_end_matches('0');
        if significant.is_empty() {
            return true;
        }
        let value: f64 = text.parse().unwrap_or(f64::NAN);
        significant.len() <= 38 && value.abs() >= 1e-130 && value.abs() < 1e126
    }

    /// The number as it is stored (serde_dynamo writes an f64 with `Display`).
    fn stored(mb: f64) -> String {
        match serde_dynamo::to_attribute_value::<_, aws_sdk_dynamodb::types::AttributeValue>(mb).unwrap() {
            aws_sdk_dynamodb::types::AttributeValue::N(n) => n,
            other => panic!("{other:?}"),
        }
    }

    fn record(bandwidth: &str) -> Value {
        let json = format!(
            r#"{{"org_id":"10000001","service":"gateway","date":"2026-01-02","bandwidth_mb":{bandwidth}}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    fn parse(record: &Value) -> Result<UsageRecord> {
        let latest = NaiveDate::from_ymd_opt(2026, 1, 3).unwrap();
        parse_record(record, 7, latest, &UserHasher::new("k"))
    }

    #[test]
    fn bandwidth_is_a_sane_amount_or_400_naming_the_record_and_field() {
        for bad in [
            "1e126",
            "1e300",
            "1e-200",
            "5e-324",
            "-1",
            "1e12001",
            "\"5\"",
            "null",
            "1000000000001",
            "0.0000001",
        ] {
            let Ok(value) = serde_json::from_str::<Value>(&format!(
                r#"{{"org_id":"10000001","service":"gateway","date":"2026-01-02","bandwidth_mb":{bad}}}"#
            )) else {
                continue; // serde_json refuses it already: the body is 400
            };
            let error = parse(&value).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert!(
                error.public_message().starts_with("records[7].bandwidth_mb: "),
                "{bad}: {}",
                error.public_message()
            );
        }
        let kept = |raw: &str| match parse(&record(raw)).unwrap() {
            UsageRecord::Bandwidth(day) => day.bandwidth_mb,
            other => panic!("{other:?}"),
        };
        assert_eq!(kept("0"), 0.0);
        assert_eq!(kept("-0.0").to_string(), "0");
        assert_eq!(kept("0.1"), 0.1);
        assert_eq!(kept("1536.25"), 1536.25);
        assert_eq!(kept("0.0000014"), 0.000001);
        assert_eq!(kept("1e12"), 1e12);
    }

    #[test]
    fn dates_are_yyyy_mm_dd_from_year_1() {
        for bad in
            ["0000-01-01", "-0001-01-01", "+2026-01-01", "2026-1-2", "20260102", "2026-01-02T00:00:00Z"]
        {
            let mut value = record("1");
            value["date"] = Value::String(bad.into());
            let error = parse(&value).unwrap_err();
            assert!(error.public_message().starts_with("records[7].date: "), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_bandwidth_accepted_is_a_number_dynamodb_stores(mb in proptest::num::f64::ANY) {
            if let Some(number) = serde_json::Number::from_f64(mb) {
                if let Ok(UsageRecord::Bandwidth(day)) = parse(&record(&number.to_string())) {
                    proptest::prop_assert!(dynamo_number(&stored(day.bandwidth_mb)), "{} -> {}", mb, stored(day.bandwidth_mb));
                    proptest::prop_assert!((0.0..=MAX_BANDWIDTH_MB).contains(&day.bandwidth_mb));
                }
            }
        }

        #[test]
        fn any_json_number_text_is_400_or_stored(text in "-?[0-9]{1,20}(\\.[0-9]{1,20})?([eE][-+]?[0-9]{1,3})?") {
            if let Ok(value) = serde_json::from_str::<Value>(&format!(r#"{{"org_id":"10000001","service":"gateway","date":"2026-01-02","bandwidth_mb":{text}}}"#)) {
                match parse(&value) {
                    Ok(UsageRecord::Bandwidth(day)) => proptest::prop_assert!(dynamo_number(&stored(day.bandwidth_mb))),
                    Ok(other) => proptest::prop_assert!(false, "{:?}", other),
                    Err(error) => proptest::prop_assert_eq!(error.status(), 400),
                }
            }
        }
    }

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
