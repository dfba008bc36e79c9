use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An ORGID: exactly 8 decimal digits, unique and never reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgId(String);

impl OrgId {
    pub const LEN: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.len() == Self::LEN && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_string()))
        } else {
            Err(AppError::invalid(format!("org id must be {} decimal digits", Self::LEN)))
        }
    }

    /// Builds an ORGID from a number in `10_000_000..=99_999_999`; generated ids never
    /// start with a zero so that no spreadsheet or client strips one.
    pub fn from_number(n: u32) -> Self {
        Self(format!("{:08}", 10_000_000 + n % 90_000_000))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrgId {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OrgId> for String {
    fn from(value: OrgId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_eight_digits_only() {
        assert!(OrgId::parse("12345678").is_ok());
        for bad in ["1234567", "123456789", "1234567a", "", "１２３４５６７８", "-1234567"] {
            assert!(OrgId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_ids_have_eight_digits_without_leading_zero() {
        for n in [0, 1, 89_999_999, 90_000_000, u32::MAX] {
            let id = OrgId::from_number(n);
            assert_eq!(id.as_str().len(), 8);
            assert!(!id.as_str().starts_with('0'));
            assert!(OrgId::parse(id.as_str()).is_ok());
        }
    }
}
