//! An open-loop run: request `i` is due at `start + i / rate` whether or not earlier
//! ones have answered, and its latency counts from that due time, so a queue in
//! front of the gateway shows in the latency instead of slowing the sender down
//! (no coordinated omission). At most `max_in_flight` requests are outstanding; a
//! request due while that many are is not sent, and counts as a failure.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    DashboardList,
    DashboardDetail,
    Accept,
    Ingest,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::DashboardList, Kind::DashboardDetail, Kind::Accept, Kind::Ingest];

    pub fn label(self) -> &'static str {
        match self {
            Kind::DashboardList => "dashboard list `GET /v1/orgs/{partner_id}/customers`",
            Kind::DashboardDetail => "dashboard detail `GET /v1/orgs/{partner_id}/customers/{customer_id}`",
            Kind::Accept => "accept `POST /v1/invite/{code}/accept`",
            Kind::Ingest => "usage ingestion `POST /v1/usage-records` (10 records)",
        }
    }

    /// The status a successful request of this kind answers.
    fn expected(self) -> u16 {
        match self {
            Kind::DashboardList | Kind::DashboardDetail => 200,
            Kind::Accept => 201,
            Kind::Ingest => 202,
        }
    }
}

/// One request of the run, built before it starts.
pub struct Planned {
    pub kind: Kind,
    pub method: reqwest::Method,
    pub url: String,
    pub token: String,
    pub body: Option<String>,
}

pub struct Outcome {
    pub kind: Kind,
    /// From the due time to the whole answer read; `None` if it was never sent.
    pub latency: Option<Duration>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

pub struct Run {
    pub rate: f64,
    pub outcomes: Vec<Outcome>,
    /// From the first due time to the last answer.
    pub elapsed: Duration,
    /// How far behind its due time the sender sent the latest request.
    pub max_send_lag: Duration,
}

/// Sends `plan` at `rate` requests a second; runs on the runtime it is spawned on.
pub async fn run(plan: Arc<Vec<Planned>>, rate: f64, max_in_flight: usize, http: reqwest::Client) -> Run {
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let start = Instant::now() + Duration::from_millis(20);
    let mut sent = Vec::with_capacity(plan.len());
    let mut outcomes = Vec::with_capacity(plan.len());
    let mut max_send_lag = Duration::ZERO;
    for i in 0..plan.len() {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        max_send_lag = max_send_lag.max(Instant::now().saturating_duration_since(due));
        let kind = plan[i].kind;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            outcomes.push(Outcome {
                kind,
                latency: None,
                error: Some(format!("not sent: {max_in_flight} requests already in flight")),
            });
            continue;
        };
        let (plan, http) = (plan.clone(), http.clone());
        sent.push(tokio::spawn(async move {
            let request = &plan[i];
            let error = send(&http, request).await.err();
            let latency = due.elapsed();
            drop(slot);
            (Outcome { kind, latency: Some(latency), error }, Instant::now())
        }));
    }
    let mut last = start;
    for task in sent {
        let (outcome, done) = task.await.expect("request task");
        last = last.max(done);
        outcomes.push(outcome);
    }
    Run { rate, outcomes, elapsed: last.saturating_duration_since(start), max_send_lag }
}

async fn send(http: &reqwest::Client, planned: &Planned) -> Result<(), String> {
    let mut request = http.request(planned.method.clone(), &planned.url).bearer_auth(&planned.token);
    if let Some(body) = &planned.body {
        request = request.header("content-type", "application/json").body(body.clone());
    }
    let path = planned.url.splitn(4, '/').nth(3).unwrap_or("");
    let response = request.send().await.map_err(|e| format!("{} /{path}: no answer: {e}", planned.method))?;
    let status = response.status().as_u16();
    // The whole body is part of the answer's time.
    let text = response.text().await.map_err(|e| format!("{} /{path}: body: {e}", planned.method))?;
    if status == planned.kind.expected() {
        Ok(())
    } else {
        let text: String = text.chars().take(300).collect();
        Err(format!("{} /{path}: {status} {text}", planned.method))
    }
}
