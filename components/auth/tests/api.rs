//! auth's whole request path, natively: the real router, handlers, rules and SQL on real SQLite
//! with the real migration files. (The same flows run against the built wasm in `tests/`.)

use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use service_kit::db::SqliteDb;
use service_kit::vars::MapVars;
use std::cell::Cell;

const ADMIN_EMAIL: &str = "admin@clinic.example";
const ADMIN_PASSWORD: &str = "correct horse battery staple";
const STRONG: &str = "violet tractor humming seven";

struct App {
    db: SqliteDb,
    vars: MapVars,
    now: Cell<jiff::Timestamp>,
    /// The address the host reports for the next request (`spin-client-addr`).
    addr: std::cell::RefCell<String>,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl App {
    fn new() -> Self {
        Self::with_vars(
            MapVars::default()
                .with("admin_email", ADMIN_EMAIL)
                .with("admin_password", ADMIN_PASSWORD),
        )
    }

    fn with_vars(vars: MapVars) -> Self {
        App {
            db: SqliteDb::open_in_memory(),
            vars,
            now: Cell::new("2026-11-24T12:00:00Z".parse().unwrap()),
            addr: std::cell::RefCell::new("203.0.113.7:51234".into()),
        }
    }

    fn advance(&self, secs: i64) {
        self.now
            .set(self.now.get() + jiff::SignedDuration::from_secs(secs));
    }

    fn raw(
        &self,
        method: &str,
        path: &str,
        ct: Option<&str>,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> Reply {
        let mut b = http::Request::builder()
            .method(method)
            .uri(path)
            // As Spin builds them: the client's own headers first (here a forged address), the
            // host's `spin-client-addr` appended last.
            .header("spin-client-addr", "198.51.100.66:1")
            .header("spin-client-addr", self.addr.borrow().as_str());
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let ctx = auth::Ctx {
            db: &self.db,
            settings: auth::Settings::from_vars(&self.vars),
            now: self.now.get(),
            internal: false,
        };
        let resp = auth::handle(&b.body(body).unwrap(), &ctx);
        let (parts, body) = resp.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Reply {
        match body {
            Some(v) => self.raw(
                method,
                path,
                Some("application/json"),
                v.to_string().into_bytes(),
                token,
            ),
            None => self.raw(method, path, None, vec![], token),
        }
    }

    fn register(&self, email: &str) -> Reply {
        self.call(
            "POST",
            "/api/auth/register",
            Some(json!({"email": email, "display_name": "Pat Ient", "password": STRONG})),
            None,
        )
    }

    fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            "POST",
            "/api/auth/login",
            Some(json!({"email": email, "password": password})),
            None,
        )
    }

    fn login_from(&self, addr: &str, email: &str, password: &str) -> Reply {
        let before = self.addr.replace(addr.to_string());
        let r = self.login(email, password);
        self.addr.replace(before);
        r
    }

    fn token(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password);
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["access_token"].as_str().unwrap().to_string()
    }
}

fn problem_fields(r: &Reply) -> Vec<String> {
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{:?}",
        r.body
    );
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn register_login_me_refresh_logout() {
    let app = App::new();
    let r = app.register("  Pat@Example.COM ");
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["email"], "pat@example.com");
    assert_eq!(r.body["role"], "patient");
    assert!(r.body.get("password_hash").is_none());

    let r = app.login("PAT@example.com", STRONG);
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].as_i64().unwrap() <= 900);
    let access = r.body["access_token"].as_str().unwrap().to_string();
    let refresh1 = r.body["refresh_token"].as_str().unwrap().to_string();

    let me = app.call("GET", "/api/auth/me", None, Some(&access));
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "pat@example.com");

    let r2 = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": refresh1})),
        None,
    );
    assert_eq!(r2.status, 200, "{:?}", r2.body);
    let refresh2 = r2.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh1, refresh2);

    let out = app.call(
        "POST",
        "/api/auth/logout",
        Some(json!({"refresh_token": refresh2})),
        None,
    );
    assert_eq!(out.status, 204);
    let after = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": refresh2})),
        None,
    );
    assert_eq!(after.status, 401);
}

