//! On a schedule: publishes every committed event still waiting in the outbox.

use partner_hub::error::Result;
use partner_hub::events::outbox;
use partner_hub::App;
use serde_json::{json, Value};

pub async fn handle(app: &App, _schedule: Value) -> Result<Value> {
    let published = outbox::relay(&app.events, &app.store).await?;
    if published > 0 {
        tracing::info!(published, "outbox relayed");
    }
    Ok(json!({"published": published}))
}
