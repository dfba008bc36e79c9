use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use super::entity::{from_item, to_item, Entity, Key};
use super::errors::StoreError;
use super::keys;
use super::page::{Cursor, Page, PageRequest};
use crate::error::{AppError, Result};

pub type Item = HashMap<String, AttributeValue>;

/// The DynamoDB adapter: one client, one table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens the connection at init: an eventually consistent `GetItem` of a key no
    /// item has (half a read unit).
    pub async fn warm_up(&self) -> Result<()> {
        let outcome = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(keys::WARM_UP.into()))
            .key(keys::SK, AttributeValue::S(keys::WARM_UP.into()))
            .projection_expression("PK")
            .send()
            .await;
        crate::error::warm_up_outcome("dynamodb GetItem", outcome)
    }

    /// The `E` at `key`, read consistently.
    pub(super) async fn get<E: Entity>(&self, key: Key) -> Result<Option<E>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        output.item.map(from_item).transpose()
    }

    /// Writes the value's item, replacing any with its key.
    pub(super) async fn put<E: Entity>(&self, value: &E) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(value)?))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Writes the value's item unless one with its key exists; `false` when one did.
    pub(super) async fn put_if_absent<E: Entity>(&self, value: &E) -> Result<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(value)?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result.map_err(StoreError::from_sdk) {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// One page of the `E`s under `pk` whose sort key starts with `sk_prefix` (on
    /// GSI1 when `index` says so), in sort-key order (reversed unless `forward`).
    pub(super) async fn query<E: Entity>(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
        page: &PageRequest,
        forward: bool,
    ) -> Result<Page<E>> {
        let (items, next) = self.query_items(index, pk, sk_prefix, page, forward).await?;
        Ok(Page::new(items.into_iter().map(from_item).collect::<Result<_>>()?, next))
    }

    /// One page of raw items under `pk` whose sort key starts with `sk_prefix`.
    pub(super) fn query_items<'a>(
        &'a self,
        index: Option<&'a str>,
        pk: &'a str,
        sk_prefix: &'a str,
        page: &'a PageRequest,
        forward: bool,
    ) -> impl Future<Output = Result<(Vec<Item>, Option<Cursor>)>> + 'a {
        self.query_page(index, pk, sk_prefix, page, forward, false, &[])
    }

    /// [`Self::query_items`] on the table, read consistently: it sees every write
    /// acknowledged before it (a GSI cannot be read so).
    pub(super) fn query_items_consistent<'a>(
        &'a self,
        pk: &'a str,
        sk_prefix: &'a str,
        page: &'a PageRequest,
        forward: bool,
    ) -> impl Future<Output = Result<(Vec<Item>, Option<Cursor>)>> + 'a {
        self.query_page(None, pk, sk_prefix, page, forward, true, &[])
    }

    /// One page of a query; with `projection`, only those attributes of each item.
    #[allow(clippy::too_many_arguments)]
    async fn query_page(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
        page: &PageRequest,
        forward: bool,
        consistent: bool,
        projection: &[&str],
    ) -> Result<(Vec<Item>, Option<Cursor>)> {
        let (pk_name, sk_name) = match index {
            Some(_) => (keys::GSI1PK, keys::GSI1SK),
            None => (keys::PK, keys::SK),
        };
        let start = page.after.as_ref().map(|cursor| start_key(cursor, index, pk, sk_prefix)).transpose()?;
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()));
        // DynamoDB refuses an empty prefix: no prefix means the whole partition.
        query = if sk_prefix.is_empty() {
            query.key_condition_expression("#pk = :pk")
        } else {
            query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":prefix", AttributeValue::S(sk_prefix.to_string()))
        };
        if !projection.is_empty() {
            let names: Vec<String> = (0..projection.len()).map(|i| format!("#p{i}")).collect();
            for (name, attribute) in names.iter().zip(projection) {
                query = query.expression_attribute_names(name, *attribute);
            }
            query = query.projection_expression(names.join(", "));
        }
        let output = query
            .limit(page.limit as i32)
            .scan_index_forward(forward)
            .consistent_read(consistent && index.is_none())
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key.map(cursor_of)))
    }

    /// Every item under `pk` (of the table, or of `index`) whose sort key lies between
    /// `from` and `to` (inclusive), in sort-key order, following pages.
    pub(super) fn query_range<'a, E: Entity + 'a>(
        &'a self,
        index: Option<&'a str>,
        pk: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> impl Future<Output = Result<Vec<E>>> + 'a {
        self.range(index, pk, from, to, false)
    }

    /// [`Self::query_range`] on the table, read consistently.
    pub(super) fn query_range_consistent<'a, E: Entity + 'a>(
        &'a self,
        pk: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> impl Future<Output = Result<Vec<E>>> + 'a {
        self.range(None, pk, from, to, true)
    }

    async fn range<E: Entity>(
        &self,
        index: Option<&str>,
        pk: &str,
        from: &str,
        to: &str,
        consistent: bool,
    ) -> Result<Vec<E>> {
        let (pk_name, sk_name) = match index {
            Some(_) => (keys::GSI1PK, keys::GSI1SK),
            None => (keys::PK, keys::SK),
        };
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
                .expression_attribute_values(":from", AttributeValue::S(from.to_string()))
                .expression_attribute_values(":to", AttributeValue::S(to.to_string()))
                .consistent_read(consistent && index.is_none())
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in output.items.unwrap_or_default() {
                all.push(from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(all);
            }
        }
    }

    /// Writes items (made by `to_item`) in batches of 25, retrying what DynamoDB
    /// leaves unprocessed.
    pub(super) async fn batch_put(&self, items: Vec<Item>) -> Result<()> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(AppError::internal)?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_>>()?;
            for attempt in 0..8u32 {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(StoreError::from_sdk)?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == 7 {
                    return Err(StoreError::Busy("batch write left items unprocessed".into()).into());
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(())
    }

    /// The `E`s at these keys (those that exist, in no particular order), read
    /// consistently, 100 keys a call, retrying what DynamoDB leaves unprocessed.
    pub(super) async fn batch_get<E: Entity>(&self, keys: Vec<Key>) -> Result<Vec<E>> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut keys_and_attributes = KeysAndAttributes::builder().consistent_read(true);
            for key in chunk {
                keys_and_attributes = keys_and_attributes.keys(key.item());
            }
            let mut request = Some(keys_and_attributes.build().map_err(AppError::internal)?);
            let mut attempts = 0;
            while let Some(pending) = request.take() {
                attempts += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(StoreError::from_sdk)?;
                for item in output.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    found.push(from_item(item)?);
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(&self.table))
                    .filter(|left| !left.keys().is_empty());
                if request.is_some() {
                    if attempts >= 5 {
                        return Err(StoreError::Busy("batch get left keys unprocessed".into()).into());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempts)).await;
                }
            }
        }
        Ok(found)
    }

    /// Every item of a query, following pages; for partitions known to stay small.
    pub(super) fn query_all<'a, E: Entity + 'a>(
        &'a self,
        index: Option<&'a str>,
        pk: &'a str,
        sk_prefix: &'a str,
    ) -> impl Future<Output = Result<Vec<E>>> + 'a {
        self.all(index, pk, sk_prefix, false)
    }

    /// [`Self::query_all`] on the table, read consistently.
    pub(super) fn query_all_consistent<'a, E: Entity + 'a>(
        &'a self,
        pk: &'a str,
        sk_prefix: &'a str,
    ) -> impl Future<Output = Result<Vec<E>>> + 'a {
        self.all(None, pk, sk_prefix, true)
    }

    /// [`Self::query_all_consistent`] with only the attributes `projection` names,
    /// as raw items (they are not whole entities).
    pub(super) async fn query_all_projected(
        &self,
        pk: &str,
        sk_prefix: &str,
        projection: &[&str],
    ) -> Result<Vec<Item>> {
        self.all_items(None, pk, sk_prefix, true, projection).await
    }

    async fn all<E: Entity>(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
        consistent: bool,
    ) -> Result<Vec<E>> {
        self.all_items(index, pk, sk_prefix, consistent, &[]).await?.into_iter().map(from_item).collect()
    }

    async fn all_items(
        &self,
        index: Option<&str>,
        pk: &str,
        sk_prefix: &str,
        consistent: bool,
        projection: &[&str],
    ) -> Result<Vec<Item>> {
        let mut page = PageRequest::first(100);
        let mut all = Vec::new();
        loop {
            let (items, next) =
                self.query_page(index, pk, sk_prefix, &page, true, consistent, projection).await?;
            all.extend(items);
            match next {
                Some(cursor) => page.after = Some(cursor),
                None => return Ok(all),
            }
        }
    }
}

