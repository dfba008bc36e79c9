//! The EventBridge adapter: puts domain events (`domain::event`) on the bus.

mod eventbridge;

pub use eventbridge::{EntryPublisher, EventBridgePublisher, MAX_ENTRIES};
