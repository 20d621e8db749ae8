//! `cargo run -p bench -- [diagnosis]` (dependencies are optimised in every profile): load scenarios against the app in the test host
//! (or `HEALTHE_URL`), each printed beside a baseline measured in the same run.
//!
//! booking: doctor search and `POST /api/booking/appointments` beside `GET /api/booking/health`,
//! then a burst of 20,000 booking attempts by distinct patients across 200 doctors: successes,
//! conflicts, errors, double bookings found afterwards, p99.
//!
//! audit: what an access-log row costs beside a plain insert, on a real SQLite file.
//!
//! locator: the nearest 10 open pharmacies beside the plain route, at 1,000 to 100,000 (or
//! 1,000,000) pharmacies over a country.
//!
//! forum: a topic page and search with 100,000 posts beside the plain route.
//!
//! diagnosis: requests/s and latency percentiles of `POST /api/diagnosis/heart` (PREVENT, PCE)
//! beside `GET /api/diagnosis/health` — the same component, instantiated the same way, doing no
//! model work — and the native tract time per evaluation.

mod forum;
mod lists;
mod locator;
mod mail;
mod peer;
mod prescriptions;
mod records;
mod sqlite;

use base64::Engine;
use blackbox::{date_in, get, new_patient, post, put, send_json_with};
use serde_json::{json, Value};
use service_kit::token::{Audience, Claims, Role};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Figures {
    name: String,
    count: usize,
    per_second: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    /// Where the time went inside the host, when the bench runs it (not against HEALTHE_URL).
    inside: Option<test_host::stats::Totals>,
}

/// Concurrent clients, each with its own connection, as `wrk -c32` drives Spin in issue 13
/// (`BENCH_CLIENTS`; 1 shows each part's cost without queueing).
fn clients() -> usize {
    std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32)
}

/// Requests sent before each measurement, not counted.
const WARM_UP: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// How long each scenario runs (`BENCH_SECONDS`, default 4): long enough that the figures
/// repeat from run to run on this 2-core machine.
fn seconds() -> Duration {
    let s = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(4.0);
    Duration::from_secs_f64(s)
}

/// Runs `request` from `threads` threads for [`seconds`] (at most `total` requests, for
/// scenarios whose requests are used up); every answer must be `expect`.
fn measure(
    name: &str,
    threads: usize,
    total: usize,
    expect: u16,
    request: impl Fn() -> u16 + Sync,
) -> Figures {
    // For profiling one scenario: the others are skipped (and print as NaN).
    if std::env::var("BENCH_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return Figures {
            name: name.to_string(),
            count: 0,
            per_second: f64::NAN,
            p50: Duration::ZERO,
            p90: Duration::ZERO,
            p99: Duration::ZERO,
            inside: None,
        };
    }
    for _ in 0..WARM_UP {
        assert_eq!(request(), expect, "{name}: warm-up request failed");
    }
    test_host::stats::reset();
    let budget = seconds();
    let sent = AtomicUsize::new(0);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while started.elapsed() < budget && sent.fetch_add(1, Ordering::Relaxed) < total
                    {
                        let t = Instant::now();
                        let status = request();
                        assert_eq!(status, expect, "{name}");
                        mine.push(t.elapsed());
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let inside = test_host::stats::totals();
    latencies.sort();
    Figures {
        name: name.to_string(),
        count: latencies.len(),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p90: percentile(&latencies, 0.9),
        p99: percentile(&latencies, 0.99),
        inside: (inside.requests > 0).then_some(inside),
    }
}

/// Per request, the mean time in each part the host measures (instances made by chaining count
/// as requests of their own), and how many host calls of each kind a request made.
fn print_inside(figures: &[Figures]) {
    if figures.iter().all(|f| f.inside.is_none()) {
        return;
    }
    println!("\ninside the host, mean per request (calls per request in brackets):");
    let kinds = test_host::stats::ALL;
    print!("{:<48}", "scenario");
    for k in kinds {
        print!(" {:>16}", format!("{k:?}"));
    }
    println!();
    for f in figures {
        let Some(t) = &f.inside else { continue };
        print!("{:<48}", f.name);
        for (_, nanos, count) in &t.by_kind {
            let per = *nanos as f64 / t.requests as f64 / 1000.0;
            print!(
                " {:>16}",
                format!("{per:.0}µs ({:.1})", *count as f64 / t.requests as f64)
            );
        }
        println!();
    }
}

