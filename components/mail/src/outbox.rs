//! The outbox: messages stored once by their producer's key, claimed by one delivering instance
//! at a time, and moved by each attempt, which the delivery log keeps.
//!
//! Every change is one statement: intake is an `INSERT … ON CONFLICT DO NOTHING` (its
//! notification made by a trigger), a claim is one `UPDATE … RETURNING` over the due messages,
//! and an attempt is one `INSERT` whose trigger moves its message.

use crate::templates::{Rendered, Template};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use service_kit::db::{Db, Row};
use service_kit::{params, Problem};

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// An account: its address is asked of auth at delivery, so a changed address is used.
    User(String),
    Address(String),
}

/// A message as a producer hands it in, checked and rendered.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub idempotency_key: String,
    pub template: Template,
    pub to: Recipient,
    pub rendered: Rendered,
    /// The one-click opt-out it offers (optional mail to an account).
    pub unsubscribe: Option<String>,
}

/// Stores `m` unless its key was seen; the message's id and whether it is new. A repeat with
/// the same key is the same message, whatever it carries now.
pub fn submit(db: &dyn Db, m: &NewMessage, now: Timestamp) -> Result<(String, bool), Problem> {
    let id = service_kit::new_id(now);
    let (to_user, to_address) = match &m.to {
        Recipient::User(u) => (Some(u.as_str()), None),
        Recipient::Address(a) => (None, Some(a.as_str())),
    };
    let at = now.to_string();
    let rows = db.execute(
        "INSERT INTO mail_messages (id, idempotency_key, template, to_user, to_address, subject, \
           text_body, html_body, link, essential, status, next_attempt_at, created_at, \
           unsubscribe_url) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        params![
            id.as_str(),
            m.idempotency_key.as_str(),
            m.template.id(),
            to_user,
            to_address,
            m.rendered.subject.as_str(),
            m.rendered.text.as_str(),
            m.rendered.html.as_str(),
            m.rendered.link.as_deref(),
            m.template.essential() as i64,
            at.as_str(),
            at.as_str(),
            m.unsubscribe.as_deref()
        ],
    )?;
    if rows.first().is_some() {
        return Ok((id, true));
    }
    let rows = db.execute(
        "SELECT id FROM mail_messages WHERE idempotency_key = ?",
        params![m.idempotency_key.as_str()],
    )?;
    let row = rows
        .first()
        .ok_or_else(|| Problem::internal("a message's key conflicted but no row holds it"))?;
    Ok((row.get("id")?, false))
}

/// A message taken for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub template: String,
    pub to: Recipient,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub essential: bool,
    pub unsubscribe: Option<String>,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The claim this instance holds (what [`record`] must still find).
    pub lease_until: String,
}

/// How long a claim holds: longer than any one delivery takes (a request lives 30 s on the
/// strictest host), so a claim lapses only when its instance died.
pub const LEASE: SignedDuration = SignedDuration::from_secs(120);

/// Takes up to `limit` due messages, oldest due first, for this instance alone.
pub fn claim(db: &dyn Db, now: Timestamp, limit: i64) -> Result<Vec<Claimed>, Problem> {
    let lease = (now + LEASE).to_string();
    let at = now.to_string();
    let rows = db.execute(
        "UPDATE mail_messages SET lease_until = ?1 \
         WHERE id IN (SELECT id FROM mail_messages \
                      WHERE status = 'queued' AND next_attempt_at <= ?2 \
                        AND (lease_until IS NULL OR lease_until <= ?2) \
                      ORDER BY next_attempt_at LIMIT ?3) \
         RETURNING id, template, to_user, to_address, subject, text_body, html_body, essential, \
           attempts, lease_until, unsubscribe_url",
        params![lease.as_str(), at.as_str(), limit],
    )?;
    rows.iter()
        .map(|r| {
            let to = match r.get::<Option<String>>("to_user")? {
                Some(u) => Recipient::User(u),
                None => Recipient::Address(r.get("to_address")?),
            };
            Ok(Claimed {
                id: r.get("id")?,
                template: r.get("template")?,
                to,
                subject: r.get("subject")?,
                text: r.get("text_body")?,
                html: r.get("html_body")?,
                essential: r.get::<i64>("essential")? == 1,
                unsubscribe: r.get("unsubscribe_url")?,
                attempts: r.get("attempts")?,
                lease_until: r.get("lease_until")?,
            })
        })
        .collect()
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent(String),
    /// The log transport: kept for admins, nothing sent.
    Logged,
    /// The recipient opted out of this kind of mail.
    Suppressed,
    /// Worth trying again (a 4xx, a timeout, a provider's 5xx).
    Transient(String),
    /// Will fail the same way again (a 5xx from the relay, no such account).
    Permanent(String),
}

