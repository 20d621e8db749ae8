//! The black-box suite's harness: where the app is, and a small HTTP client.
//!
//! `HEALTHE_URL` set: the suite runs against that running app (a real `spin up`), which must have
//! been started with the suite's admin credentials (`HEALTHE_ADMIN_EMAIL` / `HEALTHE_ADMIN_PASSWORD`,
//! defaults below) as `SPIN_VARIABLE_ADMIN_EMAIL` / `SPIN_VARIABLE_ADMIN_PASSWORD`.
//! Unset: it builds the wasm (release, wasm32-wasip2) and starts the test host on a free port with a
//! fresh state directory. Tests touch nothing but HTTP, and each makes its own users, so they are
//! independent of each other, of order, and of earlier runs.

pub mod booking;
pub mod fhir;
pub mod smtp;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

pub const DEFAULT_ADMIN_EMAIL: &str = "admin@healthe.test";
pub const DEFAULT_ADMIN_PASSWORD: &str = "lantern orchard quietly ninety";
/// A password the policy accepts, for the users tests create.
pub const PASSWORD: &str = "violet tractor humming seven";

pub fn admin_email() -> String {
    std::env::var("HEALTHE_ADMIN_EMAIL").unwrap_or_else(|_| DEFAULT_ADMIN_EMAIL.into())
}

pub fn admin_password() -> String {
    std::env::var("HEALTHE_ADMIN_PASSWORD").unwrap_or_else(|_| DEFAULT_ADMIN_PASSWORD.into())
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Components that spin.toml ships pre-initialised by Wizer, as its build commands make them:
/// (built, pre-initialised), under target/wasm32-wasip2/release.
const PREINITIALISED: &[(&str, &str)] = &[("risk_engine.wasm", "risk_engine.initialized.wasm")];

/// Builds every component as `spin build` would: for wasm32-wasip2 in release (`cargo
/// build-wasm`, .cargo/config.toml; cargo skips what is up to date), then the Wizer step.
pub fn build_wasm() {
    let root = workspace_root();
    let status = std::process::Command::new(env!("CARGO"))
        .arg("build-wasm")
        // CI runs the tests with clippy as the workspace's compiler (.ci/run); the components
        // are built as `spin build` builds them, by rustc itself, so the bytes tested are the
        // bytes Spin runs.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .current_dir(&root)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the wasm components failed");
    let release = root.join("target/wasm32-wasip2/release");
    for (built, initialised) in PREINITIALISED {
        preinit::preinitialize(&release.join(built), &release.join(initialised))
            .unwrap_or_else(|e| panic!("pre-initialising {built}: {e:?}"));
    }
}

static STATE_DIR: OnceLock<PathBuf> = OnceLock::new();
static VARIABLES: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// Starts this test binary's app with these Spin variables set (`mail_transport`, …), as a
/// clinic would set them: call it before anything reaches the app. `false` when the suite runs
/// against a `HEALTHE_URL`, whose variables are whatever its `spin up` was given; a test that
/// needs its own then has nothing to check.
pub fn with_variables(vars: &[(&str, &str)]) -> bool {
    if std::env::var_os("HEALTHE_URL").is_some() {
        eprintln!("HEALTHE_URL is set: this test needs an app started with {vars:?}; skipped");
        return false;
    }
    let vars = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(
        VARIABLES.set(vars).is_ok(),
        "with_variables is called once, before the app starts"
    );
    true
}

/// Where the app under test keeps its stores: the test host's fresh state directory, or
/// `HEALTHE_STATE_DIR` for a `spin up` (its working directory). `None` when unknown: tests that
/// tamper with a store's file then check only what HTTP shows.
pub fn state_dir() -> Option<PathBuf> {
    base_url();
    STATE_DIR
        .get()
        .cloned()
        .or_else(|| std::env::var_os("HEALTHE_STATE_DIR").map(PathBuf::from))
}

/// The base URL of the app under test.
pub fn base_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("HEALTHE_URL") {
            return url.trim_end_matches('/').to_string();
        }
        let vars: Vec<(String, String)> = VARIABLES.get().cloned().unwrap_or_default();
        let (url, state) = start_app(&vars);
        let _ = STATE_DIR.set(state);
        url
    })
}

