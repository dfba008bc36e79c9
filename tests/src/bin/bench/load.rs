//! Open-loop load through the local gateway: a fixed arrival rate of partner
//! dashboard reads, invitation accepts and usage ingestion, stepped up until the run
//! stops keeping up (with the CPU of each part read from /proc, to say which part
//! is the limit), then a longer run comfortably below that.

mod cpu;
mod open_loop;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use partner_hub_tests::Gateway;
use serde_json::json;

use crate::measure::{env_number, ms};
use open_loop::{Kind, Outcome, Planned, Run};

/// The mix, repeated every 20 requests: half dashboard lists, a fifth dashboard
/// details, a tenth accepts, a fifth ingestion calls.
const MIX: [Kind; 20] = {
    use Kind::{Accept as A, DashboardDetail as D, DashboardList as L, Ingest as I};
    [L, I, L, D, L, A, L, I, D, L, L, I, L, D, L, A, L, I, D, L]
};
/// Records in one ingestion call: a service's feed sends small, frequent batches.
const RECORDS_PER_CALL: usize = 10;
/// Customers an accepting partner takes, under its cap of 100 active customers.
const ACCEPTS_PER_PARTNER: usize = 90;
const SERVICES: [&str; 3] = ["sdwan-orchestrator", "daas", "analytics"];
/// A step keeps up when it achieves at least this share of the offered rate.
const KEEP_UP: f64 = 0.95;

struct Dashboard {
    token: String,
    partner: String,
    customers: Vec<String>,
}

/// A fresh customer org, its administrator's token and the link it will accept.
struct Invitee {
    token: String,
    customer: String,
    code: String,
}

struct Fixture {
    base: String,
    dashboards: Vec<Dashboard>,
    feed: String,
    today: String,
}

struct Settings {
    max_in_flight: usize,
    p99_bound: Duration,
}

/// One measured run: its outcomes and what each part's CPU did meanwhile.
struct Step {
    run: Run,
    usage: cpu::Usage,
    /// The step failed once and this is its second run.
    repeated: bool,
}

struct Summary {
    planned: usize,
    sent: usize,
    errors: usize,
    p50: Option<Duration>,
    p99: Option<Duration>,
}

