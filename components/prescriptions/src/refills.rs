//! Refill requests: the patient asks, the prescriber (or a doctor treating the patient)
//! approves — a new authorisation of more fills, added to every line in the same statement —
//! or declines with a reason. One open request per prescription (a unique index), each decided
//! once (a trigger); the patient hears either way (the outbox trigger).

use serde::Serialize;
use service_kit::db::{Db, Row};
use service_kit::text::TextRule;
use service_kit::{params, Problem};

pub const NOTE: TextRule = TextRule::paragraphs(1, 1000);
pub const REASON: TextRule = TextRule::paragraphs(5, 1000);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Refill {
    pub id: String,
    pub prescription_id: String,
    pub patient_id: String,
    pub doctor_id: String,
    pub note: Option<String>,
    pub status: String,
    pub fills: Option<i64>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub requested_at: String,
    pub decided_at: Option<String>,
}

const COLUMNS: &str = "id, prescription_id, patient_id, doctor_id, note, status, fills, reason, \
     decided_by, requested_at, decided_at";

fn from_row(r: Row<'_>) -> Result<Refill, Problem> {
    Ok(Refill {
        id: r.get("id")?,
        prescription_id: r.get("prescription_id")?,
        patient_id: r.get("patient_id")?,
        doctor_id: r.get("doctor_id")?,
        note: r.get("note")?,
        status: r.get("status")?,
        fills: r.get("fills")?,
        reason: r.get("reason")?,
        decided_by: r.get("decided_by")?,
        requested_at: r.get("requested_at")?,
        decided_at: r.get("decided_at")?,
    })
}

/// Asks for more fills of `prescription`; `None` when one is already open.
pub fn request(
    db: &dyn Db,
    p: &crate::prescription::Prescription,
    note: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Option<Refill>, Problem> {
    let id = service_kit::new_id(now);
    let result = db.execute(
        &format!(
            "INSERT INTO rx_refill_requests (id, prescription_id, patient_id, doctor_id, note,
               status, requested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'requested', ?6) RETURNING {COLUMNS}"
        ),
        params![
            id.as_str(),
            p.id.as_str(),
            p.patient_id.as_str(),
            p.doctor_id.as_str(),
            note,
            now.to_string()
        ],
    );
    match result {
        Err(e) if e.unique_violation() == Some("rx_refill_requests.prescription_id") => Ok(None),
        other => Ok(other?.first().map(from_row).transpose()?),
    }
}

pub fn get(db: &dyn Db, id: &str) -> Result<Option<Refill>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM rx_refill_requests WHERE id = ?1"),
        params![id],
    )?;
    rows.first().map(from_row).transpose()
}

/// Approves (with `fills` more) or declines (with `reason`) an open request; `None` when it
/// was decided already.
pub fn decide(
    db: &dyn Db,
    id: &str,
    by: &str,
    fills: Option<i64>,
    reason: Option<&str>,
    now: jiff::Timestamp,
) -> Result<Option<Refill>, Problem> {
    let status = if fills.is_some() {
        "approved"
    } else {
        "declined"
    };
    let rows = db.execute(
        &format!(
            "UPDATE rx_refill_requests SET status = ?2, fills = ?3, reason = ?4, decided_by = ?5,
               decided_at = ?6
             WHERE id = ?1 AND status = 'requested' RETURNING {COLUMNS}"
        ),
        params![id, status, fills, reason, by, now.to_string()],
    )?;
    rows.first().map(from_row).transpose()
}

/// Whose requests: a doctor's queue (requests to them), or a patient's own.
pub enum Whose<'a> {
    Doctor(&'a str),
    Patient(&'a str),
}

/// Requests in `status`: oldest first for a doctor's queue, newest first for a patient. Each is
/// one walk of its index.
pub fn list(db: &dyn Db, whose: Whose, status: &str, limit: i64) -> Result<Vec<Refill>, Problem> {
    let rows = match whose {
        Whose::Doctor(d) => db.execute(
            &format!(
                "SELECT {COLUMNS} FROM rx_refill_requests
                 WHERE doctor_id = ?1 AND status = ?2 ORDER BY requested_at, id LIMIT ?3"
            ),
            params![d, status, limit],
        )?,
        Whose::Patient(p) => db.execute(
            &format!(
                "SELECT {COLUMNS} FROM rx_refill_requests WHERE patient_id = ?1 AND status = ?2
                 ORDER BY requested_at DESC, id DESC LIMIT ?3"
            ),
            params![p, status, limit],
        )?,
    };
    rows.iter().map(from_row).collect()
}
