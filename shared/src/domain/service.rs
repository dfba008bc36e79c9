//! The service catalog and entitlements. An entitlement's status is computed
//! against the clock when it is read, never stored.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::OrgId;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeteredBy {
    Users,
    Bandwidth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Service {
    pub service: &'static str,
    pub name: &'static str,
    pub trial_days: u32,
    pub metered_by: MeteredBy,
    pub trial_requires_approval: bool,
}

pub const SDWAN_ORCHESTRATOR: &str = "sdwan-orchestrator";
pub const GATEWAY: &str = "gateway";

pub const CATALOG: [Service; 5] = [
    Service {
        service: SDWAN_ORCHESTRATOR,
        name: "SD-WAN Orchestrator",
        trial_days: 60,
        metered_by: MeteredBy::Users,
        trial_requires_approval: false,
    },
    Service {
        service: "daas",
        name: "Citrix DaaS",
        trial_days: 30,
        metered_by: MeteredBy::Users,
        trial_requires_approval: true,
    },
    Service {
        service: GATEWAY,
        name: "Citrix Gateway service",
        trial_days: 30,
        metered_by: MeteredBy::Bandwidth,
        trial_requires_approval: false,
    },
    Service {
        service: "secure-private-access",
        name: "Citrix Secure Private Access",
        trial_days: 30,
        metered_by: MeteredBy::Users,
        trial_requires_approval: true,
    },
    Service {
        service: "analytics",
        name: "Citrix Analytics",
        trial_days: 30,
        metered_by: MeteredBy::Users,
        trial_requires_approval: false,
    },
];

pub fn service(id: &str) -> Result<&'static Service, AppError> {
    CATALOG.iter().find(|s| s.service == id).ok_or_else(|| {
        let known: Vec<&str> = CATALOG.iter().map(|s| s.service).collect();
        AppError::invalid(format!("service must be one of: {}", known.join(", ")))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Trial,
    Paid,
    /// A partner's own SD-WAN Orchestrator provider account ("Resell SD-WAN").
    Resell,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Paid => "paid",
            Self::Resell => "resell",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    Monthly,
    Annual,
    Termed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntitlementStatus {
    TrialPending,
    TrialActive,
    TrialExpired,
    TrialDeclined,
    /// A trial that a paid entitlement of the same service replaced while it ran.
    Converted,
    Active,
    Expired,
}

impl EntitlementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrialPending => "trial_pending",
            Self::TrialActive => "trial_active",
            Self::TrialExpired => "trial_expired",
            Self::TrialDeclined => "trial_declined",
            Self::Converted => "converted",
            Self::Active => "active",
            Self::Expired => "expired",
        }
    }
}

/// What an org is entitled to, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub entitlement_id: uuid::Uuid,
    pub org_id: OrgId,
    pub service: String,
    pub kind: Kind,
    /// Set only for trials waiting on approval.
    pub pending_approval: bool,
    pub license_count: Option<u32>,
    pub term: Option<Term>,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub committed_gb: Option<u64>,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    /// When the sales desk approved the trial (it runs `trial_days` from then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
    /// When a paid entitlement of the same service converted this trial (its end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted_at: Option<DateTime<Utc>>,
}

impl Entitlement {
    pub fn status(&self, now: DateTime<Utc>) -> EntitlementStatus {
        let ended = self.expires_at.is_some_and(|end| end <= now);
        match self.kind {
            Kind::Trial if self.declined_at.is_some() => EntitlementStatus::TrialDeclined,
            Kind::Trial if self.pending_approval => EntitlementStatus::TrialPending,
            Kind::Trial if self.converted_at.is_some() => EntitlementStatus::Converted,
            // A trial asked to start later is not running yet: it waits, as one
            // waiting for approval does (the contract has no other word for it).
            Kind::Trial if now < self.starts_at => EntitlementStatus::TrialPending,
            Kind::Trial if ended => EntitlementStatus::TrialExpired,
            Kind::Trial => EntitlementStatus::TrialActive,
            Kind::Paid | Kind::Resell if ended => EntitlementStatus::Expired,
            Kind::Paid | Kind::Resell => EntitlementStatus::Active,
        }
    }

