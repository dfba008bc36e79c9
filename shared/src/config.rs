//! Settings read once per cold start from the function's environment (set by
//! `template.yaml`, or by the local gateway).

use crate::error::{AppError, Result};

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub event_bus_name: String,
    /// The verified SES identity mail is sent from.
    pub mail_from: String,
    /// Where customers open links from emails, e.g. `https://hub.example.com`.
    pub public_base_url: String,
    /// A token-minting path for the accept page's sign-in form; only the local
    /// gateway sets it.
    pub local_token_path: Option<String>,
    /// The bucket large exports are written to.
    pub export_bucket: String,
    /// Path-style S3 addressing, for S3 endpoints without bucket subdomains.
    pub s3_force_path_style: bool,
    /// The secret user ids are hashed with before they are stored.
    pub usage_hash_key: String,
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| AppError::internal(format!("environment variable {name} is not set")))
        };
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            event_bus_name: lookup("EVENT_BUS_NAME").unwrap_or_else(|| "partner-hub".into()),
            mail_from: lookup("MAIL_FROM").unwrap_or_else(|| "no-reply@partnerhub.example.com".into()),
            public_base_url: lookup("PUBLIC_BASE_URL")
                .unwrap_or_else(|| "http://localhost:3000".into())
                .trim_end_matches('/')
                .to_string(),
            local_token_path: lookup("LOCAL_TOKEN_PATH").filter(|v| !v.is_empty()),
            export_bucket: lookup("EXPORT_BUCKET").unwrap_or_else(|| "partner-hub-exports".into()),
            s3_force_path_style: lookup("S3_FORCE_PATH_STYLE").is_some_and(|v| v == "true"),
            usage_hash_key: lookup("USAGE_HASH_KEY").unwrap_or_else(|| "partner-hub-local-usage-key".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_name_is_required_and_the_rest_has_defaults() {
        assert!(Config::from_lookup(|_| None).is_err());
        let config = Config::from_lookup(|name| match name {
            "TABLE_NAME" => Some("t".into()),
            "PUBLIC_BASE_URL" => Some("https://hub.example.com/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.table_name, "t");
        assert_eq!(config.public_base_url, "https://hub.example.com");
    }
}
