use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_sdk_sesv2::Client;
use mail_builder::MessageBuilder;

use super::OutgoingEmail;
use crate::domain::MailOutcome;
use crate::error::{warm_up_outcome, AppError, Result};

/// Sends through SES v2 as a raw MIME message (multipart/alternative, text and HTML),
/// which keeps the whole message, `Date` included, as the recipient will see it.
/// One call per message and the message has one recipient.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    from: String,
}

/// SES v2 error codes that refuse this message for good: sending it again would get
/// the same answer. `SendEmailError`'s variants `MessageRejected`,
/// `MailFromDomainNotVerifiedException`, `BadRequestException` (an invalid address
/// among them) and `NotFoundException`, and the validation codes SES's query API and
/// its emulators answer with. Everything else — `TooManyRequestsException`,
/// `LimitExceededException` (the sending quota), `SendingPausedException` and
/// `AccountSuspendedException` (the account, not the address: they clear when it is
/// fixed), 5xx, timeouts, connection failures — is transient and retried.
pub fn is_permanent_refusal(code: &str) -> bool {
    matches!(
        code,
        "MessageRejected"
            | "MailFromDomainNotVerifiedException"
            | "BadRequestException"
            | "NotFoundException"
            | "InvalidParameterValue"
            | "InvalidParameterValueException"
            | "ValidationException"
    )
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }

    /// Opens the connection at init: `ListEmailIdentities`, one of them.
    pub async fn warm_up(&self) -> Result<()> {
        warm_up_outcome(
            "ses ListEmailIdentities",
            self.client.list_email_identities().page_size(1).send().await,
        )
    }

    pub fn mime(&self, email: &OutgoingEmail) -> Result<Vec<u8>> {
        MessageBuilder::new()
            .from(("Partner Hub", self.from.as_str()))
            .to(email.to.as_str())
            .subject(email.subject.as_str())
            .text_body(email.text.as_str())
            .html_body(email.html.as_str())
            .write_to_vec()
            .map_err(|e| AppError::internal(format!("building MIME message: {e}")))
    }
}

impl SesMailer {
    /// Sends one message to its one recipient. A permanent refusal is an outcome
    /// ([`MailOutcome::Refused`]); a transient failure is an error, to retry.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<MailOutcome> {
        let raw =
            RawMessage::builder().data(Blob::new(self.mime(email)?)).build().map_err(AppError::internal)?;
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await;
        let error = match sent {
            Ok(_) => return Ok(MailOutcome::Sent),
            Err(error) => error,
        };
        if let SdkError::ServiceError(service) = &error {
            let code = service.err().code().unwrap_or_default();
            if is_permanent_refusal(code) {
                tracing::warn!(code, message = ?service.err().message(), "ses refused the message for good");
                return Ok(MailOutcome::Refused { code: code.to_string() });
            }
        }
        tracing::warn!(code = ?error.code(), error = ?error, "ses send_email failed; it will be retried");
        Err(AppError::Unavailable { retry_after: std::time::Duration::from_secs(1) })
    }
}

#[cfg(test)]
mod tests {
    use super::is_permanent_refusal;

    #[test]
    fn refusals_are_permanent_and_throttling_or_account_states_are_not() {
        for code in ["MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException"] {
            assert!(is_permanent_refusal(code), "{code}");
        }
        for code in [
            "TooManyRequestsException",
            "LimitExceededException",
            "SendingPausedException",
            "AccountSuspendedException",
            "InternalFailure",
            "ServiceUnavailable",
            "",
        ] {
            assert!(!is_permanent_refusal(code), "{code}");
        }
    }
}
