//! mail over SMTP to a real server (aiosmtpd, started here): the app is started with
//! `mail_transport = "smtp"` pointing at it, and the messages it receives are parsed as any mail
//! client would — headers, both parts, the links. Needs its own app: skipped under HEALTHE_URL.

use blackbox::booking::{a_slot, act, book, doctor_with_hours, every_day};
use blackbox::smtp::Server;
use blackbox::{admin, get, new_patient, with_variables};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The SMTP server, and the app pointed at it; `None` under HEALTHE_URL.
fn relay() -> Option<&'static Server> {
    static RELAY: OnceLock<Option<Server>> = OnceLock::new();
    RELAY
        .get_or_init(|| {
            if std::env::var_os("HEALTHE_URL").is_some() {
                eprintln!("HEALTHE_URL is set: these tests start their own app; skipped");
                return None;
            }
            // The server first: the app is started with its port.
            let server = Server::start();
            let port = server.port.to_string();
            with_variables(&[
                ("mail_transport", "smtp"),
                ("mail_smtp_host", "127.0.0.1"),
                ("mail_smtp_port", &port),
                ("mail_from", "Clinic Nord <desk@clinic-nord.example>"),
                ("mail_clinic_name", "Clinic Nord"),
                ("public_url", "https://clinic-nord.example"),
                // Every visit booked here (3 to 5 days ahead) is due its reminder at once.
                ("booking_reminder_hours", "336"),
            ])
            .then_some(server)
        })
        .as_ref()
}

fn received(relay: &Server) -> Vec<Vec<u8>> {
    relay.received()
}

/// The first received message to `to`, waiting for it.
fn message_to(relay: &Server, to: &str) -> Vec<u8> {
    message_about(relay, to, "")
}

