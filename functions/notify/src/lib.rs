//! The target of the bus's rules: one EventBridge event in, its notifications and
//! emails out.

use partner_hub::error::{AppError, Result};
use partner_hub::events::EventEnvelope;
use partner_hub::usecases::notify;
use partner_hub::App;
use serde_json::{json, Value};

pub async fn handle(app: &App, event: Value) -> Result<Value> {
    let envelope = envelope(&event)?;
    let delivered = notify::deliver(&app.notify_ports(), &envelope).await?;
    tracing::info!(
        event_id = %envelope.event_id,
        detail_type = %envelope.detail_type,
        notifications = delivered.notifications,
        emails = delivered.emails,
        bounced = delivered.bounced,
        "event delivered"
    );
    let mut answer = json!({"notifications": delivered.notifications, "emails": delivered.emails});
    if delivered.bounced > 0 {
        answer["bounced"] = json!(delivered.bounced);
    }
    Ok(answer)
}

/// An EventBridge event as the rule delivers it: `detail-type` and `detail`, whose
/// `event_id` and `occurred_at` every Partner Hub event carries.
fn envelope(event: &Value) -> Result<EventEnvelope> {
    let bad = |what: &str| AppError::invalid(format!("not a Partner Hub event: {what}"));
    let detail_type =
        event.get("detail-type").and_then(Value::as_str).ok_or_else(|| bad("no detail-type"))?;
    let mut detail =
        event.get("detail").and_then(Value::as_object).cloned().ok_or_else(|| bad("no detail"))?;
    let event_id = detail
        .remove("event_id")
        .and_then(|v| v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()))
        .ok_or_else(|| bad("no event_id"))?;
    let occurred_at = detail
        .remove("occurred_at")
        .and_then(|v| v.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()))
        .ok_or_else(|| bad("no occurred_at"))?
        .with_timezone(&chrono::Utc);
    Ok(EventEnvelope { detail_type: detail_type.to_string(), event_id, occurred_at, detail })
}
