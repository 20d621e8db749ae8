//! auth, end to end over HTTP: the real auth.wasm behind the router, as a client sees it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use blackbox::*;
use serde_json::json;

#[test]
fn register_login_me_refresh_logout() {
    let email = format!("Flow-{}@Example.com", unique());
    let r = post(
        "/api/auth/register",
        &json!({"email": email, "display_name": "  Flo  ", "password": PASSWORD}),
        None,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let user = r.json();
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["display_name"], "Flo");
    assert_eq!(user["role"], "patient");
    assert!(user.get("password_hash").is_none());

    let r = login(&email.to_uppercase(), PASSWORD);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let tokens = r.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() <= 900);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let me = get("/api/auth/me", Some(access));
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["id"], user["id"]);

    let r = post(
        "/api/auth/refresh",
        &json!({"refresh_token": refresh}),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let next = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(next, refresh);
    assert_eq!(
        get(
            "/api/auth/me",
            Some(r.json()["access_token"].as_str().unwrap())
        )
        .status,
        200
    );

    assert_eq!(
        post("/api/auth/logout", &json!({"refresh_token": next}), None).status,
        204
    );
    post("/api/auth/refresh", &json!({"refresh_token": next}), None).problem(401);
}

/// The `healthe_refresh` cookie of a reply's `Set-Cookie` headers: its value and attributes.
fn refresh_cookie(r: &Reply) -> Option<(String, String)> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.strip_prefix("healthe_refresh="))
        .map(|v| {
            let (value, attrs) = v.split_once(';').unwrap_or((v, ""));
            (value.to_string(), attrs.trim().to_string())
        })
        .next()
}

/// `method /api/auth/refresh` with the cookie and no body, as a browser's `fetch` sends it.
fn bare_with_cookie(method: &str, value: &str) -> Reply {
    send_bare(
        method,
        "/api/auth/refresh",
        &[("cookie", &format!("healthe_refresh={value}"))],
    )
}

fn with_cookie(path: &str, body: &serde_json::Value, value: &str) -> Reply {
    send_json_with(
        "POST",
        path,
        body,
        None,
        &[("cookie", &format!("theme=x; healthe_refresh={value}"))],
    )
}

/// A sign-in as the portal makes it; the reply, whose cookie carries the refresh token.
fn cookie_sign_in(email: &str) -> Reply {
    post(
        "/api/auth/login",
        &json!({"email": email, "password": PASSWORD, "refresh_cookie": true}),
        None,
    )
}

#[test]
fn a_browser_session_keeps_its_refresh_token_in_an_http_only_cookie() {
    let user = register_patient();
    let r = cookie_sign_in(&user.email);
    assert_eq!(r.status, 200, "{}", r.text);
    // No refresh token where a script could read it.
    assert!(r.json().get("refresh_token").is_none(), "{}", r.text);
    assert!(r.json()["access_token"].is_string());
    let (first, attrs) = refresh_cookie(&r).expect("a refresh cookie");
    assert!(!first.is_empty());
    for a in [
        "Path=/api/auth",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=",
    ] {
        assert!(attrs.contains(a), "{a} missing from {attrs}");
    }

    // A reload: the cookie alone (an empty JSON body) refreshes, and the successor goes back
    // into the cookie.
    let r = with_cookie("/api/auth/refresh", &json!({}), &first);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json().get("refresh_token").is_none());
    assert_eq!(r.json()["user"]["id"], user.id.as_str());
    let (second, _) = refresh_cookie(&r).expect("a rotated cookie");
    assert_ne!(second, first);

    // A cookie that cannot refresh is refused, and the browser is told to drop it.
    let r = with_cookie("/api/auth/refresh", &json!({}), "not-a-token");
    r.problem(401);
    let (cleared, attrs) = refresh_cookie(&r).expect("a clearing cookie");
    assert!(cleared.is_empty() && attrs.contains("Max-Age=0"), "{attrs}");
    // The body's token wins over the cookie's.
    let r = send_json_with(
        "POST",
        "/api/auth/refresh",
        &json!({"refresh_token": "not-a-token"}),
        None,
        &[("cookie", &format!("healthe_refresh={second}"))],
    );
    r.problem(401);
    assert!(refresh_cookie(&r).is_none());

    // A browser's sign-out (DELETE on the cookie's own path, no body) ends the session and
    // clears the cookie.
    let (third, _) = refresh_cookie(&cookie_sign_in(&user.email)).unwrap();
    let r = bare_with_cookie("DELETE", &third);
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(refresh_cookie(&r).unwrap().1.contains("Max-Age=0"));
    with_cookie("/api/auth/refresh", &json!({}), &third).problem(401);

    // A refresh with the cookie and no body at all works too.
    let (fourth, _) = refresh_cookie(&cookie_sign_in(&user.email)).unwrap();
    let r = bare_with_cookie("POST", &fourth);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(refresh_cookie(&r).is_some());

    // No body and no cookie: refused as any non-JSON body is.
    send_bare("POST", "/api/auth/refresh", &[]).problem(415);
    // Neither body token nor cookie: the field is named.
    let fields = post("/api/auth/refresh", &json!({}), None).problem(422);
    assert_eq!(fields, ["refresh_token"]);
    // The body form still carries the token, and sets the same one in the cookie beside it.
    let r = login(&user.email, PASSWORD);
    let body_token = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(refresh_cookie(&r).unwrap().0, body_token);
    // The body's token refreshes without touching the cookie.
    let r = post(
        "/api/auth/refresh",
        &json!({"refresh_token": body_token}),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(refresh_cookie(&r).is_none());
}

