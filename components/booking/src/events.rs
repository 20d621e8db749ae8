//! The event feed: every appointment change, appended by triggers in the same statement as the
//! change, read by service callers (mail, analytics) with their own cursor (the sequence number).

use serde::Serialize;
use service_kit::db::Db;
use service_kit::{params, Problem};

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    pub appointment_id: String,
    pub doctor_id: String,
    pub patient_id: String,
    /// The appointment's new status, or `rescheduled`.
    pub kind: String,
    pub starts_at: String,
    pub at: String,
}

/// Events after `after`, oldest first.
pub fn after(db: &dyn Db, after: i64, limit: i64) -> Result<Vec<Event>, Problem> {
    let rows = db.execute(
        "SELECT seq, appointment_id, doctor_id, patient_id, kind, starts_at, at FROM booking_events \
         WHERE seq > ? ORDER BY seq LIMIT ?",
        params![after, limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                seq: r.get("seq")?,
                appointment_id: r.get("appointment_id")?,
                doctor_id: r.get("doctor_id")?,
                patient_id: r.get("patient_id")?,
                kind: r.get("kind")?,
                starts_at: r.get("starts_at")?,
                at: r.get("at")?,
            })
        })
        .collect()
}
