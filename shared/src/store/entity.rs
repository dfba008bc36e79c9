//! The one way items are made and read: a value the table stores is an [`Entity`]
//! that names its own keys, and [`to_item`] / [`from_item`] add and check them.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::dynamo::Item;
use super::errors::corrupt;
use super::keys;
use crate::error::{AppError, Result};

/// Where an item sits: its partition and sort key (of the table, or of GSI1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// The key as the table's primary key attributes (`PK`, `SK`), for a get, an
    /// update or a delete.
    pub fn item(&self) -> Item {
        [
            (keys::PK.to_string(), AttributeValue::S(self.pk.clone())),
            (keys::SK.to_string(), AttributeValue::S(self.sk.clone())),
        ]
        .into()
    }
}

/// A value the table stores: it names its own keys. Its own fields are the item's
/// other attributes (serde_dynamo); [`to_item`] adds the keys, `entity` and `ttl`.
///
/// A key part that is not among the stored attributes (the secret of a lookup item,
/// say) is held in a `#[serde(skip)]` field: a value read back has it empty.
pub trait Entity: Serialize + DeserializeOwned {
    /// The item's `entity` attribute.
    const TYPE: &'static str;
    /// `PK` + `SK`.
    fn key(&self) -> Key;
    /// `GSI1PK` + `GSI1SK`, when the item sits on GSI1.
    fn index_key(&self) -> Option<Key> {
        None
    }
    /// The `ttl` attribute (epoch seconds), when DynamoDB is to delete the item.
    fn expires_at(&self) -> Option<i64> {
        None
    }
}

/// The item of `value`: its fields, its keys, its `entity` and, if it expires, `ttl`.
pub fn to_item<E: Entity>(value: &E) -> Result<Item> {
    let mut item: Item = serde_dynamo::to_item(value)
        .map_err(|e| AppError::internal(format!("serialising a {} item: {e}", E::TYPE)))?;
    let Key { pk, sk } = value.key();
    item.insert(keys::PK.into(), AttributeValue::S(pk));
    item.insert(keys::SK.into(), AttributeValue::S(sk));
    if let Some(Key { pk, sk }) = value.index_key() {
        item.insert(keys::GSI1PK.into(), AttributeValue::S(pk));
        item.insert(keys::GSI1SK.into(), AttributeValue::S(sk));
    }
    item.insert(keys::ENTITY.into(), AttributeValue::S(E::TYPE.into()));
    if let Some(at) = value.expires_at() {
        item.insert(keys::TTL.into(), AttributeValue::N(at.to_string()));
    }
    Ok(item)
}

