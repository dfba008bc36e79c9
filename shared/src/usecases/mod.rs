//! One module per workflow. A use case takes the ports it needs, holds the rules, and
//! returns domain values; it knows nothing of HTTP or AWS.

pub mod access;
pub mod add_customer;
pub mod admins;
pub mod audit;
pub mod connections;
pub mod csp;
pub mod dashboard;
pub mod entitlement_expiry;
pub mod invitations;
pub mod join_program;
pub mod licenses;
pub mod notifications;
pub mod notify;
pub mod services;
pub mod sign_up;
pub mod support;
pub mod usage_csv;
pub mod usage_export;
pub mod usage_ingest;
pub mod usage_report;
pub mod usage_rollup;
pub mod who_am_i;
