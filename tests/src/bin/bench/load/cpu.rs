//! CPU time of the parts of a load run, read from /proc: the gateway (every thread of
//! this process but the load generator's), the load generator's threads, DynamoDB
//! Local and moto (found by the port they listen on), and the whole machine.

use std::collections::HashMap;
use std::time::Instant;

/// The load generator's threads are named this, so their time can be told apart.
pub const GENERATOR_THREAD: &str = "load-gen";

/// The processes behind the local endpoints, found once.
pub struct Parts {
    pub dynamodb: Option<u32>,
    pub moto: Option<u32>,
    ticks_per_second: f64,
}

impl Parts {
    /// DynamoDB Local and moto by the ports in the SDK's endpoint variables
    /// (`BENCH_DYNAMODB_PID` / `BENCH_MOTO_PID` name them instead when set).
    pub fn find() -> Self {
        let pid = |pid_var: &str, url_var: &str| {
            std::env::var(pid_var)
                .ok()
                .and_then(|p| p.parse().ok())
                .or_else(|| port_of(&std::env::var(url_var).ok()?).and_then(listener_pid))
        };
        Self {
            dynamodb: pid("BENCH_DYNAMODB_PID", "AWS_ENDPOINT_URL_DYNAMODB"),
            moto: pid("BENCH_MOTO_PID", "AWS_ENDPOINT_URL_SQS"),
            ticks_per_second: ticks_per_second(),
        }
    }

    pub fn sample(&self) -> Sample {
        let own = threads(None);
        let generator: u64 =
            own.values().filter(|(name, _)| name == GENERATOR_THREAD).map(|(_, ticks)| ticks).sum();
        let own_total = process_ticks(None).unwrap_or(0);
        Sample {
            at: Instant::now(),
            gateway: own_total.saturating_sub(generator),
            gateway_threads: own
                .into_iter()
                .filter(|(_, (name, _))| name != GENERATOR_THREAD)
                .map(|(tid, (_, ticks))| (tid, ticks))
                .collect(),
            generator,
            dynamodb: self.dynamodb.and_then(|pid| process_ticks(Some(pid))).unwrap_or(0),
            dynamodb_threads: self
                .dynamodb
                .map(|pid| threads(Some(pid)).into_iter().map(|(tid, (_, ticks))| (tid, ticks)).collect())
                .unwrap_or_default(),
            moto: self.moto.and_then(|pid| process_ticks(Some(pid))).unwrap_or(0),
            machine_busy: machine_busy_ticks(),
        }
    }

    /// What each part used between two samples, in cores (CPU seconds a second).
    pub fn between(&self, before: &Sample, after: &Sample) -> Usage {
        let seconds = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / self.ticks_per_second / seconds;
        let busiest = |a: &HashMap<u32, u64>, b: &HashMap<u32, u64>| {
            b.iter().map(|(tid, t)| cores(a.get(tid).copied().unwrap_or(0), *t)).fold(0.0, f64::max)
        };
        let gateway = cores(before.gateway, after.gateway);
        let generator = cores(before.generator, after.generator);
        let dynamodb = cores(before.dynamodb, after.dynamodb);
        let moto = cores(before.moto, after.moto);
        let machine = cores(before.machine_busy, after.machine_busy);
        Usage {
            gateway,
            gateway_busiest_thread: busiest(&before.gateway_threads, &after.gateway_threads),
            generator,
            dynamodb,
            dynamodb_busiest_thread: busiest(&before.dynamodb_threads, &after.dynamodb_threads),
            moto,
            machine,
            others: (machine - gateway - generator - dynamodb - moto).max(0.0),
        }
    }
}

pub struct Sample {
    at: Instant,
    gateway: u64,
    gateway_threads: HashMap<u32, u64>,
    generator: u64,
    dynamodb: u64,
    dynamodb_threads: HashMap<u32, u64>,
    moto: u64,
    machine_busy: u64,
}

/// Cores each part kept busy over an interval.
#[derive(Clone, Copy, Default)]
pub struct Usage {
    pub gateway: f64,
    pub gateway_busiest_thread: f64,
    pub generator: f64,
    pub dynamodb: f64,
    pub dynamodb_busiest_thread: f64,
    pub moto: f64,
    /// Every busy core of the machine, whoever used it.
    pub machine: f64,
    /// The machine's busy time that none of the parts above account for.
    pub others: f64,
}

fn port_of(url: &str) -> Option<u16> {
    url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
}

/// The process holding a listening TCP socket on `port`: the socket's inode from
/// /proc/net/tcp{,6}, then the process with that inode among its open files.
fn listener_pid(port: u16) -> Option<u32> {
    let wanted = format!(":{port:04X}");
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"].iter().find_map(|table| {
        let text = std::fs::read_to_string(table).ok()?;
        text.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address ends with the port; state 0A is LISTEN; field 9 the inode.
            (fields.len() > 9 && fields[1].ends_with(&wanted) && fields[3] == "0A")
                .then(|| fields[9].to_string())
        })
    })?;
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir("/proc").ok()?.filter_map(|e| e.ok()).find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let fds = std::fs::read_dir(entry.path().join("fd")).ok()?;
        fds.filter_map(|fd| fd.ok())
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == socket.as_str()))
            .then_some(pid)
    })
}

/// utime + stime from a /proc stat line (fields 14 and 15; the name in parentheses
/// may hold spaces, so count from its closing parenthesis).
fn stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn proc_dir(pid: Option<u32>) -> String {
    pid.map(|p| format!("/proc/{p}")).unwrap_or_else(|| "/proc/self".into())
}

/// A whole process's CPU time, its finished threads included.
fn process_ticks(pid: Option<u32>) -> Option<u64> {
    stat_ticks(&std::fs::read_to_string(format!("{}/stat", proc_dir(pid))).ok()?)
}

/// Each live thread's name and CPU time.
fn threads(pid: Option<u32>) -> HashMap<u32, (String, u64)> {
    let Ok(tasks) = std::fs::read_dir(format!("{}/task", proc_dir(pid))) else { return HashMap::new() };
    tasks
        .filter_map(|e| e.ok())
        .filter_map(|task| {
            let tid = task.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?.trim().to_string();
            let ticks = stat_ticks(&std::fs::read_to_string(task.path().join("stat")).ok()?)?;
            Some((tid, (name, ticks)))
        })
        .collect()
}

/// The machine's busy time: /proc/stat's first line less idle and iowait.
fn machine_busy_ticks() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> =
        text.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    fields.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, t)| t).sum()
}

/// USER_HZ, the unit of /proc's CPU times, as `getconf CLK_TCK` tells it.
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .expect("getconf CLK_TCK names the unit of /proc's CPU times")
}
