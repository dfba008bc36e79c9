//! The target of the table's stream (only outbox items' INSERTs pass the event
//! source's filter): publishes their events to the bus in order and answers
//! `batchItemFailures` with the first record that failed, so Lambda resumes there.

use aws_lambda_events::event::dynamodb::Event;
use partner_hub::app::Client;
use partner_hub::error::{AppError, Result};
use partner_hub::usecases::relay_events as relay;
use partner_hub::App;
use serde_json::Value;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::EVENTS];

pub async fn handle(app: &App, event: Event) -> Result<Value> {
    let report = relay::relay(app.events()?, &event).await;
    // One line per invocation: counts and, on a failure, the record and why; never
    // an event's contents (they carry email addresses).
    let failed = report.failed.as_ref();
    tracing::info!(
        records = report.records,
        published = report.published,
        skipped = report.skipped,
        failed = failed.is_some(),
        failed_sequence_number = failed.map(|f| f.sequence_number.as_str()),
        failure = failed.map(|f| f.reason.as_str()),
        "outbox relayed"
    );
    serde_json::to_value(report.response()).map_err(AppError::internal)
}
