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

/// Who hears of an event, and by which template: a request goes to the doctor, the doctor's
/// answers to the patient, and a cancellation or a move to whichever side did not make it (both,
/// when staff made it). An expiry, a completed visit or a no-show tells nobody.
pub fn messages(e: &Pending) -> Vec<Message> {
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
        _ => return Vec::new(),
    };
    to.into_iter()
        .map(|user| {
            Message::to_user(
                template,
                user,
                // Who and when only: the visit's reason stays in booking.
                serde_json::json!({
                    "appointment_id": e.appointment_id,
                    "doctor_name": e.doctor_name,
                    "starts_at": e.starts_at,
                    "time_zone": e.time_zone,
                }),
                format!("booking:{}:{user}", e.seq),
            )
        })
        .collect()
}

/// Moves the cursor to `seq` (never back: two relays may finish in either order).
pub fn advance(db: &dyn Db, seq: i64) -> Result<(), Problem> {
    db.execute(
        "INSERT INTO booking_relay (consumer, seq) VALUES (?1, ?2) \
         ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq)",
        params![MAIL, seq],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn to(kind: &str, by: &str) -> Vec<String> {
        messages(&event(kind, by))
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
        assert!(to("expired", "pat").is_empty());
        assert!(to("completed", "doc").is_empty());
    }

    #[test]
    fn a_message_is_keyed_by_event_and_recipient_and_carries_no_reason() {
        let m = messages(&event("confirmed", "doc")).remove(0);
        assert_eq!(m.idempotency_key, "booking:7:pat");
        assert!(m.data.get("reason").is_none());
    }
}