#[test]
fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let app = App::new();
    app.register("reuse@example.com");
    let r = app.login("reuse@example.com", STRONG);
    let first = r.body["refresh_token"].as_str().unwrap().to_string();
    let second = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": first})),
        None,
    );
    let second = second.body["refresh_token"].as_str().unwrap().to_string();

    // The stolen first token is replayed later: refused, and the legitimate second one dies
    // with it.
    app.advance(auth::sessions::RETRY_GRACE_SECS + 1);
    let replay = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": first})),
        None,
    );
    assert_eq!(replay.status, 401);
    assert!(replay.body["detail"]
        .as_str()
        .unwrap()
        .contains("already used"));
    let legit = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": second})),
        None,
    );
    assert_eq!(legit.status, 401);

    // Another sign-in is a separate family and still works.
    let other = app.login("reuse@example.com", STRONG);
    let t = other.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.call(
            "POST",
            "/api/auth/refresh",
            Some(json!({"refresh_token": t})),
            None
        )
        .status,
        200
    );
}

fn refresh(app: &App, token: &str) -> Reply {
    app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": token})),
        None,
    )
}

#[test]
fn an_unused_refresh_token_expires_after_the_idle_limit() {
    let app = App::new();
    app.register("old@example.com");
    let t = app.login("old@example.com", STRONG).body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.advance(auth::sessions::IDLE_TTL_SECS + 1);
    assert_eq!(refresh(&app, &t).status, 401);
}

#[test]
fn a_sign_in_ends_at_its_absolute_lifetime_however_often_refreshed() {
    let app = App::new();
    app.register("forever@example.com");
    let r = app.login("forever@example.com", STRONG);
    let mut t = r.body["refresh_token"].as_str().unwrap().to_string();
    let mut elapsed = 0;
    // Refresh every six days: never idle, but the sign-in still ends at 30 days.
    loop {
        app.advance(6 * 86_400);
        elapsed += 6 * 86_400;
        let r = refresh(&app, &t);
        if elapsed >= auth::sessions::ABSOLUTE_TTL_SECS {
            assert_eq!(r.status, 401, "refreshed past the absolute lifetime");
            break;
        }
        assert_eq!(r.status, 200, "day {}: {:?}", elapsed / 86_400, r.body);
        let left = r.body["refresh_expires_in"].as_i64().unwrap();
        assert!(left <= auth::sessions::ABSOLUTE_TTL_SECS - elapsed);
        t = r.body["refresh_token"].as_str().unwrap().to_string();
    }
}

#[test]
fn a_retried_refresh_gets_the_same_successor_and_a_late_replay_revokes() {
    let app = App::new();
    app.register("retry@example.com");
    let first = app.login("retry@example.com", STRONG).body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let a = refresh(&app, &first);
    assert_eq!(a.status, 200);
    // The answer was lost; the client retries at once with the same token.
    app.advance(2);
    let b = refresh(&app, &first);
    assert_eq!(b.status, 200, "{:?}", b.body);
    assert_eq!(a.body["refresh_token"], b.body["refresh_token"]);
    let next = a.body["refresh_token"].as_str().unwrap().to_string();
    // Once the successor has been used, the first token is only a replay.
    assert_eq!(refresh(&app, &next).status, 200);
    let replay = refresh(&app, &first);
    assert_eq!(replay.status, 401);
    assert!(replay.body["detail"]
        .as_str()
        .unwrap()
        .contains("already used"));
}

#[test]
fn access_tokens_expire() {
    let app = App::new();
    app.register("exp@example.com");
    let t = app.token("exp@example.com", STRONG);
    app.advance(auth::sessions::ACCESS_TTL_SECS + 61);
    let r = app.call("GET", "/api/auth/me", None, Some(&t));
    assert_eq!(r.status, 401);
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
}

#[test]
fn unknown_email_and_wrong_password_answer_alike() {
    let app = App::new();
    app.register("known@example.com");
    let unknown = app.login("nobody@example.com", STRONG);
    let wrong = app.login("known@example.com", "wrong password entirely");
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.body, wrong.body);
}

