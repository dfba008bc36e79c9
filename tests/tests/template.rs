//! template.yaml, openapi.yaml, the gateway and the functions agree with each other.

use std::collections::{BTreeMap, BTreeSet};

use local_gateway::template::Template;
use partner_hub_tests::{sdk, template, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn openapi_routes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml parses");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        let path = path.as_str().unwrap();
        if path.starts_with("/local/") {
            continue;
        }
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "post", "put", "delete", "patch"].contains(&method) {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

/// Name, key schema and projection type of an index.
type IndexShape = (String, Vec<(String, String)>, String);

#[test]
fn template_and_openapi_declare_the_same_routes() {
    let template: BTreeSet<String> = template().routes().iter().map(|r| r.route_key()).collect();
    assert!(!template.is_empty());
    assert_eq!(template, openapi_routes());
}

#[test]
fn every_template_function_is_a_crate_with_a_sample_event() {
    let functions: BTreeSet<String> = template().functions().into_iter().map(|(_, binary)| binary).collect();
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(functions, crates, "functions/ and template.yaml name the same functions");
    for function in &functions {
        let sample = root().join("events").join(format!("{function}.json"));
        let text =
            std::fs::read_to_string(&sample).unwrap_or_else(|_| panic!("{} is missing", sample.display()));
        serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", sample.display()));
    }
    let samples: BTreeSet<String> = std::fs::read_dir(root().join("events"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".json").map(str::to_string))
        .collect();
    assert_eq!(samples, functions, "events/ has one sample per function and no other");
    // The local gateway links every function (its handlers are generated from the
    // template by local/build.rs): each is its dependency, and nothing else is.
    let manifest: toml_like::Manifest = toml_like::read(&root().join("local/Cargo.toml"));
    assert_eq!(manifest.function_dependencies, functions, "local/Cargo.toml depends on each function");
}

/// Just enough of a Cargo manifest: the path dependencies into `functions/`.
mod toml_like {
    use std::collections::BTreeSet;

    pub struct Manifest {
        pub function_dependencies: BTreeSet<String>,
    }

    pub fn read(path: &std::path::Path) -> Manifest {
        let text = std::fs::read_to_string(path).unwrap();
        let function_dependencies = text
            .lines()
            .filter_map(|line| {
                let (name, rest) = line.split_once('=')?;
                rest.contains("\"../functions/").then(|| name.trim().to_string())
            })
            .collect();
        Manifest { function_dependencies }
    }
}

/// The gateway routes each template route to a handler that actually serves it.
#[tokio::test]
async fn the_gateway_serves_every_template_route_with_its_function() {
    let gw = Gateway::start().await;
    let token = gw.token("routes@example.com").await;
    for route in template().routes() {
        let path = route.path.replace("{org_id}", "12345678").replace(['{', '}'], "");
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let answer = gw.send(method, &path, Some(&token), Some(serde_json::json!({}))).await;
        let message = answer.body.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
        assert!(
            !message.contains("does not serve") && !message.contains("no route matches"),
            "{}: {}",
            route.route_key(),
            answer.text
        );
    }
}

/// The table DynamoDB Local holds is the one the template defines.
#[tokio::test]
async fn the_local_table_matches_the_template_definition() {
    let sdk = sdk().await;
    let table = partner_hub_tests::fresh_table(&sdk).await;
    let def = template().table().unwrap();
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let described = dynamo.describe_table().table_name(&table).send().await.unwrap().table.unwrap();

    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema.iter().map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string())).collect()
    };
    let want = |schema: &[local_gateway::template::KeyDef]| -> Vec<(String, String)> {
        schema.iter().map(|k| (k.attribute_name.clone(), k.key_type.clone())).collect()
    };
    assert_eq!(keys(described.key_schema()), want(&def.key_schema));

    let mut attributes: Vec<(String, String)> = described
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name().to_string(), a.attribute_type().as_str().to_string()))
        .collect();
    attributes.sort();
    let mut want_attributes: Vec<(String, String)> = def
        .attribute_definitions
        .iter()
        .map(|a| (a.attribute_name.clone(), a.attribute_type.clone()))
        .collect();
    want_attributes.sort();
    assert_eq!(attributes, want_attributes);

    let mut indexes: Vec<IndexShape> = described
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let projection = i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_string());
            (
                i.index_name().unwrap_or_default().to_string(),
                keys(i.key_schema()),
                projection.unwrap_or_default(),
            )
        })
        .collect();
    indexes.sort();
    let mut want_indexes: Vec<IndexShape> = def
        .global_secondary_indexes
        .iter()
        .map(|i| (i.index_name.clone(), want(&i.key_schema), i.projection.projection_type.clone()))
        .collect();
    want_indexes.sort();
    assert_eq!(indexes, want_indexes);

    let ttl = dynamo.describe_time_to_live().table_name(&table).send().await.unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(
        ttl.attribute_name(),
        def.time_to_live_specification.as_ref().map(|t| t.attribute_name.as_str())
    );
    assert_eq!(
        ttl.attribute_name(),
        Some(partner_hub::store::keys::TTL),
        "the code's TTL attribute is the template's"
    );
}

