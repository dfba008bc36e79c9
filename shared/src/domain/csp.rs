//! Service-provider features of the `CSP` program: federated domains a partner links
//! to its customers' workspaces, and workspace themes. Pure rules only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, OrgId};
use crate::error::{AppError, Result};

/// A DNS name a CSP partner's users sign in with, which it may link to customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedDomain {
    pub domain: String,
    pub partner_id: OrgId,
    pub created_at: DateTime<Utc>,
    pub created_by: Email,
}

/// A federated domain linked to a customer: the customer's workspace accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainLink {
    pub domain: String,
    pub partner_id: OrgId,
    pub customer_id: OrgId,
    pub linked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceTheme {
    pub org_id: OrgId,
    pub name: String,
    pub primary_color: String,
    pub logo_url: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Email,
}

pub const MAX_DOMAIN_CHARS: usize = 253;

/// A valid DNS name, lower-cased: at most 253 characters, at least two labels of 1 to
/// 63 letters, digits and inner hyphens, and a top-level label that is not all digits.
pub fn domain_name(raw: &str) -> Result<String> {
    let domain = raw.trim().to_ascii_lowercase();
    let invalid = || {
        AppError::invalid(format!(
            "domain must be a DNS name (e.g. sso.example.com) of at most {MAX_DOMAIN_CHARS} characters"
        ))
    };
    if domain.is_empty() || domain.len() > MAX_DOMAIN_CHARS {
        return Err(invalid());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(invalid());
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(invalid());
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(invalid());
    }
    Ok(domain)
}

/// `#RRGGBB`, hex digits.
pub fn primary_color(raw: &str) -> Result<String> {
    let ok = raw.len() == 7 && raw.starts_with('#') && raw[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(AppError::invalid("primary_color must be a color as #RRGGBB"));
    }
    Ok(raw.to_string())
}

/// An absolute `https:` URL with a host, at most 2,048 characters, no spaces.
pub fn logo_url(raw: &str) -> Result<String> {
    let invalid = || AppError::invalid("logo_url must be an https: URL");
    if raw.len() > 2048 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let rest = raw.get(..8).filter(|scheme| scheme.eq_ignore_ascii_case("https://")).map(|_| &raw[8..]);
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.is_empty()
        || host.starts_with(':')
        || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    {
        return Err(invalid());
    }
    Ok(raw.to_string())
}

/// A theme name: trimmed, 1 to 100 characters, no control characters.
pub fn theme_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid("name must be 1 to 100 characters without control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_dns_names_lower_cased() {
        assert_eq!(domain_name("SSO.Example.COM").unwrap(), "sso.example.com");
        assert_eq!(domain_name("a-b.c9.io").unwrap(), "a-b.c9.io");
        for bad in ["example", "-a.com", "a-.com", "a..com", "a_b.com", "1.2.3.4", "", "é.com", ".com"] {
            assert!(domain_name(bad).is_err(), "{bad}");
        }
        let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
        assert!(long.len() > 253 && domain_name(&long).is_err());
        assert!(domain_name(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn themes_are_checked() {
        assert!(primary_color("#12abEF").is_ok());
        for bad in ["12abef", "#12abe", "#12abeg", "red"] {
            assert!(primary_color(bad).is_err(), "{bad}");
        }
        assert!(logo_url("https://cdn.example.com/logo.png").is_ok());
        for bad in [
            "http://x.com/a.png",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "https://a b.com",
            "data:x",
        ] {
            assert!(logo_url(bad).is_err(), "{bad}");
        }
        assert!(theme_name(" ").is_err());
    }
}
