//! Telling mail what happened: booking's event table is its outbox. After a change, booking
//! relays the events past its cursor to mail as messages (each keyed by event and recipient, so
//! a relay repeated after a lost answer is stored once), and moves the cursor only once mail has
//! accepted them. While mail is down nothing is lost: the next change relays what is pending.

use service_kit::db::Db;
use service_kit::mail::Message;
use service_kit::{params, Problem};

/// The consumer's name in `booking_relay`.
pub const MAIL: &str = "mail";

/// Events one relay takes at most.
pub const BATCH: i64 = 50;

/// One event, with what its messages need.
#[derive(Debug, Clone)]
pub struct Pending {
    pub seq: i64,
    pub appointment_id: String,
    pub doctor_id: String,
    pub patient_id: String,
    pub kind: String,
    pub starts_at: String,
    pub changed_by: String,
    pub doctor_name: String,
    pub time_zone: String,
}

/// The events past the cursor, oldest first: one statement.
pub fn pending(db: &dyn Db) -> Result<Vec<Pending>, Problem> {
    let rows = db.execute(
        "SELECT e.seq, e.appointment_id, e.doctor_id, e.patient_id, e.kind, e.starts_at, \
           a.changed_by, d.name AS doctor_name, d.time_zone \
         FROM booking_events e \
         JOIN booking_appointments a ON a.id = e.appointment_id \
         JOIN booking_doctors d ON d.id = e.doctor_id \
         WHERE e.seq > COALESCE((SELECT seq FROM booking_relay WHERE consumer = ?), 0) \
         ORDER BY e.seq LIMIT ?",
        params![MAIL, BATCH],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                seq: r.get("seq")?,
                appointment_id: r.get("appointment_id")?,
                doctor_id: r.get("doctor_id")?,
                patient_id: r.get("patient_id")?,
                kind: r.get("kind")?,
                starts_at: r.get("starts_at")?,
                changed_by: r.get("changed_by")?,
                doctor_name: r.get("doctor_name")?,
                time_zone: r.get("time_zone")?,
            })
        })
        .collect()
}

/// What a reminder's links are made with: booking's link key and the app's public origin.
pub struct Links<'a> {
    pub key: &'a [u8],
    pub base: &'a str,
}

/// Whether any of `pending` needs [`Links`] (a reminder): the key is read only then.
pub fn needs_links(pending: &[Pending]) -> bool {
    pending.iter().any(|e| e.kind == "reminder")
}

/// Who hears of an event, and by which template: a request goes to the doctor, the doctor's
/// answers to the patient, and a cancellation or a move to whichever side did not make it (both,
/// when staff made it); a reminder to the patient, with links to answer it. An expiry, a
/// completed visit or a no-show tells nobody.
pub fn messages(e: &Pending, links: &Links) -> Vec<Message> {
    let others = || -> Vec<&str> {
        if e.changed_by == e.patient_id {
            vec![&e.doctor_id]
        } else if e.changed_by == e.doctor_id {
            vec![&e.patient_id]
        } else {
            vec![&e.patient_id, &e.doctor_id]
        }
    };
    let (template, to): (&'static str, Vec<&str>) = match e.kind.as_str() {
        "requested" => ("appointment_requested", vec![&e.doctor_id]),
        "confirmed" => ("appointment_confirmed", vec![&e.patient_id]),
        "declined" => ("appointment_declined", vec![&e.patient_id]),
        "cancelled" => ("appointment_cancelled", others()),
        "rescheduled" => ("appointment_rescheduled", others()),
        "reminder" => ("appointment_reminder", vec![&e.patient_id]),
        _ => return Vec::new(),
    };
    let mut data = serde_json::json!({
        // Who and when only: the visit's reason stays in booking.
        "appointment_id": e.appointment_id,
        "doctor_name": e.doctor_name,
        "starts_at": e.starts_at,
        "time_zone": e.time_zone,
    });
    if e.kind == "reminder" {
        if let Ok(at) = e.starts_at.parse::<jiff::Timestamp>() {
            let url = |answer| {
                let path = crate::reminders::link(links.key, &e.appointment_id, answer, at);
                format!("{}{path}", links.base)
            };
            data["attend_link"] = url(crate::reminders::Answer::Attend).into();
            data["cancel_link"] = url(crate::reminders::Answer::Cancel).into();
        }
    }
    to.into_iter()
        .map(|user| {
            Message::to_user(
                template,
                user,
                data.clone(),
                format!("booking:{}:{user}", e.seq),
            )
        })
        .collect()
}

/// Moves the cursor to `seq` (never back: two relays may finish in either order).
pub fn advance(db: &dyn Db, seq: i64) -> Result<(), Problem> {
    db.execute(
        "INSERT INTO booking_relay (consumer, seq) VALUES (?1, ?2) \
         ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq), claimed_until = NULL",
        params![MAIL, seq],
    )?;
    Ok(())
}