pub async fn load_bench(gw: &Gateway) -> String {
    let seconds = env_number("BENCH_LOAD_SECONDS", 60);
    let step_seconds = env_number("BENCH_LOAD_STEP_SECONDS", 10);
    let start_rate = env_number("BENCH_LOAD_START_RATE", 5).max(1);
    let growth = env_number("BENCH_LOAD_STEP_GROWTH_PERCENT", 50).max(5);
    let max_steps = env_number("BENCH_LOAD_MAX_STEPS", 10);
    let partners = env_number("BENCH_LOAD_PARTNERS", 10).max(1);
    let customers_each = env_number("BENCH_LOAD_CUSTOMERS", 20).max(1);
    let settings = Settings {
        max_in_flight: env_number("BENCH_LOAD_MAX_IN_FLIGHT", 256),
        p99_bound: Duration::from_millis(env_number("BENCH_LOAD_P99_MS", 1000) as u64),
    };
    let parts = cpu::Parts::find();
    eprintln!(
        "load bench: DynamoDB Local pid {:?}, moto pid {:?}; seeding {partners} partners x {customers_each} customers",
        parts.dynamodb, parts.moto
    );
    // The generator has a runtime (one worker, named threads) of its own, so its CPU
    // time is told apart from the gateway's, which serves on the bench's runtime.
    let generator = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(cpu::GENERATOR_THREAD)
        .enable_all()
        .build()
        .expect("load generator runtime");
    let http = reqwest::Client::new();
    let fixture = Fixture {
        base: gw.base.clone(),
        dashboards: seed_dashboards(gw, partners, customers_each).await,
        feed: gw.feed_token().await,
        today: chrono::Utc::now().date_naive().to_string(),
    };
    let measured = |rate: usize, seconds: usize| {
        measured_run(gw, &fixture, &generator, &http, &parts, &settings, rate as f64, seconds)
    };

    // Warms DynamoDB Local's JIT and the connection pools on the mix; not reported.
    eprintln!("load bench: warm-up");
    let _ = measured(start_rate, step_seconds).await;
    let mut steps = Vec::new();
    let mut rate = start_rate;
    for _ in 0..max_steps {
        let mut step = measured(rate, step_seconds).await;
        if !failures(&step, &settings).is_empty() {
            // The machine is shared: a step that fails is run once more before it counts.
            eprintln!("load bench: repeating {rate}/s");
            step = measured(rate, step_seconds).await;
            step.repeated = true;
        }
        let kept_up = failures(&step, &settings).is_empty();
        steps.push(step);
        if !kept_up {
            break;
        }
        rate = (rate * (100 + growth)).div_ceil(100);
    }
    let sustained = steps.iter().rev().find(|s| failures(s, &settings).is_empty()).map(|s| s.run.rate);
    let fixed = std::env::var("BENCH_LOAD_RATE").ok().and_then(|r| r.parse::<usize>().ok());
    let main_rate = fixed.or(sustained.map(|r| (r / 2.0) as usize)).unwrap_or(start_rate / 2).max(1);
    eprintln!("load bench: main run, {main_rate}/s for {seconds} s");
    let main = measured(main_rate, seconds).await;
    generator.shutdown_background();

    let mut out = String::new();
    let _ = writeln!(out, "\n## Load\n");
    let _ = writeln!(
        out,
        "Open loop through the local gateway on loopback: request *i* is sent at its scheduled time \
         (start + *i* / rate) whether or not earlier ones have answered, and its latency counts from that \
         time to the whole answer read, so queueing in front of the gateway shows in the latency instead \
         of slowing the sender. The mix repeats every 20 requests: 10 partner dashboard lists and 4 \
         dashboard details ({partners} partners with {customers_each} connected customers each), 2 accepts \
         (each a fresh customer org accepting a partner's invitation link; accepting partners take at most \
         {ACCEPTS_PER_PARTNER} of their 100), and 4 usage-ingestion calls of {RECORDS_PER_CALL} records \
         each with the feed's machine token. Everything is seeded before each run, so the run only sends \
         the mix. At most {} requests are in flight: one due while that many are outstanding is not sent \
         and counts as an error, as does any answer but the route's success status. The load generator \
         runs on a runtime of its own (one thread), the gateway and the functions it runs on the bench's \
         runtime, so their CPU times are read apart (`/proc/self/task`); DynamoDB Local and moto are \
         found by their listening ports and read from `/proc/<pid>/stat`. CPU is in cores (CPU-seconds \
         per second) over the run. The gateway's figure includes the local stack's stream and event-bus \
         pollers, which deliver the accepts' events in the background.\n",
        settings.max_in_flight
    );
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let _ = writeln!(out, "### Where the limit is\n");
    let _ = writeln!(
        out,
        "Steps of {step_seconds} s from {start_rate} requests/s, each {growth}% above the last, until one \
         does not keep up (achieved under {:.0}% of offered, p99 over {} ms, or any error) twice in a row \
         (the machine is shared, so a failing step is run once more; *repeat* marks the second run, the \
         one shown). A warm-up run at the first rate, not shown, comes first.\n",
        KEEP_UP * 100.0,
        settings.p99_bound.as_millis()
    );
    let _ = writeln!(
        out,
        "| offered /s | achieved /s | p50 ms | p99 ms | errors | gateway cores (busiest thread) | load generator | \
         DynamoDB Local cores (busiest thread) | moto | other processes | machine busy (of {cores}) |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for step in &steps {
        let all = summarize(&step.run.outcomes, None);
        let u = &step.usage;
        let _ = writeln!(
            out,
            "| {:.0}{} | {:.0} | {} | {} | {} | {:.2} ({:.2}) | {:.2} | {:.2} ({:.2}) | {:.2} | {:.2} | {:.2} |",
            step.run.rate,
            if step.repeated { " (repeat)" } else { "" },
            achieved(&step.run),
            opt_ms(all.p50),
            opt_ms(all.p99),
            all.errors,
            u.gateway,
            u.gateway_busiest_thread,
            u.generator,
            u.dynamodb,
            u.dynamodb_busiest_thread,
            u.moto,
            u.others,
            u.machine
        );
    }
    let _ = writeln!(out);
    out.push_str(&explain(&steps, &settings, cores));

    let _ = writeln!(out, "\n### {seconds} s at {main_rate} requests/s\n");
    let why = match (fixed, sustained) {
        (Some(_), _) => "set by `BENCH_LOAD_RATE`".to_string(),
        (None, Some(r)) => format!("half the highest step that kept up ({r:.0}/s)"),
        (None, None) => format!("half the first step ({start_rate}/s), since no step kept up"),
    };
    let all = summarize(&main.run.outcomes, None);
    let _ = writeln!(
        out,
        "The rate is {why}. Offered {main_rate}/s, achieved {:.0}/s, {} error(s) in {} requests; the sender \
         was at most {} ms behind schedule. CPU: gateway {:.2} cores, load generator {:.2}, DynamoDB Local \
         {:.2}, moto {:.2}, other processes {:.2}; machine {:.2} of {cores}.\n",
        achieved(&main.run),
        all.errors,
        all.planned,
        ms(main.run.max_send_lag),
        main.usage.gateway,
        main.usage.generator,
        main.usage.dynamodb,
        main.usage.moto,
        main.usage.others,
        main.usage.machine
    );
    let _ = writeln!(out, "| requests | planned | sent | errors | p50 ms | p99 ms |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        let s = summarize(&main.run.outcomes, Some(kind));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            kind.label(),
            s.planned,
            s.sent,
            s.errors,
            opt_ms(s.p50),
            opt_ms(s.p99)
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} | {} |",
        all.planned,
        all.sent,
        all.errors,
        opt_ms(all.p50),
        opt_ms(all.p99)
    );
    let errors = first_errors(&main.run.outcomes, 5);
    if !errors.is_empty() {
        let _ = writeln!(out, "\nThe first errors:\n\n```\n{}\n```", errors.join("\n"));
    }
    out
}

