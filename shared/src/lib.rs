//! Partner Hub's shared library. Its layers only point down (`tests/layers.rs`):
//!
//! - `domain`: entities, value types, events, the clock and ids; pure rules.
//! - `store`, `events`, `mail`, `exports`: the adapters over DynamoDB, EventBridge,
//!   SES v2 and S3.
//! - `usecases`: one module per workflow, holding its rules; each takes a
//!   [`usecases::Context`] (the store, the clock, ids) and plain inputs.
//! - `http`: the contract's conventions every route shares.
//! - `runtime`, `app`: what a function's `main` runs.

pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod exports;
pub mod http;
pub mod mail;
pub mod runtime;
pub mod sdk;
pub mod store;
pub mod telemetry;
pub mod usecases;

pub use app::App;
pub use error::AppError;