/// The value an item holds, if it is an `E` (its `entity` says so).
pub fn from_item<E: Entity>(item: Item) -> Result<E> {
    match item.get(keys::ENTITY).and_then(|v| v.as_s().ok()) {
        Some(found) if found == E::TYPE => serde_dynamo::from_item(item).map_err(|e| corrupt(E::TYPE, e)),
        found => Err(AppError::internal(format!("expected a stored {} item, found {found:?}", E::TYPE))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone;

    use super::super::connections::PartnerSide;
    use super::super::orgs::OrgProfile;
    use super::*;
    use crate::domain::{
        Actor, Administrator, AuditAction, AuditEntry, Connection, ConnectionStatus, Email, Org, OrgId,
        Origin, Tenancy, AUDIT_RETENTION,
    };

    fn names(item: &Item) -> BTreeSet<&str> {
        item.keys().map(String::as_str).collect()
    }

    fn s<'a>(item: &'a Item, name: &str) -> &'a str {
        item[name].as_s().expect("a string attribute")
    }

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn org_id(raw: &str) -> OrgId {
        OrgId::parse(raw).unwrap()
    }

    #[test]
    fn an_administrator_round_trips_with_its_keys_and_index() {
        let admin = Administrator::full(
            org_id("12345678"),
            "sub-1".into(),
            Email::parse("a@b.example").unwrap(),
            at(),
        );
        let item = to_item(&admin).unwrap();
        assert_eq!(
            names(&item),
            BTreeSet::from([
                "PK",
                "SK",
                "GSI1PK",
                "GSI1SK",
                "entity",
                "org_id",
                "sub",
                "email",
                "access",
                "permissions",
                "added_at",
                "version",
            ])
        );
        assert_eq!(s(&item, "PK"), "ORG#12345678");
        assert_eq!(s(&item, "SK"), "ADMIN#sub-1");
        assert_eq!(s(&item, "GSI1PK"), "USER#sub-1");
        assert_eq!(s(&item, "GSI1SK"), "ORG#12345678");
        assert_eq!(s(&item, "entity"), "Administrator");
        assert_eq!(from_item::<Administrator>(item).unwrap(), admin);
    }

    #[test]
    fn the_org_item_keeps_its_shape_and_counts_its_first_admin() {
        let org = Org {
            org_id: org_id("12345678"),
            name: "Acme".into(),
            country: None,
            tenancy: Tenancy::Standard,
            programs: vec![],
            created_at: at(),
        };
        let first = Administrator::full(
            org.org_id.clone(),
            "sub-1".into(),
            Email::parse("a@b.example").unwrap(),
            at(),
        );
        let item = to_item(&OrgProfile::new(&org, &first)).unwrap();
        // No `country` when there is none, no counter but `full_admins` at creation.
        assert_eq!(
            names(&item),
            BTreeSet::from([
                "PK",
                "SK",
                "entity",
                "org_id",
                "name",
                "tenancy",
                "programs",
                "created_at",
                "full_admins"
            ])
        );
        assert_eq!((s(&item, "PK"), s(&item, "SK"), s(&item, "entity")), ("ORG#12345678", "PROFILE", "Org"));
        assert_eq!(item["full_admins"].as_n().unwrap(), "1");
        let mut stored = item.clone();
        stored.insert("customer_count".into(), AttributeValue::N("7".into()));
        stored.insert("open_tickets".into(), AttributeValue::N("2".into()));
        stored.insert("invite_code".into(), AttributeValue::S("ABCD".into()));
        let read: OrgProfile = from_item(stored).unwrap();
        assert_eq!(
            (read.customer_count, read.open_tickets, read.invite_code.as_deref()),
            (Some(7), Some(2), Some("ABCD"))
        );
        assert_eq!(read.org(), org);
    }

    #[test]
    fn a_connection_is_written_without_grants_and_read_with_them() {
        let connection = Connection {
            partner_id: org_id("12345678"),
            customer_id: org_id("87654321"),
            status: ConnectionStatus::Active,
            origin: Origin::Invite,
            connected_at: at(),
        };
        let item = to_item(&PartnerSide { connection: connection.clone(), grants: Some(3) }).unwrap();
        assert_eq!(
            names(&item),
            BTreeSet::from([
                "PK",
                "SK",
                "entity",
                "partner_id",
                "customer_id",
                "status",
                "origin",
                "connected_at"
            ])
        );
        assert_eq!((s(&item, "PK"), s(&item, "SK")), ("ORG#12345678", "CUSTOMER#87654321"));
        assert_eq!(s(&item, "entity"), "PartnerCustomer");
        let mut stored = item;
        stored.insert("grants".into(), AttributeValue::N("4".into()));
        let read: PartnerSide = from_item(stored).unwrap();
        assert_eq!((read.connection, read.grants), (connection, Some(4)));
    }

    #[test]
    fn an_audit_entry_expires_after_the_retention() {
        let entry = AuditEntry::new(
            &org_id("12345678"),
            uuid::Uuid::nil(),
            at(),
            Actor::system(),
            AuditAction::OrgCreated,
            "12345678",
            serde_json::json!({"name": "Acme"}),
        );
        let item = to_item(&entry).unwrap();
        assert_eq!(s(&item, "SK"), format!("AUDIT#2026-03-01T12:00:00.000Z#{}", uuid::Uuid::nil()));
        assert_eq!(item["ttl"].as_n().unwrap(), &(at() + AUDIT_RETENTION).timestamp().to_string());
        assert_eq!(s(&item, "entity"), "AuditEntry");
        assert_eq!(from_item::<AuditEntry>(item).unwrap(), entry);
    }

    #[test]
    fn an_item_of_another_entity_is_refused() {
        let admin = Administrator::full(
            org_id("12345678"),
            "sub-1".into(),
            Email::parse("a@b.example").unwrap(),
            at(),
        );
        let mut item = to_item(&admin).unwrap();
        assert!(from_item::<AuditEntry>(item.clone()).is_err());
        item.remove("entity");
        assert!(from_item::<Administrator>(item).is_err());
    }
}