fn print(figures: &[Figures], baseline: &Figures) {
    println!(
        "{:<48} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "scenario", "req/s", "p50", "p90", "p99", "p50 vs base", "req/s vs base"
    );
    for f in figures {
        println!(
            "{:<48} {:>10.0} {:>10.2?} {:>10.2?} {:>10.2?} {:>11.2}x {:>11.0}%",
            f.name,
            f.per_second,
            f.p50,
            f.p90,
            f.p99,
            f.p50.as_secs_f64() / baseline.p50.as_secs_f64(),
            100.0 * f.per_second / baseline.per_second
        );
    }
    print_inside(figures);
}

fn diagnosis() {
    let patient = new_patient();
    let token = patient.access.clone();
    let prevent = json!({"age": 50, "sex": "male", "total_cholesterol": 200, "hdl_cholesterol": 45, "sbp": 160, "bmi": 35,
                         "egfr": 90, "diabetes": true, "smoker": false, "bp_tx": true, "statin": false});
    let pce = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50,
                     "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let (threads, total) = (clients(), usize::MAX);
    let floor = measure_floor(threads, total);
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
    // The same read with a token the service has never seen: the signature is checked in full
    // and the token marked (`service_kit::verified`), as a session's first request is.
    let fresh_total = 12_000;
    let fresh_tokens: Vec<String> = (0..fresh_total + WARM_UP)
        .map(|n| mint(&format!("{}-fresh-{n}", patient.id), Role::Patient))
        .collect();
    let next = AtomicUsize::new(0);
    let models_fresh = measure(
        "GET /api/diagnosis/models (a new token each)",
        threads,
        fresh_total,
        200,
        || {
            let n = next.fetch_add(1, Ordering::Relaxed);
            get("/api/diagnosis/models", Some(&fresh_tokens[n])).status
        },
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
    // The peer, doing the same work: token check, readings checked against PREVENT's card, the
    // ONNX graph, one SQLite insert.
    let key = ed25519_dalek::SigningKey::from_bytes(&BENCH_SEED);
    let peer = match peer::start(key.verifying_key().as_bytes()) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("bench: peer skipped: {e}");
            None
        }
    };
    // The same patient's token: the app signs with the bench's key, which the peer trusts.
    let peer_heart = peer.as_ref().map(|p| {
        let url = format!("{}/heart", p.url);
        measure(
            "peer POST /heart (PREVENT; FastAPI, Python)",
            threads,
            total,
            201,
            || {
                blackbox::agent()
                    .post(&url)
                    .header("authorization", &format!("Bearer {token}"))
                    .send_json(&prevent)
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            },
        )
    });
    drop(peer);
    println!(
        "\ndiagnosis over HTTP ({threads} clients, {:?} each, against {})",
        seconds(),
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
    plain_targets(
        floor.as_ref(),
        &baseline,
        &[&authenticated, &models, &history],
        &[&heart_prevent, &heart_pce],
    );
    if let Some(p) = &peer_heart {
        let r = heart_prevent.per_second / p.per_second;
        target(
            "POST /api/diagnosis/heart (PREVENT) / peer, req/s",
            r,
            ">= 2",
            r >= 2.0,
        );
        let r = heart_prevent.p99.as_secs_f64() / p.p50.as_secs_f64();
        target(
            "POST /api/diagnosis/heart (PREVENT) p99 / peer's p50",
            r,
            "<= 3",
            r <= 3.0,
        );
    }
    let mut rows: Vec<Figures> = floor.into_iter().collect();
    let base = rows.len();
    rows.extend([
        baseline,
        authenticated,
        models,
        models_fresh,
        history,
        heart_prevent,
        heart_pce,
    ]);
    rows.extend(peer_heart);
    rows.push(again);
    println!();
    print(&rows, &rows[base]);

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

/// The token signing key the bench gives the app it starts (the deployer's key, as a clinic sets
/// `token_signing_key`), so it can sign in 20,000 patients without 20,000 password hashes.
/// Against HEALTHE_URL, start the app with SPIN_VARIABLE_TOKEN_SIGNING_KEY set to the same seed.
const BENCH_SEED: [u8; 32] = *b"healthe-bench-signing-seed-0001!";

fn mint(sub: &str, role: Role) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&BENCH_SEED);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    service_kit::token::sign(
        &Claims {
            iss: service_kit::token::DEFAULT_ISSUER.into(),
            aud: Audience::One(service_kit::token::DEFAULT_AUDIENCE.into()),
            sub: sub.into(),
            role,
            iat: now,
            nbf: now,
            exp: now + 3600,
            jti: blackbox::unique(),
            email_verified: true,
        },
        &key,
    )
}

