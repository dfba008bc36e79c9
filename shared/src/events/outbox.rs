//! The outbox: an event is written in the same transaction as the state change it
//! reports. The table's stream hands the outbox item's INSERT to the `outbox-relay`
//! function (see [`super::relay`]), which publishes it, so what committed always
//! reaches the bus, at least once; the item expires by the table's TTL.

use crate::ports::{EventPublisher, OutboxStore};

use super::EventEnvelope;

/// Nothing any more: the stream publishes every committed event, and publishing here
/// too would put each event on the bus twice. Kept (with its calls) only until the
/// use cases stop calling it.
pub async fn publish_committed(
    _publisher: &dyn EventPublisher,
    _outbox: &dyn OutboxStore,
    _events: &[EventEnvelope],
) {
}
