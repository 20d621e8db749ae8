//! Delivering what is due: claim a bounded batch, find each recipient's address, hand the message
//! to the configured transport, record the outcome. The I/O (auth for addresses, the relay or
//! the provider) sits behind [`Io`], so the rules run natively in tests; Spin's is in `spin_io`.

use crate::mime::Outgoing;
use crate::outbox::{self, Claimed, Outcome, Recipient, Retry};
use serde::Serialize;
use service_kit::db::Db;
use service_kit::Problem;

/// Where messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Transport {
    /// Kept for admins to read; nothing leaves (the default, so `spin up` needs no setup).
    Log,
    Smtp,
    /// A provider's HTTPS API (Resend's shape).
    Http,
}

impl Transport {
    pub fn id(self) -> &'static str {
        self.into()
    }
}

/// An account's address, as auth has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub email: String,
    pub display_name: Option<String>,
}

/// The world delivery talks to.
#[allow(async_fn_in_trait)] // components are single-threaded: no `Send` bound is wanted
pub trait Io {
    /// `Ok(None)`: no such account (the message can never be delivered).
    async fn contact(&self, user: &str) -> Result<Option<Contact>, String>;
    async fn send(&self, transport: Transport, message: &Outgoing<'_>) -> Outcome;
}

/// What one round did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    pub sent: u32,
    pub logged: u32,
    pub retrying: u32,
    pub dead: u32,
    pub suppressed: u32,
}

/// How delivery is set up (variables).
#[derive(Debug, Clone)]
pub struct Plan {
    pub transport: Transport,
    pub from: String,
    pub retry: Retry,
    /// Messages one round takes at most: a request's spare time is bounded.
    pub batch: i64,
}

/// Delivers up to `plan.batch` due messages.
pub async fn deliver_due(
    db: &dyn Db,
    io: &impl Io,
    plan: &Plan,
    now: impl Fn() -> jiff::Timestamp,
) -> Result<Report, Problem> {
    let mut report = Report::default();
    for claimed in outbox::claim(db, now(), plan.batch)? {
        // Optional mail to an account that opted out is not sent (its notification stays).
        let opted_out = match &claimed.to {
            Recipient::User(u) if !claimed.essential => crate::unsubscribe::suppressed(db, u)?,
            _ => false,
        };
        let outcome = if opted_out {
            Outcome::Suppressed
        } else {
            attempt(io, plan, &claimed, now()).await
        };
        match &outcome {
            Outcome::Sent(_) => report.sent += 1,
            Outcome::Logged => report.logged += 1,
            Outcome::Suppressed => report.suppressed += 1,
            Outcome::Permanent(_) => report.dead += 1,
            Outcome::Transient(_) if claimed.attempts + 1 >= plan.retry.max_attempts => {
                report.dead += 1
            }
            Outcome::Transient(_) => report.retrying += 1,
        }
        outbox::record(
            db,
            &claimed,
            plan.transport.id(),
            &outcome,
            &plan.retry,
            now(),
        )?;
    }
    Ok(report)
}

async fn attempt(io: &impl Io, plan: &Plan, m: &Claimed, now: jiff::Timestamp) -> Outcome {
    if plan.transport == Transport::Log {
        return Outcome::Logged;
    }
    let contact = match &m.to {
        Recipient::Address(a) => Contact {
            email: a.clone(),
            display_name: None,
        },
        Recipient::User(u) => match io.contact(u).await {
            Ok(Some(c)) => c,
            Ok(None) => return Outcome::Permanent("no such account".into()),
            Err(e) => return Outcome::Transient(format!("asking auth for the address: {e}")),
        },
    };
    let out = Outgoing {
        id: &m.id,
        from: &plan.from,
        to: &contact.email,
        to_name: contact.display_name.as_deref(),
        subject: &m.subject,
        text: &m.text,
        html: &m.html,
        date: now,
        unsubscribe: m.unsubscribe.as_deref(),
    };
    io.send(plan.transport, &out).await
}

/// The provider's request body (Resend's `POST /emails`).
pub fn provider_body(m: &Outgoing) -> serde_json::Value {
    let to = match m.to_name {
        Some(n) => format!("\"{}\" <{}>", n.replace(['"', '\\'], ""), m.to),
        None => m.to.to_string(),
    };
    let mut headers = serde_json::Map::new();
    if let Some(u) = m.unsubscribe {
        headers.insert("List-Unsubscribe".into(), format!("<{u}>").into());
        headers.insert(
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        );
    }
    serde_json::json!({
        "from": m.from,
        "to": [to],
        "subject": m.subject,
        "text": m.text,
        "html": m.html,
        "headers": headers,
    })
}

