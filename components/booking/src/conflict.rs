//! What booking's rules refuse because of the state of things (HTTP 409), as typed values: the
//! rules say which, the `From` below says how it reads as a problem (docs/problems.md). The ones
//! the database decides — its unique indexes — are told apart by the index they name.

use service_kit::db::DbError;
use service_kit::Problem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("that slot is already taken")]
    SlotTaken,
    #[error("you already have an appointment at that time")]
    PatientBusy,
    #[error("this Idempotency-Key is already used")]
    IdempotencyKeyInUse,
    #[error("you already hold {max} upcoming appointments; cancel one first")]
    TooManyAppointments { max: i64 },
    #[error("the appointment is {current}; {why}")]
    InvalidTransition { current: &'static str, why: String },
    #[error("patients may {what} up to {minutes} minutes before the start; call the clinic")]
    TooLateToCancel { what: &'static str, minutes: i64 },
    #[error("the appointment has not started yet")]
    NotStarted,
    #[error("the appointment has already started")]
    AlreadyStarted,
    #[error("this visit already has a review")]
    AlreadyReviewed,
}

/// The unique indexes of migrations/booking/0001_booking.sql, as SQLite names them in a
/// violation (by their columns), and what each means.
const UNIQUE: &[(&str, Conflict)] = &[
    // booking_one_per_slot
    (
        "booking_appointments.doctor_id, booking_appointments.starts_at",
        Conflict::SlotTaken,
    ),
    // booking_one_per_patient_instant
    (
        "booking_appointments.patient_id, booking_appointments.starts_at",
        Conflict::PatientBusy,
    ),
    // booking_idempotency
    (
        "booking_appointments.patient_id, booking_appointments.idempotency_key",
        Conflict::IdempotencyKeyInUse,
    ),
    // booking_reviews' primary key: one review per appointment
    ("booking_reviews.appointment_id", Conflict::AlreadyReviewed),
];

impl Conflict {
    /// The problem type (docs/problems.md).
    pub fn kind(&self) -> &'static str {
        match self {
            Conflict::SlotTaken => "slot-taken",
            Conflict::PatientBusy => "patient-busy",
            Conflict::IdempotencyKeyInUse => "idempotency-key-in-use",
            Conflict::TooManyAppointments { .. } => "too-many-appointments",
            Conflict::InvalidTransition { .. } => "invalid-transition",
            Conflict::TooLateToCancel { .. } => "too-late-to-cancel",
            Conflict::NotStarted => "not-started",
            Conflict::AlreadyStarted => "already-started",
            Conflict::AlreadyReviewed => "already-reviewed",
        }
    }

    /// Which conflict a unique index's refusal is, by the index it names.
    pub fn from_unique(e: &DbError) -> Option<Conflict> {
        let on = e.unique_violation()?;
        UNIQUE
            .iter()
            .find(|(index, _)| *index == on)
            .map(|(_, c)| c.clone())
    }

    /// The database error as a problem: a known unique index's conflict, else the error.
    pub fn or_db(e: DbError) -> Problem {
        Conflict::from_unique(&e).map_or_else(|| e.into(), Problem::from)
    }
}

impl From<Conflict> for Problem {
    fn from(c: Conflict) -> Problem {
        let field = match c {
            Conflict::SlotTaken => Some(("starts_at", "is already taken")),
            Conflict::PatientBusy => Some(("starts_at", "you already have an appointment then")),
            _ => None,
        };
        let p = Problem::conflict(c.kind(), c.to_string());
        match field {
            Some((f, m)) => p.with_field(f, m),
            None => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_is_a_documented_problem_type() {
        let doc = include_str!("../../../docs/problems.md");
        let all = [
            Conflict::SlotTaken,
            Conflict::PatientBusy,
            Conflict::IdempotencyKeyInUse,
            Conflict::TooManyAppointments { max: 1 },
            Conflict::InvalidTransition {
                current: "cancelled",
                why: String::new(),
            },
            Conflict::TooLateToCancel {
                what: "cancel",
                minutes: 1,
            },
            Conflict::NotStarted,
            Conflict::AlreadyStarted,
            Conflict::AlreadyReviewed,
        ];
        for c in all {
            assert!(
                doc.contains(&format!("| `{}` | 409 |", c.kind())),
                "docs/problems.md does not list {}",
                c.kind()
            );
            assert_eq!(Problem::from(c.clone()).status, 409);
        }
    }
}
