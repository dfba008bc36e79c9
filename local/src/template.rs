//! Reads `template.yaml`, so that the local gateway serves exactly the routes the
//! deployed API has and creates the table and bus exactly as CloudFormation would.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Template {
    pub resources: Map<String, Value>,
}

/// One route of the HTTP API, as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteDef {
    pub method: String,
    pub path: String,
    /// The cargo-lambda binary (and crate) that serves it.
    pub function: String,
    /// `Auth: Authorizer: NONE`: no token needed.
    pub public: bool,
}

impl RouteDef {
    /// API Gateway's route key, e.g. `POST /v1/signup`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A bus rule that targets a function.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    /// `<FunctionLogicalId>-<EventName>`, unique in the template.
    pub name: String,
    pub function: String,
    pub pattern: Value,
}

/// What happens to an asynchronous invocation of a function that keeps failing, as
/// the template declares it: Lambda retries it `max_retries` times
/// (`EventInvokeConfig.MaximumRetryAttempts`, 2 when absent, Lambda's default),
/// then sends an invocation record to the `OnFailure` destination; a rule's
/// `DeadLetterConfig` queue takes the bare event when there is no destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureDef {
    pub max_retries: u32,
    /// The logical id of the `OnFailure` SQS queue, if any.
    pub on_failure: Option<String>,
    /// The logical id of the rule's dead-letter queue, if any.
    pub dead_letter: Option<String>,
}

/// Lambda's retries of a failed asynchronous invocation when the template says none.
pub const DEFAULT_MAXIMUM_RETRY_ATTEMPTS: u32 = 2;

/// The resource an `!GetAtt X.Arn` (either form) names.
fn get_att_resource(value: &Value) -> Option<String> {
    match value.get("Fn::GetAtt")? {
        Value::String(text) => text.split('.').next().map(str::to_string),
        Value::Array(parts) => parts.first()?.as_str().map(str::to_string),
        _ => None,
    }
}

/// Where an event source mapping starts reading a stream it has not read before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still on the stream.
    TrimHorizon,
    /// Only records written after the mapping starts.
    Latest,
}

