//! Cold starts and sizes. Every function's release binary, and the baselines, is
//! spawned as Lambda spawns a `provided.al2023` bootstrap, against a Runtime API on
//! loopback (`local_gateway::runtime_api`): init is spawn → the first
//! `GET /runtime/invocation/next`; then its first invocation and warm ones, and its
//! peak RSS. DynamoDB Local sits behind a TLS endpoint with a certificate made for the
//! run (trusted through `EXTRA_CA_BUNDLE`), so connecting costs what it does in AWS:
//! a TCP and a TLS handshake.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use partner_hub_tests::samples::{self, SampleStack};
use tokio_rustls::rustls;

use crate::measure::{env_number, shuffled};

/// Warm invocations after the first, in each cold start.
const WARM_INVOCATIONS: usize = 10;
/// The pause before each cold start.
const SETTLE: Duration = Duration::from_millis(100);
/// The init goal: at most this many times the hello-world baseline's.
const INIT_GOAL: f64 = 1.6;
/// The first invocation's goal: at most this many times a warm one.
const FIRST_GOAL: f64 = 1.5;
const RSS_GOAL_MIB: f64 = 16.0;
const BOOTSTRAP_GOAL_MIB: f64 = 5.0;
const ZIP_GOAL_MIB: f64 = 2.5;

struct Subject {
    name: String,
    what: &'static str,
    path: PathBuf,
    event: String,
}

#[derive(Default)]
struct Samples {
    init: Vec<Duration>,
    first: Vec<Duration>,
    warm: Vec<Duration>,
    peak_rss_kib: u64,
}

impl Samples {
    fn first_ratio(&self) -> f64 {
        median(self.first.clone()).as_secs_f64() / median(self.warm.clone()).as_secs_f64().max(1e-9)
    }
}

/// How Lambda starts the environment (`AWS_LAMBDA_INITIALIZATION_TYPE`): on demand,
/// with a request waiting, when the first invocation builds the app, or ahead of
/// requests (provisioned concurrency), when init builds it and waits for its warm-up
/// (`partner_hub::runtime`).
const ON_DEMAND: &str = "on-demand";
const PROVISIONED: &str = "provisioned-concurrency";

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn percentile(mut values: Vec<Duration>, q: f64) -> Duration {
    values.sort();
    let index = ((values.len() as f64 * q).ceil() as usize).saturating_sub(1);
    values.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn kib(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len() / 1024)
}

