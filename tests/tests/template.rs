//! template.yaml, openapi.yaml, the gateway and the functions agree with each other.

use std::collections::BTreeSet;

use partner_hub_tests::{sdk, template, Gateway};
use reqwest::Method;
use serde_json::Value;

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
