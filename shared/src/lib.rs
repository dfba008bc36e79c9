//! Partner Hub's shared library: the domain and its rules, one use case per workflow,
//! the ports those use cases need, and the AWS adapters behind them.
//!
//! Reading order: `usecases` (what a workflow does) → `ports` (what it needs) →
//! `store`, `events`, `mail` (how AWS provides it). `http` holds the contract's
//! conventions that every route shares.

pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod exports;
pub mod http;
pub mod mail;
pub mod runtime;
pub mod store;
pub mod telemetry;
pub mod usecases;

pub use app::App;
pub use error::AppError;