#[test]
fn repeated_failures_throttle_that_address_not_the_account() {
    let app = App::new();
    app.register("victim@example.com");
    for _ in 0..5 {
        assert_eq!(
            app.login("victim@example.com", "guess guess guess").status,
            401
        );
    }
    let locked = app.login("victim@example.com", STRONG);
    assert_eq!(locked.status, 429);
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900);
    // No lock-out: the right password from an address that has not been failing still works,
    // and other accounts from the failing address are unaffected.
    assert_eq!(
        app.login_from("192.0.2.10:4000", "victim@example.com", STRONG)
            .status,
        200
    );
    app.register("bystander@example.com");
    assert_eq!(app.login("bystander@example.com", STRONG).status, 200);
    // After the window, the failing address may try again.
    app.advance(901);
    assert_eq!(app.login("victim@example.com", STRONG).status, 200);
}

#[test]
fn many_addresses_guessing_one_account_meet_the_global_cap() {
    let app = App::new();
    app.register("target@example.com");
    for i in 0..30 {
        let r = app.login_from(
            &format!("10.0.{}.{}:1", i / 4, i % 4),
            "target@example.com",
            "guess guess guess",
        );
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let r = app.login_from("10.9.9.9:1", "target@example.com", "guess guess guess");
    assert_eq!(r.status, 429);
    app.advance(3601);
    assert_eq!(app.login("target@example.com", STRONG).status, 200);
}

#[test]
fn a_successful_sign_in_gives_its_reservation_back() {
    let app = App::new();
    app.register("often@example.com");
    for _ in 0..20 {
        assert_eq!(app.login("often@example.com", STRONG).status, 200);
    }
}

#[test]
fn sign_ups_are_throttled_per_address() {
    let app = App::with_vars(
        MapVars::default()
            .with("admin_email", ADMIN_EMAIL)
            .with("admin_password", ADMIN_PASSWORD)
            .with("auth_registrations_per_hour", "3"),
    );
    for i in 0..3 {
        assert_eq!(app.register(&format!("new{i}@example.com")).status, 201);
    }
    let r = app.register("new3@example.com");
    assert_eq!(r.status, 429);
    assert!(r.headers.contains_key("retry-after"));
    // Another address may still sign up; this one again after the hour.
    let before = app.addr.replace("192.0.2.44:1".into());
    assert_eq!(app.register("new4@example.com").status, 201);
    app.addr.replace(before);
    app.advance(3601);
    assert_eq!(app.register("new5@example.com").status, 201);
}

#[test]
fn one_client_guessing_across_accounts_is_throttled() {
    let app = App::new();
    for i in 0..100 {
        let r = app.login(&format!("spray{i}@example.com"), "guess guess guess");
        assert_eq!(r.status, 401);
    }
    assert_eq!(
        app.login("spray-last@example.com", "guess guess guess")
            .status,
        429
    );
}

#[test]
fn bad_registration_input_names_the_field() {
    let app = App::new();
    let cases: Vec<(Value, &str, u16)> = vec![
        (
            json!({"display_name": "A", "password": STRONG}),
            "email",
            422,
        ),
        (
            json!({"email": 5, "display_name": "A", "password": STRONG}),
            "email",
            422,
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": "short"}),
            "password",
            422,
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": "password1234"}),
            "password",
            422,
        ),
        (
            json!({"email": format!("{}@example.com", "a".repeat(10_000)), "display_name": "A", "password": STRONG}),
            "email",
            422,
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": STRONG, "role": "admin"}),
            "role",
            422,
        ),
        (
            json!({"email": "a@example.com", "display_name": "", "password": STRONG}),
            "display_name",
            422,
        ),
    ];
    for (body, field, status) in cases {
        let r = app.call("POST", "/api/auth/register", Some(body.clone()), None);
        assert_eq!(r.status.as_u16(), status, "{body}: {:?}", r.body);
        assert!(
            problem_fields(&r).contains(&field.to_string()),
            "{body}: {:?}",
            r.body
        );
    }
    let r = app.raw(
        "POST",
        "/api/auth/register",
        Some("application/json"),
        b"{\"email\":".to_vec(),
        None,
    );
    assert_eq!(r.status, 400);
    assert_eq!(problem_fields(&r), ["body"]);
    let r = app.raw(
        "POST",
        "/api/auth/register",
        Some("text/plain"),
        b"{}".to_vec(),
        None,
    );
    assert_eq!(r.status, 415);
    assert_eq!(problem_fields(&r), ["content-type"]);
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = app.raw(
        "POST",
        "/api/auth/register",
        Some("application/json"),
        big,
        None,
    );
    assert_eq!(r.status, 413);
}

/// The messages auth has queued for mail, oldest first.
fn outbox(app: &App) -> Vec<Value> {
    use service_kit::db::Db;
    app.db
        .execute("SELECT message FROM auth_outbox ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.get::<String>("message").unwrap()).unwrap())
        .collect()
}

/// The token of the newest queued link of `template`.
fn mailed_token(app: &App, template: &str) -> String {
    let m = outbox(app)
        .into_iter()
        .rev()
        .find(|m| m["template"] == template)
        .unwrap_or_else(|| panic!("no {template} queued"));
    let link = m["data"]["link"].as_str().unwrap();
    link.split("token=").nth(1).unwrap().to_string()
}

/// The claims of an access token, unverified (the test only reads them).
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn a_taken_address_is_answered_like_a_new_one_and_its_owner_is_told_once_an_hour() {
    let app = App::new();
    let first = app.register("dup@example.com");
    assert_eq!(first.status, 201);
    let again = app.register("DUP@example.com");
    assert_eq!(again.status, 201, "{:?}", again.body);
    let keys = |v: &Value| {
        let mut k: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&first.body), keys(&again.body));
    assert_eq!(again.body["email"], "dup@example.com");
    assert_eq!(again.body["email_verified"], false);
    assert_ne!(first.body["id"], again.body["id"]);
    // The second answer's id names no account, and its password signs nobody in.
    let admin = app.token(ADMIN_EMAIL, ADMIN_PASSWORD);
    let fake = again.body["id"].as_str().unwrap();
    let r = app.call(
        "GET",
        &format!("/api/auth/users/{fake}"),
        None,
        Some(&admin),
    );
    assert_eq!(r.status, 404);

    let owner = first.body["id"].as_str().unwrap();
    let notices = || {
        outbox(&app)
            .into_iter()
            .filter(|m| m["template"] == "registration_attempt")
            .collect::<Vec<_>>()
    };
    assert_eq!(notices().len(), 1);
    assert_eq!(notices()[0]["to_user"], owner);
    assert_eq!(
        notices()[0]["data"]["link"],
        "http://localhost:3000/#/reset-password"
    );
    app.register("dup@example.com");
    assert_eq!(notices().len(), 1, "one notice an hour");
    app.advance(3601);
    app.register("dup@example.com");
    assert_eq!(notices().len(), 2);
}

#[test]
fn a_sign_up_is_unverified_until_its_mailed_link_is_followed_once() {
    let app = App::with_vars(
        MapVars::default()
            .with("admin_email", ADMIN_EMAIL)
            .with("admin_password", ADMIN_PASSWORD)
            .with("public_url", "https://clinic.example/"),
    );
    let user = app.register("new@example.com");
    assert_eq!(user.body["email_verified"], false);
    let token = app.token("new@example.com", STRONG);
    assert_eq!(claims(&token)["email_verified"], false);

    let m = outbox(&app).pop().unwrap();
    assert_eq!(m["template"], "account_verification");
    assert_eq!(m["to_user"], user.body["id"]);
    assert_eq!(m["data"]["display_name"], "Pat Ient");
    let link = m["data"]["link"].as_str().unwrap();
    assert!(
        link.starts_with("https://clinic.example/api/auth/verify-email?token="),
        "{link}"
    );
    let secret = mailed_token(&app, "account_verification");
    // Only the token's hash is kept.
    use service_kit::db::Db;
    let stored = app
        .db
        .execute("SELECT token_hash FROM auth_email_links", &[])
        .unwrap();
    assert_ne!(
        stored.first().unwrap().get::<String>("token_hash").unwrap(),
        secret
    );

    let r = app.call(
        "GET",
        &format!("/api/auth/verify-email?token={secret}"),
        None,
        None,
    );
    assert_eq!(r.status, 303);
    assert_eq!(
        r.headers["location"],
        "https://clinic.example/#/verified?result=verified"
    );
    let token = app.token("new@example.com", STRONG);
    assert_eq!(claims(&token)["email_verified"], true);
    let me = app.call("GET", "/api/auth/me", None, Some(&token));
    assert_eq!(me.body["email_verified"], true);

    // Spent: the same link again, or a made-up one, verifies nothing.
    let r = app.call(
        "GET",
        &format!("/api/auth/verify-email?token={secret}"),
        None,
        None,
    );
    assert_eq!(
        r.headers["location"],
        "https://clinic.example/#/verified?result=expired"
    );
    let r = app.call(
        "POST",
        "/api/auth/verify-email",
        Some(json!({"token": secret})),
        None,
    );
    assert_eq!(r.status, 422);
    assert_eq!(problem_fields(&r), ["token"]);
    // Verified accounts are not sent more links.
    let r = app.call("POST", "/api/auth/verify-email/resend", None, Some(&token));
    assert_eq!(r.status, 409, "{:?}", r.body);
}

#[test]
fn a_verification_link_expires_and_another_can_be_asked_for() {
    let app = App::new();
    app.register("late@example.com");
    let old = mailed_token(&app, "account_verification");
    app.advance(48 * 3600 + 1);
    let r = app.call(
        "POST",
        "/api/auth/verify-email",
        Some(json!({"token": old})),
        None,
    );
    assert_eq!(r.status, 422, "{:?}", r.body);
    let token = app.token("late@example.com", STRONG);
    let r = app.call("POST", "/api/auth/verify-email/resend", None, Some(&token));
    assert_eq!(r.status, 202, "{:?}", r.body);
    let fresh = mailed_token(&app, "account_verification");
    assert_ne!(fresh, old);
    let r = app.call(
        "POST",
        "/api/auth/verify-email",
        Some(json!({"token": fresh})),
        None,
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app.call("POST", "/api/auth/verify-email/resend", None, None);
    assert_eq!(r.status, 401);
}

#[test]
fn an_admin_made_account_is_verified() {
    let app = App::new();
    let admin = app.token(ADMIN_EMAIL, ADMIN_PASSWORD);
    let r = app.call(
        "POST",
        "/api/auth/users",
        Some(json!({"email": "doc@example.com", "display_name": "Doc", "password": STRONG, "role": "doctor"})),
        Some(&admin),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.body["email_verified"], true);
    assert!(outbox(&app).is_empty());
    // An admin may know which addresses exist.
    let r = app.call(
        "POST",
        "/api/auth/users",
        Some(json!({"email": "doc@example.com", "display_name": "Doc", "password": STRONG, "role": "doctor"})),
        Some(&admin),
    );
    assert_eq!(r.status, 409);
    assert_eq!(problem_fields(&r), ["email"]);
}

#[test]
fn a_reset_link_sets_a_new_password_once_and_signs_the_account_out_everywhere() {
    let app = App::new();
    app.register("forgot@example.com");
    let before = app.login("forgot@example.com", STRONG);
    let old_refresh = before.body["refresh_token"].as_str().unwrap().to_string();
    let old_access = before.body["access_token"].as_str().unwrap().to_string();

    let known = app.call(
        "POST",
        "/api/auth/password-reset",
        Some(json!({"email": "Forgot@Example.com"})),
        None,
    );
    let unknown = app.call(
        "POST",
        "/api/auth/password-reset",
        Some(json!({"email": "nobody@example.com"})),
        None,
    );
    assert_eq!(known.status, 202);
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    let resets: Vec<_> = outbox(&app)
        .into_iter()
        .filter(|m| m["template"] == "password_reset")
        .collect();
    assert_eq!(resets.len(), 1, "only the real account is mailed");
    let link = resets[0]["data"]["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:3000/#/reset-password?token="),
        "{link}"
    );
    let first = mailed_token(&app, "password_reset");
    app.call(
        "POST",
        "/api/auth/password-reset",
        Some(json!({"email": "forgot@example.com"})),
        None,
    );
    let second = mailed_token(&app, "password_reset");

    let confirm = |token: &str, password: &str| {
        app.call(
            "POST",
            "/api/auth/password-reset/confirm",
            Some(json!({"token": token, "password": password})),
            None,
        )
    };
    // A weak password is refused and spends nothing.
    let r = confirm(&first, "forgot");
    assert_eq!(r.status, 422);
    assert_eq!(problem_fields(&r), ["password"]);
    let new_password = "amber lantern sailing north";
    app.advance(1);
    assert_eq!(confirm(&first, new_password).status, 204);
    // Spent, and so is the other link mailed before it.
    assert_eq!(problem_fields(&confirm(&first, new_password)), ["token"]);
    assert_eq!(problem_fields(&confirm(&second, new_password)), ["token"]);

    assert_eq!(app.login("forgot@example.com", STRONG).status, 401);
    let after = app.login("forgot@example.com", new_password);
    assert_eq!(after.status, 200);
    // The mail proved the address.
    assert_eq!(after.body["user"]["email_verified"], true);
    let r = app.call(
        "POST",
        "/api/auth/refresh",
        Some(json!({"refresh_token": old_refresh})),
        None,
    );
    assert_eq!(r.status, 401, "the old sign-in is over");
    let r = app.call("GET", "/api/auth/me", None, Some(&old_access));
    assert_eq!(r.status, 401, "the old access token is void: {:?}", r.body);
}

#[test]
fn a_reset_link_lasts_an_hour_and_asking_is_throttled_per_address() {
    let app = App::new();
    app.register("slow@example.com");
    let ask = || {
        app.call(
            "POST",
            "/api/auth/password-reset",
            Some(json!({"email": "slow@example.com"})),
            None,
        )
        .status
    };
    assert_eq!(ask(), 202);
    let token = mailed_token(&app, "password_reset");
    app.advance(3601);
    let r = app.call(
        "POST",
        "/api/auth/password-reset/confirm",
        Some(json!({"token": token, "password": "amber lantern sailing north"})),
        None,
    );
    assert_eq!(problem_fields(&r), ["token"]);
    assert_eq!(ask(), 202);
    assert_eq!(ask(), 202);
    assert_eq!(ask(), 202);
    assert_eq!(ask(), 429);
    let r = app.call(
        "POST",
        "/api/auth/password-reset",
        Some(json!({"email": "not an address"})),
        None,
    );
    assert_eq!(problem_fields(&r), ["email"]);
}

#[test]
fn first_admin_comes_from_variables_and_manages_accounts() {
    let app = App::new();
    let admin = app.token(ADMIN_EMAIL, ADMIN_PASSWORD);
    let create = |role: &str, email: &str| {
        app.call(
            "POST",
            "/api/auth/users",
            Some(
                json!({"email": email, "display_name": "Dr Who", "password": STRONG, "role": role}),
            ),
            Some(&admin),
        )
    };
    let doc = create("doctor", "doc@clinic.example");
    assert_eq!(doc.status, 201, "{:?}", doc.body);
    assert_eq!(doc.body["role"], "doctor");
    let r = create("wizard", "wiz@clinic.example");
    assert_eq!(r.status, 422);
    assert_eq!(problem_fields(&r), ["role"]);
    create("pharmacist", "ph@clinic.example");

    // Listing by role, paged.
    let r = app.call("GET", "/api/auth/users?role=doctor", None, Some(&admin));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = app.call("GET", "/api/auth/users?limit=1", None, Some(&admin));
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r2 = app.call(
        "GET",
        &format!("/api/auth/users?limit=1&cursor={cursor}"),
        None,
        Some(&admin),
    );
    assert_ne!(r.body["items"][0]["id"], r2.body["items"][0]["id"]);
    assert_eq!(
        problem_fields(&app.call("GET", "/api/auth/users?role=wizard", None, Some(&admin))),
        ["role"]
    );

    // A patient is forbidden; anonymous is unauthenticated.
    app.register("pat@example.com");
    let patient = app.token("pat@example.com", STRONG);
    assert_eq!(
        app.call("GET", "/api/auth/users", None, Some(&patient))
            .status,
        403
    );
    assert_eq!(app.call("GET", "/api/auth/users", None, None).status, 401);
    assert_eq!(create("doctor", "x@clinic.example").status, 201);

    // Disabling: no more sign-in or refresh.
    let doc_id = doc.body["id"].as_str().unwrap();
    let doc_login = app.login("doc@clinic.example", STRONG);
    let doc_refresh = doc_login.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.call(
        "PATCH",
        &format!("/api/auth/users/{doc_id}"),
        Some(json!({"disabled": true})),
        Some(&admin),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["disabled"], true);
    assert_eq!(app.login("doc@clinic.example", STRONG).status, 403);
    assert_eq!(
        app.call(
            "POST",
            "/api/auth/refresh",
            Some(json!({"refresh_token": doc_refresh})),
            None
        )
        .status,
        401
    );

    // Role change, bad fields, unknown user, self-lockout.
    let r = app.call(
        "PATCH",
        &format!("/api/auth/users/{doc_id}"),
        Some(json!({"role": "staff"})),
        Some(&admin),
    );
    assert_eq!(r.body["role"], "staff");
    let r = app.call(
        "PATCH",
        &format!("/api/auth/users/{doc_id}"),
        Some(json!({"role": "boss"})),
        Some(&admin),
    );
    assert_eq!(problem_fields(&r), ["role"]);
    let r = app.call(
        "PATCH",
        &format!("/api/auth/users/{doc_id}"),
        Some(json!({})),
        Some(&admin),
    );
    assert_eq!(r.status, 422);
    let r = app.call(
        "PATCH",
        "/api/auth/users/nope",
        Some(json!({"disabled": false})),
        Some(&admin),
    );
    assert_eq!(r.status, 404);
    let me = app.call("GET", "/api/auth/me", None, Some(&admin));
    let admin_id = me.body["id"].as_str().unwrap();
    let r = app.call(
        "PATCH",
        &format!("/api/auth/users/{admin_id}"),
        Some(json!({"disabled": true})),
        Some(&admin),
    );
    assert_eq!(r.status, 409);
}

#[test]
fn without_admin_variables_the_app_runs_and_says_how() {
    let app = App::with_vars(MapVars::default());
    let r = app.call("GET", "/api/auth/health", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body["admin_exists"], false);
    assert!(r.body["hint"].as_str().unwrap().contains("admin_email"));
    assert_eq!(app.register("first@example.com").status, 201);
}

#[test]
fn jwks_and_discovery_publish_the_key_that_signs() {
    let app = App::new();
    let jwks = app.call("GET", "/api/auth/jwks.json", None, None);
    assert_eq!(jwks.status, 200);
    let key = &jwks.body["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    let set: service_kit::token::Jwks = serde_json::from_value(jwks.body.clone()).unwrap();
    let keys = service_kit::token::KeySet::from_jwks(&set);
    let token = app.token(ADMIN_EMAIL, ADMIN_PASSWORD);
    let expect = service_kit::token::Expectations::from_vars(&app.vars);
    let claims =
        service_kit::token::verify(&token, &keys, &expect, app.now.get().as_second()).unwrap();
    assert_eq!(claims.role, service_kit::token::Role::Admin);
    assert_eq!(
        service_kit::token::peek_kid(&token).unwrap(),
        key["kid"].as_str().unwrap()
    );

    // The same key on every request (it was generated once and kept).
    assert_eq!(
        app.call("GET", "/api/auth/jwks.json", None, None).body,
        jwks.body
    );

    // Without public_url the document is built from the request's own address, which the
    // client chose: never cacheable.
    let d = app.call(
        "GET",
        "/api/auth/.well-known/openid-configuration",
        None,
        None,
    );
    assert_eq!(d.body["issuer"], "healthe-auth");
    assert!(d.body["jwks_uri"]
        .as_str()
        .unwrap()
        .ends_with("/api/auth/jwks.json"));
    assert_eq!(d.headers["cache-control"], "no-store");
}

#[test]
fn discovery_urls_come_from_public_url_only() {
    let app = App::with_vars(
        MapVars::default()
            .with("public_url", "https://clinic.example/")
            .with("token_issuer", "https://clinic.example/api/auth"),
    );
    let d = app.call(
        "GET",
        "/api/auth/.well-known/openid-configuration",
        None,
        None,
    );
    assert_eq!(d.body["issuer"], "https://clinic.example/api/auth");
    assert_eq!(
        d.body["jwks_uri"],
        "https://clinic.example/api/auth/jwks.json"
    );
    assert_eq!(
        d.body["token_endpoint"],
        "https://clinic.example/api/auth/login"
    );
    assert_eq!(d.headers["cache-control"], "public, max-age=300");
}

#[test]
fn a_configured_signing_key_is_used() {
    let seed = "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{seed}\n-----END PRIVATE KEY-----");
    let app = App::with_vars(MapVars::default().with("token_signing_key", &pem));
    let jwks = app.call("GET", "/api/auth/jwks.json", None, None);
    let expected = auth::keys::parse_configured(&pem).unwrap().verifying_key();
    assert_eq!(
        jwks.body["keys"][0]["kid"],
        service_kit::token::key_id(&expected)
    );
}

#[test]
fn token_attacks_are_refused_with_401() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine;
    let app = App::new();
    app.register("target@example.com");
    let good = app.token("target@example.com", STRONG);
    let parts: Vec<&str> = good.split('.').collect();
    let payload: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    let kid = service_kit::token::peek_kid(&good).unwrap();

    let mut admin_payload = payload.clone();
    admin_payload["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(admin_payload.to_string()),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "kid": kid}).to_string()),
        parts[1]
    );
    let hs_header = B64.encode(json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string());
    let hs = format!("{hs_header}.{}.{}", parts[1], B64.encode([7u8; 32]));
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let claims: service_kit::token::Claims = serde_json::from_value(payload.clone()).unwrap();
    let wrong_key = service_kit::token::sign(&claims, &other_key);
    let mut wrong_aud = claims.clone();
    wrong_aud.aud = service_kit::token::Audience::One("elsewhere".into());
    let wrong_aud = service_kit::token::sign(&wrong_aud, &other_key);

    for (name, t) in [
        ("tampered", tampered),
        ("none", none),
        ("hs256", hs),
        ("wrong key", wrong_key),
        ("wrong aud", wrong_aud),
        ("garbage", "abc".into()),
    ] {
        let r = app.call("GET", "/api/auth/me", None, Some(&t));
        assert_eq!(r.status, 401, "{name}");
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    let r = app.raw("GET", "/api/auth/me", None, vec![], None);
    assert_eq!(r.status, 401);
}

#[test]
fn unknown_routes_and_methods() {
    let app = App::new();
    assert_eq!(app.call("GET", "/api/auth/nope", None, None).status, 404);
    assert_eq!(
        app.call("DELETE", "/api/auth/login", None, None).status,
        405
    );
    assert_eq!(app.call("GET", "/api/auth/login", None, None).status, 405);
}

#[test]
fn every_migration_file_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/auth");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = auth::MIGRATIONS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(on_disk, embedded);
}

/// A page of accounts is one walk of one index from the cursor, with or without a role.
#[test]
fn an_account_page_is_one_index_walk() {
    let app = App::new();
    app.call("GET", "/api/auth/health", None, None);
    for (shape, index) in [
        (
            auth::accounts::LIST_ALL,
            "sqlite_autoindex_auth_users_1 (id>?)",
        ),
        (
            auth::accounts::LIST_BY_ROLE,
            "auth_users_by_role (role=? AND id>?)",
        ),
    ] {
        let values = [
            service_kit::db::Value::from(""),
            service_kit::db::Value::Integer(21),
            service_kit::db::Value::from("doctor"),
        ];
        let n = if shape == auth::accounts::LIST_ALL {
            2
        } else {
            3
        };
        let plan =
            service_kit::db::query_plan(&app.db, &format!("SELECT id {shape}"), &values[..n])
                .unwrap();
        assert_eq!(plan.len(), 1, "{plan:#?}");
        assert!(
            plan[0].starts_with("SEARCH auth_users USING") && plan[0].ends_with(index),
            "{plan:#?}"
        );
    }
}
