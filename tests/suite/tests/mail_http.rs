//! mail through a provider's HTTP API (Resend's shape), against a local server that records
//! every request and answers as the test scripts it: 500s, a stall past the timeout, success.
//! Proves the retries and their backoff, dead-lettering, the admin's resend, and that a message
//! is never delivered twice. Needs its own app: skipped under HEALTHE_URL.

use blackbox::booking::{a_slot, book, doctor_with_hours, every_day};
use blackbox::{admin, get, new_patient, post, with_variables, User};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: String,
    idempotency_key: String,
    body: Value,
}

#[derive(Default)]
struct Provider {
    seen: Mutex<Vec<Seen>>,
    /// Addresses the provider always refuses with a 500.
    doomed: Mutex<HashSet<String>>,
}

impl Provider {
    /// The scripted answer: doomed addresses always 500; anyone else 500 on the first try,
    /// a stall on the second, and 200 from the third on.
    fn answer(&self, seen: &Seen) -> Option<(u16, String)> {
        let to = seen.body["to"][0].as_str().unwrap_or("").to_string();
        if self
            .doomed
            .lock()
            .unwrap()
            .iter()
            .any(|d| to.contains(d.as_str()))
        {
            return Some((500, r#"{"message":"internal"}"#.into()));
        }
        let tries = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.idempotency_key == seen.idempotency_key)
            .count();
        match tries {
            1 => Some((500, r#"{"message":"internal"}"#.into())),
            2 => None,
            _ => Some((200, format!(r#"{{"id":"re_{tries}"}}"#))),
        }
    }
}

fn serve(provider: Arc<Provider>, stream: std::net::TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let header = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let body = if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break body;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let mut body = vec![0; header("content-length").parse().unwrap_or(0)];
        reader.read_exact(&mut body).unwrap();
        body
    };
    let seen = Seen {
        path: request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string(),
        authorization: header("authorization"),
        idempotency_key: header("idempotency-key"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    provider.seen.lock().unwrap().push(seen.clone());
    let mut stream = stream;
    match provider.answer(&seen) {
        Some((status, body)) => {
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        // A provider that never answers: the connection stays open well past mail's timeout.
        None => std::thread::sleep(Duration::from_secs(5)),
    }
}

/// What the "cron job" presents to dispatch.
const DISPATCH_KEY: &str = "cron-3f9d2c51e8a04b7d";

fn provider() -> Option<Arc<Provider>> {
    static P: OnceLock<Option<Arc<Provider>>> = OnceLock::new();
    P.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        if !with_variables(&[
            ("mail_transport", "http"),
            ("mail_api_url", &url),
            ("mail_api_key", "re_test_key"),
            ("mail_api_timeout_seconds", "1"),
            ("mail_retry_base_seconds", "1"),
            ("mail_max_attempts", "3"),
            ("mail_dispatch_key", DISPATCH_KEY),
        ]) {
            return None;
        }
        let provider = Arc::new(Provider::default());
        let p = provider.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let p = p.clone();
                std::thread::spawn(move || serve(p, stream));
            }
        });
        Some(provider)
    })
    .clone()
}

/// The admin's view of the message to `user`, once there is one.
fn message_to(admin: &User, user: &User) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = get("/api/mail/messages?limit=100", Some(&admin.access));
        if let Some(m) = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["to_user"] == user.id.as_str())
        {
            let r = get(
                &format!("/api/mail/messages/{}", m["id"].as_str().unwrap()),
                Some(&admin.access),
            );
            return r.json();
        }
        assert!(Instant::now() < deadline, "no message to {}", user.email);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn requests_for(p: &Provider, key: &str) -> Vec<Seen> {
    p.seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.idempotency_key == key)
        .cloned()
        .collect()
}

#[test]
fn failures_are_retried_with_backoff_then_dead_lettered_and_nothing_is_sent_twice() {
    let Some(provider) = provider() else { return };
    let admin = admin();
    let flaky = doctor_with_hours("Europe/Paris", every_day("09:00", "17:00"), "dermatology");
    let doomed = doctor_with_hours("Europe/Paris", every_day("09:00", "17:00"), "dermatology");
    provider.doomed.lock().unwrap().insert(doomed.email.clone());
    for d in [&flaky, &doomed] {
        let r = book(&new_patient(), &d.id, &a_slot(&d.id, 0));
        assert_eq!(r.status, 201, "{}", r.text);
    }

    // A wrong key is no key.
    let r = post("/api/mail/dispatch", &json!({}), Some("cron-guess"));
    assert_eq!(r.status, 401, "{}", r.text);
    // An external timer's calls, with the dispatch key, until both messages settle.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (sent, dead) = loop {
        let r = post("/api/mail/dispatch", &json!({}), Some(DISPATCH_KEY));
        assert_eq!(r.status, 200, "{}", r.text);
        let (a, b) = (message_to(&admin, &flaky), message_to(&admin, &doomed));
        if a["status"] == "sent" && b["status"] == "dead" {
            break (a, b);
        }
        assert!(Instant::now() < deadline, "did not settle: {a}\n{b}");
        std::thread::sleep(Duration::from_millis(300));
    };

