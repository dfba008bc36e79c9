use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::OrgId;

/// Multi-tenant orders placed on or after this day may only be allocated to the
/// partner's own primary account.
pub fn own_account_only_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 9, 26).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderTenancy {
    Multi,
    Single,
}

/// An order from the commerce feed, with what has been allocated of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub partner_id: OrgId,
    pub service: String,
    pub quantity: u32,
    pub tenancy: OrderTenancy,
    pub placed_at: DateTime<Utc>,
    #[serde(default)]
    pub customer_org_id: Option<OrgId>,
    pub allocated: u32,
    pub remaining: u32,
    pub recorded_at: DateTime<Utc>,
}

impl Order {
    /// Whether two records of one order id say the same thing (the feed may repeat).
    pub fn same_content(&self, other: &Order) -> bool {
        self.order_id == other.order_id
            && self.service == other.service
            && self.quantity == other.quantity
            && self.tenancy == other.tenancy
            && self.placed_at == other.placed_at
            && self.customer_org_id == other.customer_org_id
    }

    pub fn own_account_only(&self) -> bool {
        self.tenancy == OrderTenancy::Multi && self.placed_at.date_naive() >= own_account_only_from()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub allocation_id: uuid::Uuid,
    pub order_id: String,
    pub target_org_id: OrgId,
    pub quantity: u32,
    pub allocated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(tenancy: OrderTenancy, placed: &str) -> Order {
        Order {
            order_id: "o".into(),
            partner_id: OrgId::from_number(1),
            service: "daas".into(),
            quantity: 10,
            tenancy,
            placed_at: DateTime::parse_from_rfc3339(placed).unwrap().with_timezone(&Utc),
            customer_org_id: None,
            allocated: 0,
            remaining: 10,
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn the_own_account_rule_starts_on_2024_09_26() {
        assert!(!order(OrderTenancy::Multi, "2024-09-25T23:59:59Z").own_account_only());
        assert!(order(OrderTenancy::Multi, "2024-09-26T00:00:00Z").own_account_only());
        assert!(!order(OrderTenancy::Single, "2025-01-01T00:00:00Z").own_account_only());
    }
}
