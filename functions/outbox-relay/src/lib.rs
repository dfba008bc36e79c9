//! Placeholder while merging.
use partner_hub::error::Result;
use partner_hub::App;
use serde_json::{json, Value};

pub async fn handle(_app: &App, _event: Value) -> Result<Value> {
    Ok(json!({}))
}
