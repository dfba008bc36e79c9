use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A partner's invitation code: 192 random bits, URL-safe, unrelated to the ORGID.
/// Holding it is what lets a customer connect, so it is never logged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InviteCode(String);

impl InviteCode {
    const BYTES: usize = 24;
    pub const LEN: usize = 32;

    pub fn from_random(bytes: [u8; Self::BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// `None` for anything that cannot be a code; callers answer it like an unknown one.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == Self::LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_32_url_safe_characters() {
        let code = InviteCode::from_random([0xfb; 24]);
        assert_eq!(code.as_str().len(), InviteCode::LEN);
        assert_eq!(InviteCode::parse(code.as_str()), Some(code));
        for bad in [
            "",
            "short",
            &"a".repeat(33),
            &format!("{}!", "a".repeat(31)),
            "../../../../etc/passwd0000000000",
        ] {
            assert!(InviteCode::parse(bad).is_none(), "{bad}");
        }
    }
}