    let outcomes = |m: &Value| -> Vec<String> {
        m["delivery_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(outcomes(&sent), ["retry", "retry", "sent"], "{sent}");
    assert!(
        sent["delivery_log"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{sent}"
    );
    // Backoff: the second try a second after the first at the earliest, the third two after.
    let at = |m: &Value, i: usize| {
        m["delivery_log"][i]["at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    assert!(at(&sent, 1).duration_since(at(&sent, 0)) >= jiff::SignedDuration::from_secs(1));
    assert!(at(&sent, 2).duration_since(at(&sent, 1)) >= jiff::SignedDuration::from_secs(2));
    assert_eq!(outcomes(&dead), ["retry", "retry", "dead"], "{dead}");
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap()
            .contains("gave up after 3"),
        "{dead}"
    );

    // What the provider saw: Resend's shape, the key, one idempotency key per message.
    let id = sent["id"].as_str().unwrap();
    let seen = requests_for(&provider, id);
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in &seen {
        assert_eq!(s.path, "/emails");
        assert_eq!(s.authorization, "Bearer re_test_key");
        assert!(s.body["to"][0].as_str().unwrap().contains(&flaky.email));
        assert!(s.body["subject"]
            .as_str()
            .unwrap()
            .starts_with("New visit request"));
        assert!(s.body["html"].is_string() && s.body["text"].is_string());
        assert!(!s.body.to_string().contains("check-up"));
    }
    // More rounds change nothing: a sent message is not sent again, a dead one not retried.
    let dead_id = dead["id"].as_str().unwrap();
    for _ in 0..3 {
        post("/api/mail/dispatch", &json!({}), Some(&admin.access));
    }
    std::thread::sleep(Duration::from_millis(1500));
    post("/api/mail/dispatch", &json!({}), Some(&admin.access));
    assert_eq!(requests_for(&provider, id).len(), 3);
    assert_eq!(requests_for(&provider, dead_id).len(), 3);

    // The admin resends the dead one once the provider takes it again.
    provider.doomed.lock().unwrap().clear();
    let r = post(
        &format!("/api/mail/messages/{dead_id}/resend"),
        &json!({}),
        Some(&admin.access),
    );
    assert_eq!(r.status, 202, "{}", r.text);
    // Delivered by the round after that answer, or by the timer's next call, once.
    let deadline = Instant::now() + Duration::from_secs(10);
    while message_to(&admin, &doomed)["status"] != "sent" {
        assert!(
            Instant::now() < deadline,
            "the resent message was not delivered"
        );
        post("/api/mail/dispatch", &json!({}), Some(&admin.access));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(requests_for(&provider, dead_id).len(), 4);
}