/// What a provider's answer means: 2xx sent; 408, 429 and 5xx worth retrying; any other 4xx
/// (a bad key, a refused address) the same next time.
pub fn provider_outcome(status: u16, body: &[u8]) -> Outcome {
    let said: String = String::from_utf8_lossy(body).chars().take(300).collect();
    match status {
        200..=299 => Outcome::Sent(format!("{status} {said}")),
        408 | 429 | 500..=599 => Outcome::Transient(format!("provider answered {status} {said}")),
        _ => Outcome::Permanent(format!("provider answered {status} {said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::NewMessage;
    use crate::templates::{Rendered, Template};
    use service_kit::db::SqliteDb;
    use std::cell::RefCell;

    struct Fake {
        answers: RefCell<Vec<Outcome>>,
        sent: RefCell<Vec<String>>,
    }

    impl Io for Fake {
        async fn contact(&self, user: &str) -> Result<Option<Contact>, String> {
            Ok((user != "gone").then(|| Contact {
                email: format!("{user}@example.org"),
                display_name: None,
            }))
        }
        async fn send(&self, _: Transport, m: &Outgoing<'_>) -> Outcome {
            self.sent.borrow_mut().push(m.to.to_string());
            self.answers.borrow_mut().remove(0)
        }
    }

    fn queue(db: &dyn Db, key: &str, user: &str) {
        outbox::submit(
            db,
            &NewMessage {
                idempotency_key: key.into(),
                template: Template::AppointmentConfirmed,
                to: Recipient::User(user.into()),
                rendered: Rendered {
                    subject: "s".into(),
                    text: "t".into(),
                    html: "h".into(),
                    link: None,
                },
                unsubscribe: None,
            },
            jiff::Timestamp::UNIX_EPOCH,
        )
        .unwrap();
    }

    fn fake(answers: Vec<Outcome>) -> Fake {
        Fake {
            answers: RefCell::new(answers),
            sent: RefCell::new(vec![]),
        }
    }

    fn plan(transport: Transport) -> Plan {
        Plan {
            transport,
            from: "h@x.org".into(),
            retry: Retry::default(),
            batch: 10,
        }
    }

    /// The fake's futures are always ready: polling once is running them.
    fn run<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn a_round_sends_retries_and_gives_up_as_the_answers_say() {
        let db = SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "mail", crate::MIGRATIONS).unwrap();
        queue(&db, "a", "u1");
        queue(&db, "b", "u2");
        queue(&db, "c", "gone");
        let io = fake(vec![
            Outcome::Sent("250".into()),
            Outcome::Transient("451".into()),
        ]);
        let plan = plan(Transport::Smtp);
        let report = run(deliver_due(&db, &io, &plan, || jiff::Timestamp::UNIX_EPOCH)).unwrap();
        assert_eq!(
            report,
            Report {
                sent: 1,
                retrying: 1,
                dead: 1,
                ..Report::default()
            }
        );
        assert_eq!(*io.sent.borrow(), vec!["u1@example.org", "u2@example.org"]);
    }

    #[test]
    fn the_log_transport_keeps_everything_and_sends_nothing() {
        let db = SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "mail", crate::MIGRATIONS).unwrap();
        queue(&db, "a", "u1");
        let io = fake(vec![]);
        let plan = plan(Transport::Log);
        let report = run(deliver_due(&db, &io, &plan, || jiff::Timestamp::UNIX_EPOCH)).unwrap();
        assert_eq!(report.logged, 1);
        assert!(io.sent.borrow().is_empty());
    }

    #[test]
    fn optional_mail_to_an_account_that_opted_out_is_not_sent_and_essential_mail_is() {
        let db = SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "mail", crate::MIGRATIONS).unwrap();
        let reminder = NewMessage {
            idempotency_key: "r".into(),
            template: Template::AppointmentReminder,
            to: Recipient::User("u1".into()),
            rendered: Rendered {
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
                link: None,
            },
            unsubscribe: Some("https://c.example/api/mail/unsubscribe?token=x".into()),
        };
        outbox::submit(&db, &reminder, jiff::Timestamp::UNIX_EPOCH).unwrap();
        queue(&db, "a", "u1");
        crate::unsubscribe::suppress(&db, "u1", "1970-01-01T00:00:00Z").unwrap();
        let io = fake(vec![Outcome::Sent("250".into())]);
        let plan = plan(Transport::Smtp);
        let report = run(deliver_due(&db, &io, &plan, || jiff::Timestamp::UNIX_EPOCH)).unwrap();
        assert_eq!((report.suppressed, report.sent), (1, 1));
        assert_eq!(io.sent.borrow().len(), 1, "only the essential one left");
    }

    #[test]
    fn provider_answers_map_to_outcomes() {
        assert!(matches!(provider_outcome(200, b"{}"), Outcome::Sent(_)));
        assert!(matches!(provider_outcome(503, b""), Outcome::Transient(_)));
        assert!(matches!(provider_outcome(429, b""), Outcome::Transient(_)));
        assert!(matches!(provider_outcome(422, b""), Outcome::Permanent(_)));
    }
}
