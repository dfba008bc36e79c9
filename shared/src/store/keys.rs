//! Every partition key, sort key and GSI key format of the table, in one place.
//!
//! | item | PK | SK | GSI1PK / GSI1SK |
//! |---|---|---|---|
//! | org | `ORG#<org_id>` | `PROFILE` | |
//! | administrator | `ORG#<org_id>` | `ADMIN#<sub>` | `USER#<sub>` / `ORG#<org_id>` |
//! | idempotency record | `IDEMPOTENCY#<sub>#<key>` | `IDEMPOTENCY` | |
//! | invitation code | `INVITE#<code>` | `INVITE` | |
//! | connection, partner side | `ORG#<partner_id>` | `CUSTOMER#<customer_id>` | |
//! | connection, customer side | `ORG#<customer_id>` | `PARTNER#<partner_id>` | |
//! | contact email claim (Add a customer) | `CONTACT#<email>` | `CONTACT` | |
//! | pending administrator | `ORG#<org_id>` | `PENDING_ADMIN#<email>` | `EMAIL#<email>` / `ORG#<org_id>` |
//! | outbox event (published from its INSERT on the table's stream; TTL, 7 days after the event) | `OUTBOX#<event_id>` | `OUTBOX` | |
//! | notification | `ORG#<org_id>` | `NOTIFICATION#<created_at>#<id>` | |
//! | dismissal by a partner | `ORG#<partner_id>` | `DISMISSED#<notification_id>` | |
//! | email delivery marker, one per event and recipient (`state`: `sending` under a claim with a lease, `sent`, `refused`; TTL) | `DELIVERY#<event_id>` | `EMAIL#<address>` | |
//! | rate window | `RATE#<org_id>#<what>` | `RATE` | |
//! | admin invitation | `ORG#<org_id>` | `INVITATION#<invitation_id>` | |
//! | admin invitation token | `ADMIN_INVITE#<token>` | `ADMIN_INVITE` | |
//! | entitlement (one per entitlement, never overwritten) | `ORG#<org_id>` | `ENTITLEMENT#<entitlement_id>` | `ENTITLEMENT_ENDS` / `<expires_at>#<org_id>#<entitlement_id>` while its end is still to be reported |
//! | the current entitlement of a service and kind | `ORG#<org_id>` | `CURRENT_ENTITLEMENT#<service>#<kind>` | |
//! | order | `ORG#<partner_id>` | `ORDER#<order_id>` | |
//! | usage of a user on a day | `USAGE#<org_id>#<service>#<date>` | `USER#<user_hash>` | |
//! | gateway bandwidth of a day | `USAGE#<org_id>#gateway#<date>` | `BANDWIDTH` | |
//! | a month waiting for the rollup (`touched`, and `days`: the set of its dates with new records), in one of [`DIRTY_SHARDS`] partitions by org ([`dirty_shard`], two digits) | `USAGE_DIRTY#<shard>` | `<org_id>#<service>#<yyyy-mm>` | |
//! | monthly rollup, holding its daily rollups (`days`: one string of their JSON) | `ROLLUP#<org_id>#<service>` | `MONTH#<yyyy-mm>` | |
//! | license allocation | `ORG#<partner_id>` | `ALLOCATION#<order_id>#<allocation_id>` | |
//! | audit log entry (TTL) | `ORG#<org_id>` | `AUDIT#<at>#<entry_id>` | |
//! | federated domain of a CSP partner | `ORG#<partner_id>` | `FEDERATED_DOMAIN#<domain>` | |
//! | federated domain linked to a customer | `ORG#<customer_id>` | `WORKSPACE_DOMAIN#<partner_id>#<domain>` | |
//! | workspace theme | `ORG#<org_id>` | `WORKSPACE_THEME` | |
//! | support ticket (its id is a UUIDv7: sorts by creation) | `ORG#<org_id>` | `TICKET#<ticket_id>` | |
//!
//! Counters kept on the org item (`ORG#<org_id>` / `PROFILE`): `customer_count`
//! (active customers, at most 100), `full_admins` (full administrators without
//! an expiry, at least 1), `open_tickets` (support tickets open now) and
//! `limit_near_at` (set once, by the connection that made the 90th customer). The partner side of a connection keeps `grants`, a
//! version bumped by every administrator right given through it.

use crate::domain::OrgId;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// Every item names what it is.
pub const ENTITY: &str = "entity";
/// Epoch seconds after which DynamoDB's TTL deletes the item.
pub const TTL: &str = "ttl";

pub const ORG_PROFILE_SK: &str = "PROFILE";
pub const ADMIN_SK_PREFIX: &str = "ADMIN#";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
/// The partition and sort key of the init warm-up read: no item is ever written there.
pub const WARM_UP: &str = "WARM_UP";

pub fn org_pk(org_id: &OrgId) -> String {
    format!("ORG#{org_id}")
}

pub fn admin_sk(sub: &str) -> String {
    format!("{ADMIN_SK_PREFIX}{sub}")
}

pub fn user_gsi1pk(sub: &str) -> String {
    format!("USER#{sub}")
}