/// How long a claim holds: past mail's answer (a relay that died holding it frees it by
/// expiry, and the next change relays).
pub const CLAIM_MS: i64 = 30_000;

/// Batches one request relays at most.
pub const ROUNDS: usize = 4;

/// Takes the relay's claim for [`CLAIM_MS`] when nobody holds it (or its holder's time is up):
/// one statement, `false` when another relay is under way.
pub fn claim(db: &dyn Db, now: jiff::Timestamp) -> Result<bool, Problem> {
    let now = now.as_millisecond();
    let rows = db.execute(
        "INSERT INTO booking_relay (consumer, seq, claimed_until) VALUES (?1, 0, ?3) \
         ON CONFLICT (consumer) DO UPDATE SET claimed_until = excluded.claimed_until \
         WHERE claimed_until IS NULL OR claimed_until <= ?2 \
         RETURNING seq",
        params![MAIL, now, now + CLAIM_MS],
    )?;
    Ok(!rows.is_empty())
}

/// Lets the claim go without moving the cursor (mail refused, or nothing was pending).
pub fn release(db: &dyn Db) -> Result<(), Problem> {
    db.execute(
        "UPDATE booking_relay SET claimed_until = NULL WHERE consumer = ?1",
        params![MAIL],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_relay_holds_the_claim_until_it_advances_releases_or_its_time_is_up() {
        let db = service_kit::db::SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "booking", crate::MIGRATIONS).unwrap();
        let t0: jiff::Timestamp = "2026-12-03T08:00:00Z".parse().unwrap();
        let later = |ms: i64| t0 + jiff::SignedDuration::from_millis(ms);
        // No cursor row yet: the claim makes it.
        assert!(claim(&db, t0).unwrap());
        assert!(!claim(&db, later(1)).unwrap(), "held");
        advance(&db, 12).unwrap();
        assert!(claim(&db, later(2)).unwrap(), "advancing lets go");
        release(&db).unwrap();
        assert!(claim(&db, later(3)).unwrap(), "releasing lets go");
        assert!(!claim(&db, later(3 + CLAIM_MS - 1)).unwrap());
        assert!(
            claim(&db, later(3 + CLAIM_MS)).unwrap(),
            "a dead holder's claim expires"
        );
        // The cursor never moved back, whatever the claims did.
        let seq: i64 = db
            .execute("SELECT seq FROM booking_relay WHERE consumer = 'mail'", &[])
            .unwrap()
            .first()
            .unwrap()
            .get("seq")
            .unwrap();
        assert_eq!(seq, 12);
    }

    fn event(kind: &str, changed_by: &str) -> Pending {
        Pending {
            seq: 7,
            appointment_id: "a".into(),
            doctor_id: "doc".into(),
            patient_id: "pat".into(),
            kind: kind.into(),
            starts_at: "2026-12-08T13:00:00Z".into(),
            changed_by: changed_by.into(),
            doctor_name: "Dr. Ada".into(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    const LINKS: Links = Links {
        key: &[9u8; 32],
        base: "https://clinic.example",
    };

    fn to(kind: &str, by: &str) -> Vec<String> {
        messages(&event(kind, by), &LINKS)
            .into_iter()
            .map(|m| m.to_user.unwrap())
            .collect()
    }

    #[test]
    fn each_side_hears_of_what_the_other_did() {
        assert_eq!(to("requested", "pat"), ["doc"]);
        assert_eq!(to("confirmed", "doc"), ["pat"]);
        assert_eq!(to("declined", "doc"), ["pat"]);
        assert_eq!(to("cancelled", "pat"), ["doc"]);
        assert_eq!(to("cancelled", "doc"), ["pat"]);
        assert_eq!(to("rescheduled", "staff-1"), ["pat", "doc"]);
        assert_eq!(to("reminder", "system"), ["pat"]);
        assert!(to("expired", "pat").is_empty());
        assert!(to("completed", "doc").is_empty());
    }

    #[test]
    fn a_message_is_keyed_by_event_and_recipient_and_carries_no_reason() {
        let m = messages(&event("confirmed", "doc"), &LINKS).remove(0);
        assert_eq!(m.idempotency_key, "booking:7:pat");
        assert!(m.data.get("reason").is_none());
    }

    #[test]
    fn a_reminder_carries_signed_links_to_answer_it() {
        let m = messages(&event("reminder", "doc"), &LINKS).remove(0);
        assert_eq!(m.template, "appointment_reminder");
        let attend = m.data["attend_link"].as_str().unwrap();
        let cancel = m.data["cancel_link"].as_str().unwrap();
        assert!(attend.starts_with("https://clinic.example/api/booking/reminder-answer?token="));
        let token = cancel.split("token=").nth(1).unwrap();
        let link = crate::reminders::read(LINKS.key, token).unwrap();
        assert_eq!(link.appointment, "a");
        assert_eq!(link.answer, crate::reminders::Answer::Cancel);
    }
}
