//! mail with the default transport (the log): what booking's changes tell each side, in the
//! portal's notifications and in the admins' delivery log, and who may hand mail messages.
//! Runs unchanged against a `spin up` with no mail configuration.

use blackbox::booking::{a_slot, act, book, doctor_with_hours, every_day};
use blackbox::{admin, get, new_patient, post, send_json_with, User};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The user's notifications once `pred` holds of them (the relay runs after booking answers).
fn notifications_until(user: &User, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = get("/api/mail/notifications", Some(&user.access));
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json()["items"].as_array().unwrap().clone();
        if pred(&items) || Instant::now() > deadline {
            return items;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

#[test]
fn each_side_is_notified_of_what_the_other_did_and_the_log_keeps_the_mail_without_the_reason() {
    let doctor = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "cardiology");
    let patient = new_patient();
    let at = a_slot(&doctor.id, 0);
    let r = book(&patient, &doctor.id, &at);
    assert_eq!(r.status, 201, "{}", r.text);
    let appointment = r.json()["id"].as_str().unwrap().to_string();

    let items = notifications_until(&doctor, |i| !i.is_empty());
    assert_eq!(kinds(&items), ["appointment_requested"], "{items:?}");
    assert_eq!(items[0]["link"], "#/agenda");
    assert_eq!(items[0]["read"], false);
    let r = get("/api/mail/notifications/unread", Some(&doctor.access));
    assert_eq!(r.json()["unread"], 1, "{}", r.text);

    let r = act(&doctor, &appointment, "confirm", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let items = notifications_until(&patient, |i| !i.is_empty());
    assert_eq!(kinds(&items), ["appointment_confirmed"], "{items:?}");
    assert_eq!(items[0]["link"], format!("#/appointments/{appointment}"));
    assert!(items[0]["title"].as_str().unwrap().contains("confirmed"));

    // Marking read: the caller's own only.
    let seq = items[0]["seq"].as_i64().unwrap();
    let r = post(
        "/api/mail/notifications/read",
        &json!({"up_to": seq}),
        Some(&doctor.access),
    );
    assert_eq!(r.json()["unread"], 0, "{}", r.text);
    let r = get("/api/mail/notifications/unread", Some(&patient.access));
    assert_eq!(
        r.json()["unread"],
        1,
        "another user's mark leaves the patient's alone: {}",
        r.text
    );
    let id = items[0]["id"].as_str().unwrap();
    let r = post(
        "/api/mail/notifications/read",
        &json!({"ids": [id]}),
        Some(&patient.access),
    );
    assert_eq!(r.json()["unread"], 0, "{}", r.text);

    // The admins' log: each message kept, rendered, with no health detail.
    let admin = admin();
    let deadline = Instant::now() + Duration::from_secs(10);
    let to_patient = loop {
        let r = get(
            "/api/mail/messages?status=logged&limit=100",
            Some(&admin.access),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let found = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["to_user"] == patient.id.as_str())
            .cloned();
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the patient's mail never reached the log"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(to_patient["template"], "appointment_confirmed");
    let r = get(
        &format!("/api/mail/messages/{}", to_patient["id"].as_str().unwrap()),
        Some(&admin.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    assert!(
        !d["text_body"].as_str().unwrap().contains("check-up"),
        "the reason is never mailed"
    );
    assert!(d["text_body"].as_str().unwrap().contains("(Europe/Berlin)"));
    assert_eq!(d["delivery_log"][0]["transport"], "log");
    assert_eq!(d["delivery_log"][0]["outcome"], "logged");

    // Patients and doctors don't read the log.
    for u in [&patient, &doctor] {
        assert_eq!(get("/api/mail/messages", Some(&u.access)).status, 403);
    }
}

#[test]
fn only_the_apps_own_services_hand_mail_messages_or_read_addresses() {
    let patient = new_patient();
    let message = json!({"messages": [{"template": "password_reset", "to_address": "victim@example.org",
        "data": {"link": "https://evil.example/reset"}, "idempotency_key": "forged-1"}]});
    // A forged chained address arrives before Spin's own, which is the one read.
    for headers in [
        vec![],
        vec![("spin-client-addr", "0.0.0.0:0")],
        vec![("x-healthe-service-key", "")],
    ] {
        let r = send_json_with("POST", "/api/mail/outbox", &message, None, &headers);
        assert_eq!(r.status, 403, "{headers:?}: {}", r.text);
        let r = send_json_with(
            "POST",
            "/api/mail/outbox",
            &message,
            Some(&patient.access),
            &headers,
        );
        assert_eq!(r.status, 403, "{}", r.text);
        let r = blackbox::send_bare(
            "GET",
            &format!("/api/auth/contacts/{}", patient.id),
            &headers,
        );
        assert_eq!(r.status, 403, "{}", r.text);
    }
}

#[test]
fn notifications_need_a_signed_in_caller_and_well_formed_marks() {
    assert_eq!(get("/api/mail/notifications", None).status, 401);
    let p = new_patient();
    for (body, field) in [
        (json!({}), "ids"),
        (json!({"ids": []}), "ids"),
        (json!({"ids": ["a"], "up_to": 1}), "ids"),
        (json!({"up_to": -1}), "up_to"),
        (json!({"ids": ["bad id"]}), "ids[0]"),
    ] {
        let r = post("/api/mail/notifications/read", &body, Some(&p.access));
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.problem(422), [field], "{body}");
    }
    let r = get("/api/mail/messages?status=lost", Some(&admin().access));
    assert_eq!(r.problem(422), ["status"]);
}

#[test]
fn an_admin_dispatches_and_nobody_else_does() {
    let r = post("/api/mail/dispatch", &json!({}), Some(&admin().access));
    assert_eq!(r.status, 200, "{}", r.text);
    for k in ["sent", "logged", "retrying", "dead", "suppressed"] {
        assert!(r.json()[k].is_u64(), "{k}: {}", r.text);
    }
    assert_eq!(
        post(
            "/api/mail/dispatch",
            &json!({}),
            Some(&new_patient().access)
        )
        .status,
        403
    );
    assert_eq!(post("/api/mail/dispatch", &json!({}), None).status, 401);
}

#[test]
fn a_mark_sent_as_null_is_refused_not_taken_as_absent() {
    let p = new_patient();
    for body in [
        json!({"ids": null, "up_to": 0}),
        json!({"ids": null}),
        json!({"up_to": null}),
    ] {
        let r = post("/api/mail/notifications/read", &body, Some(&p.access));
        assert_eq!(r.status, 422, "{body}: {}", r.text);
    }
}

/// An open notification stream, read as raw HTTP/1.1 (what an `EventSource` receives).
struct Stream {
    conn: std::net::TcpStream,
    seen: String,
}

impl Stream {
    fn open(user: &User, last_event_id: Option<i64>) -> Stream {
        use std::io::Write;
        let authority = blackbox::base_url()
            .trim_start_matches("http://")
            .to_string();
        let mut conn = std::net::TcpStream::connect(&authority).unwrap();
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        write!(
            conn,
            "GET /api/mail/notifications/stream HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n{resume}\r\n",
            user.access
        )
        .unwrap();
        conn.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        Stream {
            conn,
            seen: String::new(),
        }
    }

    /// Reads until `what` has been seen (after `from`), or `within` passes.
    fn wait_for(&mut self, what: &str, within: Duration) -> bool {
        use std::io::Read;
        let deadline = Instant::now() + within;
        let mut buf = [0u8; 4096];
        while !self.seen.contains(what) {
            if Instant::now() > deadline {
                return false;
            }
            if let Ok(n) = self.conn.read(&mut buf) {
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
        true
    }
}

#[test]
fn the_stream_brings_a_change_within_two_seconds_and_resumes_from_the_last_event_id() {
    let doctor = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "cardiology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 1));
    assert_eq!(r.status, 201, "{}", r.text);
    let appointment = r.json()["id"].as_str().unwrap().to_string();

    let mut s = Stream::open(&patient, None);
    assert!(
        s.wait_for("event: unread", Duration::from_secs(5)),
        "{}",
        s.seen
    );
    assert!(s.seen.contains("text/event-stream"), "{}", s.seen);
    let r = act(&doctor, &appointment, "confirm", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let confirmed = Instant::now();
    assert!(
        s.wait_for("appointment_confirmed", Duration::from_secs(2)),
        "the confirmation did not arrive within 2 s: {}",
        s.seen
    );
    eprintln!("arrived after {:?}", confirmed.elapsed());
    let id: i64 = s
        .seen
        .split("id: ")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    drop(s);

    // Missed while away: the doctor cancels; a reconnect from the last id gets it at once.
    let r = act(
        &doctor,
        &appointment,
        "cancel",
        Some("the clinic is closed that day"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    notifications_until(&patient, |i| i.len() == 2);
    let mut s = Stream::open(&patient, Some(id));
    assert!(
        s.wait_for("appointment_cancelled", Duration::from_secs(5)),
        "{}",
        s.seen
    );
    assert!(
        !s.seen.contains("appointment_confirmed"),
        "what was seen is not sent again: {}",
        s.seen
    );

    // Someone else's stream says nothing of the patient's.
    let mut other = Stream::open(&new_patient(), Some(0));
    other.wait_for("event: unread", Duration::from_secs(5));
    assert!(!other.seen.contains("appointment_"), "{}", other.seen);
    assert_eq!(get("/api/mail/notifications/stream", None).status, 401);
    let r = get(
        "/api/mail/notifications/stream?after=soon",
        Some(&patient.access),
    );
    assert_eq!(r.problem(422), ["after"]);
}

#[test]
fn the_long_poll_answers_when_news_comes_and_only_with_the_callers_own() {
    let doctor = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "cardiology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 3));
    assert_eq!(r.status, 201, "{}", r.text);
    let appointment = r.json()["id"].as_str().unwrap().to_string();

    // Without a point, it answers at once: where the caller stands.
    let r = get("/api/mail/notifications/poll", Some(&patient.access));
    assert_eq!(r.status, 200, "{}", r.text);
    let next = r.json()["next"].as_i64().unwrap();

    // A poll from there waits; the doctor's confirmation ends it.
    let token = patient.access.clone();
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        let r = get(
            &format!("/api/mail/notifications/poll?after={next}&wait=20"),
            Some(&token),
        );
        (r, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(act(&doctor, &appointment, "confirm", None).status, 200);
    let (r, took) = waiting.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["kind"], "appointment_confirmed");
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    assert_eq!(r.json()["next"], items[0]["seq"]);

    // Nothing new: an empty answer when the wait ends, from the same point.
    let after = items[0]["seq"].as_i64().unwrap();
    let r = get(
        &format!("/api/mail/notifications/poll?after={after}&wait=1"),
        Some(&patient.access),
    );
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 0, "{}", r.text);
    assert_eq!(r.json()["next"], after);

    // Someone else polling from 0 sees none of it; bad input is refused before the wait.
    let other = new_patient();
    let r = get(
        "/api/mail/notifications/poll?after=0&wait=0",
        Some(&other.access),
    );
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 0, "{}", r.text);
    assert_eq!(
        get("/api/mail/notifications/poll?wait=99", Some(&other.access)).problem(422),
        ["wait"]
    );
    get("/api/mail/notifications/poll", None).problem(401);
}
