//! The outbox relay: the table's stream hands a batch of outbox items' INSERTs to the
//! `outbox-relay` function, which publishes their events to the bus in order and
//! answers which record to resume from.
//!
//! Stream semantics: the answer's `batchItemFailures` names the FIRST record that
//! failed; Lambda checkpoints before it and retries from it (so the records before it
//! are never published again), up to the event source's `MaximumRetryAttempts`, then
//! sends it to the on-failure queue and goes on with the records behind it. So the
//! relay stops at the first failure: nothing behind it is attempted in this
//! invocation, as all of it comes again.
//!
//! A record whose image does not decode as an outbox event is such a failure, not
//! dropped: retrying cannot fix it, but failing it is what puts it in the dead-letter
//! queue, where someone sees it (and can replay it from the table, where the item
//! stays for a week). A record that is not an outbox item at all (the template's
//! filter lets none through) holds no event: it is skipped.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Serialize;

use crate::domain::EventEnvelope;
use crate::events::{EntryPublisher, MAX_ENTRIES};
use crate::store::{outbox_image, OutboxImage};

/// The first record of a batch that failed: Lambda resumes from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedRecord {
    /// The record's sequence number (its `itemIdentifier`).
    pub sequence_number: String,
    /// Why, without the event's contents (it may carry email addresses).
    pub reason: String,
}

/// What one invocation did, for its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelayReport {
    pub records: usize,
    /// Events EventBridge accepted in this invocation.
    pub published: usize,
    /// Records that hold no outbox event.
    pub skipped: usize,
    pub failed: Option<FailedRecord>,
}

impl RelayReport {
    /// The answer to Lambda (`ReportBatchItemFailures`): `batchItemFailures` names
    /// the first failed record, or nothing.
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        if let Some(failed) = &self.failed {
            let mut item = DynamoDbBatchItemFailure::default();
            item.item_identifier = Some(failed.sequence_number.clone());
            response.batch_item_failures.push(item);
        }
        response
    }
}

enum Decoded {
    Event(Box<EventEnvelope>),
    Skip,
    Broken(String),
}

fn decode(record: &EventRecord) -> Decoded {
    if record.event_name != "INSERT" {
        return Decoded::Skip;
    }
    match outbox_image(record.change.new_image.clone()) {
        Ok(OutboxImage::Event(event)) => Decoded::Event(event),
        Ok(OutboxImage::NotOutbox) => Decoded::Skip,
        Err(why) => Decoded::Broken(why),
    }
}

fn sequence_number(record: &EventRecord) -> String {
    // Lambda takes a missing or unknown identifier as the whole batch failing.
    record.change.sequence_number.clone().unwrap_or_default()
}

/// Publishes the batch's events in order, in PutEvents calls of at most
/// [`MAX_ENTRIES`], stopping at the first record that fails.
pub async fn relay(publisher: &dyn EntryPublisher, event: &Event) -> RelayReport {
    let mut report = RelayReport { records: event.records.len(), ..RelayReport::default() };
    // Decodable records waiting for the next PutEvents call, with their records.
    let mut waiting: Vec<(&EventRecord, EventEnvelope)> = Vec::new();
    for record in &event.records {
        match decode(record) {
            Decoded::Skip => report.skipped += 1,
            Decoded::Event(envelope) => {
                waiting.push((record, *envelope));
                if waiting.len() == MAX_ENTRIES && !put(publisher, &mut waiting, &mut report).await {
                    return report;
                }
            }
            Decoded::Broken(reason) => {
                // What came before it goes out first: Lambda checkpoints before it.
                if put(publisher, &mut waiting, &mut report).await {
                    report.failed = Some(FailedRecord { sequence_number: sequence_number(record), reason });
                }
                return report;
            }
        }
    }
    put(publisher, &mut waiting, &mut report).await;
    report
}

