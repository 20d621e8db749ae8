//! Care relationships: is doctor D treating patient P right now? Booking knows — D has a
//! confirmed appointment with P (upcoming, or within the clinic's window), or completed one
//! within the window (`booking_care_window_days`, default a year). Records, prescriptions and
//! diagnosis ask this before letting a doctor at a patient's data.

use crate::appointments::instant_text;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use service_kit::db::Db;
use service_kit::{params, Problem};

/// The appointment a relationship rests on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Basis {
    pub appointment_id: String,
    pub status: String,
    pub starts_at: String,
}

/// The most recent appointment that makes `doctor` `patient`'s treating doctor at `now`, if any.
/// One indexed read.
pub fn basis(
    db: &dyn Db,
    now: Timestamp,
    window: SignedDuration,
    doctor: &str,
    patient: &str,
) -> Result<Option<Basis>, Problem> {
    let since = instant_text(now.checked_sub(window).unwrap_or(now));
    let rows = db.execute(
        "SELECT id, status, starts_at FROM booking_appointments
         WHERE doctor_id = ?1 AND patient_id = ?2
           AND ((status = 'confirmed' AND ends_at > ?3) OR (status = 'completed' AND starts_at > ?3))
         ORDER BY starts_at DESC LIMIT 1",
        params![doctor, patient, since],
    )?;
    rows.first()
        .map(|r| {
            Ok(Basis {
                appointment_id: r.get("id")?,
                status: r.get("status")?,
                starts_at: r.get("starts_at")?,
            })
        })
        .transpose()
}
