//! Warm path: each route beside the bare SDK calls of the same shape, in one run.
//!
//! A bench-only interceptor on the DynamoDB client (`recorder`) counts the calls a
//! route really makes (kinds, order, index, consistency, items per transaction or
//! batch) and the capacity each consumes; the bare calls are written to that shape
//! and recorded the same way, so the table shows both shapes side by side. Each
//! route is timed through the local gateway over HTTP and, for Lambda's billed
//! duration, as the handler alone in-process.

mod bare;
mod cost;
mod recorder;
mod routes;

use std::fmt::Write as _;

use axum::http::Method;
use partner_hub::store::DynamoStore;
use partner_hub::App;
use partner_hub_tests::Gateway;
use serde_json::json;

use crate::measure::{env_number, ms, stats, Stats, SAMPLES, WARMUP};
use recorder::{Call, Recorder};
use routes::{Handlers, RouteCall};

/// What one route measured.
pub struct RouteRun {
    pub key: String,
    pub function: &'static str,
    pub what: &'static str,
    pub gateway: Stats,
    pub handler: Stats,
    pub bare: Stats,
    pub route_calls: Vec<Call>,
    pub bare_calls: Vec<Call>,
}

/// Samples per measurement (`BENCH_LATENCY_SAMPLES`, for quick runs while developing).
fn samples() -> usize {
    env_number("BENCH_LATENCY_SAMPLES", SAMPLES)
}

struct Bench {
    gw: Gateway,
    handlers: Handlers,
    recorder: Recorder,
    dynamo: aws_sdk_dynamodb::Client,
}

impl Bench {
    /// Measures one route three ways. `calls` holds one call per sample (the first
    /// two record the shapes), enough for the gateway run and the in-process run.
    async fn run(&self, what: &'static str, calls: Vec<RouteCall>) -> RouteRun {
        let per_run = WARMUP + samples();
        assert!(calls.len() >= 2 + 2 * per_run, "{what}: not enough prepared calls");
        let key = calls[0].key();
        let function = calls[0].function;
        eprintln!("latency: {key}");
        let (_, route_calls) = self.recorder.calls_of(calls[0].in_process(&self.handlers)).await;
        let (dynamo, table) = (&self.dynamo, self.gw.table());
        let replayed = bare::replay(dynamo, table, &route_calls);
        let (_, bare_calls) = self.recorder.calls_of(replayed).await;
        // The three ways take turns, sample by sample, so each sees the same table and
        // the same background work (the outbox relay, DynamoDB Local's own): run one
        // after the other, the last would meet a larger table than the first.
        let (mut gateway, mut handler, mut bare) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..per_run {
            let via_gateway = calls[2 + i].via_gateway(&self.gw).await;
            let in_process = calls[2 + per_run + i].in_process(&self.handlers).await;
            let started = std::time::Instant::now();
            bare::replay(dynamo, table, &route_calls).await;
            let replayed = started.elapsed();
            if i >= WARMUP {
                gateway.push(via_gateway);
                handler.push(in_process);
                bare.push(replayed);
            }
        }
        let (gateway, handler, bare) = (stats(gateway), stats(handler), stats(bare));
        RouteRun { key, function, what, gateway, handler, bare, route_calls, bare_calls }
    }
}

pub async fn latency_bench() -> String {
    let recorder = Recorder;
    let in_gateway = recorder.clone();
    let gw = Gateway::start_with(move |sdk, config| {
        let table = config.table_name.clone();
        let mut app = App::new(sdk, config);
        app.store = DynamoStore::new(in_gateway.client(sdk), table);
        app
    })
    .await;
    let mut direct = App::new(&gw.sdk, gw.config.clone());
    direct.store = DynamoStore::new(recorder.client(&gw.sdk), gw.table());
    let bench = Bench { handlers: Handlers::new(direct), dynamo: recorder.client(&gw.sdk), recorder, gw };
    let runs = measure_routes(&bench).await;
    report(&runs)
}