// --- Identity, abuse limits and failure handling, read from the template itself ---

/// The machine scopes of the contract's Identity section, under the resource server.
const RESOURCE_SERVER: &str = "partnerhub";
const MACHINE_SCOPES: [&str; 3] = ["usage:write", "orders:write", "trials:approve"];

fn resources<'a>(t: &'a Template, kind: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    t.resources.iter().filter(move |(_, r)| r["Type"] == kind)
}

fn one<'a>(t: &'a Template, kind: &'a str) -> (&'a String, &'a Value) {
    let mut found: Vec<_> = resources(t, kind).collect();
    assert_eq!(found.len(), 1, "template.yaml declares exactly one {kind}");
    found.remove(0)
}

/// `!Ref X` → `X`.
fn ref_to(value: &Value) -> Option<&str> {
    value.get("Ref")?.as_str()
}

/// `!GetAtt X.Arn` (or the long form `[X, Arn]`) → `X`.
fn arn_of(value: &Value) -> Option<&str> {
    match value.get("Fn::GetAtt")? {
        Value::String(s) => s.strip_suffix(".Arn"),
        Value::Array(parts) if parts.len() == 2 && parts[1] == "Arn" => parts[0].as_str(),
        _ => None,
    }
}

fn strings(value: &Value) -> BTreeSet<String> {
    match value {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => BTreeSet::new(),
    }
}

/// Every event of every function: (function id, event name, event).
fn function_events(t: &Template) -> Vec<(String, String, Value)> {
    let mut events = Vec::new();
    for (id, function) in resources(t, "AWS::Serverless::Function") {
        for (name, event) in
            function.pointer("/Properties/Events").and_then(Value::as_object).into_iter().flatten()
        {
            events.push((id.clone(), name.clone(), event.clone()));
        }
    }
    events
}

/// (burst, rate) of a route settings object, if it limits both.
fn throttling(settings: &Value) -> Option<(f64, f64)> {
    Some((settings.get("ThrottlingBurstLimit")?.as_f64()?, settings.get("ThrottlingRateLimit")?.as_f64()?))
}

#[test]
fn email_changes_wait_for_verification() {
    let t = template();
    let (_, pool) = one(&t, "AWS::Cognito::UserPool");
    let props = &pool["Properties"];
    assert!(strings(&props["AutoVerifiedAttributes"]).contains("email"), "emails are verified");
    let before_update =
        strings(&props["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"]);
    assert!(
        before_update.contains("email"),
        "a changed email stays the old one until the new one is verified"
    );
    let (_, domain) = one(&t, "AWS::Cognito::UserPoolDomain");
    assert!(
        ref_to(&domain["Properties"]["UserPoolId"]).is_some(),
        "the user pool has a domain (token endpoint)"
    );
}

#[test]
fn a_resource_server_declares_the_machine_scopes() {
    let t = template();
    let (_, server) = one(&t, "AWS::Cognito::UserPoolResourceServer");
    assert_eq!(server["Properties"]["Identifier"], RESOURCE_SERVER);
    let scopes: BTreeSet<&str> = server["Properties"]["Scopes"]
        .as_array()
        .expect("Scopes")
        .iter()
        .filter_map(|s| s["ScopeName"].as_str())
        .collect();
    assert_eq!(scopes, BTreeSet::from(MACHINE_SCOPES));
}

