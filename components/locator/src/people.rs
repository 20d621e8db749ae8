//! Who belongs where: the pharmacy a pharmacist account works at (staff say so), and the one a
//! patient nominated. Each is one row keyed by the person, written in one statement that also
//! checks the pharmacy is there and trading.

use crate::pharmacy::{self, Pharmacy, COLUMNS};
use jiff::Timestamp;
use service_kit::db::Db;
use service_kit::{params, Problem};

/// Makes `user` a pharmacist of `pharmacy` (moving them from any other). `false`: no such
/// trading pharmacy.
pub fn assign(
    db: &dyn Db,
    user: &str,
    pharmacy: &str,
    by: &str,
    now: Timestamp,
) -> Result<bool, Problem> {
    let rows = db.execute(
        "INSERT INTO loc_pharmacists (user_id, pharmacy_id, assigned_by, assigned_at) \
         SELECT ?1, id, ?3, ?4 FROM loc_pharmacies WHERE id = ?2 AND status = 'active' \
         ON CONFLICT (user_id) DO UPDATE SET pharmacy_id = excluded.pharmacy_id, \
           assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at \
         RETURNING user_id",
        params![user, pharmacy, by, now.to_string()],
    )?;
    Ok(!rows.is_empty())
}

pub fn unassign(db: &dyn Db, user: &str) -> Result<bool, Problem> {
    let rows = db.execute(
        "DELETE FROM loc_pharmacists WHERE user_id = ?1 RETURNING user_id",
        params![user],
    )?;
    Ok(!rows.is_empty())
}

/// The pharmacy `user` works at, if staff assigned one (closed or not: a dispense names it).
pub fn pharmacy_of(db: &dyn Db, user: &str) -> Result<Option<Pharmacy>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM loc_pharmacists AS a JOIN loc_pharmacies AS p \
             ON p.id = a.pharmacy_id WHERE a.user_id = ?1"
        ),
        params![user],
    )?;
    rows.first().map(|r| pharmacy::from_row(&r)).transpose()
}

/// Whether `user` is a pharmacist of `pharmacy`.
pub fn works_at(db: &dyn Db, user: &str, pharmacy: &str) -> Result<bool, Problem> {
    let rows = db.execute(
        "SELECT 1 AS yes FROM loc_pharmacists WHERE user_id = ?1 AND pharmacy_id = ?2",
        params![user, pharmacy],
    )?;
    Ok(!rows.is_empty())
}

/// `patient` nominates `pharmacy`. `false`: no such trading pharmacy.
pub fn prefer(db: &dyn Db, patient: &str, pharmacy: &str, now: Timestamp) -> Result<bool, Problem> {
    let rows = db.execute(
        "INSERT INTO loc_preferred (patient_id, pharmacy_id, chosen_at) \
         SELECT ?1, id, ?3 FROM loc_pharmacies WHERE id = ?2 AND status = 'active' \
         ON CONFLICT (patient_id) DO UPDATE SET pharmacy_id = excluded.pharmacy_id, \
           chosen_at = excluded.chosen_at \
         RETURNING patient_id",
        params![patient, pharmacy, now.to_string()],
    )?;
    Ok(!rows.is_empty())
}

pub fn forget(db: &dyn Db, patient: &str) -> Result<bool, Problem> {
    let rows = db.execute(
        "DELETE FROM loc_preferred WHERE patient_id = ?1 RETURNING patient_id",
        params![patient],
    )?;
    Ok(!rows.is_empty())
}

/// The pharmacy `patient` nominated, while it trades.
pub fn preferred(db: &dyn Db, patient: &str) -> Result<Option<Pharmacy>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM loc_preferred AS n JOIN loc_pharmacies AS p \
             ON p.id = n.pharmacy_id WHERE n.patient_id = ?1 AND p.status = 'active'"
        ),
        params![patient],
    )?;
    rows.first().map(|r| pharmacy::from_row(&r)).transpose()
}
