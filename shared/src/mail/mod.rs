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

/// What the mail service did with a message it answered for. A transient failure
/// (throttling, an outage, a timeout) is not an outcome but an error: the caller
/// fails and the delivery is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Refused for good (a rejected message or address): sending it again would be
    /// refused again, so it is recorded, not retried. `code` is the service's error
    /// code, for the log and the delivery marker, never shown to a caller.
    Refused {
        code: String,
    },
}