#[test]
fn each_machine_scope_has_one_client_credentials_app_client() {
    let t = template();
    let (server_id, _) = one(&t, "AWS::Cognito::UserPoolResourceServer");
    let mut clients_by_scope: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for (id, client) in resources(&t, "AWS::Cognito::UserPoolClient") {
        let props = &client["Properties"];
        if !strings(&props["AllowedOAuthFlows"]).contains("client_credentials") {
            continue;
        }
        assert_eq!(
            strings(&props["AllowedOAuthFlows"]),
            BTreeSet::from(["client_credentials".to_string()]),
            "{id}"
        );
        assert_eq!(props["GenerateSecret"], true, "{id}: a machine client authenticates with its secret");
        assert_eq!(props["AllowedOAuthFlowsUserPoolClient"], true, "{id}");
        assert!(
            strings(&client["DependsOn"]).contains(server_id.as_str()),
            "{id} depends on the resource server that defines its scope"
        );
        let scopes = strings(&props["AllowedOAuthScopes"]);
        assert_eq!(scopes.len(), 1, "{id}: one feed, one scope");
        for scope in scopes {
            clients_by_scope.entry(scope).or_default().push(id);
        }
    }
    let want: BTreeSet<String> = MACHINE_SCOPES.iter().map(|s| format!("{RESOURCE_SERVER}/{s}")).collect();
    assert_eq!(clients_by_scope.keys().cloned().collect::<BTreeSet<_>>(), want);
    for (scope, clients) in &clients_by_scope {
        assert_eq!(clients.len(), 1, "{scope}: exactly one app client, got {clients:?}");
    }
}

#[test]
fn the_authorizer_accepts_tokens_of_every_app_client() {
    let t = template();
    let (_, api) = one(&t, "AWS::Serverless::HttpApi");
    let authorizers = api["Properties"]["Auth"]["Authorizers"].as_object().expect("Authorizers");
    let default = api["Properties"]["Auth"]["DefaultAuthorizer"].as_str().expect("DefaultAuthorizer");
    let audience: BTreeSet<&str> = authorizers[default]["JwtConfiguration"]["audience"]
        .as_array()
        .expect("audience")
        .iter()
        .filter_map(ref_to)
        .collect();
    let clients: BTreeSet<&str> =
        resources(&t, "AWS::Cognito::UserPoolClient").map(|(id, _)| id.as_str()).collect();
    assert_eq!(clients.len(), 1 + MACHINE_SCOPES.len(), "the people's client and one per feed");
    assert_eq!(audience, clients, "ID tokens are checked on aud, access tokens on client_id");
}

#[test]
fn the_stage_throttles_every_route_and_public_routes_more() {
    let t = template();
    let (api_id, api) = one(&t, "AWS::Serverless::HttpApi");
    let (burst, rate) = throttling(&api["Properties"]["DefaultRouteSettings"]).expect("default throttling");
    assert!(burst > 0.0 && rate > 0.0);

    let public: BTreeSet<String> = t.routes().iter().filter(|r| r.public).map(|r| r.route_key()).collect();
    assert!(!public.is_empty());
    let mut throttled = BTreeSet::new();
    for (function, name, event) in function_events(&t) {
        let props = &event["Properties"];
        if event["Type"] != "HttpApi" || ref_to(&props["ApiId"]) != Some(api_id.as_str()) {
            continue;
        }
        let key = format!(
            "{} {}",
            props["Method"].as_str().unwrap_or_default().to_uppercase(),
            props["Path"].as_str().unwrap_or_default()
        );
        // SAM merges an event's RouteSettings into the stage under this exact route key;
        // API-level RouteSettings would be keyed by it directly.
        let settings = props.get("RouteSettings").or_else(|| api["Properties"]["RouteSettings"].get(&key));
        if let Some(settings) = settings {
            let (route_burst, route_rate) =
                throttling(settings).unwrap_or_else(|| panic!("{key}: no limits"));
            assert!(
                route_burst < burst && route_rate < rate,
                "{function}.{name}: {key} is throttled below the default"
            );
            throttled.insert(key);
        }
    }
    for key in &public {
        assert!(throttled.contains(key), "public route {key} has its own, tighter throttling");
    }
}