/// The longest sort key DynamoDB takes (a partition key may be twice as long).
const MAX_SORT_KEY_BYTES: usize = 1024;

/// A cursor only ever continues the query it came from: exactly the key attributes
/// of the table (and of GSI1 when `index` says so), in the partition `pk`, with a
/// sort key under `sk_prefix`. Anything else is refused rather than handed to
/// DynamoDB, which would answer it with an error. Page tokens are authenticated
/// before they get here (`http::pagination`); this is the second line.
pub(super) fn start_key(cursor: &Cursor, index: Option<&str>, pk: &str, sk_prefix: &str) -> Result<Item> {
    let cursor = cursor.fields();
    let bad = || AppError::invalid("next_token does not belong to this list");
    let (pk_name, sk_name, names): (_, _, &[&str]) = match index {
        Some(_) => (keys::GSI1PK, keys::GSI1SK, &[keys::PK, keys::SK, keys::GSI1PK, keys::GSI1SK]),
        None => (keys::PK, keys::SK, &[keys::PK, keys::SK]),
    };
    let fits = |v: &String| !v.is_empty() && v.len() <= MAX_SORT_KEY_BYTES;
    if cursor.len() != names.len()
        || !names.iter().all(|name| cursor.get(*name).is_some_and(fits))
        || cursor.get(pk_name).map(String::as_str) != Some(pk)
        || !cursor.get(sk_name).is_some_and(|sk| sk.starts_with(sk_prefix))
    {
        return Err(bad());
    }
    Ok(cursor.iter().map(|(name, value)| (name.clone(), AttributeValue::S(value.clone()))).collect())
}