    /// Whether it still counts against a second one of the same service and kind.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        !matches!(
            self.status(now),
            EntitlementStatus::Expired
                | EntitlementStatus::TrialExpired
                | EntitlementStatus::TrialDeclined
                | EntitlementStatus::Converted
        )
    }

    /// A trial that runs now (approved or not needing approval, not yet ended).
    pub fn is_running_trial(&self, now: DateTime<Utc>) -> bool {
        self.kind == Kind::Trial && self.status(now) == EntitlementStatus::TrialActive
    }
}

/// How far ahead a trial may be asked to start.
pub const MAX_TRIAL_LEAD: Duration = Duration::days(365);

/// A trial's end, `trial_days` after it starts.
pub fn trial_end(start: DateTime<Utc>, service: &Service) -> DateTime<Utc> {
    start + Duration::days(i64::from(service.trial_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entitlement(kind: Kind, pending: bool, expires_at: Option<DateTime<Utc>>) -> Entitlement {
        Entitlement {
            entitlement_id: uuid::Uuid::nil(),
            org_id: OrgId::from_number(1),
            service: SDWAN_ORCHESTRATOR.into(),
            kind,
            pending_approval: pending,
            license_count: None,
            term: None,
            starts_at: Utc::now(),
            expires_at,
            committed_gb: None,
            added_by: "s".into(),
            added_at: Utc::now(),
            approved_at: None,
            declined_at: None,
            decline_reason: None,
            converted_at: None,
        }
    }

    #[test]
    fn status_follows_the_clock() {
        let now = Utc::now();
        let later = now + Duration::days(61);
        let mut trial =
            entitlement(Kind::Trial, false, Some(trial_end(now, service(SDWAN_ORCHESTRATOR).unwrap())));
        trial.starts_at = now;
        assert_eq!(trial.status(now), EntitlementStatus::TrialActive);
        assert_eq!(trial.status(later), EntitlementStatus::TrialExpired);
        assert!(!trial.is_current(later));
        let paid = entitlement(Kind::Paid, false, Some(now + Duration::days(365)));
        assert_eq!(paid.status(now), EntitlementStatus::Active);
        assert_eq!(paid.status(now + Duration::days(366)), EntitlementStatus::Expired);
        assert_eq!(entitlement(Kind::Trial, true, None).status(later), EntitlementStatus::TrialPending);
        assert_eq!(entitlement(Kind::Paid, false, None).status(later), EntitlementStatus::Active);
    }

    #[test]
    fn a_trial_that_starts_later_is_not_active_until_it_starts() {
        let now = Utc::now();
        let start = now + Duration::days(30);
        let mut trial =
            entitlement(Kind::Trial, false, Some(trial_end(start, service(SDWAN_ORCHESTRATOR).unwrap())));
        trial.starts_at = start;
        assert_eq!(trial.status(now), EntitlementStatus::TrialPending);
        assert!(!trial.is_running_trial(now));
        assert_eq!(trial.status(start), EntitlementStatus::TrialActive);
        assert_eq!(trial.status(start + Duration::days(60)), EntitlementStatus::TrialExpired);
    }

    #[test]
    fn the_catalog_is_the_contract_s() {
        let ids: Vec<&str> = CATALOG.iter().map(|s| s.service).collect();
        assert_eq!(ids, ["sdwan-orchestrator", "daas", "gateway", "secure-private-access", "analytics"]);
        assert_eq!(service("sdwan-orchestrator").unwrap().trial_days, 60);
        assert_eq!(service("gateway").unwrap().metered_by, MeteredBy::Bandwidth);
        assert!(service("nope").is_err());
    }
}
