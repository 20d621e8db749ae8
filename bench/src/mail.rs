//! `mail`: what the outbox delivers to a real SMTP server (aiosmtpd, as the suite's tests use),
//! beside the same server fed directly by mail's own SMTP dialog natively, one connection per
//! message as the component makes them; and how many notification streams (Server-Sent Events)
//! one app holds at once, with how soon each hears of one change, beside a single stream.
//!
//! It starts its own app (mail over SMTP, a service key for intake, a dispatch key for the
//! timer's call) beside the one the other scenarios use.

use crate::{mint, seconds};
use blackbox::smtp::Server;
use serde_json::json;
use service_kit::token::Role;
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

const SERVICE_KEY: &str = "bench-service-key-0123456789abcdef";
const DISPATCH_KEY: &str = "bench-dispatch-key-0123456789abcdef";

fn post(
    base: &str,
    path: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut b = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}{path}"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut r = blackbox::agent()
        .run(b.body(body.to_string().into_bytes()).unwrap())
        .expect("the bench's app answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

fn message(i: usize, user: &str, run: &str) -> serde_json::Value {
    json!({
        "template": "appointment_confirmed",
        "to_address": format!("patient-{i}@bench.example"),
        "data": {
            "appointment_id": format!("bench-{i}"),
            "doctor_name": "Dr. Bench",
            "starts_at": "2026-12-09T10:00:00Z",
            "time_zone": "Europe/Berlin",
        },
        "idempotency_key": format!("bench:{run}:{user}:{i}"),
    })
}

pub fn run() {
    if std::env::var_os("HEALTHE_URL").is_some() {
        eprintln!("bench: mail starts its own app (SMTP transport); skipped under HEALTHE_URL");
        return;
    }
    let server = Server::start();
    let port = server.port.to_string();
    let vars: Vec<(String, String)> = [
        ("mail_transport", "smtp"),
        ("mail_smtp_host", "127.0.0.1"),
        ("mail_smtp_port", port.as_str()),
        ("service_key", SERVICE_KEY),
        ("mail_dispatch_key", DISPATCH_KEY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (base, _) = blackbox::start_app(&vars);
    smtp(&base, &server);
    streams(&base);
}

/// Messages per second: the native dialog straight to the server, then the outbox (intake,
/// then dispatch rounds from a few timers at once) to the same server.
fn smtp(base: &str, server: &Server) {
    let n: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let data = mail::mime::compose(&mail::mime::Outgoing {
        id: "bench",
        from: "Healthe <healthe@bench.example>",
        to: "patient@bench.example",
        to_name: None,
        subject: "Your visit with Dr. Bench is confirmed",
        text: "Dr. Bench confirmed your visit.",
        html: "<p>Dr. Bench confirmed your visit.</p>",
        date: jiff::Timestamp::now(),
        unsubscribe: None,
    });
    let before = server.count();
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..4 {
            let data = &data;
            s.spawn(move || {
                for _ in (t..n).step_by(4) {
                    let stream = std::net::TcpStream::connect(addr).unwrap();
                    mail::smtp::deliver(
                        stream,
                        "bench.localhost",
                        None,
                        &mail::smtp::Envelope {
                            from: "healthe@bench.example",
                            to: "patient@bench.example",
                            data,
                        },
                    )
                    .unwrap();
                }
            });
        }
    });
    let direct = n as f64 / started.elapsed().as_secs_f64();
    assert_eq!(server.count() - before, n);

    let run = blackbox::unique();
    let key = [("x-healthe-service-key", SERVICE_KEY)];
    // Counted from before the intake: its own after-hooks start delivering at once.
    let before = server.count();
    let target = before + n;
    let started = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let messages: Vec<_> = chunk.iter().map(|i| message(*i, "smtp", &run)).collect();
        let (status, text) = post(
            base,
            "/api/mail/outbox",
            &json!({ "messages": messages }),
            &key,
        );
        assert_eq!(status, 202, "{text}");
    }
    let intake = started.elapsed();
    // The intake's own after-hooks deliver too; the timers take what is left.
    let bearer = format!("Bearer {DISPATCH_KEY}");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while server.count() < target && started.elapsed() < Duration::from_secs(300) {
                    let (status, text) = post(
                        base,
                        "/api/mail/dispatch",
                        &json!({}),
                        &[("authorization", bearer.as_str())],
                    );
                    assert_eq!(status, 200, "{text}");
                }
            });
        }
    });
    let through = started.elapsed();
    let delivered = (server.count() - before).min(n);
    println!("\nmail: {n} messages to a real SMTP server (aiosmtpd on this machine)");
    println!(
        "  {:<58} {:>10.0} msg/s",
        "mail's SMTP dialog natively, 4 threads (baseline)", direct
    );
    println!(
        "  {:<58} {:>10.0} msg/s",
        "intake (POST /api/mail/outbox, 50 a request)",
        n as f64 / intake.as_secs_f64()
    );
    println!(
        "  {:<58} {:>10.0} msg/s  ({:.0}% of the baseline)",
        "outbox to SMTP: intake, then dispatch rounds from 4 timers",
        delivered as f64 / through.as_secs_f64(),
        100.0 * delivered as f64 / through.as_secs_f64() / direct
    );
}