/// Starts another app in the test host, with a fresh state directory and these Spin variables
/// (beside the admin's): its base URL and its state directory. For the bench's scenarios that
/// need their own configuration (mail over SMTP) beside the shared app.
pub fn start_app(vars: &[(String, String)]) -> (String, PathBuf) {
    build_wasm();
    let root = workspace_root();
    let state =
        std::env::temp_dir().join(format!("healthe-suite-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&state).unwrap();
    // The app's runtime config, placed in the fresh state directory so every store it names
    // (SQLite against the working directory, key-value against the file's folder) lands there.
    std::fs::copy(
        root.join("runtime-config.toml"),
        state.join("runtime-config.toml"),
    )
    .unwrap();
    let mut env: std::collections::HashMap<String, String> = std::env::vars().collect();
    env.insert("SPIN_VARIABLE_ADMIN_EMAIL".into(), admin_email());
    env.insert("SPIN_VARIABLE_ADMIN_PASSWORD".into(), admin_password());
    for (k, v) in vars {
        env.insert(
            format!("SPIN_VARIABLE_{}", k.to_ascii_uppercase()),
            v.clone(),
        );
    }
    let host = test_host::spawn(
        test_host::AppOptions {
            app_dir: root,
            runtime_config: Some(state.join("runtime-config.toml")),
            working_dir: state.clone(),
            state_dir: state.join(".spin"),
            env,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .expect("start the test host");
    (format!("http://{}", host.addr), state)
}

/// A value unique to this call, for emails and names that must not collide across tests and runs.
pub fn unique() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}{n}{}", std::process::id())
}

/// A word unique to this call, in letters only: for text a guard would read a run of digits in
/// as a phone or record number (the forum's personal-information check).
pub fn unique_word() -> String {
    format!("zq{}", unique())
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => (b'g' + d as u8) as char,
            None => c,
        })
        .collect()
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem with this status, and returns the fields it names.
    pub fn problem(&self, status: u16) -> Vec<String> {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(
            body["type"].is_string() && body["title"].is_string() && body["detail"].is_string()
        );
        body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The suite's HTTP client: statuses are answers, not errors, and redirects are not followed.
pub fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into()
    })
}

