//! Reading a list a page at a time. The cursor is the store's own: only the store
//! makes one and reads it; others carry it (the HTTP layer seals it into a
//! `next_token` and opens it again, see `http::pagination`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a page stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(BTreeMap<String, String>);

impl Cursor {
    pub(super) fn new(fields: BTreeMap<String, String>) -> Self {
        Self(fields)
    }

    pub(super) fn fields(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// One page of a list: at most `limit` items, after `after` (the first page when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }
}

/// A page of items and, when more follow, where the next page starts. (Not
/// `Serialize`: its `next_token` is made by the HTTP layer, `ApiCall::answer_page`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, next: Option<Cursor>) -> Self {
        Self { items, next }
    }

    /// The whole list as one page.
    pub fn all(items: Vec<T>) -> Self {
        Self { items, next: None }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

#[cfg(test)]
impl Cursor {
    pub fn for_tests(pairs: &[(&str, &str)]) -> Self {
        Self(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }
}