pub fn idempotency_pk(scoped_key: &str) -> String {
    format!("IDEMPOTENCY#{scoped_key}")
}

pub const INVITE_SK: &str = "INVITE";
pub const CUSTOMER_SK_PREFIX: &str = "CUSTOMER#";
pub const PARTNER_SK_PREFIX: &str = "PARTNER#";
pub const CONTACT_SK: &str = "CONTACT";
pub const PENDING_ADMIN_SK_PREFIX: &str = "PENDING_ADMIN#";
pub const OUTBOX_SK: &str = "OUTBOX";
pub const NOTIFICATION_SK_PREFIX: &str = "NOTIFICATION#";
pub const DISMISSED_SK_PREFIX: &str = "DISMISSED#";
pub const RATE_SK: &str = "RATE";

pub fn invite_pk(code: &str) -> String {
    format!("INVITE#{code}")
}

pub fn customer_sk(customer_id: &OrgId) -> String {
    format!("{CUSTOMER_SK_PREFIX}{customer_id}")
}

pub fn partner_sk(partner_id: &OrgId) -> String {
    format!("{PARTNER_SK_PREFIX}{partner_id}")
}

pub fn contact_pk(email: &str) -> String {
    format!("CONTACT#{email}")
}

pub fn pending_admin_sk(email: &str) -> String {
    format!("{PENDING_ADMIN_SK_PREFIX}{email}")
}

pub fn email_gsi1pk(email: &str) -> String {
    format!("EMAIL#{email}")
}

pub fn outbox_pk(event_id: &uuid::Uuid) -> String {
    format!("OUTBOX#{event_id}")
}

/// Sorts newest last; RFC 3339 in UTC with fixed millisecond precision sorts as text.
pub fn notification_sk(created_at: &chrono::DateTime<chrono::Utc>, id: &uuid::Uuid) -> String {
    format!("{NOTIFICATION_SK_PREFIX}{}#{id}", timestamp(created_at))
}

pub fn dismissed_sk(notification_id: &uuid::Uuid) -> String {
    format!("{DISMISSED_SK_PREFIX}{notification_id}")
}

pub fn delivery_pk(event_id: &uuid::Uuid) -> String {
    format!("DELIVERY#{event_id}")
}

pub fn delivery_email_sk(address: &str) -> String {
    format!("EMAIL#{address}")
}

pub fn rate_pk(org_id: &OrgId, what: &str) -> String {
    format!("RATE#{org_id}#{what}")
}