/// Seeds what one run needs, waits for the stack to go quiet, and runs it on the
/// generator's runtime with the CPU sampled around it.
#[allow(clippy::too_many_arguments)]
async fn measured_run(
    gw: &Gateway,
    fixture: &Fixture,
    generator: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    parts: &cpu::Parts,
    settings: &Settings,
    rate: f64,
    seconds: usize,
) -> Step {
    let count = (rate * seconds as f64).round() as usize;
    let accepts = (0..count).filter(|i| MIX[i % MIX.len()] == Kind::Accept).count();
    let invitees = seed_invitees(gw, accepts).await;
    let plan = Arc::new(plan(fixture, invitees, count));
    settle(parts).await;
    eprintln!("load bench: {rate:.0}/s for {seconds} s ({count} requests)");
    let before = parts.sample();
    let run = generator
        .spawn(open_loop::run(plan, rate, settings.max_in_flight, http.clone()))
        .await
        .expect("load run");
    let usage = parts.between(&before, &parts.sample());
    let all = summarize(&run.outcomes, None);
    eprintln!(
        "  achieved {:.0}/s, p50 {} ms, p99 {} ms, {} error(s); cores: gateway {:.2}, generator {:.2}, \
         DynamoDB Local {:.2}, moto {:.2}, others {:.2}, machine {:.2}",
        achieved(&run),
        opt_ms(all.p50),
        opt_ms(all.p99),
        all.errors,
        usage.gateway,
        usage.generator,
        usage.dynamodb,
        usage.moto,
        usage.others,
        usage.machine
    );
    for error in first_errors(&run.outcomes, 5) {
        eprintln!("  error: {error}");
    }
    Step { run, usage, repeated: false }
}

/// Waits (up to 30 s) until the previous run's and the seeding's background work
/// (events delivered through moto into DynamoDB Local) has drained.
async fn settle(parts: &cpu::Parts) {
    for _ in 0..60 {
        let before = parts.sample();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let usage = parts.between(&before, &parts.sample());
        if usage.dynamodb + usage.moto + usage.gateway < 0.2 {
            return;
        }
    }
    eprintln!("load bench: the stack was still busy after 30 s; running anyway");
}

