use async_trait::async_trait;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_sdk_sesv2::Client;
use mail_builder::MessageBuilder;

use super::OutgoingEmail;
use crate::error::{AppError, Result};
use crate::ports::Mailer;

/// Sends through SES v2 as a raw MIME message (multipart/alternative, text and HTML),
/// which keeps the whole message, `Date` included, as the recipient will see it.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
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

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<()> {
        let raw =
            RawMessage::builder().data(Blob::new(self.mime(email)?)).build().map_err(AppError::internal)?;
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(email.to.as_str()).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map_err(|e| AppError::internal(format!("ses send_email: {e:?}")))?;
        Ok(())
    }
}
