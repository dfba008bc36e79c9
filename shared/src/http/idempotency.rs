//! `Idempotency-Key` replay: the same key with the same request within 24 h replays
//! the first answer without doing the work again; the same key with another request
//! is 422 `idempotency_key_reused`; of two racing requests with one key, one does the
//! work and the other waits for its answer.

use std::future::Future;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{ApiCall, ApiResponse};
use crate::domain::Clock;
use crate::error::{AppError, Result};
use crate::store::{Begin, DynamoStore, StoredResponse};

pub const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;
const WAIT_STEP: Duration = Duration::from_millis(50);
const WAIT_STEPS: u32 = 100;

/// The key the store uses: a person's key never collides with another person's.
pub fn key_of(call: &ApiCall) -> Result<Option<String>> {
    if call.method() != "POST" {
        return Ok(None);
    }
    let mut values = call.headers.get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // The header's raw bytes: a key that is not visible ASCII (a space, a control
    // character, UTF-8) is refused, never taken for an absent header. A space is
    // refused too: proxies trim and fold whitespace in header values, so a key with
    // one might not arrive byte for byte the same the second time.
    let raw = std::str::from_utf8(value.as_bytes())
        .ok()
        .filter(|raw| valid_key(raw) && values.next().is_none())
        .ok_or_else(|| {
            AppError::invalid("Idempotency-Key must be one header of 1 to 255 visible ASCII characters")
        })?;
    // Without a caller the route answers 401 anyway; there is nothing to protect.
    Ok(call.principal_key().map(|who| format!("{who}#{raw}")))
}

/// 1 to 255 characters from `!` to `~` (0x21–0x7E).
fn valid_key(raw: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic())
}

/// What makes two requests "the same": route, path and body.
pub fn fingerprint(call: &ApiCall) -> String {
    let mut hash = Sha256::new();
    hash.update(call.route_key.as_bytes());
    hash.update([0]);
    hash.update(call.path.as_bytes());
    hash.update([0]);
    hash.update(call.body());
    hex::encode(hash.finalize())
}

pub(super) async fn run_once<F, Fut>(
    store: &DynamoStore,
    clock: &dyn Clock,
    key: String,
    call: ApiCall,
    route: F,
) -> Result<ApiResponse>
where
    F: FnOnce(ApiCall) -> Fut,
    Fut: Future<Output = Result<ApiResponse>>,
{
    let fingerprint = fingerprint(&call);
    let mut waited = 0;
    loop {
        match store.begin(&key, &fingerprint, clock.now()).await? {
            Begin::Claimed => break,
            Begin::Replay(stored) => return Ok(replayed(stored)),
            Begin::Mismatch => return Err(AppError::IdempotencyKeyReused),
            Begin::InProgress if waited < WAIT_STEPS => {
                waited += 1;
                tokio::time::sleep(WAIT_STEP).await;
            }
            Begin::InProgress => {
                return Err(AppError::Conflict(
                    "a request with this Idempotency-Key is still being processed; retry shortly".into(),
                ))
            }
        }
    }

    let request_id = call.request_id.clone();
    let response = match route(call).await {
        Ok(response) => response,
        Err(error) => ApiResponse::from_error(&error, &request_id),
    };
    if worth_replaying(response.status) {
        let stored = StoredResponse {
            status: response.status,
            content_type: response.content_type.clone(),
            body: response.body.clone(),
            headers: response.headers.clone(),
        };
        store.complete(&key, &stored, clock.now()).await?;
    } else if let Err(error) = store.abandon(&key).await {
        // The lease runs out by itself; the answer below is still the right one.
        tracing::warn!(request_id = %request_id, error = %error, "could not release idempotency key");
    }
    Ok(response)
}

/// Server failures and rate limits are transient: a retry with the key should do the
/// work again rather than replay them.
fn worth_replaying(status: u16) -> bool {
    status < 500 && status != 429
}

fn replayed(stored: StoredResponse) -> ApiResponse {
    ApiResponse {
        status: stored.status,
        content_type: stored.content_type,
        body: stored.body,
        headers: stored.headers,
    }
    .with_header("idempotent-replayed", "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        for good in ["a", "order-1001:retry", &"k".repeat(255), "!~\"{}"] {
            assert!(valid_key(good), "{good}");
        }
        for bad in ["", " ", "a b", "tab\there", "é", "ключ", "\u{7f}", &"k".repeat(256)] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn an_accepted_key_is_visible_ascii_and_fits_a_table_key(raw in "[\\x00-\\x{ff}]{0,300}") {
            if valid_key(&raw) {
                proptest::prop_assert!(raw.len() <= MAX_KEY_LEN);
                proptest::prop_assert!(raw.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            }
        }
    }

    #[test]
    fn transient_answers_are_not_replayed() {
        assert!(worth_replaying(201));
        assert!(worth_replaying(409));
        assert!(!worth_replaying(429));
        assert!(!worth_replaying(503));
    }
}
