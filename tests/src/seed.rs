//! Realistic usage for N customers over D days, deterministic for a seed: used by the
//! tests, by `make seed-usage` and by the benchmark.

use chrono::NaiveDate;
use serde_json::{json, Value};

/// A small, fast, seeded generator (SplitMix64), so a seed always gives the same usage.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

pub struct Plan<'a> {
    pub orgs: &'a [String],
    /// User-metered services each org uses (gateway is added when `gateway` is set).
    pub services: &'a [&'a str],
    pub gateway: bool,
    pub first_day: NaiveDate,
    pub days: u32,
    pub users_per_org: u32,
    pub seed: u64,
}

/// The records, in the feed's own shape. Most users are assigned; about a third of
/// them are active on a weekday, fewer at weekends; gateway traffic follows the week.
pub fn records(plan: &Plan<'_>) -> Vec<Value> {
    use chrono::Datelike;
    let mut rng = Rng::new(plan.seed);
    let mut out = Vec::new();
    for day in plan.first_day.iter_days().take(plan.days as usize) {
        let weekend = day.weekday().number_from_monday() >= 6;
        for org in plan.orgs {
            for service in plan.services {
                for user in 0..plan.users_per_org {
                    let assigned = user * 10 < plan.users_per_org * 9;
                    let active = assigned && rng.chance(if weekend { 10 } else { 35 });
                    out.push(json!({
                        "org_id": org, "service": service, "date": day.to_string(),
                        "user": format!("user-{org}-{user:05}"), "assigned": assigned, "active": active,
                    }));
                }
            }
            if plan.gateway {
                let base = if weekend { 300 } else { 2_000 };
                let mb = base + rng.next_u64() % 1_500;
                out.push(
                    json!({"org_id": org, "service": "gateway", "date": day.to_string(), "bandwidth_mb": mb}),
                );
            }
        }
    }
    out
}
