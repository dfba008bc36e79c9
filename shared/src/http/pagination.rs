//! The contract's list convention: `?limit=` (1–100, default 50) and an opaque
//! `?next_token=`, answered as `{"items": [...], "next_token": ... | null}`.
//!
//! A token is `<payload>.<tag>`, both base64url: the payload is where the page
//! stopped (the table's keys of its last item, or a list's own cursor) as JSON, the
//! tag an HMAC-SHA256 under the functions' page-token key (`PAGE_TOKEN_KEY`) over the
//! list the token was given out for — its route, its path parameters (so its org)
//! and every query parameter but `limit` and `next_token` (so its filters) — and the
//! payload. Only the list that gave a token out, under the same filters, takes it
//! back: a token of another list, another org or other filters, a changed one or a
//! hand-made one is 400 `invalid_request`, and never reaches the table.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};
use crate::store::{Cursor, PageRequest};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
/// Far above any token this code gives out (a cursor is a few short keys).
const MAX_TOKEN_LEN: usize = 2048;
/// Names what the MAC is for, so no other HMAC under the same key ever verifies.
const PURPOSE: &[u8] = b"partner-hub page token v1";
/// SHA-256's block: HMAC's key is this long once padded (RFC 2104).
const BLOCK: usize = 64;

/// The secret page tokens are authenticated with (from `Config`).
#[derive(Clone)]
pub struct PageTokenKey(Arc<[u8; BLOCK]>);

impl PageTokenKey {
    /// Any secret: one longer than SHA-256's block is hashed first, a shorter one
    /// padded with zeros, exactly as HMAC itself does (RFC 2104).
    pub fn new(secret: &str) -> Self {
        let mut block = [0u8; BLOCK];
        if secret.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(secret.as_bytes()));
        } else {
            block[..secret.len()].copy_from_slice(secret.as_bytes());
        }
        Self(Arc::new(block))
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new(&(*self.0).into())
    }
}

impl PartialEq for PageTokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for PageTokenKey {}

// The key stays out of logs.
impl fmt::Debug for PageTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PageTokenKey(***)")
    }
}

/// The list a page belongs to, as its tokens are bound to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListBinding {
    key: PageTokenKey,
    /// The route, path parameters and filters, each length-prefixed, so no two
    /// lists share an encoding.
    list: Vec<u8>,
}

impl ListBinding {
    /// `route` as API Gateway names it (`GET /v1/orgs/{org_id}/licenses`), its path
    /// parameters and its filters (the query without `limit` and `next_token`).
    pub fn new<'a>(
        key: &PageTokenKey,
        route: &str,
        path: impl IntoIterator<Item = (&'a str, &'a str)>,
        filters: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut list = Vec::new();
        let mut put = |bytes: &[u8]| {
            list.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            list.extend_from_slice(bytes);
        };
        put(route.as_bytes());
        for pairs in [path.into_iter().collect::<BTreeMap<_, _>>(), filters.into_iter().collect()] {
            put(&(pairs.len() as u64).to_be_bytes());
            for (name, value) in pairs {
                put(name.as_bytes());
                put(value.as_bytes());
            }
        }
        Self { key: key.clone(), list }
    }

    fn tag(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.key.mac();
        mac.update(PURPOSE);
        mac.update(&(self.list.len() as u64).to_be_bytes());
        mac.update(&self.list);
        mac.update(payload);
        mac
    }

    /// The token that continues this list after `cursor`.
    pub fn seal(&self, cursor: &Cursor) -> PageToken {
        // A map of strings always serialises.
        let payload = serde_json::to_vec(cursor).unwrap_or_default();
        let tag = self.tag(&payload).finalize().into_bytes();
        PageToken(format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag)))
    }

    fn open(&self, token: &str) -> Result<Cursor> {
        let bad = || AppError::invalid("next_token is not a token this list gave out");
        if token.len() > MAX_TOKEN_LEN {
            return Err(bad());
        }
        let (payload, tag) = token.split_once('.').ok_or_else(bad)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        // Constant-time comparison of the whole tag.
        self.tag(&payload).verify_slice(&tag).map_err(|_| bad())?;
        serde_json::from_slice(&payload).map_err(|_| bad())
    }
}

/// A `next_token` as given out: sealed for the list it continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PageToken(String);