async fn measure_routes(bench: &Bench) -> Vec<RouteRun> {
    let gw = &bench.gw;
    bare::seed(&bench.dynamo, bench.gw.table()).await;
    let n = 2 + 2 * (WARMUP + samples());
    let mut runs = Vec::new();

    // POST /v1/signup: every call creates an org.
    let founder = gw.token("latency-founder@example.com").await;
    let signups = (0..n)
        .map(|i| RouteCall {
            function: "signup",
            method: Method::POST,
            template: "/v1/signup",
            path: "/v1/signup".into(),
            params: vec![],
            token: founder.clone(),
            body: Some(json!({"name": format!("Latency Org {i}")})),
            status: 201,
        })
        .collect();
    runs.push(bench.run("a new org: org + admin + audit", signups).await);

    // GET /v1/me: a user with one org.
    let reader = gw.token("latency-reader@example.com").await;
    gw.sign_up(&reader, "Reader Co").await;
    let me = RouteCall {
        function: "signup",
        method: Method::GET,
        template: "/v1/me",
        path: "/v1/me".into(),
        params: vec![],
        token: reader.clone(),
        body: None,
        status: 200,
    };
    runs.push(bench.run("the caller's 1 org", vec![me; n]).await);

    // A partner's customer dashboard over 10 connected customers.
    let (partner_token, partner) = gw.partner("latency-partner@example.com", "Latency Partner").await;
    for c in 0..10 {
        gw.connected_customer(&partner_token, &partner, &format!("latency-dash-{c}@example.com")).await;
    }
    let dashboard = RouteCall {
        function: "customer-dashboard",
        method: Method::GET,
        template: "/v1/orgs/{org_id}/customers",
        path: format!("/v1/orgs/{partner}/customers"),
        params: vec![("org_id", partner.clone())],
        token: partner_token.clone(),
        body: None,
        status: 200,
    };
    runs.push(bench.run("10 connected customers", vec![dashboard; n]).await);

    // Accepting an invitation: one fresh customer per call, partners of 90 each (the
    // cap is 100).
    let mut accepts = Vec::new();
    let mut fresh = Vec::new();
    let mut code = String::new();
    for i in 0..n {
        if i % 90 == 0 {
            let (token, org) =
                gw.partner(&format!("latency-inviter-{i}@example.com"), &format!("Inviter {i}")).await;
            code = gw.invite_code(&token, &org).await;
        }
        let (token, customer) =
            gw.customer(&format!("latency-accept-{i}@example.com"), &format!("Acceptor {i}")).await;
        accepts.push(RouteCall {
            function: "accept-connection",
            method: Method::POST,
            template: "/v1/invite/{code}/accept",
            path: format!("/v1/invite/{code}/accept"),
            params: vec![("code", code.clone())],
            token: token.clone(),
            body: Some(json!({"customer_org_id": customer})),
            status: 201,
        });
        fresh.push((token, customer));
    }
    runs.push(bench.run("a new connection under the cap", accepts).await);

    // Adding a paid service to an org of its own (a second would be `already_entitled`).
    let adds = fresh
        .iter()
        .map(|(token, org)| RouteCall {
            function: "add-service",
            method: Method::POST,
            template: "/v1/orgs/{org_id}/services",
            path: format!("/v1/orgs/{org}/services"),
            params: vec![("org_id", org.clone())],
            token: token.clone(),
            body: Some(json!({"service": "daas", "kind": "paid", "license_count": 10, "term": "annual"})),
            status: 201,
        })
        .collect();
    runs.push(bench.run("a paid entitlement", adds).await);

    // The telemetry feed: 10 records a call.
    let feed = gw.feed_token().await;
    let today = chrono::Utc::now().date_naive();
    let records: Vec<_> = (0..10)
        .map(|u| {
            json!({"org_id": fresh[u].1, "service": "daas", "date": today.to_string(),
                   "user": format!("user-{u}"), "assigned": true, "active": u % 3 == 0})
        })
        .collect();
    let ingest = RouteCall {
        function: "usage-ingest",
        method: Method::POST,
        template: "/v1/usage-records",
        path: "/v1/usage-records".into(),
        params: vec![],
        token: feed,
        body: Some(json!({ "records": records })),
        status: 202,
    };
    runs.push(bench.run("10 records", vec![ingest; n]).await);
    runs
}

