use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::OrgId;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tenancy {
    Standard,
    Multi,
}

/// The partner programs. An org is partner-badged while it belongs to at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Program {
    /// Citrix Solution Advisor
    #[serde(rename = "CSA")]
    Csa,
    /// Citrix Service Provider
    #[serde(rename = "CSP")]
    Csp,
}

impl Program {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "CSA" => Ok(Self::Csa),
            "CSP" => Ok(Self::Csp),
            _ => Err(AppError::invalid("program must be one of: CSA, CSP")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Csa => "CSA",
            Self::Csp => "CSP",
        }
    }
}

/// A trimmed, non-empty organization name of at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::invalid(format!("{field} must not be empty")));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(format!("{field} must be at most {} characters", Self::MAX_CHARS)));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid(format!("{field} must not contain control characters")));
        }
        Ok(Self(name.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country(String);

impl Country {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(AppError::invalid("country must be a two-letter ISO 3166-1 code such as US or DE"))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub org_id: OrgId,
    pub name: String,
    pub country: Option<String>,
    pub tenancy: Tenancy,
    pub programs: Vec<Program>,
    pub created_at: DateTime<Utc>,
}

impl Org {
    pub fn is_partner(&self) -> bool {
        !self.programs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited_to_200_characters() {
        assert_eq!(OrgName::parse("name", "  Acme  ").unwrap().into_inner(), "Acme");
        assert!(OrgName::parse("name", &"é".repeat(200)).is_ok());
        let too_long = OrgName::parse("name", &"é".repeat(201)).unwrap_err();
        assert!(too_long.to_string().contains("200"));
        assert!(OrgName::parse("name", "   ").is_err());
        assert!(OrgName::parse("name", "a\u{0}b").is_err());
    }

    #[test]
    fn programs_are_the_two_of_the_contract() {
        assert_eq!(Program::parse("CSA").unwrap(), Program::Csa);
        assert_eq!(Program::parse("CSP").unwrap(), Program::Csp);
        assert!(Program::parse("csa").is_err());
        assert!(Program::parse("XYZ").is_err());
    }

    #[test]
    fn countries_are_two_letters() {
        assert_eq!(Country::parse("de").unwrap().into_inner(), "DE");
        assert!(Country::parse("DEU").is_err());
        assert!(Country::parse("1A").is_err());
    }
}
