//! `make seed-usage`: fills a running `make run` with a partner, N connected customers
//! and D days of realistic usage, then runs the rollup.
//!   seed-usage [--customers N] [--days D] [--users U] [--base http://localhost:3000]

use chrono::Utc;
use serde_json::{json, Value};

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{path}: {e} (is `make run` serving {}?)", self.base))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A person's token for `email`, or with `scope` a machine client's (no email).
    async fn token(&self, email: &str, scope: Option<&str>) -> Result<String, String> {
        let request = match scope {
            Some(scope) => json!({"scope": scope}),
            None => json!({"email": email}),
        };
        let answer = self.call(reqwest::Method::POST, "/local/token", None, Some(request)).await?;
        Ok(answer["token"].as_str().unwrap_or_default().to_string())
    }
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let customers: usize =
        arg(&args, "--customers", "5").parse().map_err(|_| "--customers takes a number")?;
    let days: u32 = arg(&args, "--days", "90").parse().map_err(|_| "--days takes a number")?;
    let users: u32 = arg(&args, "--users", "20").parse().map_err(|_| "--users takes a number")?;
    let client = Client { base: arg(&args, "--base", "http://localhost:3000"), http: reqwest::Client::new() };
    let stamp = Utc::now().timestamp();
    let post = reqwest::Method::POST;

    let partner_email = format!("partner-{stamp}@seed.example.com");
    let partner_token = client.token(&partner_email, None).await?;
    let partner = client
        .call(post.clone(), "/v1/signup", Some(&partner_token), Some(json!({"name": "Seeded Partner"})))
        .await?;
    let partner_id = partner["org_id"].as_str().unwrap_or_default().to_string();
    client
        .call(
            post.clone(),
            &format!("/v1/orgs/{partner_id}/programs"),
            Some(&partner_token),
            Some(json!({"program": "CSP"})),
        )
        .await?;
    let code = client
        .call(reqwest::Method::GET, &format!("/v1/orgs/{partner_id}/invite-link"), Some(&partner_token), None)
        .await?;
    let code = code["code"].as_str().unwrap_or_default().to_string();

    let first_day = Utc::now().date_naive() - chrono::Duration::days(i64::from(days));
    let mut orgs = Vec::new();
    for n in 0..customers {
        let token = client.token(&format!("admin-{n}-{stamp}@customer{n}.example.com"), None).await?;
        let org = client
            .call(post.clone(), "/v1/signup", Some(&token), Some(json!({"name": format!("Customer {n}")})))
            .await?;
        let org_id = org["org_id"].as_str().unwrap_or_default().to_string();
        client
            .call(
                post.clone(),
                &format!("/v1/invite/{code}/accept"),
                Some(&token),
                Some(json!({"customer_org_id": org_id})),
            )
            .await?;
        for body in [
            json!({"service": "sdwan-orchestrator", "kind": "paid", "license_count": users * 8 / 10, "term": "annual", "starts_at": first_day.to_string()}),
            json!({"service": "daas", "kind": "paid", "license_count": users, "term": "annual", "starts_at": first_day.to_string()}),
            json!({"service": "gateway", "kind": "paid", "license_count": 1, "term": "monthly", "starts_at": first_day.to_string(), "committed_gb": 40}),
        ] {
            client
                .call(post.clone(), &format!("/v1/orgs/{org_id}/services"), Some(&token), Some(body))
                .await?;
        }
        orgs.push(org_id);
    }

    let plan = partner_hub_tests::seed::Plan {
        orgs: &orgs,
        services: &["sdwan-orchestrator", "daas", "analytics"],
        gateway: true,
        first_day,
        days,
        users_per_org: users,
        seed: stamp as u64,
    };
    let records = partner_hub_tests::seed::records(&plan);
    let feed = client.token("feed@telemetry.example.com", Some("usage:write")).await?;
    for chunk in records.chunks(500) {
        client.call(post.clone(), "/v1/usage-records", Some(&feed), Some(json!({"records": chunk}))).await?;
    }
    let report = client.call(post, "/local/schedules/usage-rollup", None, None).await?;
    println!("seeded {} records for {customers} customers over {days} days; rollup: {report}", records.len());
    println!("partner {partner_id}, signed in as {partner_email}:");
    println!("  TOKEN=$(curl -s -XPOST {}/local/token -d '{{\"email\":\"{partner_email}\"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')", client.base);
    if let Some(first) = orgs.first() {
        println!("  curl -s \"{}/v1/orgs/{partner_id}/customers/{first}/usage?service=daas\" -H \"Authorization: Bearer $TOKEN\"", client.base);
    }
    println!(
        "  curl -s \"{}/v1/orgs/{partner_id}/usage.csv\" -H \"Authorization: Bearer $TOKEN\" -o usage.csv",
        client.base
    );
    Ok(())
}
