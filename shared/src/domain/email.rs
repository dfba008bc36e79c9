use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An email address that mail can be sent to, compared lowercased as the contract
/// says: an RFC 5322 `addr-spec` whose local part is an ASCII dot-atom and whose
/// domain is a DNS name (letters, digits and hyphens in labels of at most 63, at
/// most 253 in all, at least two labels, a top-level label not all digits). An
/// internationalised domain is kept as its punycode (`xn--…`), which is what SES
/// takes; a non-ASCII local part (SMTPUTF8) is refused, SES does not take it. So
/// no address SES would refuse, and nothing that reads as several addresses or a
/// display name (`a,b@x.com`, `a<b>@x.com`, `victim@example.com,evil.com`), ever
/// gets into an `Email`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// The characters of an RFC 5322 `atext`, besides letters and digits.
const ATEXT_SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";

impl Email {
    /// RFC 5321's limit on a path, less its angle brackets.
    pub const MAX_LEN: usize = 254;
    pub const MAX_LOCAL_LEN: usize = 64;
    pub const MAX_DOMAIN_LEN: usize = 253;
    pub const MAX_LABEL_LEN: usize = 63;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::parse_why(raw)
            .map_err(|why| AppError::invalid(format!("email is not a valid email address: {why}")))
    }

    fn parse_why(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        // Far longer than any address, whatever the domain's encoding: refused before
        // any work is done on it.
        if raw.len() > 4 * Self::MAX_LEN {
            return Err("it is too long");
        }
        let (local, domain) = raw.split_once('@').ok_or("it has no @")?;
        let local = local_part(local)?;
        let domain = dns_domain(domain)?;
        let email = format!("{local}@{domain}");
        if email.len() > Self::MAX_LEN {
            return Err("it is longer than 254 characters");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// A dot-atom of ASCII `atext`, lowercased.
fn local_part(local: &str) -> Result<String, &'static str> {
    if local.is_empty() || local.len() > Email::MAX_LOCAL_LEN {
        return Err("the part before @ must be 1 to 64 characters");
    }
    let atext = |b: u8| b.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(&b);
    if !local.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(atext)) {
        return Err("the part before @ may hold only letters, digits, single dots inside and ! # $ % & ' * + - / = ? ^ _ ` { | } ~");
    }
    Ok(local.to_ascii_lowercase())
}

/// A DNS name: an internationalised one as its punycode.
fn dns_domain(domain: &str) -> Result<String, &'static str> {
    const BAD: &str = "the part after @ must be a domain name such as example.com";
    // UTS 46 with STD3 rules: maps and lowercases, turns Unicode labels into punycode,
    // checks `xn--` labels really are punycode and refuses what no DNS name holds.
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| BAD)?;
    if ascii.is_empty() || ascii.len() > Email::MAX_DOMAIN_LEN {
        return Err(BAD);
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=Email::MAX_LABEL_LEN).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let tld_ok = labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
        return Err(BAD);
    }
    Ok(ascii)
}

// Emails of end users stay out of logs: Debug shows only the domain.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(***@{})", self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lowercases_and_trims() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        assert_eq!(
            Email::parse("o'hara+tag@mail.example.co.uk").unwrap().as_str(),
            "o'hara+tag@mail.example.co.uk"
        );
    }

    #[test]
    fn internationalised_domains_become_punycode() {
        assert_eq!(Email::parse("ada@bücher.example").unwrap().as_str(), "ada@xn--bcher-kva.example");
        assert_eq!(Email::parse("ada@xn--bcher-kva.example").unwrap().as_str(), "ada@xn--bcher-kva.example");
        assert_eq!(Email::parse("ada@ДОМЕН.рф").unwrap().as_str(), "ada@xn--d1acufc.xn--p1ai");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        let long_label = format!("ada@{}.com", "a".repeat(64));
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_domain = format!("ada@{}com", "abcdefghi.".repeat(25));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@@example.com",
            "ada@example..com",
            "a,b@x.com",
            "a;b@x.com",
            "a<b>@x.com",
            "a\"b@x.com",
            "\"ada\"@x.com",
            "victim@example.com,evil.com",
            "victim@example.com, other@example.com",
            "Ada <ada@example.com>",
            "ada@example.com>",
            "(comment)ada@example.com",
            "ada(comment)@example.com",
            "ada\\b@example.com",
            "ada[1]@example.com",
            "ada:b@example.com",
            "\u{e9}t\u{e9}@example.com",
            "用户@example.com",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@exa_mple.com",
            "ada@example.com.",
            "ada@.example.com",
            "ada@[192.0.2.1]",
            "ada@192.0.2.1",
            "ada@example.123",
            "ada@xn--zz.com",
            "ada@example.com\r\nBcc: evil@example.com",
            "ada@exa mple.com",
            "ada\u{0}@example.com",
            &long_label,
            &long_local,
            &long_domain,
        ] {
            let error = Email::parse(bad).map(|e| e.to_string()).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
            assert!(error.public_message().starts_with("email "), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_local_part() {
        let email = Email::parse("ada@example.com").unwrap();
        assert_eq!(format!("{email:?}"), "Email(***@example.com)");
    }

    /// What SES and any SMTP server take as a recipient: the strict form, checked
    /// here independently of the parser.
    fn deliverable(address: &str) -> bool {
        let Some((local, domain)) = address.split_once('@') else { return false };
        let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
        let labels: Vec<&str> = domain.split('.').collect();
        address.len() <= 254
            && address.is_ascii()
            && (1..=64).contains(&local.len())
            && local.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(atext))
            && domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                (1..=63).contains(&l.len())
                    && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
            && labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics_nor_yields_an_undeliverable_address(raw in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(deliverable(email.as_str()), "{}", email);
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }

        #[test]
        fn near_addresses_are_accepted_only_when_deliverable(
            local in "[a-zA-Z0-9.,;<>\"() +_'\\\\@\u{e9}-]{0,12}",
            domain in "[a-zA-Z0-9.,;<>\"() _@\u{fc}\u{4e2d}-]{0,20}",
        ) {
            let raw = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(deliverable(email.as_str()), "{} from {}", email, raw);
                prop_assert!(!email.as_str().contains([',', ';', '<', '>', '"', ' ', '(', ')']));
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }

        #[test]
        fn every_dot_atom_at_a_dns_name_is_accepted(
            local in "[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-z0-9_-]{1,8}){0,2}",
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4),
            tld in "[a-z]{2,6}",
        ) {
            let raw = format!("{local}@{}.{tld}", labels.join("."));
            prop_assume!(!labels.iter().any(|l| l.len() >= 4 && &l[2..4] == "--"));
            let email = Email::parse(&raw).map_err(|e| TestCaseError::fail(format!("{raw}: {e}")))?;
            prop_assert_eq!(email.as_str(), raw);
        }
    }
}
