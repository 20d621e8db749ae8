//! `cargo run -p bench -- [diagnosis]` (dependencies are optimised in every profile): load scenarios against the app in the test host
//! (or `HEALTHE_URL`), each printed beside a baseline measured in the same run.
//!
//! diagnosis: requests/s and latency percentiles of `POST /api/diagnosis/heart` (PREVENT, PCE)
//! beside `GET /api/diagnosis/health` — the same component, instantiated the same way, doing no
//! model work — and the native tract time per evaluation.

use blackbox::{get, new_patient, post};
use serde_json::json;
use std::time::{Duration, Instant};

struct Figures {
    name: String,
    per_second: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `request` `total` times from `threads` threads; every answer must be `expect`.
fn measure(
    name: &str,
    threads: usize,
    total: usize,
    expect: u16,
    request: impl Fn() -> u16 + Sync,
) -> Figures {
    for _ in 0..20 {
        assert_eq!(request(), expect, "{name}: warm-up request failed");
    }
    let started = Instant::now();
    let per_thread = total / threads;
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    (0..per_thread)
                        .map(|_| {
                            let t = Instant::now();
                            let status = request();
                            assert_eq!(status, expect, "{name}");
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    latencies.sort();
    Figures {
        name: name.to_string(),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p90: percentile(&latencies, 0.9),
        p99: percentile(&latencies, 0.99),
    }
}

fn print(figures: &[Figures], baseline: &Figures) {
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "scenario", "req/s", "p50", "p90", "p99", "p50 vs base", "req/s vs base"
    );
    for f in figures {
        println!(
            "{:<40} {:>10.0} {:>10.2?} {:>10.2?} {:>10.2?} {:>11.2}x {:>11.0}%",
            f.name,
            f.per_second,
            f.p50,
            f.p90,
            f.p99,
            f.p50.as_secs_f64() / baseline.p50.as_secs_f64(),
            100.0 * f.per_second / baseline.per_second
        );
    }
}

fn diagnosis() {
    let patient = new_patient();
    let token = patient.access.clone();
    let prevent = json!({"age": 50, "sex": "male", "total_cholesterol": 200, "hdl_cholesterol": 45, "sbp": 160, "bmi": 35,
                         "egfr": 90, "diabetes": true, "smoker": false, "bp_tx": true, "statin": false});
    let pce = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50,
                     "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let (threads, total) = (4, 400);
    let baseline = measure(
        "GET /api/diagnosis/health (baseline)",
        threads,
        total,
        200,
        || get("/api/diagnosis/health", None).status,
    );
    // Where a diagnosis request's time goes: token check alone (a 404 after authentication),
    // then the engine's card list, then a history read from SQLite.
    let authenticated = measure(
        "GET /api/diagnosis/assessments/x (auth only)",
        threads,
        total,
        404,
        || get("/api/diagnosis/assessments/not-an-id", Some(&token)).status,
    );
    let models = measure(
        "GET /api/diagnosis/models (auth + engine)",
        threads,
        total,
        200,
        || get("/api/diagnosis/models", Some(&token)).status,
    );
    let history = measure(
        "GET /api/diagnosis/assessments (auth + read)",
        threads,
        total,
        200,
        || get("/api/diagnosis/assessments", Some(&token)).status,
    );
    let heart_prevent = measure(
        "POST /api/diagnosis/heart (PREVENT)",
        threads,
        total,
        201,
        || post("/api/diagnosis/heart", &prevent, Some(&token)).status,
    );
    let heart_pce = measure(
        "POST /api/diagnosis/heart (PCE)",
        threads,
        total,
        201,
        || post("/api/diagnosis/heart", &pce, Some(&token)).status,
    );
    println!(
        "\ndiagnosis over HTTP ({threads} client threads, {total} requests each, against {})",
        blackbox::base_url()
    );
    // The baseline again, last, so drift during the run shows.
    let again = measure(
        "GET /api/diagnosis/health (again)",
        threads,
        total,
        200,
        || get("/api/diagnosis/health", None).status,
    );
    let rows = [
        baseline,
        authenticated,
        models,
        history,
        heart_prevent,
        heart_pce,
        again,
    ];
    print(&rows, &rows[0]);

    // Native: what tract costs to prepare a model, against running a prepared one.
    let inputs = [
        risk_engine::Input::number("age", 55.0),
        risk_engine::Input::number("total_cholesterol", 213.0),
        risk_engine::Input::number("hdl_cholesterol", 50.0),
        risk_engine::Input::number("sbp", 120.0),
        risk_engine::Input::flag("bp_treated", false),
        risk_engine::Input::flag("smoker", false),
        risk_engine::Input::flag("diabetes", false),
        risk_engine::Input::choice("sex", "female"),
        risk_engine::Input::choice("race", "white_or_other"),
    ];
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        risk_engine::engine::prepare_uncached("pce-2013").unwrap();
    }
    let prepare = t.elapsed() / n;
    risk_engine::evaluate("pce-2013", &inputs).unwrap();
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        risk_engine::evaluate("pce-2013", &inputs).unwrap();
    }
    println!(
        "\nnative tract, PCE: parse + optimise {prepare:.1?} (done once, at build time, in the \
         pre-initialised engine); check + run {:.1?} per evaluation",
        t.elapsed() / n
    );
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    if which.is_empty() || which.iter().any(|w| w == "diagnosis") {
        diagnosis();
    }
}