#[test]
fn functions_behind_public_routes_can_reserve_concurrency() {
    let t = template();
    let public_functions: BTreeSet<String> =
        t.routes().into_iter().filter(|r| r.public).map(|r| r.function).collect();
    for (id, binary) in t.functions() {
        if !public_functions.contains(&binary) {
            continue;
        }
        let reserved = &t.resources[&id]["Properties"]["ReservedConcurrentExecutions"];
        let branches = reserved["Fn::If"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: reserved concurrency under a condition"));
        assert_eq!(branches.len(), 3, "{id}");
        assert_eq!(branches[2], json!({"Ref": "AWS::NoValue"}), "{id}: unset unless asked for");
        let parameter = ref_to(&branches[1]).unwrap_or_else(|| panic!("{id}: a parameter"));
        assert!(parameter.contains("ReservedConcurrency"), "{id}: {parameter}");
    }
}

#[test]
fn failed_asynchronous_invocations_of_event_functions_land_in_a_queue() {
    let t = template();
    let queues: BTreeSet<&str> = resources(&t, "AWS::SQS::Queue").map(|(id, _)| id.as_str()).collect();
    let rule_targets: BTreeSet<String> = function_events(&t)
        .into_iter()
        .filter(|(_, _, e)| e["Type"] == "EventBridgeRule")
        .map(|(f, ..)| f)
        .collect();
    assert!(!rule_targets.is_empty());
    for function in &rule_targets {
        let config = &t.resources[function]["Properties"]["EventInvokeConfig"];
        assert!(config["MaximumRetryAttempts"].as_i64().is_some(), "{function}: retries are bounded");
        let on_failure = &config["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"], "SQS", "{function}: failures go to a queue");
        let queue = arn_of(&on_failure["Destination"]).unwrap_or_else(|| panic!("{function}: a queue's ARN"));
        assert!(queues.contains(queue), "{function}: {queue} is a queue of the template");
    }
}

#[test]
fn each_rule_dead_letter_queue_lets_only_its_rule_send() {
    let t = template();
    let mut checked = 0;
    for (function, name, event) in function_events(&t) {
        let Some(dlq) = event.pointer("/Properties/DeadLetterConfig/Arn").and_then(arn_of) else {
            continue;
        };
        assert_eq!(event["Type"], "EventBridgeRule");
        // SAM names the rule it generates <function><event>.
        let rule = format!("{function}{name}");
        let granted = resources(&t, "AWS::SQS::QueuePolicy").any(|(_, policy)| {
            let props = &policy["Properties"];
            let for_queue = props["Queues"].as_array().into_iter().flatten().any(|q| ref_to(q) == Some(dlq));
            let statements = props["PolicyDocument"]["Statement"].as_array().cloned().unwrap_or_default();
            for_queue
                && statements.iter().any(|s| {
                    s["Effect"] == "Allow"
                        && strings(&s["Principal"]["Service"]).contains("events.amazonaws.com")
                        && strings(&s["Action"]).contains("sqs:SendMessage")
                        && arn_of(&s["Condition"]["ArnEquals"]["aws:SourceArn"]) == Some(rule.as_str())
                })
        });
        assert!(granted, "{dlq}: a queue policy lets events.amazonaws.com send for {rule} only");
        checked += 1;
    }
    assert!(checked > 0, "the bus's rules have dead-letter queues");
}

#[test]
fn every_function_may_make_the_warm_up_calls_of_the_clients_it_names() {
    let t = template();
    let clients = local_gateway::function_clients();
    assert_eq!(clients.len(), t.functions().len(), "every template function names its clients");
    for (function, clients) in clients {
        assert!(!clients.is_empty(), "{function} names no AWS client");
        let allowed = t.policy_actions(function);
        for client in clients {
            assert!(
                allowed.iter().any(|action| action == client.warm_up_action),
                "{function} warms up {} with {}, which its policy does not allow (it allows {allowed:?})",
                client.name,
                client.warm_up_action
            );
        }
    }
}

#[test]
fn only_the_relay_may_put_events_on_the_bus() {
    // Every other function's events leave through the table's stream (the outbox).
    let t = template();
    for (_, function) in t.functions() {
        let puts = t.policy_actions(&function).iter().any(|action| action == "events:PutEvents");
        assert_eq!(puts, function == "outbox-relay", "{function}: events:PutEvents");
    }
}