/// The first received message to `to` whose subject contains `subject`, waiting for it.
fn message_about(relay: &Server, to: &str, subject: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = received(relay).into_iter().find(|m| {
            mailparse::parse_mail(m)
                .map(|p| {
                    let has = |k: &str, v: &str| {
                        p.headers
                            .iter()
                            .any(|h| h.get_key() == k && h.get_value().contains(v))
                    };
                    has("To", to) && has("Subject", subject)
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

/// The plain-text part of a received message.
fn plain_text(raw: &[u8]) -> String {
    let mail = mailparse::parse_mail(raw).unwrap();
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a plain part")
        .get_body()
        .unwrap()
}

/// The link in `text` that starts with `prefix`, as the path a client would request of the app
/// under test (the mail names the clinic's public origin).
fn link_path(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.trim_start_matches("https://clinic-nord.example")
        .to_string()
}

fn sign_up(email: &str, password: &str) -> blackbox::Reply {
    blackbox::post(
        "/api/auth/register",
        &serde_json::json!({"email": email, "display_name": "Nia Example", "password": password}),
        None,
    )
}

const PASSWORD: &str = "lilac harbour drifting slowly";

#[test]
fn a_sign_up_can_sign_in_but_books_only_once_its_mailed_link_was_followed() {
    let Some(relay) = relay() else { return };
    let email = format!("nia-{}@example.com", blackbox::unique());
    assert_eq!(sign_up(&email, PASSWORD).status, 201);
    let r = blackbox::login(&email, PASSWORD);
    assert_eq!(r.status, 200, "an unverified account signs in: {}", r.text);
    let refresh = r.json()["refresh_token"].as_str().unwrap().to_string();
    let access = r.json()["access_token"].as_str().unwrap().to_string();
    let patient = blackbox::User {
        id: r.json()["user"]["id"].as_str().unwrap().into(),
        email: email.clone(),
        access,
        refresh: refresh.clone(),
    };
    let doctor = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "cardiology");
    let slot = a_slot(&doctor.id, 0);
    let r = book(&patient, &doctor.id, &slot);
    r.problem(403);
    assert!(
        r.json()["type"]
            .as_str()
            .unwrap()
            .ends_with("/email-unverified"),
        "{}",
        r.text
    );

    let raw = message_about(relay, &email, "Confirm your email address");
    let text = plain_text(&raw);
    assert!(text.contains("Nia Example"), "{text}");
    let path = link_path(
        &text,
        "https://clinic-nord.example/api/auth/verify-email?token=",
    );
    let r = get(&path, None);
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        r.header("location"),
        Some("https://clinic-nord.example/#/verified?result=verified")
    );
    // A link works once.
    let again = get(&path, None);
    assert_eq!(
        again.header("location"),
        Some("https://clinic-nord.example/#/verified?result=expired")
    );

    // A fresh token carries the verified address, and the booking goes through.
    let r = blackbox::post(
        "/api/auth/refresh",
        &serde_json::json!({"refresh_token": refresh}),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let patient = blackbox::User {
        access: r.json()["access_token"].as_str().unwrap().into(),
        ..patient
    };
    let r = book(&patient, &doctor.id, &slot);
    assert_eq!(r.status, 201, "{}", r.text);
}

#[test]
fn registering_a_taken_address_answers_as_for_a_new_one_and_mails_the_owner() {
    let Some(relay) = relay() else { return };
    let email = format!("taken-{}@example.com", blackbox::unique());
    let first = sign_up(&email, PASSWORD);
    let second = sign_up(&email, "another long passphrase here");
    assert_eq!((first.status, second.status), (201, 201));
    let shape = |r: &blackbox::Reply| {
        let mut keys: Vec<String> = r.json().as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(shape(&first), shape(&second));
    let raw = message_about(relay, &email, "Someone tried to register");
    let text = plain_text(&raw);
    assert!(
        text.contains("https://clinic-nord.example/#/reset-password"),
        "{text}"
    );
    // The second password opened nothing.
    assert_eq!(
        blackbox::login(&email, "another long passphrase here").status,
        401
    );
}

#[test]
fn a_mailed_reset_link_sets_a_new_password_once() {
    let Some(relay) = relay() else { return };
    let email = format!("reset-{}@example.com", blackbox::unique());
    assert_eq!(sign_up(&email, PASSWORD).status, 201);
    let r = blackbox::post(
        "/api/auth/password-reset",
        &serde_json::json!({"email": email}),
        None,
    );
    assert_eq!(r.status, 202, "{}", r.text);
    let raw = message_about(relay, &email, "Reset your");
    let text = plain_text(&raw);
    let path = link_path(&text, "https://clinic-nord.example/#/reset-password?token=");
    let token = path.split("token=").nth(1).unwrap().to_string();
    // The portal's form posts the token from the link's fragment.
    let confirm = |password: &str| {
        blackbox::post(
            "/api/auth/password-reset/confirm",
            &serde_json::json!({"token": token, "password": password}),
            None,
        )
    };
    let fresh = "copper meadow whistling softly";
    assert_eq!(confirm(fresh).status, 204);
    assert_eq!(
        confirm("yet another long passphrase").problem(422),
        ["token"]
    );
    assert_eq!(blackbox::login(&email, PASSWORD).status, 401);
    let r = blackbox::login(&email, fresh);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"]["email_verified"], true);
    // The admin's log does not show the link.
    let admin = admin();
    let items = get("/api/mail/messages?limit=100", Some(&admin.access)).json();
    let logged = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == "password_reset")
        .cloned()
        .expect("the reset mail is logged");
    let d = get(
        &format!("/api/mail/messages/{}", logged["id"].as_str().unwrap()),
        Some(&admin.access),
    );
    assert!(!d.text.contains("token="), "{}", d.text);
}

#[test]
fn a_reminder_brings_links_that_answer_once_and_a_one_click_unsubscribe() {
    let Some(relay) = relay() else { return };
    let doctor = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "dermatology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 2));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(act(&doctor, &id, "confirm", None).status, 200);

    let raw = message_about(relay, &patient.email, "Reminder");
    let mail = mailparse::parse_mail(&raw).unwrap();
    let header = |k: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(k))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let list = header("List-Unsubscribe");
    assert!(
        list.starts_with("<https://clinic-nord.example/api/mail/unsubscribe?token="),
        "{list}"
    );
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let text = plain_text(&raw);
    assert!(!text.contains("check-up"), "the reason is never mailed");
    let labelled = |label: &str| {
        let at = text
            .find(label)
            .unwrap_or_else(|| panic!("no {label} in {text}"));
        link_path(&text[at + label.len()..], "https://clinic-nord.example/")
    };
    let attend = &labelled("I will come: ");
    let cancel = &labelled("Cancel this visit: ");
    assert!(
        attend.starts_with("/api/booking/reminder-answer?token="),
        "{attend}"
    );

    // Following a link only shows what it would do.
    let page = get(attend, None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    let visit = get(
        &format!("/api/booking/appointments/{id}"),
        Some(&patient.access),
    );
    assert!(visit.json()["attendance_confirmed_at"].is_null());
    let form = |path: &str| {
        blackbox::send(
            "POST",
            path,
            None,
            Some("application/x-www-form-urlencoded"),
            Some(Vec::new()),
        )
    };
    assert_eq!(form(attend).status, 200);
    let visit = get(
        &format!("/api/booking/appointments/{id}"),
        Some(&doctor.access),
    );
    assert!(
        visit.json()["attendance_confirmed_at"].is_string(),
        "{}",
        visit.text
    );
    assert_eq!(form(attend).status, 410, "a link works once");

    // The mail client's one-click unsubscribe (RFC 8058), with no sign-in.
    let one_click = list
        .trim_start_matches("<https://clinic-nord.example")
        .trim_end_matches('>');
    let r = blackbox::send(
        "POST",
        one_click,
        None,
        Some("application/x-www-form-urlencoded"),
        Some(b"List-Unsubscribe=One-Click".to_vec()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let prefs = get("/api/mail/preferences", Some(&patient.access));
    assert_eq!(prefs.json()["reminder_emails"], false, "{}", prefs.text);

    // Cancelling from the reminder is the patient's own cancellation; the doctor hears of it.
    assert_eq!(form(cancel).status, 200);
    let visit = get(
        &format!("/api/booking/appointments/{id}"),
        Some(&patient.access),
    );
    assert_eq!(visit.json()["status"], "cancelled");
    let told = message_about(relay, &doctor.email, "cancelled");
    assert!(!plain_text(&told).contains("check-up"));
}
