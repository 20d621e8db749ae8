//! mail over SMTP to a real server (aiosmtpd, started here): the app is started with
//! `mail_transport = "smtp"` pointing at it, and the messages it receives are parsed as any mail
//! client would — headers, both parts, the links. Needs its own app: skipped under HEALTHE_URL.

use blackbox::booking::{a_slot, book, doctor_with_hours, every_day};
use blackbox::{admin, get, new_patient, with_variables};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Relay {
    maildir: PathBuf,
    _server: Child,
}

/// The SMTP server, and the app pointed at it; `None` under HEALTHE_URL.
fn relay() -> Option<&'static Relay> {
    static RELAY: OnceLock<Option<Relay>> = OnceLock::new();
    RELAY
        .get_or_init(|| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let port_s = port.to_string();
            let ready = with_variables(&[
                ("mail_transport", "smtp"),
                ("mail_smtp_host", "127.0.0.1"),
                ("mail_smtp_port", &port_s),
                ("mail_from", "Clinic Nord <desk@clinic-nord.example>"),
                ("mail_clinic_name", "Clinic Nord"),
                ("public_url", "https://clinic-nord.example"),
            ]);
            if !ready {
                return None;
            }
            let maildir =
                std::env::temp_dir().join(format!("healthe-maildir-{}", blackbox::unique()));
            let mut server = Command::new("python3")
                .arg(blackbox::workspace_root().join("tests/suite/smtp_relay.py"))
                .arg(&maildir)
                .arg(&port_s)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start aiosmtpd (pip install -r tests/requirements.txt)");
            let mut line = String::new();
            std::io::BufReader::new(server.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line.trim(), "ready", "the SMTP server did not start");
            Some(Relay {
                maildir,
                _server: server,
            })
        })
        .as_ref()
}

/// Every message the server has received, raw.
fn received(relay: &Relay) -> Vec<Vec<u8>> {
    let new = relay.maildir.join("new");
    std::fs::read_dir(&new)
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// The first received message to `to`, waiting for it.
fn message_to(relay: &Relay, to: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = received(relay).into_iter().find(|m| {
            mailparse::parse_mail(m)
                .map(|p| {
                    p.headers
                        .iter()
                        .any(|h| h.get_key() == "To" && h.get_value().contains(to))
                })
                .unwrap_or(false)
        }) {
            return m;
        }
        if Instant::now() > deadline {
            let log = get("/api/mail/messages?limit=5", Some(&admin().access)).text;
            panic!("no message to {to} reached the SMTP server; the outbox: {log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_visit_request_reaches_the_doctor_as_a_real_multipart_email_with_a_portal_link() {
    let Some(relay) = relay() else { return };
    let doctor = doctor_with_hours("America/Chicago", every_day("09:00", "17:00"), "neurology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);

    let raw = message_to(relay, &doctor.email);
    let mail = mailparse::parse_mail(&raw).unwrap();
    let header = |k: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(k))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    assert!(
        header("From").contains("desk@clinic-nord.example"),
        "{}",
        header("From")
    );
    assert!(
        header("Subject").starts_with("New visit request for "),
        "{}",
        header("Subject")
    );
    assert!(header("Subject").contains("(America/Chicago)"));
    assert!(header("Message-ID").ends_with("@clinic-nord.example>"));
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let parts: Vec<(String, String)> = mail
        .subparts
        .iter()
        .map(|p| (p.ctype.mimetype.clone(), p.get_body().unwrap()))
        .collect();
    let text = &parts
        .iter()
        .find(|(t, _)| t == "text/plain")
        .expect("a plain part")
        .1;
    let html = &parts
        .iter()
        .find(|(t, _)| t == "text/html")
        .expect("an HTML part")
        .1;
    assert!(
        text.contains("https://clinic-nord.example/#/agenda"),
        "{text}"
    );
    assert!(
        html.contains("href=\"https://clinic-nord.example/#/agenda\""),
        "{html}"
    );
    assert!(text.contains("Clinic Nord"));
    for body in [text, html] {
        assert!(
            !body.contains("check-up"),
            "the visit's reason is never mailed"
        );
    }

    // The log says it was sent, with the relay's answer.
    let admin = admin();
    let r = get(
        "/api/mail/messages?status=sent&limit=100",
        Some(&admin.access),
    );
    let sent = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_user"] == doctor.id.as_str())
        .cloned()
        .expect("the message is logged as sent");
    let r = get(
        &format!("/api/mail/messages/{}", sent["id"].as_str().unwrap()),
        Some(&admin.access),
    );
    let log = &r.json()["delivery_log"];
    assert_eq!(log[0]["transport"], "smtp");
    assert!(
        log[0]["detail"].as_str().unwrap().starts_with("250"),
        "{log}"
    );
    // One message for the one request: nothing was sent twice.
    let to_doctor = received(relay)
        .iter()
        .filter(|m| String::from_utf8_lossy(m).contains(&doctor.email))
        .count();
    assert_eq!(to_doctor, 1);
}