fn calls_cell(calls: &[Call]) -> String {
    calls.iter().map(Call::signature).collect::<Vec<_>>().join(" → ")
}

fn report(runs: &[RouteRun]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n## Warm path: routes beside bare calls of the same shape\n");
    let _ = writeln!(
        out,
        "Each route is timed three ways in the same run, taking turns sample by sample ({} samples after \
         {WARMUP} warm-up calls each): through the local gateway over HTTP (JWT check, event building, the handler, the \
         answer), as the function's handler alone in-process (the event parsed, the handler run: what a \
         warm Lambda invocation does), and as the bare SDK calls of the same shape: the same kinds and \
         number of DynamoDB calls in the same order, with similar items. The calls are not read off \
         the code but recorded by an interceptor on the DynamoDB client (bench only) while the route \
         runs once, and the bare calls are recorded the same way; `same shape` compares the two lists. \
         Goal: gateway p50 within 1.3× the bare p50.\n",
        samples()
    );
    let _ = writeln!(
        out,
        "| route | what | gateway p50 / p99 (mean) ms | handler p50 / p99 ms | bare p50 / p99 ms | gateway ÷ bare | handler ÷ bare | same shape |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
    for run in runs {
        let ratio = |a: &Stats| a.p50.as_secs_f64() / run.bare.p50.as_secs_f64().max(1e-9);
        let same = run.route_calls.iter().map(Call::signature).eq(run.bare_calls.iter().map(Call::signature));
        let _ = writeln!(
            out,
            "| `{}` | {} | {} / {} ({}) | {} / {} | {} / {} | {:.2}× | {:.2}× | {} |",
            run.key,
            run.what,
            ms(run.gateway.p50),
            ms(run.gateway.p99),
            ms(run.gateway.mean),
            ms(run.handler.p50),
            ms(run.handler.p99),
            ms(run.bare.p50),
            ms(run.bare.p99),
            ratio(&run.gateway),
            ratio(&run.handler),
            if same { "yes" } else { "**no**" },
        );
    }
    let _ = writeln!(out, "\n### The calls each route makes, as recorded\n");
    let _ = writeln!(
        out,
        "In order; request bytes are the JSON sent to DynamoDB (route / bare); ms in calls is the time \
         spent inside the SDK calls during the one recorded run of each; capacity is what \
         DynamoDB Local answered in `ConsumedCapacity` (`ReturnConsumedCapacity: TOTAL`, set by the \
         bench's interceptor, not by production code).\n"
    );
    let _ = writeln!(
        out,
        "| route | DynamoDB calls (route) | DynamoDB calls (bare) | request bytes | ms in calls (route / bare) | RCU | WCU |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|");
    for run in runs {
        let bytes =
            |calls: &[Call]| calls.iter().map(|c| c.request_bytes.to_string()).collect::<Vec<_>>().join("+");
        let (read, write) = units(&run.route_calls);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} / {} | {} / {} | {read} | {write} |",
            run.key,
            calls_cell(&run.route_calls),
            calls_cell(&run.bare_calls),
            bytes(&run.route_calls),
            bytes(&run.bare_calls),
            ms(run.route_calls.iter().map(|c| c.took).sum()),
            ms(run.bare_calls.iter().map(|c| c.took).sum()),
        );
    }
    if runs.iter().flat_map(|r| &r.route_calls).any(|c| !c.capacity_reported) {
        let _ =
            writeln!(out, "\nSome calls answered no `ConsumedCapacity`; their units are counted as 0 above.");
    }
    out.push_str(&cost::table(runs));
    out
}

/// A route's read and write units, summed over its calls.
pub fn units(calls: &[Call]) -> (f64, f64) {
    calls.iter().fold((0.0, 0.0), |(r, w), c| (r + c.read_units, w + c.write_units))
}