/// Where the next page starts: DynamoDB's last evaluated key (all string keys).
pub(super) fn cursor_of(key: Item) -> Cursor {
    Cursor::new(
        key.into_iter().filter_map(|(name, value)| value.as_s().ok().map(|s| (name, s.clone()))).collect(),
    )
}

/// The outbox's item, serialised as it stands (it names its own keys until it
/// becomes an [`Entity`]); every other item is made by [`to_item`].
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cursor(pairs: &[(&str, &str)]) -> Cursor {
        Cursor::for_tests(pairs)
    }

    #[test]
    fn a_cursor_continues_only_its_own_query() {
        let good = cursor(&[("PK", "ORG#1"), ("SK", "CUSTOMER#2")]);
        assert!(start_key(&good, None, "ORG#1", "CUSTOMER#").is_ok());
        assert!(start_key(&good, None, "ORG#1", "").is_ok());
        for (bad, index, pk, prefix) in [
            (good.clone(), None, "ORG#2", "CUSTOMER#"),
            (good.clone(), None, "ORG#1", "ORDER#"),
            (good.clone(), Some(keys::GSI1), "ORG#1", "CUSTOMER#"),
            (cursor(&[("PK", "ORG#1")]), None, "ORG#1", ""),
            (cursor(&[("PK", "ORG#1"), ("SK", "CUSTOMER#2"), ("x", "y")]), None, "ORG#1", ""),
            (cursor(&[("PK", "ORG#1"), ("SK", "")]), None, "ORG#1", ""),
            (cursor(&[("PK", "ORG#1"), ("SK", &"S".repeat(1025))]), None, "ORG#1", ""),
        ] {
            let error = start_key(&bad, index, pk, prefix).unwrap_err();
            assert_eq!(error.status(), 400, "{bad:?}");
        }
        let on_index = cursor(&[("PK", "a"), ("SK", "b"), ("GSI1PK", "OUTBOX"), ("GSI1SK", "2026")]);
        assert!(start_key(&on_index, Some(keys::GSI1), "OUTBOX", "").is_ok());
        assert!(start_key(&on_index, None, "a", "").is_err());
    }

    proptest! {
        #[test]
        fn what_start_key_accepts_is_a_key_dynamodb_takes(
            pairs in proptest::collection::btree_map("(PK|SK|GSI1PK|GSI1SK|.{0,4})", ".{0,8}", 0..5),
            index in proptest::bool::ANY,
        ) {
            let index = index.then_some(keys::GSI1);
            let pk = pairs.get(if index.is_some() { keys::GSI1PK } else { keys::PK }).cloned().unwrap_or_default();
            let cursor = Cursor::new(pairs);
            if let Ok(item) = start_key(&cursor, index, &pk, "") {
                let expected = if index.is_some() { 4 } else { 2 };
                prop_assert_eq!(item.len(), expected);
                prop_assert!(item.values().all(|v| v.as_s().is_ok_and(|s| !s.is_empty() && s.len() <= 1024)));
                prop_assert_eq!(cursor_of(item), cursor);
            }
        }
    }
}