/// When to try again: `base` doubled each attempt, at most six hours; dead after `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub base: SignedDuration,
    pub max_attempts: i64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            base: SignedDuration::from_secs(30),
            max_attempts: 8,
        }
    }
}

impl Retry {
    /// The wait after failed attempt `n` (1-based).
    pub fn delay(&self, n: i64) -> SignedDuration {
        let cap = SignedDuration::from_hours(6);
        let factor = 1i64 << (n - 1).clamp(0, 20);
        self.base
            .checked_mul(factor as i32)
            .map_or(cap, |d| d.min(cap))
    }
}

/// Records attempt `claimed.attempts + 1` and moves the message (trigger). Nothing happens if
/// the claim lapsed meanwhile and another instance took the message.
pub fn record(
    db: &dyn Db,
    claimed: &Claimed,
    transport: &str,
    outcome: &Outcome,
    retry: &Retry,
    now: Timestamp,
) -> Result<(), Problem> {
    let n = claimed.attempts + 1;
    let (kind, detail, next) = match outcome {
        Outcome::Sent(d) => ("sent", d.clone(), now),
        Outcome::Logged => (
            "logged",
            "kept in the log (no transport configured)".into(),
            now,
        ),
        Outcome::Suppressed => ("suppressed", "the recipient unsubscribed".into(), now),
        Outcome::Permanent(e) => ("dead", e.clone(), now),
        Outcome::Transient(e) if n >= retry.max_attempts => {
            ("dead", format!("{e} (gave up after {n} attempts)"), now)
        }
        Outcome::Transient(e) => ("retry", e.clone(), now + retry.delay(n)),
    };
    let detail: String = detail.chars().take(500).collect();
    db.execute(
        "INSERT INTO mail_attempts (message_id, n, at, transport, outcome, detail, next_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 FROM mail_messages \
         WHERE id = ?1 AND lease_until = ?8",
        params![
            claimed.id.as_str(),
            n,
            now.to_string(),
            transport,
            kind,
            detail,
            next.to_string(),
            claimed.lease_until.as_str()
        ],
    )?;
    Ok(())
}

/// A message as admins see it in the log.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub template: String,
    pub to_user: Option<String>,
    pub to_address: Option<String>,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One attempt in a message's delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub n: i64,
    pub at: String,
    pub transport: String,
    pub outcome: String,
    pub detail: String,
}

/// A message with its bodies and its delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub message: Message,
    pub text_body: String,
    pub html_body: String,
    pub delivery_log: Vec<Attempt>,
}

const MESSAGE_COLUMNS: &str = "id, template, to_user, to_address, subject, status, attempts, \
    next_attempt_at, last_error, created_at, sent_at";

fn message(r: Row<'_>) -> Result<Message, Problem> {
    let status: String = r.get("status")?;
    Ok(Message {
        id: r.get("id")?,
        template: r.get("template")?,
        to_user: r.get("to_user")?,
        to_address: r.get("to_address")?,
        subject: r.get("subject")?,
        next_attempt_at: (status == "queued")
            .then(|| r.get("next_attempt_at"))
            .transpose()?,
        status,
        attempts: r.get("attempts")?,
        last_error: r.get("last_error")?,
        created_at: r.get("created_at")?,
        sent_at: r.get("sent_at")?,
    })
}