/// Sends a request; `body` is sent as is with `content_type`.
pub fn send(
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Reply {
    send_full(method, path, token, content_type, None, body)
}

/// A JSON request with extra headers (e.g. `Idempotency-Key`).
pub fn send_json_with(
    method: &str,
    path: &str,
    body: &Value,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let url = format!("{}{}", base_url(), path);
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("content-type", "application/json");
    if let Some(t) = token {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder
        .body(body.to_string().into_bytes())
        .expect("request");
    read_reply(method, path, request)
}

/// A request with only the given headers and no body (e.g. a browser's cookie-only `fetch`).
pub fn send_bare(method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let url = format!("{}{}", base_url(), path);
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder.body(Vec::new()).expect("request");
    read_reply(method, path, request)
}

pub fn put(path: &str, body: &Value, token: Option<&str>) -> Reply {
    send_json_with("PUT", path, body, token, &[])
}

/// A GET asking for a particular representation.
pub fn send_with_accept(path: &str, token: &str, accept: &str) -> Reply {
    send_full("GET", path, Some(token), None, Some(accept), None)
}

fn send_full(
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: Option<Vec<u8>>,
) -> Reply {
    let url = format!("{}{}", base_url(), path);
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(a) = accept {
        builder = builder.header("accept", a);
    }
    if let Some(t) = token {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    let request = builder.body(body.unwrap_or_default()).expect("request");
    read_reply(method, path, request)
}

fn read_reply(method: &str, path: &str, request: ureq::http::Request<Vec<u8>>) -> Reply {
    let raw = read_raw(method, path, request);
    Reply {
        status: raw.status,
        headers: raw.headers,
        // A body that is not text reads as empty: binary answers go through `send_raw`.
        text: String::from_utf8(raw.body).unwrap_or_default(),
    }
}

/// Runs `request` and reads the whole answer (up to 20 MiB) as bytes.
fn read_raw(method: &str, path: &str, request: ureq::http::Request<Vec<u8>>) -> Raw {
    let mut response = agent()
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(20 << 20)
        .read_to_vec()
        .unwrap_or_default();
    Raw {
        status,
        headers,
        body,
    }
}

pub fn get(path: &str, token: Option<&str>) -> Reply {
    send("GET", path, token, None, None)
}

pub fn post(path: &str, body: &Value, token: Option<&str>) -> Reply {
    send(
        "POST",
        path,
        token,
        Some("application/json"),
        Some(body.to_string().into_bytes()),
    )
}

pub fn patch(path: &str, body: &Value, token: Option<&str>) -> Reply {
    send(
        "PATCH",
        path,
        token,
        Some("application/json"),
        Some(body.to_string().into_bytes()),
    )
}

/// A signed-in user made for one test.
pub struct User {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

pub fn login(email: &str, password: &str) -> Reply {
    post(
        "/api/auth/login",
        &serde_json::json!({"email": email, "password": password}),
        None,
    )
}

fn signed_in(email: &str, password: &str) -> User {
    let r = login(email, password);
    assert_eq!(r.status, 200, "login {email}: {}", r.text);
    let b = r.json();
    User {
        id: b["user"]["id"].as_str().unwrap().to_string(),
        email: email.to_string(),
        access: b["access_token"].as_str().unwrap().to_string(),
        refresh: b["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// Registers a new patient through the public sign-up (which auth throttles per address: use
/// it where sign-up itself is under test) and signs them in.
pub fn register_patient() -> User {
    let email = format!("patient-{}@example.com", unique());
    let r = post(
        "/api/auth/register",
        &serde_json::json!({"email": email, "display_name": "Test Patient", "password": PASSWORD}),
        None,
    );
    assert_eq!(r.status, 201, "register: {}", r.text);
    signed_in(&email, PASSWORD)
}

/// A new patient account, made by the clinic (the admin) as a front desk would, and signed in.
/// Tests make hundreds of patients from one address; the public sign-up is throttled per address.
pub fn new_patient() -> User {
    new_user("patient")
}

/// The admin the app was started with, freshly signed in.
pub fn admin() -> User {
    signed_in(&admin_email(), &admin_password())
}

/// An admin access token, signed in once and reused for ten minutes (tokens live fifteen), so
/// making users doesn't cost a sign-in each.
fn admin_access() -> String {
    static CACHED: std::sync::Mutex<Option<(std::time::Instant, String)>> =
        std::sync::Mutex::new(None);
    let mut cached = CACHED.lock().unwrap_or_else(|e| e.into_inner());
    match &*cached {
        Some((at, token)) if at.elapsed() < std::time::Duration::from_secs(600) => token.clone(),
        _ => {
            let token = admin().access;
            *cached = Some((std::time::Instant::now(), token.clone()));
            token
        }
    }
}

/// An account of `role` created by the admin, signed in.
pub fn new_user(role: &str) -> User {
    let email = format!("{role}-{}@example.com", unique());
    let r = post(
        "/api/auth/users",
        &serde_json::json!({"email": email, "display_name": format!("Test {role}"), "password": PASSWORD, "role": role}),
        Some(&admin_access()),
    );
    assert_eq!(r.status, 201, "create {role}: {}", r.text);
    signed_in(&email, PASSWORD)
}

/// Sends a request over a connection made *from* `local_ip` (any 127.x address is this
/// machine's loopback), so a test can be a second client address without forging a header.
/// HTTP/1.1 with `Connection: close`; the answer is read to the end.
pub fn send_from(
    local_ip: std::net::IpAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Reply {
    use std::io::{Read, Write};
    let base = base_url();
    let authority = base
        .strip_prefix("http://")
        .expect("send_from speaks plain HTTP");
    let addr: std::net::SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(authority)
        .unwrap()
        .next()
        .unwrap();
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    socket
        .bind(&std::net::SocketAddr::new(local_ip, 0).into())
        .unwrap_or_else(|e| panic!("bind {local_ip}: {e}"));
    socket.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n");
    // The caller may name its own Host (a forged one, say); otherwise the app's.
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {authority}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("content-type: application/json\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n", body.len()));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    Reply {
        status,
        text: if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
        headers,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Today's date (UTC) plus `days`, as YYYY-MM-DD.
pub fn date_in(days: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + days * 86_400;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// An answer whose body is bytes (a file's download).
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `body` as is with `headers` (and the bearer token), and reads the answer as bytes.
pub fn send_raw(
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Raw {
    let url = format!("{}{}", base_url(), path);
    let mut builder = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(t) = token {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder.body(body).expect("request");
    read_raw(method, path, request)
}
