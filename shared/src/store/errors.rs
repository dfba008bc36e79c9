use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::AppError;

/// How a failed DynamoDB call reads to the rest of the code.
#[derive(Debug)]
pub enum StoreError {
    /// A condition of the write did not hold.
    ConditionFailed,
    /// Throughput or a transaction conflict: worth a retry later.
    Busy(String),
    Other(String),
}

impl StoreError {
    pub fn from_sdk<E, R>(error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = error.code().unwrap_or_default().to_string();
        let text = format!("{}: {}", code, error.message().unwrap_or("no message"));
        match code.as_str() {
            "ConditionalCheckFailedException" => Self::ConditionFailed,
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TransactionConflictException"
            | "TransactionInProgressException"
            | "InternalServerError"
            | "ServiceUnavailable" => Self::Busy(text),
            _ if matches!(error, SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)) => {
                Self::Busy(format!("{error:?}"))
            }
            _ => Self::Other(format!("{text} ({error:?})")),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::ConditionFailed => AppError::internal("unexpected conditional check failure"),
            StoreError::Busy(detail) => {
                tracing::warn!(detail = %detail, "dynamodb busy");
                AppError::Unavailable { retry_after: Duration::from_secs(1) }
            }
            StoreError::Other(detail) => AppError::internal(format!("dynamodb: {detail}")),
        }
    }
}

/// Items that do not read back as what they claim to be are a bug, not bad input.
pub fn corrupt(entity: &str, error: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("stored {entity} item does not deserialise: {error}"))
}