/// The floor: `GET /hello` of the smallest spin-sdk component (bench/hello), served by its own
/// app (bench/spin.toml) from a second host in this process, with the same engine settings.
/// Against `HEALTHE_URL`, `BENCH_HELLO_URL` names a `spin up` of bench/spin.toml, if any.
fn floor_url() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        if std::env::var_os("HEALTHE_URL").is_some() {
            return std::env::var("BENCH_HELLO_URL").ok();
        }
        blackbox::base_url(); // builds the wasm, bench_hello.wasm among it
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let state =
            std::env::temp_dir().join(format!("healthe-bench-floor-{}", std::process::id()));
        let host = test_host::spawn(
            test_host::AppOptions {
                app_dir: dir.to_path_buf(),
                runtime_config: None,
                working_dir: state.clone(),
                state_dir: state,
                env: Default::default(),
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .map_err(|e| eprintln!("bench: the floor's host did not start: {e:#}"))
        .ok()?;
        Some(format!("http://{}/hello", host.addr))
    })
    .clone()
}

fn measure_floor(threads: usize, total: usize) -> Option<Figures> {
    let url = floor_url()?;
    Some(measure(
        "GET /hello (spin-sdk hello: the floor)",
        threads,
        total,
        200,
        || {
            blackbox::agent()
                .get(&url)
                .call()
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        },
    ))
}

/// One of issue 13's targets, as measured in this run.
fn target(what: &str, value: f64, goal: &str, met: bool) {
    println!(
        "  {what:<64} {value:>7.2}  (target {goal:<6}) {}",
        if met { "met" } else { "NOT MET" }
    );
}

fn plain_targets(
    floor: Option<&Figures>,
    plain: &Figures,
    reads: &[&Figures],
    writes: &[&Figures],
) {
    println!("\ntargets (issue 13), ratios in this run:");
    if let Some(f) = floor {
        let r = plain.per_second / f.per_second;
        target(
            &format!("{} / floor, req/s", plain.name),
            r,
            ">= 0.80",
            r >= 0.8,
        );
    }
    for read in reads {
        let r = read.per_second / plain.per_second;
        target(
            &format!("{} / plain route, req/s", read.name),
            r,
            ">= 0.60",
            r >= 0.6,
        );
    }
    for w in writes {
        let r = w.p99.as_secs_f64() / w.p50.as_secs_f64();
        target(&format!("{} p99 / p50", w.name), r, "<= 5", r <= 5.0);
    }
}