/// One open notification stream, read on its own thread.
struct Stream {
    lines: std::sync::mpsc::Receiver<String>,
}

impl Stream {
    fn open(base: &str, token: &str) -> Stream {
        let addr = base.trim_start_matches("http://").to_string();
        let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            tcp,
            "GET /api/mail/notifications/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(tcp).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Stream { lines: rx }
    }

    /// Waits for a line containing `what`; when it came.
    fn wait_for(&self, what: &str, deadline: Instant) -> Option<Instant> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(l) if l.contains(what) => return Some(Instant::now()),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }
}

/// Streams held at once: `count` open for one user, then one notification for that user; when
/// each stream had it.
fn hold(base: &str, count: usize, user: &str, run: &str) -> (usize, Vec<Duration>) {
    let token = mint(user, Role::Patient);
    let streams: Vec<Stream> = (0..count).map(|_| Stream::open(base, &token)).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    let open = streams
        .iter()
        .filter(|s| s.wait_for("event: unread", deadline).is_some())
        .count();
    let key = [("x-healthe-service-key", SERVICE_KEY)];
    let mut m = message(0, user, run);
    m["to_user"] = json!(user);
    m.as_object_mut().unwrap().remove("to_address");
    let sent = Instant::now();
    let (status, text) = post(base, "/api/mail/outbox", &json!({ "messages": [m] }), &key);
    assert_eq!(status, 202, "{text}");
    let deadline = sent + Duration::from_secs(10);
    let mut arrivals: Vec<Duration> = streams
        .iter()
        .filter_map(|s| s.wait_for("event: notification", deadline))
        .map(|at| at - sent)
        .collect();
    arrivals.sort();
    (open, arrivals)
}

fn streams(base: &str) {
    let count: usize = std::env::var("BENCH_STREAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(900);
    let run = blackbox::unique();
    let _ = seconds();
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let (one_open, one) = hold(base, 1, &format!("bench-stream-one-{run}"), &run);
    let (open, all) = hold(base, count, &format!("bench-stream-many-{run}"), &run);
    println!("\nmail: notification streams (SSE) held at once, one change for their user");
    println!(
        "  {:<44} {:>6} open {:>6} heard   p50 {:>9.0?}   max {:>9.0?}",
        "one stream (baseline)",
        one_open,
        one.len(),
        pct(&one, 0.5),
        pct(&one, 1.0)
    );
    println!(
        "  {:<44} {:>6} open {:>6} heard   p50 {:>9.0?}   p99 {:>9.0?}   max {:>9.0?}",
        format!("{count} streams"),
        open,
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
}
