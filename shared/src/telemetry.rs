//! JSON logs, one object a line, for CloudWatch. `RUST_LOG` sets the level (default
//! `info`), as a level or `target=level` pairs. Emails of end users and tokens are
//! never logged.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init() {
    // `Targets` rather than `EnvFilter`: the same `RUST_LOG` syntax for levels and
    // targets, without a regex engine in every binary.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false);
    // A second init (tests, the local gateway) is harmless: the first one stays.
    let _ = tracing_subscriber::registry().with(logs).with(filter).try_init();
}
