//! Reviews: one per completed visit, by its patient. The doctor's count and sum are moved by a
//! trigger in the same statement as the insert, so concurrent reviews cannot lose an update.

use crate::appointments::{instant_text, Actor};
use jiff::Timestamp;
use serde::Serialize;
use service_kit::db::Db;
use service_kit::{params, Problem};

pub const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub appointment_id: String,
    pub doctor_id: String,
    pub rating: i64,
    pub text: String,
    pub created_at: String,
}

pub fn add(
    db: &dyn Db,
    now: Timestamp,
    patient: &Actor,
    appointment_id: &str,
    rating: i64,
    text: &str,
) -> Result<Review, Problem> {
    if !(1..=5).contains(&rating) {
        return Err(Problem::invalid(
            "rating",
            "must be a whole number from 1 to 5",
        ));
    }
    let text = &crate::api::text("text", text, 0, MAX_TEXT)?;
    // The appointment must be this patient's and completed: checked by the INSERT's SELECT.
    let inserted = db.execute(
        "INSERT INTO booking_reviews (appointment_id, doctor_id, patient_id, rating, text, created_at) \
         SELECT id, doctor_id, patient_id, ?, ?, ? FROM booking_appointments \
         WHERE id = ? AND patient_id = ? AND status = 'completed' \
         RETURNING appointment_id, doctor_id, rating, text, created_at",
        params![
            rating,
            text,
            instant_text(now),
            appointment_id,
            patient.id.as_str()
        ],
    );
    match inserted {
        Ok(rows) => match rows.first() {
            Some(r) => Ok(Review {
                appointment_id: r.get("appointment_id")?,
                doctor_id: r.get("doctor_id")?,
                rating: r.get("rating")?,
                text: r.get("text")?,
                created_at: r.get("created_at")?,
            }),
            None => {
                // Say why: not theirs (404), or not completed (409).
                let a = crate::appointments::get(db, now, patient, appointment_id)?;
                if a.patient_id != patient.id {
                    return Err(Problem::forbidden("only the visit's patient may review it"));
                }
                Err(crate::conflict::Conflict::InvalidTransition {
                    current: a.status.as_str(),
                    why: "only a completed visit can be reviewed".into(),
                }
                .into())
            }
        },
        Err(e) => Err(crate::conflict::Conflict::or_db(e)),
    }
}

/// A doctor's reviews, newest first.
pub fn for_doctor(db: &dyn Db, doctor_id: &str, limit: i64) -> Result<Vec<Review>, Problem> {
    let rows = db.execute(
        "SELECT appointment_id, doctor_id, rating, text, created_at FROM booking_reviews \
         WHERE doctor_id = ? ORDER BY created_at DESC, appointment_id LIMIT ?",
        params![doctor_id, limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Review {
                appointment_id: r.get("appointment_id")?,
                doctor_id: r.get("doctor_id")?,
                rating: r.get("rating")?,
                text: r.get("text")?,
                created_at: r.get("created_at")?,
            })
        })
        .collect()
}
