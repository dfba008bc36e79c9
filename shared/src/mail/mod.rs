//! Email: what a message is, and the SES v2 adapter that sends it.

mod ses;
pub mod templates;

pub use ses::{is_permanent_refusal, SesMailer};

use crate::domain::Email;

/// One message to one recipient: every email goes out as its own send, so one
/// refused address never holds back the mail to anyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}
