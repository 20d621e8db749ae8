//! What the patient (or the prescriber) is to be told, as the migration's triggers queued it
//! with each change: issued, dispensed, a refill asked for, approved or declined. Relayed to
//! mail after the answer (the Spin entry's `after`); a row leaves once mail accepted it.

use service_kit::db::Db;
use service_kit::{params, Problem};

/// One piece of news waiting for mail.
#[derive(Debug, Clone, PartialEq)]
pub struct News {
    pub key: String,
    pub template: String,
    pub to_user: String,
    pub prescription_id: String,
    /// The prescriber (the mail names them).
    pub doctor_id: Option<String>,
}

/// How long a relay holds the news it claimed before another may take it.
const CLAIM: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// Claims the oldest `limit` pieces of news no live relay holds, in one statement: relays
/// running at once (every change request ends in one) send disjoint sets.
pub fn claim(db: &dyn Db, now: jiff::Timestamp, limit: i64) -> Result<Vec<News>, Problem> {
    let rows = db.execute(
        "UPDATE rx_outbox SET claimed_until = ?1
         WHERE key IN (SELECT key FROM rx_outbox
                       WHERE claimed_until IS NULL OR claimed_until < ?2
                       ORDER BY queued_at, key LIMIT ?3)
         RETURNING key, template, to_user, prescription_id,
           (SELECT p.doctor_id FROM rx_prescriptions p WHERE p.id = rx_outbox.prescription_id)
             AS doctor_id",
        params![(now + CLAIM).to_string(), now.to_string(), limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(News {
                key: r.get("key")?,
                template: r.get("template")?,
                to_user: r.get("to_user")?,
                prescription_id: r.get("prescription_id")?,
                doctor_id: r.get("doctor_id")?,
            })
        })
        .collect()
}

/// Removes what mail accepted.
pub fn sent(db: &dyn Db, keys: &[String]) -> Result<(), Problem> {
    if keys.is_empty() {
        return Ok(());
    }
    db.execute(
        "DELETE FROM rx_outbox WHERE key IN (SELECT value FROM json_each(?1))",
        params![serde_json::to_string(keys).map_err(Problem::internal)?],
    )?;
    Ok(())
}

/// The mail a prescription's copy carries: what the patient's own prescription says (the
/// medications, how to take them, the fills, the code and validity), and nothing else — no
/// allergy reasoning, no chart.
pub fn copy(p: &crate::prescription::Prescription, doctor_name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "doctor_name": doctor_name,
        "code": crate::code::display(&p.code),
        "valid_until": p.valid_until,
        "note": p.note,
        "medications": p.medications.iter().map(|m| serde_json::json!({
            "name": m.name,
            "strength": m.strength,
            "form": m.form.as_ref(),
            "dose": m.dose,
            "route": m.route.as_ref(),
            "frequency": m.frequency,
            "duration_days": m.duration_days,
            "quantity": m.quantity,
            "refills": m.refills,
            "instructions": m.instructions,
        })).collect::<Vec<_>>(),
    })
}