/// The statuses a message can be in, as the list filter takes them.
pub const STATUSES: &[&str] = &["queued", "sent", "logged", "dead", "suppressed"];

/// Messages newest first, after the cursor (an id), optionally of one status.
pub fn list(
    db: &dyn Db,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Message>, Problem> {
    let before = before.unwrap_or("~");
    let rows = match status {
        Some(s) => db.execute(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM mail_messages WHERE status = ? AND id < ? \
                 ORDER BY id DESC LIMIT ?"
            ),
            params![s, before, limit],
        )?,
        None => db.execute(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM mail_messages WHERE id < ? ORDER BY id DESC LIMIT ?"
            ),
            params![before, limit],
        )?,
    };
    rows.iter().map(message).collect()
}

/// One message with its bodies and attempts.
pub fn detail(db: &dyn Db, id: &str) -> Result<Option<Detail>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {MESSAGE_COLUMNS}, text_body, html_body, NULL AS n, NULL AS at, \
               NULL AS transport, NULL AS outcome, NULL AS detail FROM mail_messages WHERE id = ?1 \
             UNION ALL \
             SELECT {MESSAGE_COLUMNS}, NULL, NULL, n, at, transport, outcome, detail \
             FROM (SELECT m.id, m.template, m.to_user, m.to_address, m.subject, m.status, \
                     m.attempts, m.next_attempt_at, m.last_error, m.created_at, m.sent_at, \
                     a.n, a.at, a.transport, a.outcome, a.detail \
                   FROM mail_attempts a JOIN mail_messages m ON m.id = a.message_id \
                   WHERE a.message_id = ?1 ORDER BY a.n)"
        ),
        params![id],
    )?;
    let mut it = rows.iter();
    let Some(first) = it.next() else {
        return Ok(None);
    };
    let mut d = Detail {
        message: message(first)?,
        text_body: first.get("text_body")?,
        html_body: first.get("html_body")?,
        delivery_log: Vec::new(),
    };
    for r in it {
        d.delivery_log.push(Attempt {
            n: r.get("n")?,
            at: r.get("at")?,
            transport: r.get("transport")?,
            outcome: r.get("outcome")?,
            detail: r.get("detail")?,
        });
    }
    Ok(Some(d))
}

