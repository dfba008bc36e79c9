//! `GET /local/emails`: what the local SES (moto) has been asked to send, read back
//! from the raw MIME messages it keeps.

use mail_parser::MessageParser;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
}

/// Reads moto's state dump; oldest first.
pub async fn sent_emails(http: &reqwest::Client, moto: &str) -> Result<Vec<SentEmail>, String> {
    let data: Value = http
        .get(format!("{}/moto-api/data.json", moto.trim_end_matches('/')))
        .send()
        .await
        .map_err(|e| format!("reading moto state: {e}"))?
        .json()
        .await
        .map_err(|e| format!("moto state is not JSON: {e}"))?;
    Ok(from_moto_state(&data))
}

pub fn from_moto_state(data: &Value) -> Vec<SentEmail> {
    let mut emails: Vec<(i64, usize, SentEmail)> = data
        .pointer("/ses/RawMessage")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("raw_data").and_then(Value::as_str))
        .enumerate()
        .filter_map(|(position, raw)| {
            let message = MessageParser::default().parse(raw.as_bytes())?;
            let date = message.date();
            let email = SentEmail {
                to: message
                    .to()
                    .and_then(|to| to.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string(),
                subject: message.subject().unwrap_or_default().to_string(),
                text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                html: message.body_html(0).map(|h| h.into_owned()).unwrap_or_default(),
                sent_at: date.map(|d| d.to_rfc3339()).unwrap_or_default(),
            };
            Some((date.map_or(0, |d| d.to_timestamp()), position, email))
        })
        .collect();
    // Oldest first; moto's order breaks ties within the Date header's second.
    emails.sort_by_key(|(at, position, _)| (*at, *position));
    emails.into_iter().map(|(_, _, email)| email).collect()
}