/// One PutEvents call for what is waiting; `false` (and the failure in the report)
/// when one of them was not put.
async fn put(
    publisher: &dyn EntryPublisher,
    waiting: &mut Vec<(&EventRecord, EventEnvelope)>,
    report: &mut RelayReport,
) -> bool {
    if waiting.is_empty() {
        return true;
    }
    let events: Vec<EventEnvelope> = waiting.iter().map(|(_, e)| e.clone()).collect();
    let outcome = match publisher.put_entries(&events).await {
        Ok(outcome) => outcome,
        Err(error) => vec![Some(error.to_string()); events.len()],
    };
    report.published += outcome.iter().take(events.len()).filter(|o| o.is_none()).count();
    // An answer shorter than the call counts the missing ones as failed.
    let first_failure = (0..events.len()).find_map(|n| match outcome.get(n) {
        Some(None) => None,
        Some(Some(why)) => Some((n, why.clone())),
        None => Some((n, "no result for the event".to_string())),
    });
    let failed = first_failure
        .map(|(n, reason)| FailedRecord { sequence_number: sequence_number(waiting[n].0), reason });
    waiting.clear();
    match failed {
        Some(failed) => {
            report.failed = Some(failed);
            false
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;

    use serde_json::{json, Value};

    use super::*;
    use crate::error::AppError;
    use crate::error::Result;
    use crate::store::{to_item, OutboxEvent};
    use async_trait::async_trait;

    /// EventBridge in memory: refuses the events it is told to, or every call while
    /// down, and keeps the calls it got.
    #[derive(Default)]
    struct Bus {
        refused: HashSet<uuid::Uuid>,
        down: bool,
        calls: Mutex<Vec<Vec<uuid::Uuid>>>,
    }

    impl Bus {
        fn calls(&self) -> Vec<Vec<uuid::Uuid>> {
            self.calls.lock().unwrap().clone()
        }

        fn put(&self) -> Vec<uuid::Uuid> {
            self.calls().concat().into_iter().filter(|id| !self.refused.contains(id)).collect()
        }
    }

    #[async_trait]
    impl EntryPublisher for Bus {
        async fn put_entries(&self, events: &[EventEnvelope]) -> Result<Vec<Option<String>>> {
            assert!(events.len() <= MAX_ENTRIES, "PutEvents takes at most 10");
            if self.down {
                return Err(AppError::internal("eventbridge put_events: unreachable"));
            }
            self.calls.lock().unwrap().push(events.iter().map(|e| e.event_id).collect());
            Ok(events
                .iter()
                .map(|e| self.refused.contains(&e.event_id).then(|| "InternalFailure".to_string()))
                .collect())
        }
    }

    fn envelope(n: usize) -> EventEnvelope {
        EventEnvelope {
            detail_type: "ConnectionCreated".into(),
            event_id: uuid::Uuid::new_v4(),
            occurred_at: chrono::Utc::now(),
            detail: json!({"partner_id": "12345678", "n": n}).as_object().cloned().unwrap_or_default(),
        }
    }

    fn record(sequence: usize, name: &str, image: Value) -> Value {
        json!({
            "eventID": format!("id-{sequence}"),
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_764_000_000,
                "Keys": {"PK": image.get("PK").cloned().unwrap_or(json!({"S": "X"})), "SK": {"S": "OUTBOX"}},
                "NewImage": image,
                "SequenceNumber": format!("{sequence:021}"),
                "SizeBytes": 100,
                "StreamViewType": "NEW_IMAGE"
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
        })
    }

    fn image(event: &EventEnvelope) -> Value {
        let item = serde_dynamo::Item::from(to_item(&OutboxEvent { event: event.clone() }).unwrap());
        serde_json::to_value(item).unwrap()
    }

    fn broken_image() -> Value {
        json!({"PK": {"S": "OUTBOX#x"}, "SK": {"S": "OUTBOX"}, "entity": {"S": "OutboxEvent"},
               "event": {"M": {"detail_type": {"S": "X"}}}})
    }

    fn batch(records: Vec<Value>) -> Event {
        serde_json::from_value(json!({"Records": records})).unwrap()
    }

    fn inserts(events: &[EventEnvelope]) -> Vec<Value> {
        events.iter().enumerate().map(|(n, e)| record(n + 1, "INSERT", image(e))).collect()
    }

    fn ids(events: &[EventEnvelope]) -> Vec<uuid::Uuid> {
        events.iter().map(|e| e.event_id).collect()
    }

    fn failures(report: &RelayReport) -> Value {
        serde_json::to_value(report.response()).unwrap()
    }

    #[tokio::test]
    async fn every_event_goes_out_in_order_in_calls_of_at_most_ten() {
        let events: Vec<EventEnvelope> = (0..23).map(envelope).collect();
        let bus = Bus::default();
        let report = relay(&bus, &batch(inserts(&events))).await;
        assert_eq!(report, RelayReport { records: 23, published: 23, skipped: 0, failed: None });
        assert_eq!(bus.calls().iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 3]);
        assert_eq!(bus.put(), ids(&events));
        assert_eq!(failures(&report), json!({"batchItemFailures": []}));
    }

    #[tokio::test]
    async fn a_refused_entry_is_the_first_failure_and_nothing_behind_it_is_attempted() {
        let events: Vec<EventEnvelope> = (0..15).map(envelope).collect();
        let bus = Bus { refused: HashSet::from([events[3].event_id, events[7].event_id]), ..Bus::default() };
        let report = relay(&bus, &batch(inserts(&events))).await;
        // One call of ten: 3 and 7 refused; the first of them (record 4) is reported.
        assert_eq!(bus.calls().len(), 1);
        assert_eq!(report.published, 8);
        let failed = report.failed.clone().unwrap();
        assert_eq!(failed.sequence_number, format!("{:021}", 4));
        assert!(failed.reason.contains("InternalFailure"));
        assert_eq!(
            failures(&report),
            json!({"batchItemFailures": [{"itemIdentifier": format!("{:021}", 4)}]})
        );
    }

    #[tokio::test]
    async fn an_unreachable_bus_fails_the_first_record_of_the_call() {
        let events: Vec<EventEnvelope> = (0..3).map(envelope).collect();
        let bus = Bus { down: true, ..Bus::default() };
        let report = relay(&bus, &batch(inserts(&events))).await;
        assert_eq!(report.published, 0);
        assert_eq!(report.failed.unwrap().sequence_number, format!("{:021}", 1));
    }

    #[tokio::test]
    async fn an_undecodable_record_fails_after_what_came_before_it_went_out() {
        let events: Vec<EventEnvelope> = (0..4).map(envelope).collect();
        let mut records = inserts(&events[..2]);
        records.push(record(3, "INSERT", broken_image()));
        records.push(record(4, "INSERT", image(&events[2])));
        let bus = Bus::default();
        let report = relay(&bus, &batch(records)).await;
        assert_eq!(bus.put(), ids(&events[..2]), "the two before it, not the one behind it");
        let failed = report.failed.unwrap();
        assert_eq!(failed.sequence_number, format!("{:021}", 3));
        assert!(failed.reason.contains("does not decode"), "{}", failed.reason);

        // Lambda resumes from it; once it went to the dead-letter queue, from the
        // record behind it, which goes out.
        let resumed = relay(&bus, &batch(vec![record(4, "INSERT", image(&events[2]))])).await;
        assert_eq!(resumed.failed, None);
        assert_eq!(bus.put(), ids(&events[..3]));
    }

    #[tokio::test]
    async fn other_items_and_other_changes_are_skipped() {
        let event = envelope(0);
        let other = json!({"PK": {"S": "ORG#12345678"}, "SK": {"S": "PROFILE"}, "entity": {"S": "Org"}});
        let records = vec![
            record(1, "INSERT", other),
            record(2, "REMOVE", json!({})),
            record(3, "MODIFY", image(&event)),
            record(4, "INSERT", image(&event)),
        ];
        let bus = Bus::default();
        let report = relay(&bus, &batch(records)).await;
        assert_eq!(report, RelayReport { records: 4, published: 1, skipped: 3, failed: None });
        assert_eq!(bus.put(), vec![event.event_id]);
    }
}