/// Why a step did not keep up; empty if it did.
fn failures(step: &Step, settings: &Settings) -> Vec<String> {
    let all = summarize(&step.run.outcomes, None);
    let mut why = Vec::new();
    let got = achieved(&step.run);
    if got < KEEP_UP * step.run.rate {
        why.push(format!("achieved {got:.0}/s of {:.0}/s offered", step.run.rate));
    }
    if all.p99.is_some_and(|p99| p99 > settings.p99_bound) {
        why.push(format!("p99 {} ms", opt_ms(all.p99)));
    }
    if all.errors > 0 {
        why.push(format!("{} error(s)", all.errors));
    }
    why
}

/// The sentences under the steps' table: where it stopped, which part was busiest,
/// and what the gateway's own CPU cost per request puts its limit at.
fn explain(steps: &[Step], settings: &Settings, cores: usize) -> String {
    let mut out = String::new();
    let last_good = steps.iter().rev().find(|s| failures(s, settings).is_empty());
    match steps.last().filter(|s| !failures(s, settings).is_empty()) {
        Some(limit) => {
            let u = &limit.usage;
            let mut shares = [
                ("DynamoDB Local", u.dynamodb),
                ("the gateway", u.gateway),
                ("the load generator", u.generator),
                ("moto", u.moto),
                ("other processes on the machine", u.others),
            ];
            shares.sort_by(|a, b| b.1.total_cmp(&a.1));
            let (busiest, busiest_cores) = shares[0];
            let _ = write!(
                out,
                "At {:.0}/s the run stopped keeping up ({}). The machine's {cores} cores were {:.2} busy, \
                 and the biggest share was {busiest}'s, {busiest_cores:.2} cores (DynamoDB Local {:.2}, its \
                 busiest thread {:.2}; the gateway {:.2}, its busiest thread {:.2}; other work on this \
                 shared machine {:.2}). ",
                limit.run.rate,
                failures(limit, settings).join(", "),
                u.machine,
                u.dynamodb,
                u.dynamodb_busiest_thread,
                u.gateway,
                u.gateway_busiest_thread,
                u.others
            );
            let _ = write!(
                out,
                "{} ",
                if busiest == "the gateway" {
                    "So on this machine the gateway itself is the limit."
                } else {
                    "So on this machine the gateway is not what limits the rate."
                }
            );
        }
        None => {
            let _ = write!(out, "Every step kept up: the steps stopped at `BENCH_LOAD_MAX_STEPS`. ");
        }
    }
    if let Some(good) = last_good {
        let rate = achieved(&good.run).max(1e-9);
        let gateway_ms = good.usage.gateway / rate * 1000.0;
        let dynamodb_ms = good.usage.dynamodb / rate * 1000.0;
        let _ = write!(
            out,
            "At {:.0}/s, the last step that kept up, the gateway spent {gateway_ms:.2} ms of CPU per request \
             and DynamoDB Local {dynamodb_ms:.2} ms. With the DynamoDB work off this machine (as in AWS), the \
             gateway alone would fill its {cores} cores at about {:.0} requests/s: a computation from these \
             measured figures (cores / gateway CPU per request), not a measured run, and an upper bound \
             since it assumes the gateway's cost per request stays flat.",
            good.run.rate,
            cores as f64 / gateway_ms.max(1e-9) * 1000.0
        );
    }
    let _ = writeln!(out);
    out
}

/// Successful answers a second, over the run from its first scheduled request to
/// its last answer.
fn achieved(run: &Run) -> f64 {
    let ok = run.outcomes.iter().filter(|o| o.error.is_none()).count();
    ok as f64 / run.elapsed.as_secs_f64().max(1e-9)
}

