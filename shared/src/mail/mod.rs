//! Email: what a message is, and the SES v2 adapter that sends it.

mod ses;
pub mod templates;

pub use ses::SesMailer;

use crate::domain::Email;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}
