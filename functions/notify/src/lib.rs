//! The target of the bus's rules: one EventBridge event in, its notifications and
//! emails out.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use partner_hub::app::Client;
use partner_hub::domain::{EventDetail, EventEnvelope};
use partner_hub::error::Result;
use partner_hub::usecases::notify::{self, Notifier};
use partner_hub::App;
use serde_json::{json, Value};

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE, Client::MAIL];

pub async fn handle(app: &App, event: EventBridgeEvent<EventDetail>) -> Result<Value> {
    let envelope = EventEnvelope::from_bus(event.detail_type, event.detail);
    let notifier = Notifier::new(app.context(), app.mailer()?, &app.config.public_base_url);
    let delivered = notify::deliver(&notifier, &envelope).await?;
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