/// Queues a message again now (an admin's resend of a dead or delivered one). `None`: no such
/// message; `Some(false)`: it is already queued.
pub fn resend(db: &dyn Db, id: &str, now: Timestamp) -> Result<Option<bool>, Problem> {
    let rows = db.execute(
        "UPDATE mail_messages SET status = 'queued', next_attempt_at = ?2, lease_until = NULL \
         WHERE id = ?1 AND status <> 'queued' RETURNING id",
        params![id, now.to_string()],
    )?;
    if rows.first().is_some() {
        return Ok(Some(true));
    }
    let rows = db.execute("SELECT 1 AS x FROM mail_messages WHERE id = ?", params![id])?;
    Ok(rows.first().map(|_| false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::db::SqliteDb;

    fn db() -> SqliteDb {
        let db = SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "mail", crate::MIGRATIONS).unwrap();
        db
    }

    fn msg(key: &str) -> NewMessage {
        NewMessage {
            idempotency_key: key.into(),
            template: Template::AppointmentConfirmed,
            to: Recipient::User("u1".into()),
            rendered: Rendered {
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
                link: Some("#/appointments".into()),
            },
            unsubscribe: None,
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn count(db: &dyn Db, sql: &str) -> i64 {
        db.execute(sql, &[])
            .unwrap()
            .first()
            .unwrap()
            .get("n")
            .unwrap()
    }

    #[test]
    fn a_key_stores_one_message_and_one_notification() {
        let db = db();
        let (a, new) = submit(&db, &msg("k1"), t(0)).unwrap();
        assert!(new);
        let (b, new) = submit(&db, &msg("k1"), t(5)).unwrap();
        assert!(!new);
        assert_eq!(a, b);
        assert_eq!(count(&db, "SELECT count(*) AS n FROM mail_messages"), 1);
        assert_eq!(
            count(&db, "SELECT count(*) AS n FROM mail_notifications"),
            1
        );
    }

    #[test]
    fn a_claimed_message_is_not_claimed_again_until_its_lease_lapses() {
        let db = db();
        submit(&db, &msg("k1"), t(0)).unwrap();
        assert_eq!(claim(&db, t(1), 10).unwrap().len(), 1);
        assert!(claim(&db, t(2), 10).unwrap().is_empty());
        assert_eq!(claim(&db, t(1) + LEASE, 10).unwrap().len(), 1);
    }

    #[test]
    fn failures_back_off_and_then_the_message_is_dead() {
        let db = db();
        let retry = Retry {
            base: SignedDuration::from_secs(10),
            max_attempts: 3,
        };
        let (id, _) = submit(&db, &msg("k1"), t(0)).unwrap();
        let c = claim(&db, t(0), 10).unwrap().remove(0);
        record(
            &db,
            &c,
            "smtp",
            &Outcome::Transient("421 busy".into()),
            &retry,
            t(0),
        )
        .unwrap();
        // Not due for 10 s, then 20 s.
        assert!(claim(&db, t(9), 10).unwrap().is_empty());
        let c = claim(&db, t(10), 10).unwrap().remove(0);
        assert_eq!(c.attempts, 1);
        record(
            &db,
            &c,
            "smtp",
            &Outcome::Transient("421 busy".into()),
            &retry,
            t(10),
        )
        .unwrap();
        assert!(claim(&db, t(29), 10).unwrap().is_empty());
        let c = claim(&db, t(30), 10).unwrap().remove(0);
        record(
            &db,
            &c,
            "smtp",
            &Outcome::Transient("421 busy".into()),
            &retry,
            t(30),
        )
        .unwrap();
        let d = detail(&db, &id).unwrap().unwrap();
        assert_eq!(d.message.status, "dead");
        assert_eq!(d.delivery_log.len(), 3);
        assert!(d.message.last_error.unwrap().contains("gave up after 3"));
        assert!(claim(&db, t(10_000), 10).unwrap().is_empty());
        // An admin's resend queues it again, once.
        assert_eq!(resend(&db, &id, t(40)).unwrap(), Some(true));
        assert_eq!(resend(&db, &id, t(40)).unwrap(), Some(false));
        assert_eq!(resend(&db, "nope", t(40)).unwrap(), None);
        let c = claim(&db, t(40), 10).unwrap().remove(0);
        record(
            &db,
            &c,
            "smtp",
            &Outcome::Sent("250 ok".into()),
            &retry,
            t(40),
        )
        .unwrap();
        let d = detail(&db, &id).unwrap().unwrap();
        assert_eq!(
            (d.message.status.as_str(), d.delivery_log.len()),
            ("sent", 4)
        );
    }

    #[test]
    fn a_lapsed_claim_records_nothing() {
        let db = db();
        submit(&db, &msg("k1"), t(0)).unwrap();
        let stale = claim(&db, t(0), 10).unwrap().remove(0);
        let fresh = claim(&db, t(0) + LEASE, 10).unwrap().remove(0);
        let retry = Retry::default();
        record(
            &db,
            &stale,
            "smtp",
            &Outcome::Sent("late".into()),
            &retry,
            t(200),
        )
        .unwrap();
        record(
            &db,
            &fresh,
            "smtp",
            &Outcome::Sent("250".into()),
            &retry,
            t(200),
        )
        .unwrap();
        assert_eq!(count(&db, "SELECT count(*) AS n FROM mail_attempts"), 1);
    }

    #[test]
    fn the_delay_doubles_and_is_capped() {
        let r = Retry::default();
        assert_eq!(r.delay(1), SignedDuration::from_secs(30));
        assert_eq!(r.delay(3), SignedDuration::from_secs(120));
        assert_eq!(r.delay(60), SignedDuration::from_hours(6));
    }
}