/// A small deterministic generator: the bench's choices repeat from run to run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn booking() {
    let run = blackbox::unique();
    let staff = mint(&format!("bench-staff-{run}"), Role::Staff);
    let specialty = format!("bench-{run}");
    let doctors: Vec<String> = (0..200).map(|i| format!("bench-doc-{run}-{i}")).collect();
    let weekly: Vec<Value> = blackbox::booking::every_day("08:00", "20:00")
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Set-up: 200 profiles with hours, and each doctor's free slots for a week.
    let slots: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = doctors
            .chunks(25)
            .map(|chunk| {
                let (staff, specialty, weekly) = (&staff, &specialty, &weekly);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| {
                            let r = put(
                                &format!("/api/booking/doctors/{id}"),
                                &json!({"name": format!("Dr {id}"), "specialty": specialty, "city": "Bench City",
                                        "state": "BC", "time_zone": "UTC", "visit_minutes": 30}),
                                Some(staff),
                            );
                            assert_eq!(r.status, 201, "{}", r.text);
                            let r = put(
                                &format!("/api/booking/doctors/{id}/hours"),
                                &json!({"weekly": weekly}),
                                Some(staff),
                            );
                            assert_eq!(r.status, 200, "{}", r.text);
                            let r = get(
                                &format!("/api/booking/doctors/{id}/slots?from={}&to={}", date_in(2), date_in(9)),
                                None,
                            );
                            r.json()["items"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|s| s["starts_at"].as_str().unwrap().to_string())
                                .collect::<Vec<_>>()
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
    assert!(
        slots.iter().all(|s| s.len() >= 160),
        "every doctor has a week of slots"
    );

    // POSTs use distinct free slots 100.. of each doctor's week (the burst uses 0..60).
    let (threads, total) = (clients(), 200 * 60);
    let floor = measure_floor(threads, usize::MAX);
    let baseline = measure(
        "GET /api/booking/health (baseline)",
        threads,
        usize::MAX,
        200,
        || get("/api/booking/health", None).status,
    );
    let search = measure(
        "GET /api/booking/doctors (search, 20)",
        threads,
        usize::MAX,
        200,
        || {
            get(
                &format!("/api/booking/doctors?specialty={specialty}&limit=20"),
                None,
            )
            .status
        },
    );
    // Distinct patients, distinct free slots (index 100.. of each doctor: the burst uses 0..60).
    let next = AtomicUsize::new(0);
    let post_tokens: Vec<String> = (0..total + WARM_UP)
        .map(|n| mint(&format!("bench-p-{run}-post-{n}"), Role::Patient))
        .collect();
    let request = measure(
        "POST /api/booking/appointments",
        threads,
        total,
        201,
        || {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let (doctor, slot) = (n % 200, 100 + n / 200);
            post(
            "/api/booking/appointments",
            &json!({"doctor_id": doctors[doctor], "starts_at": slots[doctor][slot], "reason": "bench"}),
            Some(&post_tokens[n]),
        )
        .status
        },
    );
    let again = measure(
        "GET /api/booking/health (again)",
        threads,
        usize::MAX,
        200,
        || get("/api/booking/health", None).status,
    );
    println!(
        "\nbooking over HTTP ({threads} clients, {:?} each, against {})",
        seconds(),
        blackbox::base_url()
    );
    let posted = request.count;
    plain_targets(floor.as_ref(), &baseline, &[], &[&request]);
    let mut rows: Vec<Figures> = floor.into_iter().collect();
    let base = rows.len();
    rows.extend([baseline, search, request, again]);
    println!();
    print(&rows, &rows[base]);

    // The burst: 20,000 attempts by distinct patients, each at a random one of the first 60
    // slots of a random doctor (12,000 slots), from 32 client threads at once.
    let attempts = 20_000;
    let clients = 32;
    let tokens: Vec<String> = (0..attempts)
        .map(|n| mint(&format!("bench-p-{run}-burst-{n}"), Role::Patient))
        .collect();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let targets: Vec<(usize, usize)> = (0..attempts)
        .map(|_| (rng.below(200), rng.below(60)))
        .collect();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(attempts));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= attempts {
                        break;
                    }
                    let (doctor, slot) = targets[n];
                    let t = Instant::now();
                    let status = send_json_with(
                        "POST",
                        "/api/booking/appointments",
                        &json!({"doctor_id": doctors[doctor], "starts_at": slots[doctor][slot], "reason": "burst"}),
                        Some(&tokens[n]),
                        &[],
                    )
                    .status;
                    mine.push((status, t.elapsed()));
                }
                outcomes.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = started.elapsed();
    let outcomes = outcomes.into_inner().unwrap();
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let conflicts = outcomes.iter().filter(|(s, _)| *s == 409).count();
    let errors = outcomes.len() - created - conflicts;
    let mut latencies: Vec<Duration> = outcomes.iter().map(|(_, d)| *d).collect();
    latencies.sort();

    // Afterwards: every doctor's active appointments, looking for two at one start.
    let mut double_bookings = 0;
    let mut active = 0;
    for doctor in &doctors {
        let mut starts: Vec<String> = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = get(
                &format!("/api/booking/appointments?doctor_id={doctor}&limit=100&cursor={cursor}"),
                Some(&staff),
            );
            assert_eq!(r.status, 200, "{}", r.text);
            let b = r.json();
            for a in b["items"].as_array().unwrap() {
                if a["status"] == "requested" || a["status"] == "confirmed" {
                    starts.push(a["starts_at"].as_str().unwrap().to_string());
                }
            }
            match b["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        active += starts.len();
        starts.sort();
        let before = starts.len();
        starts.dedup();
        double_bookings += before - starts.len();
    }
    println!(
        "\nburst: {attempts} booking attempts by distinct patients across 200 doctors (12,000 slots), {clients} client threads"
    );
    println!(
        "  {:.0} attempts/s; created {created}, conflicts {conflicts}, errors {errors}; p50 {:.2?}, p99 {:.2?}",
        attempts as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    );
    println!(
        "  afterwards: {active} active appointments (expected {}: the burst's, the POST scenario's and its warm-up's), double bookings found: {double_bookings}",
        created + posted + WARM_UP
    );
}

/// What the access log costs a request: one `Recorder::record` (the hash-chained row, one
/// statement) beside a plain single-row insert of the same columns, on a real SQLite file in
/// WAL mode, each on a fresh connection as Spin opens one per request.
fn audit() {
    use service_kit::audit::{Outcome, Recorder};
    use service_kit::db::{Db, SqliteDb};
    let dir = std::env::temp_dir().join(format!("healthe-bench-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.db");
    let setup = SqliteDb::open(&path);
    setup.execute("PRAGMA journal_mode = WAL", &[]).unwrap();
    setup
        .execute(
            "CREATE TABLE plain_log (service TEXT, seq INTEGER PRIMARY KEY, at TEXT, actor_id TEXT,
               actor_role TEXT, subject_id TEXT, action TEXT, resource TEXT, outcome TEXT,
               request_id TEXT, prev_hash TEXT, hash TEXT)",
            &[],
        )
        .unwrap();
    const N: usize = 3000;
    let time = |f: &dyn Fn(usize)| {
        let t = Instant::now();
        for i in 0..N {
            f(i);
        }
        t.elapsed() / N as u32
    };
    let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let plain = time(&|i| {
        let db = SqliteDb::open(&path);
        db.execute(
            "INSERT INTO plain_log (service, at, actor_id, actor_role, subject_id, action, resource,
               outcome, request_id, prev_hash, hash) VALUES ('booking', ?1, 'doc', 'doctor', 'p',
               'read', 'appointment/x', 'allowed', ?2, '', ?3)",
            &[
                now.to_string().into(),
                i.to_string().into(),
                format!("{i:064}").into(),
            ],
        )
        .unwrap();
    });
    let chained = time(&|_| {
        let db = SqliteDb::open(&path);
        Recorder::new("booking", now, Some(("doc".into(), "doctor".into())))
            .record(&db, "read", "appointment/x", Some("p"), Outcome::Allowed)
            .unwrap();
    });
    let read = time(&|_| {
        let db = SqliteDb::open(&path);
        db.execute("SELECT seq FROM plain_log ORDER BY seq DESC LIMIT 1", &[])
            .unwrap();
    });
    println!("\naudit: per write on a fresh connection, {N} each, one SQLite file in WAL");
    println!(
        "  {:<44} {:>10.1?}",
        "plain single-row INSERT (baseline)", plain
    );
    println!(
        "  {:<44} {:>10.1?}  ({:.2}x the baseline)",
        "access-log row (hash-chained, one statement)",
        chained,
        chained.as_secs_f64() / plain.as_secs_f64()
    );
    println!("  {:<44} {:>10.1?}", "for scale: one indexed SELECT", read);
    let v = service_kit::audit::verify(&setup, "booking").unwrap();
    assert!(v.ok && v.rows_checked == N as i64, "{v:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).collect();
    if std::env::var_os("HEALTHE_URL").is_none() {
        // The app the bench starts signs tokens with the bench's key (see BENCH_SEED).
        // SAFETY: set before any thread starts.
        unsafe {
            std::env::set_var(
                "SPIN_VARIABLE_TOKEN_SIGNING_KEY",
                base64::engine::general_purpose::STANDARD.encode(BENCH_SEED),
            );
        }
    }
    let all = which.is_empty();
    if all || which.iter().any(|w| w == "booking") {
        booking();
    }
    if all || which.iter().any(|w| w == "diagnosis") {
        diagnosis();
    }
    if all || which.iter().any(|w| w == "audit") {
        audit();
    }
    if all || which.iter().any(|w| w == "lists") {
        lists::run();
    }
    if all || which.iter().any(|w| w == "sqlite") {
        sqlite::run();
    }
    if all || which.iter().any(|w| w == "mail") {
        mail::run();
    }
    if all || which.iter().any(|w| w == "records") {
        records::run();
    }
    if all || which.iter().any(|w| w == "prescriptions") {
        prescriptions::run();
    }
    if all || which.iter().any(|w| w == "locator") {
        locator::run();
    }
    if all || which.iter().any(|w| w == "forum") {
        forum::run();
    }
}