pub fn timestamp(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub const INVITATION_SK_PREFIX: &str = "INVITATION#";
pub const ADMIN_INVITE_SK: &str = "ADMIN_INVITE";
pub const ENTITLEMENT_SK_PREFIX: &str = "ENTITLEMENT#";

pub fn invitation_sk(invitation_id: &uuid::Uuid) -> String {
    format!("{INVITATION_SK_PREFIX}{invitation_id}")
}

pub fn admin_invite_pk(token: &str) -> String {
    format!("ADMIN_INVITE#{token}")
}

pub fn entitlement_sk(entitlement_id: &uuid::Uuid) -> String {
    format!("{ENTITLEMENT_SK_PREFIX}{entitlement_id}")
}

pub fn entitlement_slot_sk(service: &str, kind: &str) -> String {
    format!("CURRENT_ENTITLEMENT#{service}#{kind}")
}

pub const ENTITLEMENT_ENDS_GSI1PK: &str = "ENTITLEMENT_ENDS";

pub fn entitlement_ends_gsi1sk(
    expires_at: &chrono::DateTime<chrono::Utc>,
    org_id: &OrgId,
    entitlement_id: &uuid::Uuid,
) -> String {
    format!("{}#{org_id}#{entitlement_id}", timestamp(expires_at))
}

pub const ORDER_SK_PREFIX: &str = "ORDER#";
pub const ALLOCATION_SK_PREFIX: &str = "ALLOCATION#";

pub fn order_sk(order_id: &str) -> String {
    format!("{ORDER_SK_PREFIX}{order_id}")
}

pub fn allocation_sk(order_id: &str, allocation_id: &uuid::Uuid) -> String {
    format!("{ALLOCATION_SK_PREFIX}{order_id}#{allocation_id}")
}

pub const USER_SK_PREFIX: &str = "USER#";
pub const BANDWIDTH_SK: &str = "BANDWIDTH";
pub const USAGE_DIRTY_PK_PREFIX: &str = "USAGE_DIRTY#";
pub const MONTH_SK_PREFIX: &str = "MONTH#";

pub fn usage_pk(org_id: &OrgId, service: &str, date: &chrono::NaiveDate) -> String {
    format!("USAGE#{org_id}#{service}#{date}")
}

pub fn user_sk(user_hash: &str) -> String {
    format!("{USER_SK_PREFIX}{user_hash}")
}

/// How many partitions the rollup's month marks are spread over.
///
/// DynamoDB takes at most 1,000 writes a second in one partition. At 1,000
/// partners × 100 customers = 100,000 orgs, each reporting about 5 services daily,
/// a day brings 500,000 mark writes (one per org, service and month a feed call
/// names; the feed's calls hold up to 500 records, so about one or two an org and
/// service a day). When a
/// feed sends a whole day within 5 minutes that is 500,000 / 300 s ≈ 1,700 writes/s:
/// more than one partition takes. Over 32 shards it is ≈ 52 writes/s a shard (about
/// 5% of the limit), and even a whole day in one minute (≈ 8,300/s) is ≈ 260/s a
/// shard, about a quarter; the rollup's deletes of the marks come later, at its
/// own pace (16 at a time), one per month. Org ids are drawn uniformly from
/// `10_000_000..=99_999_999`, 90,000,000 numbers = 32 × 2,812,500, so the number
/// modulo 32 spreads orgs evenly. The rollup reads every shard on each run: 32
/// small queries an hour when there is nothing to do, so more shards would only
/// add empty reads.
pub const DIRTY_SHARDS: u32 = 32;

/// The shard of an org's month marks: the org id's number modulo [`DIRTY_SHARDS`].
/// Stable: it depends on the id alone.
pub fn dirty_shard(org_id: &OrgId) -> u32 {
    let number = org_id
        .as_str()
        .bytes()
        .fold(0u64, |n, b| n.wrapping_mul(10).wrapping_add(u64::from(b.wrapping_sub(b'0'))));
    (number % u64::from(DIRTY_SHARDS)) as u32
}

pub fn dirty_pk(shard: u32) -> String {
    format!("{USAGE_DIRTY_PK_PREFIX}{shard:02}")
}

/// `month` is `yyyy-mm`.
pub fn dirty_sk(org_id: &OrgId, service: &str, month: &str) -> String {
    format!("{org_id}#{service}#{month}")
}

pub fn rollup_pk(org_id: &OrgId, service: &str) -> String {
    format!("ROLLUP#{org_id}#{service}")
}

pub fn month_sk(month: &str) -> String {
    format!("{MONTH_SK_PREFIX}{month}")
}

pub const AUDIT_SK_PREFIX: &str = "AUDIT#";

pub fn audit_sk(at: &chrono::DateTime<chrono::Utc>, entry_id: &uuid::Uuid) -> String {
    format!("{AUDIT_SK_PREFIX}{}#{entry_id}", timestamp(at))
}

pub const TICKET_SK_PREFIX: &str = "TICKET#";

pub fn ticket_sk(ticket_id: &uuid::Uuid) -> String {
    format!("{TICKET_SK_PREFIX}{ticket_id}")
}

pub const WORKSPACE_DOMAIN_SK_PREFIX: &str = "WORKSPACE_DOMAIN#";
pub const WORKSPACE_THEME_SK: &str = "WORKSPACE_THEME";

pub const FEDERATED_DOMAIN_SK_PREFIX: &str = "FEDERATED_DOMAIN#";

pub fn federated_domain_sk(domain: &str) -> String {
    format!("{FEDERATED_DOMAIN_SK_PREFIX}{domain}")
}

/// Under the customer, grouped by partner: removing a connection finds that
/// partner's links with one query.
pub fn workspace_domain_sk(partner_id: &OrgId, domain: &str) -> String {
    format!("{WORKSPACE_DOMAIN_SK_PREFIX}{partner_id}#{domain}")
}

pub fn workspace_domains_of_partner(partner_id: &OrgId) -> String {
    format!("{WORKSPACE_DOMAIN_SK_PREFIX}{partner_id}#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirty_shards_are_stable_in_range_and_even() {
        let org = OrgId::parse("12345678").unwrap();
        assert_eq!(dirty_shard(&org), 12_345_678 % DIRTY_SHARDS);
        assert_eq!(dirty_shard(&org), dirty_shard(&OrgId::parse("12345678").unwrap()));
        assert_eq!(dirty_pk(dirty_shard(&org)), "USAGE_DIRTY#14");
        assert_eq!(dirty_pk(3), "USAGE_DIRTY#03");
        // 100,000 ids as `RandomIds` draws them (uniformly), from a fixed seed.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut counts = vec![0u32; DIRTY_SHARDS as usize];
        let samples = 100_000u32;
        for _ in 0..samples {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let org = OrgId::from_number((z % 90_000_000) as u32);
            let shard = dirty_shard(&org);
            assert!(shard < DIRTY_SHARDS);
            counts[shard as usize] += 1;
        }
        let expected = samples / DIRTY_SHARDS;
        for (shard, count) in counts.iter().enumerate() {
            // ±10% (the standard deviation is about 55 of 3,125).
            assert!(count.abs_diff(expected) < expected / 10, "shard {shard}: {count} of {samples}");
        }
        // Consecutive ids, too, take every shard in turn.
        let consecutive: std::collections::BTreeSet<u32> =
            (0..DIRTY_SHARDS).map(|n| dirty_shard(&OrgId::from_number(n))).collect();
        assert_eq!(consecutive.len(), DIRTY_SHARDS as usize);
    }
}