/// A function reading the table's stream (a `DynamoDB` event), as the template
/// declares its event source mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamDef {
    /// `<FunctionLogicalId>-<EventName>`.
    pub name: String,
    pub function: String,
    /// The logical id of the table whose stream it reads (`!GetAtt Table.StreamArn`).
    pub table: String,
    pub starting_position: StartingPosition,
    /// Records per invocation, at most (Lambda's default for DynamoDB is 100).
    pub batch_size: usize,
    /// `FilterCriteria`: a record is handed over when it matches any of them (all
    /// records when there are none).
    pub filters: Vec<Value>,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`; `None` (-1, Lambda's default) retries until the record
    /// leaves the stream.
    pub max_retries: Option<u32>,
    pub bisect_on_error: bool,
    /// The logical id of the `DestinationConfig.OnFailure` SQS queue, if any.
    pub on_failure: Option<String>,
}

/// Lambda's batch size for a DynamoDB stream when the template gives none.
pub const DEFAULT_STREAM_BATCH_SIZE: usize = 100;

/// A schedule that invokes a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDef {
    pub function: String,
    pub every: std::time::Duration,
    /// The event's `Input`, sent instead of the scheduled event when given.
    pub input: Option<Value>,
}

/// `rate(N minute|minutes|hour|hours|day|days)`; cron expressions are not run locally.
pub fn parse_rate(expression: &str) -> Option<std::time::Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: u64 = n.parse().ok()?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(std::time::Duration::from_secs(n * seconds))
}

/// The table's definition in CloudFormation's own shape.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TableDef {
    pub attribute_definitions: Vec<AttributeDef>,
    pub key_schema: Vec<KeyDef>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexDef>,
    #[serde(default)]
    pub time_to_live_specification: Option<TtlDef>,
    #[serde(default)]
    pub stream_specification: Option<StreamSpecDef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecDef {
    pub stream_view_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDef {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDef {
    pub index_name: String,
    pub key_schema: Vec<KeyDef>,
    pub projection: ProjectionDef,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TtlDef {
    pub attribute_name: String,
    pub enabled: bool,
}

impl Template {
    pub fn load(path: impl AsRef<Path>) -> Result<Self, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// The template at the root of this repository.
    pub fn load_default() -> Result<Self, String> {
        Self::load(Self::default_path())
    }

    pub fn default_path() -> std::path::PathBuf {
        std::env::var_os("PARTNER_HUB_TEMPLATE")
            .map(Into::into)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| format!("template.yaml: {e}"))?;
        let json = to_json(yaml);
        let resources = json
            .get("Resources")
            .and_then(Value::as_object)
            .cloned()
            .ok_or("template.yaml has no Resources")?;
        Ok(Self { resources })
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        self.resources.iter().filter(move |(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
    }

    /// The one `AWS::DynamoDB::Table`.
    pub fn table(&self) -> Result<TableDef, String> {
        let mut tables = self.of_type("AWS::DynamoDB::Table");
        let (_, table) = tables.next().ok_or("template.yaml declares no DynamoDB table")?;
        if tables.next().is_some() {
            return Err("template.yaml declares more than one DynamoDB table".into());
        }
        serde_json::from_value(table.get("Properties").cloned().unwrap_or_default())
            .map_err(|e| format!("table properties: {e}"))
    }

    /// Every function: its logical id and its cargo-lambda binary.
    pub fn functions(&self) -> Vec<(String, String)> {
        let mut functions: Vec<(String, String)> = self
            .of_type("AWS::Serverless::Function")
            .filter_map(|(id, f)| {
                let binary = f.pointer("/Metadata/BuildProperties/Binary")?.as_str()?;
                Some((id.clone(), binary.to_string()))
            })
            .collect();
        functions.sort();
        functions
    }

    /// Every IAM action the function's inline policies allow (`binary` as in
    /// [`Template::functions`]).
    pub fn policy_actions(&self, binary: &str) -> Vec<String> {
        let Some((_, function)) = self.of_type("AWS::Serverless::Function").find(|(_, f)| {
            f.pointer("/Metadata/BuildProperties/Binary").and_then(Value::as_str) == Some(binary)
        }) else {
            return Vec::new();
        };
        let statements = function
            .pointer("/Properties/Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|policy| policy.get("Statement").and_then(Value::as_array))
            .flatten();
        let mut actions = Vec::new();
        for statement in statements {
            match statement.get("Action") {
                Some(Value::String(action)) => actions.push(action.clone()),
                Some(Value::Array(list)) => {
                    actions.extend(list.iter().filter_map(Value::as_str).map(str::to_string))
                }
                _ => {}
            }
        }
        actions
    }

    fn events_of<'a>(&'a self, kind: &'a str) -> Vec<(String, String, String, Value)> {
        let mut found = Vec::new();
        for (id, binary) in self.functions() {
            let events = self.resources[&id].pointer("/Properties/Events").and_then(Value::as_object);
            for (name, event) in events.into_iter().flatten() {
                if event.get("Type").and_then(Value::as_str) == Some(kind) {
                    let props = event.get("Properties").cloned().unwrap_or_default();
                    found.push((id.clone(), binary.clone(), name.clone(), props));
                }
            }
        }
        found
    }

    /// Every `EventBridgeRule` event of every function.
    pub fn rules(&self) -> Vec<RuleDef> {
        self.events_of("EventBridgeRule")
            .into_iter()
            .map(|(id, function, name, props)| RuleDef {
                name: format!("{id}-{name}"),
                function,
                pattern: props.get("Pattern").cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// How failures of the rule's function are handled (see [`FailureDef`]).
    pub fn failure(&self, rule: &RuleDef) -> FailureDef {
        let function = self
            .functions()
            .into_iter()
            .find(|(id, binary)| binary == &rule.function && rule.name.starts_with(&format!("{id}-")));
        let Some((id, _)) = function else {
            return FailureDef {
                max_retries: DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
                on_failure: None,
                dead_letter: None,
            };
        };
        let properties = self.resources[&id].get("Properties").cloned().unwrap_or_default();
        let config = properties.get("EventInvokeConfig");
        let max_retries = config
            .and_then(|c| c.get("MaximumRetryAttempts"))
            .and_then(Value::as_u64)
            .map_or(DEFAULT_MAXIMUM_RETRY_ATTEMPTS, |n| n.min(u64::from(u32::MAX)) as u32);
        let on_failure = config
            .and_then(|c| c.pointer("/DestinationConfig/OnFailure"))
            .filter(|d| d.get("Type").and_then(Value::as_str) == Some("SQS"))
            .and_then(|d| d.get("Destination"))
            .and_then(get_att_resource);
        let event_name = &rule.name[id.len() + 1..];
        let dead_letter = properties
            .pointer(&format!("/Events/{event_name}/Properties/DeadLetterConfig/Arn"))
            .and_then(get_att_resource);
        FailureDef { max_retries, on_failure, dead_letter }
    }

    /// Every `DynamoDB` (stream) event of every function.
    pub fn streams(&self) -> Result<Vec<StreamDef>, String> {
        self.events_of("DynamoDB")
            .into_iter()
            .map(|(id, function, name, props)| {
                let name = format!("{id}-{name}");
                let table = props
                    .get("Stream")
                    .and_then(get_att_resource)
                    .ok_or_else(|| format!("{name}: Stream is not a !GetAtt <Table>.StreamArn"))?;
                let starting_position = match props.get("StartingPosition").and_then(Value::as_str) {
                    Some("TRIM_HORIZON") => StartingPosition::TrimHorizon,
                    Some("LATEST") => StartingPosition::Latest,
                    other => return Err(format!("{name}: StartingPosition {other:?} is not run locally")),
                };
                let batch_size = props
                    .get("BatchSize")
                    .and_then(Value::as_u64)
                    .map_or(DEFAULT_STREAM_BATCH_SIZE, |n| n.clamp(1, 10_000) as usize);
                let filters = props
                    .pointer("/FilterCriteria/Filters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|filter| {
                        let pattern = filter.get("Pattern").and_then(Value::as_str).unwrap_or("{}");
                        serde_json::from_str::<Value>(pattern)
                            .map_err(|e| format!("{name}: filter pattern {pattern}: {e}"))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let report_batch_item_failures = props
                    .get("FunctionResponseTypes")
                    .and_then(Value::as_array)
                    .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures"));
                let max_retries = props
                    .get("MaximumRetryAttempts")
                    .and_then(Value::as_i64)
                    .and_then(|n| u32::try_from(n).ok());
                let bisect_on_error =
                    props.get("BisectBatchOnFunctionError").and_then(Value::as_bool).unwrap_or(false);
                let on_failure = props
                    .pointer("/DestinationConfig/OnFailure")
                    .filter(|d| d.get("Type").and_then(Value::as_str) == Some("SQS"))
                    .and_then(|d| d.get("Destination"))
                    .and_then(get_att_resource);
                Ok(StreamDef {
                    name,
                    function,
                    table,
                    starting_position,
                    batch_size,
                    filters,
                    report_batch_item_failures,
                    max_retries,
                    bisect_on_error,
                    on_failure,
                })
            })
            .collect()
    }

    /// Every function with a `Schedule` event (a rate or a cron expression).
    pub fn scheduled_functions(&self) -> std::collections::BTreeSet<String> {
        self.events_of("Schedule").into_iter().map(|(_, function, _, _)| function).collect()
    }

    /// Every `Schedule` event of every function that runs at a fixed rate.
    pub fn schedules(&self) -> Vec<ScheduleDef> {
        self.events_of("Schedule")
            .into_iter()
            .filter_map(|(_, function, _, props)| {
                let every = parse_rate(props.get("Schedule")?.as_str()?)?;
                // `Input` is a JSON document in a string, as EventBridge takes it.
                let input =
                    props.get("Input").and_then(Value::as_str).and_then(|raw| serde_json::from_str(raw).ok());
                Some(ScheduleDef { function, every, input })
            })
            .collect()
    }

    /// Every `HttpApi` event of every function.
    pub fn routes(&self) -> Vec<RouteDef> {
        let mut routes = Vec::new();
        for (id, binary) in self.functions() {
            let events = self.resources[&id].pointer("/Properties/Events").and_then(Value::as_object);
            for event in events.into_iter().flat_map(|e| e.values()) {
                if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                    continue;
                }
                let props = event.get("Properties").cloned().unwrap_or_default();
                let (Some(method), Some(path)) =
                    (props.get("Method").and_then(Value::as_str), props.get("Path").and_then(Value::as_str))
                else {
                    continue;
                };
                let public = props.pointer("/Auth/Authorizer").and_then(Value::as_str) == Some("NONE");
                routes.push(RouteDef {
                    method: method.to_uppercase(),
                    path: path.to_string(),
                    function: binary.clone(),
                    public,
                });
            }
        }
        routes.sort();
        routes
    }

    /// Every function's binary, and whether the HTTP API invokes it (an `HttpApi`
    /// event) rather than a rule, a schedule or a stream.
    pub fn function_kinds(&self) -> Vec<(String, bool)> {
        self.functions()
            .into_iter()
            .map(|(id, binary)| {
                let events = self.resources[&id].pointer("/Properties/Events").and_then(Value::as_object);
                let http = events
                    .into_iter()
                    .flatten()
                    .any(|(_, event)| event.get("Type").and_then(Value::as_str) == Some("HttpApi"));
                (binary, http)
            })
            .collect()
    }

    pub fn declares(&self, resource_type: &str) -> bool {
        self.of_type(resource_type).next().is_some()
    }
}

/// YAML to JSON, with CloudFormation's short tags (`!Ref X`, `!GetAtt A.B`, `!Sub s`)
/// turned into their long forms.
fn to_json(value: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => serde_yaml_ng::to_string(&other).unwrap_or_default().trim().to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = to_json(tagged.value);
            let key = if name == "Ref" { "Ref".to_string() } else { format!("Fn::{name}") };
            Value::Object([(key, inner)].into_iter().collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_follow_the_event_invoke_config_and_the_rule_dead_letter_queue() {
        let template = Template::parse(
            r#"
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Dlq: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn}}
    Properties:
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Queue.Arn}}
      Events:
        Bus:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [x]}
            DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
  Plain:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: plain}}
    Properties:
      Events:
        Bus: {Type: EventBridgeRule, Properties: {Pattern: {source: [y]}}}
"#,
        )
        .unwrap();
        let rules = template.rules();
        let of = |name: &str| template.failure(rules.iter().find(|r| r.name == name).unwrap());
        assert_eq!(
            of("Fn-Bus"),
            FailureDef { max_retries: 1, on_failure: Some("Queue".into()), dead_letter: Some("Dlq".into()) }
        );
        assert_eq!(
            of("Plain-Bus"),
            FailureDef { max_retries: DEFAULT_MAXIMUM_RETRY_ATTEMPTS, on_failure: None, dead_letter: None }
        );
    }

    #[test]
    fn the_template_bounds_notify_retries_and_names_its_failure_queue() {
        let template = Template::load_default().unwrap();
        let rules = template.rules();
        let notify = rules.iter().find(|r| r.function == "notify").unwrap();
        let failure = template.failure(notify);
        assert!(failure.max_retries <= 2, "{failure:?}");
        assert_eq!(failure.on_failure.as_deref(), Some("NotifyFailedInvocationsQueue"));
    }

    #[test]
    fn the_relay_reads_the_table_stream_as_the_template_says() {
        let template = Template::load_default().unwrap();
        let table = template.table().unwrap();
        assert_eq!(table.stream_specification.map(|s| s.stream_view_type).as_deref(), Some("NEW_IMAGE"));
        let streams = template.streams().unwrap();
        assert_eq!(streams.len(), 1, "{streams:?}");
        let relay = &streams[0];
        assert_eq!((relay.function.as_str(), relay.table.as_str()), ("outbox-relay", "Table"));
        assert!(relay.report_batch_item_failures && relay.bisect_on_error);
        assert!(relay.max_retries.is_some_and(|n| n <= 10), "bounded: {:?}", relay.max_retries);
        assert!(relay.batch_size <= 100);
        assert_eq!(relay.on_failure.as_deref(), Some("OutboxRelayDeadLetterQueue"));
        assert_eq!(relay.filters.len(), 1);
        assert!(!template.scheduled_functions().contains("outbox-relay"), "no schedule any more");
        assert!(template.scheduled_functions().contains("usage-rollup"));
    }

    #[test]
    fn a_stream_event_needs_a_known_starting_position() {
        let template = Template::parse(
            r#"
Resources:
  T: {Type: AWS::DynamoDB::Table}
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn}}
    Properties:
      Events:
        S: {Type: DynamoDB, Properties: {Stream: !GetAtt T.StreamArn, StartingPosition: AT_TIMESTAMP}}
"#,
        )
        .unwrap();
        assert!(template.streams().is_err());
        let plain = Template::parse(
            r#"
Resources:
  T: {Type: AWS::DynamoDB::Table}
  Fn:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn}}
    Properties:
      Events:
        S: {Type: DynamoDB, Properties: {Stream: !GetAtt T.StreamArn, StartingPosition: LATEST}}
"#,
        )
        .unwrap();
        let streams = plain.streams().unwrap();
        assert_eq!(streams[0].starting_position, StartingPosition::Latest);
        assert_eq!(streams[0].batch_size, DEFAULT_STREAM_BATCH_SIZE);
        assert_eq!((streams[0].max_retries, streams[0].on_failure.clone()), (None, None));
        assert!(streams[0].filters.is_empty() && !streams[0].report_batch_item_failures);
    }

    #[test]
    fn rates_parse_and_crons_do_not() {
        assert_eq!(parse_rate("rate(1 minute)"), Some(std::time::Duration::from_secs(60)));
        assert_eq!(parse_rate("rate(2 hours)"), Some(std::time::Duration::from_secs(7200)));
        assert_eq!(parse_rate("cron(0 1 * * ? *)"), None);
    }
}
