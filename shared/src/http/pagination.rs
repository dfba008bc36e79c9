//! The contract's list convention: `?limit=` (1–100, default 50) and an opaque
//! `?next_token=`, answered as `{"items": [...], "next_token": ... | null}`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::error::{AppError, Result};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

/// Where the previous page stopped: the key attributes of its last item.
pub type Cursor = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn parse(limit: Option<&str>, next_token: Option<&str>) -> Result<Self> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| AppError::invalid("limit must be an integer from 1 to 100"))?,
        };
        let after = next_token.filter(|t| !t.is_empty()).map(decode_token).transpose()?;
        Ok(Self { limit, after })
    }

    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Self { items, next_token: next.as_ref().map(encode_token) }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_token: self.next_token }
    }
}

pub fn encode_token(cursor: &Cursor) -> String {
    // A BTreeMap of strings always serialises.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_token(token: &str) -> Result<Cursor> {
    let bad = || AppError::invalid("next_token is not a token this list gave out");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_50_and_must_be_1_to_100() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 50);
        assert_eq!(PageRequest::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            let error = PageRequest::parse(Some(bad), None).unwrap_err();
            assert_eq!(error.code(), "invalid_request", "{bad}");
        }
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_400() {
        let cursor: Cursor = [("PK".to_string(), "ORG#1".to_string())].into();
        let token = encode_token(&cursor);
        assert_eq!(PageRequest::parse(None, Some(&token)).unwrap().after, Some(cursor));
        assert_eq!(PageRequest::parse(None, Some("!!!")).unwrap_err().status(), 400);
        let not_a_map = URL_SAFE_NO_PAD.encode("[1,2]");
        assert_eq!(PageRequest::parse(None, Some(&not_a_map)).unwrap_err().status(), 400);
    }
}
