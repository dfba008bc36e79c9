//! Lambda's event filtering (`FilterCriteria`), locally: the patterns use
//! EventBridge's syntax, matched against the event as the function would get it.
//! This evaluator knows the part of that syntax the template can use here and
//! refuses the rest when the template is read, rather than guessing:
//! - an object: every key must be there and match (nested objects match nested
//!   fields);
//! - an array: the field matches any of its entries; a field that is itself an array
//!   matches when any of its elements does;
//! - entries: a literal (string, number, boolean, null: equal; numbers by value),
//!   `{"prefix": "…"}`, `{"exists": true|false}` and `{"anything-but": literal or
//!   [literals]}`.

use serde_json::{Map, Value};

/// A checked `FilterCriteria` pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Map<String, Value>);

impl Pattern {
    /// Checks that the pattern uses only what [`Pattern::matches`] knows.
    pub fn new(pattern: &Value) -> Result<Self, String> {
        let Value::Object(fields) = pattern else {
            return Err(format!("a filter pattern is a JSON object, not {pattern}"));
        };
        check_object(fields)?;
        Ok(Self(fields.clone()))
    }

    pub fn matches(&self, event: &Value) -> bool {
        object_matches(&self.0, event)
    }
}

/// An event passes a filter list when it matches any of the patterns, and every event
/// passes an empty list.
pub fn passes(patterns: &[Pattern], event: &Value) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| p.matches(event))
}

fn check_object(fields: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in fields {
        match value {
            Value::Object(inner) => check_object(inner)?,
            Value::Array(entries) if !entries.is_empty() => {
                for entry in entries {
                    check_entry(entry).map_err(|e| format!("{key}: {e}"))?;
                }
            }
            other => return Err(format!("{key}: expected an object or a non-empty array, not {other}")),
        }
    }
    Ok(())
}

fn check_entry(entry: &Value) -> Result<(), String> {
    let Value::Object(operator) = entry else {
        return Ok(());
    };
    let mut operators = operator.iter();
    let (Some((name, argument)), None) = (operators.next(), operators.next()) else {
        return Err(format!("an operator object has one operator: {entry}"));
    };
    match (name.as_str(), argument) {
        ("prefix", Value::String(_)) | ("exists", Value::Bool(_)) => Ok(()),
        ("anything-but", Value::Array(items)) if items.iter().all(is_literal) => Ok(()),
        ("anything-but", item) if is_literal(item) => Ok(()),
        _ => Err(format!("{entry} is not a filter this local evaluator knows")),
    }
}

fn is_literal(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn object_matches(pattern: &Map<String, Value>, event: &Value) -> bool {
    pattern.iter().all(|(key, want)| {
        let got = event.get(key);
        match want {
            Value::Object(inner) => got.is_some_and(|g| object_matches(inner, g)),
            Value::Array(entries) => entries.iter().any(|entry| field_matches(entry, got)),
            _ => false,
        }
    })
}

/// One entry of a pattern's array against the field (absent: `None`).
fn field_matches(entry: &Value, got: Option<&Value>) -> bool {
    if let Some(exists) = entry.get("exists").and_then(Value::as_bool) {
        return got.is_some() == exists;
    }
    match got {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|item| value_matches(entry, item)),
        Some(value) => value_matches(entry, value),
    }
}

fn value_matches(entry: &Value, value: &Value) -> bool {
    match entry {
        Value::Object(operator) => {
            if let Some(prefix) = operator.get("prefix").and_then(Value::as_str) {
                return value.as_str().is_some_and(|s| s.starts_with(prefix));
            }
            match operator.get("anything-but") {
                Some(Value::Array(items)) => !items.iter().any(|item| equal(item, value)),
                Some(item) => !equal(item, value),
                None => false,
            }
        }
        literal => equal(literal, value),
    }
}

fn equal(literal: &Value, value: &Value) -> bool {
    match (literal, value) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pattern(value: Value) -> Pattern {
        Pattern::new(&value).unwrap()
    }

    fn record(name: &str, entity: Option<&str>) -> Value {
        let mut image = json!({"PK": {"S": "OUTBOX#1"}, "SK": {"S": "OUTBOX"}});
        if let Some(entity) = entity {
            image["entity"] = json!({"S": entity});
        }
        json!({"eventName": name, "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": image, "SizeBytes": 10}})
    }

    #[test]
    fn the_template_filter_lets_only_inserts_of_outbox_items_through() {
        let template = crate::template::Template::load_default().unwrap();
        let relay = template.streams().unwrap().into_iter().find(|s| s.function == "outbox-relay").unwrap();
        let filters: Vec<Pattern> = relay.filters.iter().map(|f| Pattern::new(f).unwrap()).collect();
        assert!(passes(&filters, &record("INSERT", Some("OutboxEvent"))));
        // Its TTL deletion, a change to it, other items, items without an entity.
        assert!(!passes(&filters, &record("REMOVE", Some("OutboxEvent"))));
        assert!(!passes(&filters, &record("MODIFY", Some("OutboxEvent"))));
        assert!(!passes(&filters, &record("INSERT", Some("Org"))));
        assert!(!passes(&filters, &record("INSERT", None)));
        assert!(!passes(&filters, &json!({"eventName": "INSERT", "dynamodb": {}})));
    }

    #[test]
    fn literals_operators_and_arrays() {
        let event = json!({"a": "alpha", "n": 5, "tags": ["x", "y"], "nested": {"b": true, "z": null}});
        assert!(pattern(json!({"a": ["beta", "alpha"]})).matches(&event));
        assert!(!pattern(json!({"a": ["beta"]})).matches(&event));
        assert!(pattern(json!({"n": [5.0]})).matches(&event), "numbers by value");
        assert!(pattern(json!({"tags": ["y"]})).matches(&event), "any element of an array field");
        assert!(pattern(json!({"nested": {"b": [true], "z": [null]}})).matches(&event));
        assert!(pattern(json!({"a": [{"prefix": "al"}]})).matches(&event));
        assert!(!pattern(json!({"a": [{"prefix": "be"}]})).matches(&event));
        assert!(pattern(json!({"a": [{"exists": true}], "missing": [{"exists": false}]})).matches(&event));
        assert!(!pattern(json!({"missing": [{"exists": true}]})).matches(&event));
        assert!(pattern(json!({"a": [{"anything-but": ["beta", "gamma"]}]})).matches(&event));
        assert!(!pattern(json!({"a": [{"anything-but": "alpha"}]})).matches(&event));
        assert!(!pattern(json!({"missing": ["x"]})).matches(&event), "a field that is not there");
        assert!(!pattern(json!({"a": {"b": ["x"]}})).matches(&event), "a leaf is not an object");
        assert!(passes(&[], &event), "no filters: everything");
        let either = [pattern(json!({"a": ["nope"]})), pattern(json!({"n": [5]}))];
        assert!(passes(&either, &event), "any pattern of the list");
    }

    #[test]
    fn what_it_does_not_know_is_refused_when_read() {
        for bad in [
            json!(["INSERT"]),
            json!({"eventName": "INSERT"}),
            json!({"eventName": []}),
            json!({"n": [{"numeric": [">", 0]}]}),
            json!({"a": [{"suffix": "x"}]}),
            json!({"a": [{"prefix": "x", "exists": true}]}),
            json!({"a": [{"anything-but": {"prefix": "x"}}]}),
        ] {
            assert!(Pattern::new(&bad).is_err(), "{bad}");
        }
    }
}
