//! Trust: only auth's keys make a token, account changes reach every service at once, and the
//! booking rules hold for the hostile as for the clumsy.

use blackbox::booking::*;
use blackbox::*;
use serde_json::json;

/// A token for `sub` with `role`, signed by a key that is not auth's but naming it as issuer.
fn self_signed(sub: &str, role: service_kit::token::Role) -> (String, service_kit::token::Jwks) {
    use service_kit::token::{sign, Audience, Claims, Jwk, Jwks};
    let key = ed25519_dalek::SigningKey::from_bytes(&service_kit::random_bytes());
    let now = jiff::Timestamp::now();
    let claims = Claims {
        iss: "healthe-auth".into(),
        aud: Audience::One("healthe".into()),
        sub: sub.into(),
        role,
        iat: now.as_second(),
        nbf: now.as_second(),
        exp: now.as_second() + 600,
        jti: service_kit::new_id(now),
        email_verified: true,
    };
    let jwks = Jwks {
        keys: vec![Jwk::from_key(&key.verifying_key())],
    };
    (sign(&claims, &key), jwks)
}

/// Every component granted the shared key-value store (`default`) could write it. Each verifier
/// caches auth's keys in a store of its own (`<service>_cache`); an entry forged into the
/// shared one, in the verifiers' own format — the attacker's key, dated to live forever — must
/// not make any service accept the attacker's admin token.
#[test]
fn a_key_set_forged_into_the_shared_store_is_not_trusted() {
    let (token, jwks) = self_signed("forged-admin", service_kit::token::Role::Admin);
    if let Some(dir) = state_dir() {
        // Where Spin keeps the `default` store when the runtime config names no other place.
        let path = dir.join(".spin/sqlite_key_value.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
               store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
               PRIMARY KEY (store, key))",
        )
        .unwrap();
        let forged = json!({"fetched_at": 4_102_444_800i64,
                            "state": {"keys": jwks, "revocations": {"accounts": []}}})
        .to_string();
        for service in ["booking", "diagnosis", "status"] {
            db.execute(
                "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES ('default', ?1, ?2)",
                rusqlite::params![format!("auth-state/{service}"), forged.as_bytes()],
            )
            .unwrap();
        }
    }
    for path in [
        "/api/status/whoami",
        "/api/booking/events",
        "/api/diagnosis/models",
        "/api/auth/users",
    ] {
        get(path, Some(&token)).problem(401);
    }
}

