//! Reminders a clinic-set time (`booking_reminder_hours`, 24 by default) before each confirmed
//! visit, and the patient's answer from the reminder: "I will come" or "cancel it".
//!
//! Spin has no scheduler, so visits are swept for reminders when booking is used (after every
//! request, one indexed probe when nothing is due) and when a timer calls
//! `POST /api/booking/reminders` (docs/operations.md). Marking a visit reminded is one statement
//! that also writes a `reminder` event, so the relay that tells mail of every change tells it of
//! reminders too, and a visit is reminded once however many sweeps run at once.
//!
//! The links in a reminder are signed by booking (`service_kit::signed`): the visit, the answer
//! and the visit's start, so a link dies when the visit starts or moves. Each works once
//! (`booking_link_uses`), and a cancellation from a link is the patient's own, cut-off and all.

use crate::appointments::{self, instant_text, Action, Actor, Appointment, Policy};
use jiff::{SignedDuration, Timestamp};
use service_kit::db::Db;
use service_kit::token::Role;
use service_kit::{params, Problem};
use sha2::{Digest, Sha256};

/// Visits one sweep reminds at most.
pub const BATCH: i64 = 50;

const DUE: &str = "FROM booking_appointments INDEXED BY booking_reminders_due \
     WHERE status = 'confirmed' AND reminded_at IS NULL AND starts_at > ?1 AND starts_at <= ?2";

/// Marks the confirmed visits starting within `lead` as reminded (their events go to mail
/// with the next relay); how many.
pub fn sweep(db: &dyn Db, now: Timestamp, lead: SignedDuration) -> Result<usize, Problem> {
    let (from, to) = (
        instant_text(now),
        instant_text(now.checked_add(lead).unwrap_or(now)),
    );
    // A read first: the common answer is "nothing due", and a read takes no write lock.
    if db
        .execute(
            &format!("SELECT 1 AS due {DUE} LIMIT 1"),
            params![from.as_str(), to.as_str()],
        )?
        .is_empty()
    {
        return Ok(0);
    }
    let rows = db.execute(
        &format!(
            "UPDATE booking_appointments SET reminded_at = ?1 \
             WHERE id IN (SELECT id {DUE} ORDER BY starts_at LIMIT ?3) AND reminded_at IS NULL \
             RETURNING id"
        ),
        params![from, to, BATCH],
    )?;
    Ok(rows.len())
}

/// What a reminder's link answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Attend,
    Cancel,
}

impl Answer {
    fn as_str(self) -> &'static str {
        match self {
            Answer::Attend => "attend",
            Answer::Cancel => "cancel",
        }
    }
}

/// A reminder link's path and query, for `appointment` starting at `starts_at`.
pub fn link(key: &[u8], appointment: &str, answer: Answer, starts_at: Timestamp) -> String {
    let payload = format!(
        "{appointment}|{}|{}",
        answer.as_str(),
        starts_at.as_second()
    );
    format!(
        "/api/booking/reminder-answer?token={}",
        service_kit::signed::seal(key, &payload)
    )
}

/// A link's content, once its signature checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub appointment: String,
    pub answer: Answer,
    pub starts_at: Timestamp,
}

pub fn read(key: &[u8], token: &str) -> Option<Link> {
    let payload = service_kit::signed::open(key, token)?;
    let mut parts = payload.split('|');
    let appointment = parts.next()?.to_string();
    let answer = match parts.next()? {
        "attend" => Answer::Attend,
        "cancel" => Answer::Cancel,
        _ => return None,
    };
    let starts_at = Timestamp::from_second(parts.next()?.parse().ok()?).ok()?;
    Some(Link {
        appointment,
        answer,
        starts_at,
    })
}

/// Why a link did nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Not a link booking made.
    Invalid,
    /// The visit has started, moved, or the link was used.
    Spent,
    /// The visit's state or the cut-off refused it (the problem says which).
    Rule(Problem),
}

/// The visit a live, unused link is about.
pub fn open(
    db: &dyn Db,
    key: &[u8],
    token: &str,
    now: Timestamp,
) -> Result<(Link, Appointment), Refused> {
    let link = read(key, token).ok_or(Refused::Invalid)?;
    if now >= link.starts_at {
        return Err(Refused::Spent);
    }
    let used = db
        .execute(
            "SELECT 1 AS used FROM booking_link_uses WHERE token_hash = ?",
            params![hash(token)],
        )
        .map_err(|e| Refused::Rule(e.into()))?;
    if !used.is_empty() {
        return Err(Refused::Spent);
    }
    let patient = Actor {
        id: appointments::patient_of(db, &link.appointment)
            .map_err(Refused::Rule)?
            .ok_or(Refused::Invalid)?,
        role: Role::Patient,
    };
    let a = appointments::get(db, now, &patient, &link.appointment).map_err(Refused::Rule)?;
    if a.starts_at != link.starts_at {
        return Err(Refused::Spent);
    }
    Ok((link, a))
}

/// Does what the link says, as the patient, and spends it.
pub fn answer(
    db: &dyn Db,
    policy: &Policy,
    key: &[u8],
    token: &str,
    now: Timestamp,
) -> Result<(Link, Appointment), Refused> {
    let (link, a) = open(db, key, token, now)?;
    let patient = Actor {
        id: a.patient_id.clone(),
        role: Role::Patient,
    };
    let done = match link.answer {
        Answer::Attend => appointments::confirm_attendance(db, now, &a.id),
        Answer::Cancel => appointments::transition(
            db,
            policy,
            now,
            &patient,
            &a.id,
            Action::Cancel,
            Some("cancelled by the patient from the reminder"),
        ),
    }
    .map_err(Refused::Rule)?;
    db.execute(
        "INSERT INTO booking_link_uses (token_hash, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        params![hash(token), instant_text(now)],
    )
    .map_err(|e| Refused::Rule(e.into()))?;
    Ok((link, done))
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_its_visit_answer_and_start_and_cannot_be_altered() {
        let key = [3u8; 32];
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let path = link(&key, "appt-1", Answer::Cancel, at);
        let token = path.split("token=").nth(1).unwrap();
        assert_eq!(
            read(&key, token),
            Some(Link {
                appointment: "appt-1".into(),
                answer: Answer::Cancel,
                starts_at: at
            })
        );
        assert_eq!(read(&[4u8; 32], token), None);
        let attend = link(&key, "appt-1", Answer::Attend, at);
        assert_ne!(attend, path);
    }
}