#[test]
fn a_replayed_refresh_token_revokes_its_sign_in() {
    let u = new_patient();
    let refresh = |t: &str| post("/api/auth/refresh", &json!({"refresh_token": t}), None);
    let r = refresh(&u.refresh);
    assert_eq!(r.status, 200, "{}", r.text);
    let second = r.json()["refresh_token"].as_str().unwrap().to_string();
    // The legitimate client moves on; the stolen first token is replayed after that.
    let r = refresh(&second);
    assert_eq!(r.status, 200, "{}", r.text);
    let third = r.json()["refresh_token"].as_str().unwrap().to_string();
    refresh(&u.refresh).problem(401);
    // The whole sign-in is revoked, the legitimate client's newest token with it.
    refresh(&third).problem(401);
}

/// A refresh whose answer was lost (a dropped connection) is retried with the same token at
/// once: the client gets the same successor instead of being signed out.
#[test]
fn a_retried_refresh_gets_the_same_answer() {
    let u = new_patient();
    let refresh = |t: &str| post("/api/auth/refresh", &json!({"refresh_token": t}), None);
    let a = refresh(&u.refresh);
    let b = refresh(&u.refresh);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(a.json()["refresh_token"], b.json()["refresh_token"]);
    // Sessions have an end: a refresh token lasts at most a week unused.
    let left = b.json()["refresh_expires_in"].as_i64().unwrap();
    assert!(left > 0 && left <= 7 * 86_400, "{left}");
    let next = b.json()["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(refresh(&next).status, 200);
}

#[test]
fn unknown_email_and_wrong_password_answer_alike() {
    let u = new_patient();
    let a = login(&format!("nobody-{}@example.com", unique()), PASSWORD);
    let b = login(&u.email, "not the right passphrase");
    a.problem(401);
    b.problem(401);
    assert_eq!(a.json(), b.json());
}

#[test]
fn repeated_failures_are_throttled_with_retry_after() {
    let u = new_patient();
    for _ in 0..5 {
        login(&u.email, "not the right passphrase").problem(401);
    }
    let r = login(&u.email, PASSWORD);
    r.problem(429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
}

#[test]
fn bad_input_is_a_problem_naming_the_field() {
    let cases = [
        (
            json!({"display_name": "A", "password": PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"email": 42, "display_name": "A", "password": PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": "short"}),
            422,
            "password",
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": "password1234"}),
            422,
            "password",
        ),
        (
            json!({"email": format!("{}@example.com", "x".repeat(10_000)), "display_name": "A", "password": PASSWORD}),
            422,
            "email",
        ),
        (
            json!({"email": "a@example.com", "display_name": "A", "password": PASSWORD, "role": "admin"}),
            422,
            "role",
        ),
        (json!([1, 2, 3]), 422, "body"),
    ];
    for (body, status, field) in cases {
        let r = post("/api/auth/register", &body, None);
        assert!(
            r.problem(status).contains(&field.to_string()),
            "{body}: {}",
            r.text
        );
    }
    let r = send(
        "POST",
        "/api/auth/register",
        None,
        Some("application/json"),
        Some(b"{\"email\": ".to_vec()),
    );
    assert_eq!(r.problem(400), ["body"]);
    let r = send(
        "POST",
        "/api/auth/register",
        None,
        Some("text/plain"),
        Some(b"{}".to_vec()),
    );
    assert_eq!(r.problem(415), ["content-type"]);
    let r = send(
        "POST",
        "/api/auth/login",
        None,
        Some("application/json"),
        Some(vec![b' '; 2 << 20]),
    );
    r.problem(413);
    // A taken address is answered as a new one would be (no enumeration): same status, same
    // shape, an id that names no account and a password that opens nothing.
    let u = new_patient();
    let r = post(
        "/api/auth/register",
        &json!({"email": u.email, "display_name": "B", "password": "a different long passphrase"}),
        None,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["email"], u.email.as_str());
    assert_ne!(r.json()["id"], u.id.as_str());
    assert_eq!(r.json()["email_verified"], false);
    assert_eq!(login(&u.email, "a different long passphrase").status, 401);
}

#[test]
fn admin_manages_accounts_and_roles() {
    let admin = admin();
    let email = format!("doc-{}@clinic.example", unique());
    let r = post(
        "/api/auth/users",
        &json!({"email": email, "display_name": "Dr Ada", "password": PASSWORD, "role": "doctor"}),
        Some(&admin.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let doc = r.json();
    let id = doc["id"].as_str().unwrap();
    let r = post(
        "/api/auth/users",
        &json!({"email": format!("x-{}@clinic.example", unique()), "display_name": "X", "password": PASSWORD, "role": "wizard"}),
        Some(&admin.access),
    );
    assert_eq!(r.problem(422), ["role"]);

    let list = get("/api/auth/users?role=doctor&limit=100", Some(&admin.access));
    assert_eq!(list.status, 200);
    assert!(list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["role"] == "doctor"));
    assert_eq!(
        get("/api/auth/users?role=wizard", Some(&admin.access)).problem(422),
        ["role"]
    );
    assert_eq!(
        get("/api/auth/users?limit=0", Some(&admin.access)).problem(422),
        ["limit"]
    );

    let patient = new_patient();
    get("/api/auth/users", Some(&patient.access)).problem(403);
    get("/api/auth/users", None).problem(401);

    let doc_session = login(&email, PASSWORD).json();
    let r = patch(
        &format!("/api/auth/users/{id}"),
        &json!({"disabled": true}),
        Some(&admin.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    login(&email, PASSWORD).problem(403);
    post(
        "/api/auth/refresh",
        &json!({"refresh_token": doc_session["refresh_token"]}),
        None,
    )
    .problem(401);
    let r = patch(
        &format!("/api/auth/users/{id}"),
        &json!({"disabled": "yes"}),
        Some(&admin.access),
    );
    assert_eq!(r.problem(422), ["disabled"]);
}

#[test]
fn keys_are_published_for_verifiers() {
    let jwks = get("/api/auth/jwks.json", None);
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    assert_eq!(jwks.header("content-type"), Some("application/json"));
    let key = &jwks.json()["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert!(key["kid"].is_string());
    let d = get("/api/auth/.well-known/openid-configuration", None);
    assert_eq!(d.status, 200, "{}", d.text);
    let d = d.json();
    let jwks_uri = d["jwks_uri"].as_str().unwrap();
    assert!(jwks_uri.ends_with("/api/auth/jwks.json"), "{jwks_uri}");
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["EdDSA"]));
    // The root is the portal's alone: nothing of auth's answers there.
    let root = get("/.well-known/jwks.json", None);
    assert!(root.json()["keys"].is_null(), "{}", root.text);
}

#[test]
fn token_attacks_are_refused_everywhere() {
    let u = new_patient();
    let parts: Vec<&str> = u.access.split('.').collect();
    // alg: none, HS256 with a made-up MAC, a tampered payload, a truncated signature.
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let forged = [
        format!("{}.{}.", b64(r#"{"alg":"none"}"#), parts[1]),
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            parts[1],
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            parts[0],
            b64(r#"{"sub":"x","role":"admin"}"#),
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], parts[1], &parts[2][..10]),
        "not-a-token".to_string(),
    ];
    for t in &forged {
        get("/api/auth/me", Some(t)).problem(401);
        get("/api/status/whoami", Some(t)).problem(401);
    }
}

#[test]
fn a_second_service_accepts_auths_tokens() {
    let u = new_patient();
    let r = get("/api/status/whoami", Some(&u.access));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["user_id"], u.id.as_str());
    assert_eq!(r.json()["role"], "patient");
    get("/api/status/whoami", None).problem(401);
}

#[test]
fn status_reports_services_through_chaining() {
    let r = get("/api/status", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let services = r.json()["services"].clone();
    assert_eq!(services[0]["service"], "auth");
    assert_eq!(services[0]["ok"], true);
}

#[test]
fn the_portal_is_served_and_unknown_api_paths_are_problems() {
    let home = get("/", None);
    assert_eq!(home.status, 200);
    assert!(home
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(home.text.contains("Healthe"));
    get("/api/auth/nope", None).problem(404);
    send("DELETE", "/api/auth/login", None, None, None).problem(405);
}