fn summarize(outcomes: &[Outcome], kind: Option<Kind>) -> Summary {
    let chosen: Vec<&Outcome> = outcomes.iter().filter(|o| kind.is_none_or(|k| o.kind == k)).collect();
    let mut latencies: Vec<Duration> = chosen.iter().filter_map(|o| o.latency).collect();
    latencies.sort();
    let at = |q: f64| {
        let rank = ((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies.get(rank).copied()
    };
    Summary {
        planned: chosen.len(),
        sent: latencies.len(),
        errors: chosen.iter().filter(|o| o.error.is_some()).count(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn first_errors(outcomes: &[Outcome], count: usize) -> Vec<String> {
    outcomes.iter().filter_map(|o| o.error.clone()).take(count).collect()
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map(ms).unwrap_or_else(|| "–".into())
}

/// A spread-out number for request `i`, to pick partners, customers and services
/// without a pattern the store could favour (splitmix64).
fn pick(i: usize) -> u64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The run's requests, in order; `invitees` has one entry per accept in it.
fn plan(fixture: &Fixture, invitees: Vec<Invitee>, count: usize) -> Vec<Planned> {
    let mut invitees = invitees.into_iter();
    let base = &fixture.base;
    (0..count)
        .map(|i| {
            let h = pick(i);
            let dashboard = &fixture.dashboards[(h % fixture.dashboards.len() as u64) as usize];
            let customer = &dashboard.customers[((h >> 16) % dashboard.customers.len() as u64) as usize];
            let kind = MIX[i % MIX.len()];
            let get = |url: String| Planned {
                kind,
                method: reqwest::Method::GET,
                url,
                token: dashboard.token.clone(),
                body: None,
            };
            match kind {
                Kind::DashboardList => get(format!("{base}/v1/orgs/{}/customers", dashboard.partner)),
                Kind::DashboardDetail => get(format!("{base}/v1/orgs/{}/customers/{customer}", dashboard.partner)),
                Kind::Accept => {
                    let invitee = invitees.next().expect("an invitee for every accept");
                    Planned {
                        kind,
                        method: reqwest::Method::POST,
                        url: format!("{base}/v1/invite/{}/accept", invitee.code),
                        token: invitee.token,
                        body: Some(json!({"customer_org_id": invitee.customer}).to_string()),
                    }
                }
                Kind::Ingest => {
                    let service = SERVICES[((h >> 32) % SERVICES.len() as u64) as usize];
                    let records: Vec<_> = (0..RECORDS_PER_CALL)
                        .map(|n| {
                            json!({"org_id": customer, "service": service, "date": fixture.today,
                                   "user": format!("load-user-{i}-{n}"), "assigned": true, "active": n % 3 == 0})
                        })
                        .collect();
                    Planned {
                        kind,
                        method: reqwest::Method::POST,
                        url: format!("{base}/v1/usage-records"),
                        token: fixture.feed.clone(),
                        body: Some(json!({ "records": records }).to_string()),
                    }
                }
            }
        })
        .collect()
}

/// A tag that keeps each seeding's emails apart from every other's.
fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

/// Partners whose dashboards the run reads, each with its connected customers.
async fn seed_dashboards(gw: &Gateway, partners: usize, customers_each: usize) -> Vec<Dashboard> {
    let tag = tag();
    futures::stream::iter(0..partners)
        .map(|p| {
            let tag = &tag;
            async move {
                let (token, partner) =
                    gw.partner(&format!("load-{tag}-p{p}@example.com"), &format!("Load Partner {p}")).await;
                let mut customers = Vec::new();
                for c in 0..customers_each {
                    let email = format!("load-{tag}-p{p}-c{c}@example.com");
                    customers.push(gw.connected_customer(&token, &partner, &email).await.1);
                }
                Dashboard { token, partner, customers }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// `count` fresh customer orgs, each with a partner's invitation code to accept,
/// spread over enough new partners to stay under their cap.
async fn seed_invitees(gw: &Gateway, count: usize) -> Vec<Invitee> {
    let tag = tag();
    let codes: Vec<String> = futures::stream::iter(0..count.div_ceil(ACCEPTS_PER_PARTNER))
        .map(|p| {
            let tag = &tag;
            async move {
                let (token, partner) =
                    gw.partner(&format!("load-{tag}-inviter{p}@example.com"), &format!("Inviter {p}")).await;
                gw.invite_code(&token, &partner).await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    futures::stream::iter(0..count)
        .map(|n| {
            let (tag, codes) = (&tag, &codes);
            async move {
                let (token, customer) =
                    gw.customer(&format!("load-{tag}-invitee{n}@example.com"), &format!("Invitee {n}")).await;
                // Round robin, so concurrent accepts rarely meet on one partner's counter.
                Invitee { token, customer, code: codes[n % codes.len()].clone() }
            }
        })
        .buffer_unordered(16)
        .collect()
        .await
}
