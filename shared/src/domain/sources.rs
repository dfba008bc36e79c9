//! Where the time and fresh ids come from: the two inputs tests replace (a clock they
//! move, ids that collide on purpose), so they are traits with a second implementation.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::OrgId;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdSource: Send + Sync {
    /// A random ORGID candidate; the store decides whether it is still free.
    fn org_id(&self) -> OrgId;
    fn uuid(&self) -> uuid::Uuid;
    /// 192 bits from a cryptographically secure generator, for capability codes.
    fn secret(&self) -> [u8; 24];
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn org_id(&self) -> OrgId {
        OrgId::from_number(rand::rng().random_range(0..90_000_000))
    }

    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }

    fn secret(&self) -> [u8; 24] {
        // ThreadRng is a CSPRNG (ChaCha, seeded from the OS).
        rand::rng().random()
    }
}