pub async fn section(sdk: &aws_config::SdkConfig, root: &Path) -> String {
    let cold_starts = env_number("BENCH_COLD_STARTS", 20);
    let release = root.join("target/release");
    let functions: Vec<String> =
        partner_hub_tests::template().functions().into_iter().map(|(_, binary)| binary).collect();

    let stack = SampleStack::create(sdk).await;
    let dynamodb: SocketAddr = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .ok()
        .and_then(|url| url.trim_start_matches("http://").trim_end_matches('/').parse().ok())
        .expect("AWS_ENDPOINT_URL_DYNAMODB is http://<ip>:<port>");
    let tls = TlsEndpoint::start(dynamodb).await;
    let ca_file = tls.ca_file.to_string_lossy().into_owned();
    let mut env = stack.env();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", tls.url.as_str()));
    env.push((partner_hub::sdk::EXTRA_CA_BUNDLE, ca_file.as_str()));

    let echo = r#"{"hello":"world"}"#.to_string();
    let mut subjects = vec![
        Subject {
            name: "baseline-hello".into(),
            what: "hello-world `lambda_runtime`",
            path: release.join("baseline-hello"),
            event: echo.clone(),
        },
        Subject {
            name: "baseline-sdk-aws-lc".into(),
            what:
                "+ `aws-config` defaults + DynamoDB client (aws-lc, system roots, default credential chain)",
            path: release.join("baseline-sdk-aws-lc"),
            event: echo.clone(),
        },
        Subject {
            name: "baseline-sdk".into(),
            what: "+ DynamoDB client from the project's `sdk::load` (environment only, ring, Amazon roots)",
            path: release.join("baseline-sdk"),
            event: echo,
        },
    ];
    for function in &functions {
        subjects.push(Subject {
            name: function.clone(),
            what: "function",
            path: release.join(function),
            event: samples::event(function),
        });
    }
    // `BENCH_BINARIES=baseline-hello,signup` measures only those.
    if let Ok(only) = std::env::var("BENCH_BINARIES") {
        subjects.retain(|subject| only.split(',').any(|name| name == subject.name));
    }
    for subject in &subjects {
        assert!(
            subject.path.exists(),
            "{} is not built (scripts/bench.sh builds it)",
            subject.path.display()
        );
    }

    // Every binary once a round, so a slow moment of the machine falls on every binary
    // alike, in a new order each round, so no binary always starts right after the same
    // one (the run before leaves DynamoDB Local with writes to finish and a process to
    // reap). A function runs both ways Lambda starts it, on demand first: the same event
    // just before leaves the services as warm for its provisioned first invocation as
    // for its warm ones (DynamoDB Local's code paths, the rollup's marks cleared), so
    // that first ÷ warm is what the function's own process pays. A baseline runs only
    // on demand.
    let mut on_demand: Vec<Samples> = subjects.iter().map(|_| Samples::default()).collect();
    let mut provisioned: Vec<Samples> = subjects.iter().map(|_| Samples::default()).collect();
    eprintln!("cold starts: {} binaries × {cold_starts}", subjects.len());
    for round in 0..cold_starts {
        for index in shuffled(subjects.len(), round as u64) {
            let subject = &subjects[index];
            let modes: &[&str] =
                if subject.what == "function" { &[ON_DEMAND, PROVISIONED] } else { &[ON_DEMAND] };
            for &mode in modes {
                let samples = if mode == ON_DEMAND { &mut on_demand[index] } else { &mut provisioned[index] };
                let mut env = env.clone();
                env.push((partner_hub::runtime::INITIALIZATION_TYPE, mode));
                // What the run before set going ends before this one starts: in Lambda
                // an init shares its CPU with neither the database nor another environment.
                tokio::time::sleep(SETTLE).await;
                cold_start(subject, &env, samples).await;
            }
        }
    }

    let hello_init = median(on_demand[0].init.clone());
    let settle = SETTLE.as_millis();
    let mut out = String::new();
    let _ = writeln!(out, "\n## Cold start\n");
    let _ = writeln!(
        out,
        "Each binary (x86_64 release, the deploy profile) started {cold_starts} times, each once a round in a new \
         order (a function on demand, then provisioned) and {settle} ms after the run before it ended, by \
         a Lambda Runtime API on loopback (`local/src/runtime_api.rs`), with the environment `template.yaml` gives it. \
         **init** is spawn → first `GET /next`; **first** and **warm** are invocations of its sample event \
         (`events/`), {WARM_INVOCATIONS} warm ones after each first; RSS is the peak (`VmHWM`) over all runs. \
         DynamoDB Local is behind a TLS endpoint with a certificate made for the run, so a connection costs \
         a TCP and a TLS handshake as in AWS.\n\n\
         A function runs both ways Lambda starts an environment (`AWS_LAMBDA_INITIALIZATION_TYPE`):\n\
         - **on demand**, with a request already waiting: init only reads and checks the settings; the \
         first invocation builds the clients (about half a millisecond), and its own first call opens the \
         connection, so it pays the handshake that a warm-up call would have paid on the same path;\n\
         - **provisioned**, ahead of any request: init builds the clients and waits for their warm-up calls \
         (one per client), so the first invocation finds its connection open and pays no handshake.\n\n\
         Goals: on-demand init ≤ {INIT_GOAL}× hello-world; peak RSS < {RSS_GOAL_MIB} MiB; the first request \
         pays no handshake, shown by the provisioned first ≤ {FIRST_GOAL}× warm. The on-demand first ÷ warm \
         has no mark: a request that is already waiting when init starts cannot find a connection opened \
         before it, and on this machine one DynamoDB Local call (2–3 ms) is about a hello-world init, so a \
         warm-up cannot finish inside the init goal either.\n"
    );
    let _ = writeln!(
        out,
        "| binary | what | size KiB | on demand: init p50 ms | init p90 ms | init ÷ hello-world | first p50 ms | warm p50 ms | first ÷ warm | provisioned: init p50 ms | first p50 ms | warm p50 ms | first ÷ warm | peak RSS MiB |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mark = |ok: bool| if ok { "" } else { " ✗" };
    for ((subject, samples), ahead) in subjects.iter().zip(on_demand).zip(provisioned) {
        let init = median(samples.init.clone());
        let init_ratio = init.as_secs_f64() / hello_init.as_secs_f64().max(1e-9);
        let is_function = subject.what == "function";
        let provisioned_columns = if is_function {
            format!(
                "{} | {} | {} | {:.2}{}",
                ms(median(ahead.init.clone())),
                ms(median(ahead.first.clone())),
                ms(median(ahead.warm.clone())),
                ahead.first_ratio(),
                mark(ahead.first_ratio() <= FIRST_GOAL),
            )
        } else {
            "– | – | – | –".into()
        };
        let rss = samples.peak_rss_kib.max(ahead.peak_rss_kib) as f64 / 1024.0;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2}{} | {} | {} | {:.2} | {provisioned_columns} | {:.1}{} |",
            subject.name,
            subject.what,
            kib(&subject.path).unwrap_or(0),
            ms(init),
            ms(percentile(samples.init.clone(), 0.9)),
            init_ratio,
            mark(!is_function || init_ratio <= INIT_GOAL),
            ms(median(samples.first.clone())),
            ms(median(samples.warm.clone())),
            samples.first_ratio(),
            rss,
            mark(rss < RSS_GOAL_MIB),
        );
    }
    out.push_str(&sizes(root, &functions));
    out
}