impl PageToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client's page of the list `list`: `limit` 1–100 (default 50), and a
/// `next_token` that this same list gave out.
pub fn page_request(
    limit: Option<&str>,
    next_token: Option<&str>,
    list: &ListBinding,
) -> Result<PageRequest> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n) && raw.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| AppError::invalid("limit must be an integer from 1 to 100"))?,
    };
    let after = next_token.filter(|t| !t.is_empty()).map(|t| list.open(t)).transpose()?;
    Ok(PageRequest { limit, after })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key() -> PageTokenKey {
        PageTokenKey::new("test-page-key")
    }

    fn list(route: &str, org: &str, filters: &[(&str, &str)]) -> ListBinding {
        ListBinding::new(&key(), route, [("org_id", org)], filters.iter().copied())
    }

    fn customers() -> ListBinding {
        list("GET /v1/orgs/{org_id}/customers", "10000001", &[])
    }

    fn cursor() -> Cursor {
        Cursor::for_tests(&[("PK", "ORG#10000001"), ("SK", "CUSTOMER#1")])
    }

    fn parse(token: &str, list: ListBinding) -> Result<PageRequest> {
        page_request(None, Some(token), &list)
    }

    #[test]
    fn limit_defaults_to_50_and_must_be_1_to_100() {
        assert_eq!(page_request(None, None, &customers()).unwrap().limit, 50);
        assert_eq!(page_request(Some("100"), None, &customers()).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", "", "+5", " 5", "5 ", "1e1", "4294967297"] {
            let error = page_request(Some(bad), None, &customers()).unwrap_err();
            assert_eq!(error.code(), "invalid_request", "{bad}");
        }
    }

    #[test]
    fn a_token_continues_only_the_list_that_gave_it_out() {
        let token = customers().seal(&cursor());
        assert_eq!(parse(token.as_str(), customers()).unwrap().after, Some(cursor()));
        let others = [
            list("GET /v1/orgs/{org_id}/licenses", "10000001", &[]),
            list("GET /v1/orgs/{org_id}/partners", "10000001", &[]),
            list("GET /v1/orgs/{org_id}/customers", "10000002", &[]),
            list("GET /v1/orgs/{org_id}/customers", "10000001", &[("service", "daas")]),
            ListBinding::new(
                &PageTokenKey::new("another key"),
                "GET /v1/orgs/{org_id}/customers",
                [("org_id", "10000001")],
                [],
            ),
        ];
        for other in others {
            let error = parse(token.as_str(), other.clone()).unwrap_err();
            assert_eq!((error.status(), error.code()), (400, "invalid_request"), "{other:?}");
        }
        // Filters are bound by name and value, in any order.
        let a = list("GET /x", "1", &[("a", "1"), ("b", "2")]);
        let b = list("GET /x", "1", &[("b", "2"), ("a", "1")]);
        let token = a.seal(&cursor());
        assert!(parse(token.as_str(), b).is_ok());
        // A filter's value cannot be moved into another component.
        let c = list("GET /x", "1", &[("a", "12")]);
        let d = list("GET /x", "1", &[("a1", "2")]);
        let token = c.seal(&cursor());
        assert!(parse(token.as_str(), d).is_err());
    }

    #[test]
    fn changed_and_hand_made_tokens_are_400() {
        let token = customers().seal(&cursor()).as_str().to_string();
        let (payload, tag) = token.split_once('.').unwrap();
        let forged_cursor = Cursor::for_tests(&[("PK", "ORG#10000001"), ("SK", "ORDER#x")]);
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_cursor).unwrap());
        let unsigned = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor()).unwrap());
        let mut flipped = tag.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        for bad in [
            format!("{forged_payload}.{tag}"),
            format!("{payload}.{}", String::from_utf8(flipped).unwrap()),
            format!("{payload}."),
            format!("{payload}.{}", &tag[..tag.len() - 2]),
            unsigned,
            "!!!".to_string(),
            ".".to_string(),
            "a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            let error = parse(&bad, customers()).unwrap_err();
            assert_eq!((error.status(), error.code()), (400, "invalid_request"), "{bad}");
        }
        // An empty token is the first page.
        assert_eq!(parse("", customers()).unwrap().after, None);
    }

    #[test]
    fn the_key_does_not_show_in_debug() {
        assert_eq!(format!("{:?}", PageTokenKey::new("s3cret")), "PageTokenKey(***)");
        let long = "k".repeat(200);
        assert_ne!(PageTokenKey::new(&long), PageTokenKey::new(&long[..199]));
    }

    proptest! {
        #[test]
        fn no_input_panics_and_only_sealed_tokens_open(
            limit in proptest::option::of(".{0,12}"),
            token in ".{0,300}",
        ) {
            let _ = page_request(limit.as_deref(), None, &customers());
            let parsed = page_request(None, Some(&token), &customers());
            prop_assert!(token.is_empty() || parsed.is_err());
            if let Err(error) = parsed {
                prop_assert_eq!(error.status(), 400);
            }
        }

        #[test]
        fn every_limit_accepted_is_one_dynamodb_takes(raw in "[0-9+-]{0,5}") {
            if let Ok(page) = page_request(Some(&raw), None, &customers()) {
                prop_assert!((1..=MAX_LIMIT).contains(&page.limit));
            }
        }

        #[test]
        fn sealed_cursors_round_trip_and_no_byte_can_change(
            cursor in proptest::collection::btree_map(".{0,20}", ".{0,40}", 0..4),
            org in "[0-9]{8}",
            flip in any::<proptest::sample::Index>(),
        ) {
            let binding = list("GET /v1/orgs/{org_id}/notifications", &org, &[]);
            let cursor = Cursor::for_tests(
                &cursor.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
            );
            let token = binding.seal(&cursor);
            let token = token.as_str();
            prop_assert_eq!(parse(token, binding.clone()).unwrap().after, Some(cursor));
            let mut bytes = token.as_bytes().to_vec();
            let at = flip.index(bytes.len());
            bytes[at] = if bytes[at] == b'A' { b'Q' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(parse(&changed, binding).is_err());
        }
    }
}
