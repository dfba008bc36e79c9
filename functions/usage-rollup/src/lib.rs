//! On a schedule: rolls every month with new usage records up again, with its days.
//!
//! The schedule's input may name a range of mark shards, `{"shards": {"from": 0,
//! "to": 16}}`, so several invocations share one run (template.yaml); without it the
//! invocation walks every shard. Either way it takes no new batch once
//! [`BUDGET`] has passed, well inside Lambda's 15 minutes: the months it leaves stay
//! marked for the next run.

use std::time::{Duration, Instant};

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::usecases::usage_rollup::{self, Share};
use partner_hub::App;
use serde::Deserialize;
use serde_json::Value;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// How long an invocation takes new batches: a batch (64 months, about two
/// thousand day reads) takes well under a minute, so 12 minutes leaves room before the 15-minute timeout.
pub const BUDGET: Duration = Duration::from_secs(12 * 60);

#[derive(Debug, Deserialize)]
struct Shards {
    from: u32,
    to: u32,
}

/// The share of the run an event asks for: its `shards`, else every shard.
pub fn share_of(event: &Value, started: Instant) -> Share {
    let all = Share::all();
    let shards = event
        .get("shards")
        .and_then(|shards| Shards::deserialize(shards).ok())
        .map(|s| s.from..s.to)
        .unwrap_or(all.shards);
    Share { shards, until: Some(started + BUDGET) }
}

pub async fn handle(app: &App, event: Value) -> Result<Value> {
    let share = share_of(&event, Instant::now());
    let report = usage_rollup::run_share(&app.context(), &share).await?;
    tracing::info!(
        days = report.days,
        months = report.months,
        failed = report.failed,
        unfinished = report.unfinished,
        shards = ?share.shards,
        "usage rolled up"
    );
    serde_json::to_value(report).map_err(partner_hub::error::AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_names_the_shards_else_all_of_them() {
        let now = Instant::now();
        let share = share_of(&serde_json::json!({"shards": {"from": 8, "to": 16}}), now);
        assert_eq!(share.shards, 8..16);
        assert_eq!(share.until, Some(now + BUDGET));
        let schedule = serde_json::json!({"source": "aws.events", "detail": {}});
        assert_eq!(share_of(&schedule, now).shards, Share::all().shards);
    }
}