/// Starts `subject` once, invokes it with its event, and adds what that took to `samples`.
async fn cold_start(subject: &Subject, env: &[(&str, &str)], samples: &mut Samples) {
    let events = vec![subject.event.clone(); 1 + WARM_INVOCATIONS];
    let run = local_gateway::runtime_api::run_binary(&subject.path, &events, env)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", subject.name));
    for answer in &run.answers {
        let answer = answer.as_ref().unwrap_or_else(|e| panic!("{} failed: {e}", subject.name));
        let status = answer.get("statusCode").and_then(|s| s.as_u64()).unwrap_or(200);
        assert!(status < 500, "{} answered {answer}", subject.name);
    }
    samples.init.push(run.init);
    samples.first.push(run.invocations[0]);
    samples.warm.extend_from_slice(&run.invocations[1..]);
    samples.peak_rss_kib = samples.peak_rss_kib.max(run.peak_rss_kib.unwrap_or(0));
}

/// The arm64 deployables `scripts/build.sh` made, and their zips.
fn sizes(root: &Path, functions: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n## Deployable size\n");
    let _ = writeln!(
        out,
        "`cargo lambda build --release --arm64` (lto, one codegen unit, panic=abort, stripped, opt-level s), \
         and the zip Lambda is given (deflate). Goals: bootstrap ≤ {BOOTSTRAP_GOAL_MIB} MiB, zip ≤ {ZIP_GOAL_MIB} MiB.\n"
    );
    let _ = writeln!(out, "| function | clients | bootstrap KiB | zip KiB |");
    let _ = writeln!(out, "|---|---|---:|---:|");
    let clients: std::collections::HashMap<&str, &[partner_hub::app::Client]> =
        local_gateway::function_clients().into_iter().collect();
    for function in functions {
        let dir = root.join("target/lambda").join(function);
        let show = |size: Option<u64>, goal_mib: f64| match size {
            Some(k) if k as f64 / 1024.0 <= goal_mib => k.to_string(),
            Some(k) => format!("{k} ✗"),
            None => "not built".into(),
        };
        let names: Vec<&str> =
            clients.get(function.as_str()).into_iter().flat_map(|c| c.iter().map(|c| c.name)).collect();
        let _ = writeln!(
            out,
            "| {function} | {} | {} | {} |",
            names.join(", "),
            show(kib(&dir.join("bootstrap")), BOOTSTRAP_GOAL_MIB),
            show(kib(&dir.join("bootstrap.zip")), ZIP_GOAL_MIB),
        );
    }
    out
}

/// TLS in front of a plain TCP service, with a self-signed certificate for 127.0.0.1
/// written to a PEM file the functions are told to trust.
struct TlsEndpoint {
    url: String,
    ca_file: PathBuf,
}

impl TlsEndpoint {
    async fn start(target: SocketAddr) -> Self {
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("certificate parameters")
            .self_signed(&key)
            .expect("certificate");
        let ca_file = std::env::temp_dir().join(format!("partner-hub-bench-ca-{}.pem", std::process::id()));
        std::fs::write(&ca_file, certificate.pem()).expect("writing the certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![certificate.der().clone()],
                rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    let Ok(mut client) = acceptor.accept(client).await else { return };
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else { return };
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { url, ca_file }
    }
}
