//! S3 multipart upload as an export sink: parts of at least 5 MiB go out as soon as
//! they fill, so an export of any size holds one part in memory; the caller gets a
//! presigned link that downloads the file as an attachment.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};

use crate::error::{warm_up_outcome, AppError, Result};

/// S3's smallest part (all but the last).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug)]
pub struct S3Exports {
    client: Client,
    bucket: String,
}

impl S3Exports {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// Opens the connection at init: `HeadBucket` of the export bucket.
    pub async fn warm_up(&self) -> Result<()> {
        warm_up_outcome("s3 HeadBucket", self.client.head_bucket().bucket(&self.bucket).send().await)
    }
}

fn s3_error(what: &str, error: impl std::fmt::Debug) -> AppError {
    AppError::internal(format!("s3 {what}: {error:?}"))
}

pub struct Upload {
    client: Client,
    bucket: String,
    key: String,
    filename: String,
    upload_id: String,
    buffer: Vec<u8>,
    parts: Vec<CompletedPart>,
}

impl Upload {
    async fn send_part(&mut self) -> Result<()> {
        let number = self.parts.len() as i32 + 1;
        let body = std::mem::take(&mut self.buffer);
        let sent = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_error("upload_part", e))?;
        self.parts.push(CompletedPart::builder().set_e_tag(sent.e_tag).part_number(number).build());
        Ok(())
    }
}

impl Upload {
    /// Where a large export is written as it is produced, so memory stays flat.
    pub async fn write(&mut self, bytes: Vec<u8>) -> Result<()> {
        self.buffer.extend_from_slice(&bytes);
        if self.buffer.len() >= PART_BYTES {
            self.send_part().await?;
        }
        Ok(())
    }

    /// Completes the file; answers a link to download it and when the link ends.
    pub async fn finish(mut self) -> Result<(String, DateTime<Utc>)> {
        if !self.buffer.is_empty() || self.parts.is_empty() {
            self.send_part().await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder().set_parts(Some(std::mem::take(&mut self.parts))).build(),
            )
            .send()
            .await
            .map_err(|e| s3_error("complete_multipart_upload", e))?;
        let presigning =
            PresigningConfig::expires_in(LINK_LIFETIME).map_err(|e| s3_error("presigning", e))?;
        let link = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .response_content_type("text/csv; charset=utf-8")
            .response_content_disposition(format!("attachment; filename=\"{}\"", self.filename))
            .presigned(presigning)
            .await
            .map_err(|e| s3_error("presign", e))?;
        let expires = Utc::now() + chrono::Duration::from_std(LINK_LIFETIME).unwrap_or_default();
        Ok((link.uri().to_string(), expires))
    }
}

impl S3Exports {
    pub async fn start(&self, key: &str, filename: &str) -> Result<Upload> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type("text/csv; charset=utf-8")
            .content_disposition(format!("attachment; filename=\"{filename}\""))
            .send()
            .await
            .map_err(|e| s3_error("create_multipart_upload", e))?;
        let upload_id = created.upload_id.ok_or_else(|| AppError::internal("s3 gave no upload id"))?;
        Ok(Upload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.to_string(),
            filename: filename.to_string(),
            upload_id,
            buffer: Vec::with_capacity(PART_BYTES),
            parts: Vec::new(),
        })
    }
}
