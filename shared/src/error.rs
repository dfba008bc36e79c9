//! The one error type of Partner Hub and its mapping to the contract's status and
//! error code. Every route answers errors as
//! `{"error": {"code": "...", "message": "..."}}` through [`AppError::status`],
//! [`AppError::code`] and [`AppError::public_message`], nowhere else.

use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the token's email address is not verified: verify it, then sign in again")]
    EmailNotVerified,
    #[error("the organization must keep at least one full administrator without an expiry")]
    LastFullAdmin,
    #[error("this organization is not partner-badged: join a partner program (CSA or CSP) first")]
    NotAPartner,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("an organization was already created for this contact email")]
    EmailInUse,
    #[error("the partner already has the maximum of {limit} active customers")]
    PartnerCustomerLimit { limit: u32 },
    #[error("the organization already has a current entitlement of this service and kind")]
    AlreadyEntitled,
    #[error("the order has only {remaining} licenses left to allocate")]
    InsufficientLicenses { remaining: u32 },
    #[error("licenses can only be allocated to the partner's own cloud account")]
    AllocationTargetNotPermitted,
    #[error("single-tenant orders are allocated by customer service; contact customer service to complete this order")]
    CustomerServiceRequired,
    #[error("workspace themes are for single-tenant organizations; this one is multi-tenant")]
    SingleTenantOnly,
    #[error("{0}")]
    Gone(String),
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("{0}")]
    Unprocessable(String),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("an organization cannot connect to itself: customer_org_id is the partner's own org")]
    SelfConnection,
    #[error("{message}")]
    RateLimited { message: String, retry_after: Duration },
    #[error("the service is briefly unavailable; retry later")]
    Unavailable { retry_after: Duration },
    /// Anything we did not expect (an AWS error, a corrupt item). The detail is
    /// logged; the caller only ever sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidRequest(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// 404 for a partner's route about a customer that is not connected to it.
    pub fn not_connected() -> Self {
        Self::not_found("this customer is not connected to the partner")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_) => 400,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) | Self::NotAPartner | Self::EmailNotVerified => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_)
            | Self::EmailInUse
            | Self::PartnerCustomerLimit { .. }
            | Self::AlreadyEntitled
            | Self::LastFullAdmin
            | Self::InsufficientLicenses { .. } => 409,
            Self::Gone(_) => 410,
            Self::PayloadTooLarge => 413,
            Self::Unprocessable(_)
            | Self::IdempotencyKeyReused
            | Self::SelfConnection
            | Self::SingleTenantOnly
            | Self::AllocationTargetNotPermitted
            | Self::CustomerServiceRequired => 422,
            Self::RateLimited { .. } => 429,
            Self::Unavailable { .. } => 503,
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotAPartner => "not_a_partner",
            Self::EmailNotVerified => "email_not_verified",
            Self::LastFullAdmin => "last_full_admin",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::EmailInUse => "email_in_use",
            Self::PartnerCustomerLimit { .. } => "partner_customer_limit",
            Self::AlreadyEntitled => "already_entitled",
            Self::InsufficientLicenses { .. } => "insufficient_licenses",
            Self::AllocationTargetNotPermitted => "allocation_target_not_permitted",
            Self::CustomerServiceRequired => "customer_service_required",
            Self::SingleTenantOnly => "single_tenant_only",
            Self::Gone(_) => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unprocessable(_) => "unprocessable",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::SelfConnection => "self_connection",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What the caller may read: never an AWS error text or internal detail.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_string(),
            other => other.to_string(),
        }
    }

    /// Seconds for a `Retry-After` header, where the error has one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Unavailable { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

/// What a warm-up call (`app::Client`) tells: any answer from the service, an error
/// one included (a bucket not there yet, a permission missing), means the connection
/// is open, which is all it is for; only a call that reached no service is an error.
pub fn warm_up_outcome<T, E, R>(call: &str, outcome: std::result::Result<T, SdkError<E, R>>) -> Result<()>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match outcome {
        Ok(_) | Err(SdkError::ServiceError(_)) => Ok(()),
        Err(error) => Err(AppError::internal(format!("{call}: {}", DisplayErrorContext(error)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_detail() {
        let error = AppError::internal("ResourceNotFoundException: table partner-hub");
        assert_eq!(error.status(), 500);
        assert!(!error.public_message().contains("ResourceNotFound"));
    }

    #[test]
    fn contract_codes_map_to_their_statuses() {
        let cases = [
            (AppError::invalid("x"), 400, "invalid_request"),
            (AppError::NotAPartner, 403, "not_a_partner"),
            (AppError::EmailNotVerified, 403, "email_not_verified"),
            (AppError::LastFullAdmin, 409, "last_full_admin"),
            (AppError::EmailInUse, 409, "email_in_use"),
            (AppError::PartnerCustomerLimit { limit: 100 }, 409, "partner_customer_limit"),
            (AppError::PayloadTooLarge, 413, "payload_too_large"),
            (AppError::IdempotencyKeyReused, 422, "idempotency_key_reused"),
            (AppError::SingleTenantOnly, 422, "single_tenant_only"),
            (AppError::Unavailable { retry_after: Duration::from_secs(1) }, 503, "unavailable"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code), "{error:?}");
        }
    }
}