/// A demoted doctor's tokens die at once everywhere, and a new token (now a patient) cannot
/// act as the doctor on their old visits or read their reasons.
#[test]
fn a_role_change_reaches_booking_at_once() {
    let doctor = doctor_with_hours("America/Chicago", every_day("09:00", "17:00"), "cardiology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = patch(
        &format!("/api/auth/users/{}", doctor.id),
        &json!({"role": "patient"}),
        Some(&admin().access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // The token from before the change: refused by booking, status and auth alike.
    act(&doctor, &id, "confirm", None).problem(401);
    get("/api/status/whoami", Some(&doctor.access)).problem(401);
    get("/api/auth/me", Some(&doctor.access)).problem(401);
    // A fresh sign-in carries the new role, which has no doctor-side rights.
    let now_patient = login(&doctor.email, PASSWORD);
    assert_eq!(now_patient.status, 200, "{}", now_patient.text);
    let access = now_patient.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = post(
        &format!("/api/booking/appointments/{id}/confirm"),
        &json!({}),
        Some(&access),
    );
    assert!(matches!(r.status, 403 | 404), "{}", r.text);
    let r = get(&format!("/api/booking/appointments/{id}"), Some(&access));
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(!r.text.contains("check-up"));
    // The patient still sees their visit.
    let r = get(
        &format!("/api/booking/appointments/{id}"),
        Some(&patient.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A disabled doctor leaves search and their profile; a disabled account's calendar feed stops.
#[test]
fn disabling_an_account_reaches_booking() {
    let specialty = format!("rare-{}", unique());
    let doctor = doctor_with_hours("Europe/Berlin", every_day("08:00", "12:00"), &specialty);
    let feed = post(
        "/api/booking/calendar/feeds",
        &json!({}),
        Some(&doctor.access),
    );
    assert_eq!(feed.status, 201, "{}", feed.text);
    let feed_path = feed.json()["path"].as_str().unwrap().to_string();
    assert_eq!(get(&feed_path, None).status, 200);
    let search = format!("/api/booking/doctors?specialty={specialty}");
    assert_eq!(
        get(&search, None).json()["items"].as_array().unwrap().len(),
        1
    );

    let r = patch(
        &format!("/api/auth/users/{}", doctor.id),
        &json!({"disabled": true}),
        Some(&admin().access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Verifiers refresh what they know from auth within seconds (key_cache::TTL_SECS).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    loop {
        let listed = get(&search, None).json()["items"].as_array().unwrap().len();
        if listed == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still listed");
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    get(&format!("/api/booking/doctors/{}", doctor.id), None).problem(404);
    get(&format!("/api/booking/doctors/{}/slots", doctor.id), None).problem(404);
    get(&feed_path, None).problem(404);
    act(&doctor, "anything", "confirm", None).problem(401);
}

/// Moving a visit is cancelling it and booking another: a patient can't dodge the cut-off by
/// rescheduling, and nobody moves a visit that has started.
#[test]
fn a_patients_reschedule_keeps_the_cancel_cut_off() {
    // Hours around now, so a slot within the 24 h cut-off exists.
    let doctor = doctor_with_hours("UTC", every_day("00:00", "23:30"), "general");
    let patient = new_patient();
    let soon = free_slots(&doctor.id, &date_in(0), &date_in(2));
    let now = jiff::Timestamp::now();
    let within = soon
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_string())
        .find(|s| {
            let t: jiff::Timestamp = s.parse().unwrap();
            t > now + jiff::SignedDuration::from_hours(2)
                && t < now + jiff::SignedDuration::from_hours(20)
        })
        .expect("a slot within the cut-off");
    let r = book(&patient, &doctor.id, &within);
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    act(&patient, &id, "cancel", Some("changed my mind")).problem(409);
    let later = a_slot(&doctor.id, 3);
    let r = post(
        &format!("/api/booking/appointments/{id}/reschedule"),
        &json!({"starts_at": later}),
        Some(&patient.access),
    );
    r.problem(409);
    assert_eq!(
        r.json()["type"].as_str().unwrap().rsplit('/').next(),
        Some("too-late-to-cancel")
    );
    // The doctor may still move it.
    let r = post(
        &format!("/api/booking/appointments/{id}/reschedule"),
        &json!({"starts_at": later}),
        Some(&doctor.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn dates_at_the_edge_of_the_calendar_are_named_problems() {
    for d in [
        "9999-12-31",
        "-009999-01-01",
        "0000-01-01",
        "2026-02-30",
        "1900-01-01",
    ] {
        let r = get(&format!("/api/booking/doctors?available_on={d}"), None);
        assert_eq!(r.problem(422), ["available_on"], "{d}: {}", r.text);
    }
}

/// Text that displays as something other than what it is — bidirectional overrides, zero-width
/// characters — is refused in names, profiles and reviews alike.
#[test]
fn text_that_lies_is_refused_everywhere() {
    let rlo = "Dr. Smith\u{202E}gnp.exe";
    let r = post(
        "/api/auth/register",
        &json!({"email": format!("bidi-{}@example.com", unique()), "display_name": rlo, "password": PASSWORD}),
        None,
    );
    assert_eq!(r.problem(422), ["display_name"]);
    let d = new_user("doctor");
    let r = put(
        &format!("/api/booking/doctors/{}", d.id),
        &json!({"name": "Dr.\u{200B}Who", "specialty": "x", "city": "y", "state": "z",
                "languages": ["en"], "bio": "fine", "time_zone": "UTC", "visit_minutes": 30}),
        Some(&d.access),
    );
    assert_eq!(r.problem(422), ["name"]);
    let r = put(
        &format!("/api/booking/doctors/{}", d.id),
        &json!({"name": "Dr. Who", "specialty": "x", "city": "y", "state": "z",
                "languages": ["en"], "bio": "hidden \u{2066}text", "time_zone": "UTC", "visit_minutes": 30}),
        Some(&d.access),
    );
    assert_eq!(r.problem(422), ["bio"]);
    // NFC: the same name typed two ways is stored one way.
    let r = patch(
        &format!("/api/auth/users/{}", d.id),
        &json!({"display_name": "Rene\u{301}e"}),
        Some(&admin().access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["display_name"], "Ren\u{e9}e");
}

/// Discovery built from a Host header the client chose is never cacheable; built from
/// `public_url`, it names that origin whatever Host says.
#[test]
fn discovery_from_the_request_is_not_cached() {
    let forged = "attacker.example";
    let r = send_from(
        std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 21)),
        "GET",
        "/api/auth/.well-known/openid-configuration",
        &[("host", forged)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let jwks_uri = r.json()["jwks_uri"].as_str().unwrap().to_string();
    let cache = r.header("cache-control").unwrap_or("").to_string();
    // Either the URLs come from the request — the Host this client chose — and the answer is
    // for this client alone; or they come from public_url, and are cacheable.
    if jwks_uri.contains(forged) {
        assert_eq!(cache, "no-store", "{jwks_uri}");
    } else {
        assert!(!jwks_uri.contains(forged), "{jwks_uri}");
        assert!(cache.starts_with("public"), "{cache}");
    }
}

/// The key set, the discovery document and token checks only read auth's database: while
/// another writer holds its write lock, they still answer at once (the signing key used to be
/// written on every request that needed it, queueing them all behind any writer).
#[test]
fn reading_the_keys_takes_no_write_lock() {
    let Some(dir) = state_dir() else {
        return;
    };
    let patient = new_patient();
    let db = rusqlite::Connection::open(dir.join(".spin/auth.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    // A write would wait out the 5 s busy timeout and fail; reads answer.
    let jwks = get("/api/auth/jwks.json", None);
    let me = get("/api/auth/me", Some(&patient.access));
    db.execute_batch("ROLLBACK").unwrap();
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    assert_eq!(me.status, 200, "{}", me.text);
}
