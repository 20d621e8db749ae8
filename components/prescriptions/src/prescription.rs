//! Prescriptions as stored: written as drafts or issued at once, drafts edited as new versions,
//! issued ones only held, resumed or cancelled. Every write is one statement; the triggers of
//! `0001_prescriptions.sql` keep the versions, make the lines' counters at issue, queue the
//! patient's mail, and refuse any change to an issued prescription's content.

use crate::medication::Medication;
use jiff::Timestamp;
use serde::Serialize;
use service_kit::db::{Db, DbError, Row, Value};
use service_kit::{params, Problem};

/// What was decided about a prescription, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::EnumString, strum::AsRefStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Decided {
    Draft,
    Active,
    OnHold,
    Cancelled,
}

/// What a prescription is now: what was decided, or what the clock and the pharmacy made of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::AsRefStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Status {
    Draft,
    Active,
    OnHold,
    Cancelled,
    /// Every fill of every line was handed over.
    Completed,
    /// Past its validity, undispensed fills or not.
    Expired,
}

/// One line's counters: what it allows and what has been handed over.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Line {
    pub line: i64,
    /// Units per fill.
    pub quantity: i64,
    pub fills_allowed: i64,
    pub fills_used: i64,
    pub dispensed: i64,
}

impl Line {
    /// Units still owed on a fill handed over in part.
    pub fn open_fill_left(&self) -> i64 {
        (self.quantity * self.fills_used - self.dispensed).max(0)
    }
    pub fn fills_left(&self) -> i64 {
        self.fills_allowed - self.fills_used
    }
    /// Fills after the first still to come (the patient's "refills left").
    pub fn refills_left(&self) -> i64 {
        if self.fills_used == 0 {
            self.fills_allowed - 1
        } else {
            self.fills_left()
        }
    }
    pub fn done(&self) -> bool {
        self.fills_left() == 0 && self.open_fill_left() == 0
    }
    /// The most one dispense of this line may hand over now.
    pub fn dispensable_now(&self) -> i64 {
        match self.open_fill_left() {
            0 if self.fills_left() > 0 => self.quantity,
            0 => 0,
            open => open,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prescription {
    pub id: String,
    pub patient_id: String,
    pub doctor_id: String,
    /// Stored without dashes; shown with them.
    #[serde(skip)]
    pub code: String,
    pub status: Status,
    pub decided: Decided,
    pub medications: Vec<Medication>,
    /// Empty for a draft.
    pub lines: Vec<Line>,
    pub note: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub allergy_override: Option<serde_json::Value>,
    pub replaces: Option<String>,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub issued_at: Option<String>,
}

impl Prescription {
    /// Whether a pharmacist may hand anything over at `now`.
    pub fn dispensable(&self, now: Timestamp) -> bool {
        let now = now.to_string();
        self.decided == Decided::Active
            && self.valid_from <= now
            && now < self.valid_until
            && self.lines.iter().any(|l| !l.done())
    }
}

fn status_at(decided: Decided, valid_until: &str, lines: &[Line], now: &str) -> Status {
    match decided {
        Decided::Draft => Status::Draft,
        Decided::Cancelled => Status::Cancelled,
        _ if !lines.is_empty() && lines.iter().all(Line::done) => Status::Completed,
        _ if now >= valid_until => Status::Expired,
        Decided::Active => Status::Active,
        Decided::OnHold => Status::OnHold,
    }
}

/// The columns read, with the lines' counters gathered in the same statement.
const SELECT: &str = "SELECT p.id, p.patient_id, p.doctor_id, p.code, p.status, p.medications, \
     p.note, p.valid_from, p.valid_until, p.allergy_override, p.replaces, p.status_reason, \
     p.version, p.created_at, p.updated_at, p.issued_at, \
     (SELECT json_group_array(json_object('line', l.line, 'quantity', l.quantity, \
        'fills_allowed', l.fills_allowed, 'fills_used', l.fills_used, 'dispensed', l.dispensed)) \
      FROM rx_lines l WHERE l.prescription_id = p.id) AS lines \
     FROM rx_prescriptions p";

fn stored<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T, Problem> {
    serde_json::from_str(raw).map_err(|e| Problem::internal(format!("stored {what}: {e}")))
}

fn from_row(row: Row<'_>, now: Timestamp) -> Result<Prescription, Problem> {
    let decided: String = row.get("status")?;
    let decided: Decided = decided
        .parse()
        .map_err(|_| Problem::internal(format!("a stored status {decided}")))?;
    let mut lines: Vec<Line> = stored("lines", &row.get::<String>("lines")?)?;
    lines.sort_by_key(|l| l.line);
    let valid_until: String = row.get("valid_until")?;
    Ok(Prescription {
        status: status_at(decided, &valid_until, &lines, &now.to_string()),
        id: row.get("id")?,
        patient_id: row.get("patient_id")?,
        doctor_id: row.get("doctor_id")?,
        code: row.get("code")?,
        decided,
        medications: stored("medications", &row.get::<String>("medications")?)?,
        lines,
        note: row.get("note")?,
        valid_from: row.get("valid_from")?,
        valid_until,
        allergy_override: match row.get::<Option<String>>("allergy_override")? {
            Some(raw) => Some(stored("override", &raw)?),
            None => None,
        },
        replaces: row.get("replaces")?,
        status_reason: row.get("status_reason")?,
        version: row.get("version")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        issued_at: row.get("issued_at")?,
    })
}

pub fn get(db: &dyn Db, id: &str, now: Timestamp) -> Result<Option<Prescription>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(&format!("{SELECT} WHERE p.id = ?1"), params![id])?;
    rows.first().map(|r| from_row(r, now)).transpose()
}

/// An issued prescription by its code (a draft has a code, but no pharmacist may find it).
pub fn by_code(db: &dyn Db, code: &str, now: Timestamp) -> Result<Option<Prescription>, Problem> {
    let rows = db.execute(
        &format!("{SELECT} WHERE p.code = ?1 AND p.status <> 'draft'"),
        params![code],
    )?;
    rows.first().map(|r| from_row(r, now)).transpose()
}

/// The patient a prescription is for (to ask booking about the doctor asking).
pub fn patient_of(db: &dyn Db, id: &str) -> Result<Option<String>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT patient_id FROM rx_prescriptions WHERE id = ?1",
        params![id],
    )?;
    Ok(rows.first().map(|r| r.get("patient_id")).transpose()?)
}

/// A page of `patient`'s prescriptions, newest first, after `cursor` (`created_at|id`).
pub fn list(
    db: &dyn Db,
    patient: &str,
    after: Option<&str>,
    limit: i64,
    now: Timestamp,
) -> Result<Vec<Prescription>, Problem> {
    let (at, id) = after
        .and_then(|c| c.split_once('|'))
        .unwrap_or(("9999", ""));
    let rows = db.execute(
        &format!(
            "{SELECT} WHERE p.patient_id = ?1 AND (p.created_at, p.id) < (?2, ?3)
             ORDER BY p.created_at DESC, p.id DESC LIMIT ?4"
        ),
        &[
            Value::from(patient),
            Value::from(at),
            Value::from(if id.is_empty() { "\u{10FFFF}" } else { id }),
            Value::Integer(limit),
        ],
    )?;
    rows.iter().map(|r| from_row(r, now)).collect()
}

pub fn cursor(p: &Prescription) -> String {
    format!("{}|{}", p.created_at, p.id)
}

/// What a doctor writes: the content, checked.
#[derive(Debug, Clone)]
pub struct Content {
    pub medications: Vec<Medication>,
    pub note: Option<String>,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub allergy_override: Option<serde_json::Value>,
    pub replaces: Option<String>,
}

fn medications_json(c: &Content) -> Result<String, Problem> {
    serde_json::to_string(&c.medications).map_err(Problem::internal)
}

/// Writes a new prescription, as a draft or issued at once.
pub fn create(
    db: &dyn Db,
    patient: &str,
    doctor: &str,
    content: &Content,
    issue: bool,
    now: Timestamp,
) -> Result<String, Problem> {
    let id = service_kit::new_id(now);
    let at = now.to_string();
    for _ in 0..3 {
        let result = db.execute(
            "INSERT INTO rx_prescriptions (id, patient_id, doctor_id, code, status, medications,
               note, valid_from, valid_until, allergy_override, replaces, version, created_at,
               updated_at, issued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12, ?12, ?13)",
            params![
                id.as_str(),
                patient,
                doctor,
                crate::code::new(),
                if issue { "active" } else { "draft" },
                medications_json(content)?,
                content.note.clone(),
                content.valid_from.to_string(),
                content.valid_until.to_string(),
                content.allergy_override.as_ref().map(|o| o.to_string()),
                content.replaces.clone(),
                at.as_str(),
                issue.then_some(at.as_str())
            ],
        );
        match result {
            // 60 random bits collide about never; a retry costs nothing when they do.
            Err(e) if e.unique_violation() == Some("rx_prescriptions.code") => continue,
            other => {
                other?;
                return Ok(id);
            }
        }
    }
    Err(Problem::internal("three code collisions in a row"))
}

/// A draft's new content, as its next version; `version` is the one the writer saw.
pub fn update_draft(
    db: &dyn Db,
    id: &str,
    version: i64,
    content: &Content,
    now: Timestamp,
) -> Result<bool, Problem> {
    let rows = db.execute(
        "UPDATE rx_prescriptions SET medications = ?3, note = ?4, valid_from = ?5,
           valid_until = ?6, allergy_override = ?7, replaces = ?8, version = version + 1,
           updated_at = ?9
         WHERE id = ?1 AND version = ?2 AND status = 'draft' RETURNING id",
        params![
            id,
            version,
            medications_json(content)?,
            content.note.clone(),
            content.valid_from.to_string(),
            content.valid_until.to_string(),
            content.allergy_override.as_ref().map(|o| o.to_string()),
            content.replaces.clone(),
            now.to_string()
        ],
    )?;
    Ok(!rows.is_empty())
}

/// Issues a draft (with the override the allergy check asked for, if any).
pub fn issue(
    db: &dyn Db,
    id: &str,
    allergy_override: Option<&serde_json::Value>,
    now: Timestamp,
) -> Result<bool, Problem> {
    let at = now.to_string();
    let rows = db.execute(
        "UPDATE rx_prescriptions SET status = 'active', issued_at = ?2, updated_at = ?2,
           allergy_override = ?3, version = version + 1
         WHERE id = ?1 AND status = 'draft' RETURNING id",
        params![id, at.as_str(), allergy_override.map(|o| o.to_string())],
    )?;
    Ok(!rows.is_empty())
}

/// Moves an issued prescription to `to` (on-hold, active, cancelled) from one of `from`.
pub fn decide(
    db: &dyn Db,
    id: &str,
    from: &[Decided],
    to: Decided,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool, Problem> {
    let from: Vec<&str> = from.iter().map(|d| d.as_ref()).collect();
    let rows = db.execute(
        "UPDATE rx_prescriptions SET status = ?2, status_reason = coalesce(?3, status_reason),
           version = version + 1, updated_at = ?4
         WHERE id = ?1 AND status IN (SELECT value FROM json_each(?5)) RETURNING id",
        params![
            id,
            to.as_ref(),
            reason,
            now.to_string(),
            serde_json::to_string(&from).map_err(Problem::internal)?
        ],
    )?;
    Ok(!rows.is_empty())
}

/// Deletes a draft (its versions stay).
pub fn delete_draft(db: &dyn Db, id: &str) -> Result<bool, Problem> {
    let rows = db.execute(
        "DELETE FROM rx_prescriptions WHERE id = ?1 AND status = 'draft' RETURNING id",
        params![id],
    )?;
    Ok(!rows.is_empty())
}

/// One version as it was written.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub version: i64,
    pub status: String,
    pub at: String,
    pub content: serde_json::Value,
}

pub fn versions(db: &dyn Db, id: &str) -> Result<Vec<Version>, Problem> {
    let rows = db.execute(
        "SELECT version, status, snapshot, at FROM rx_versions WHERE prescription_id = ?1
         ORDER BY version",
        params![id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.get("version")?,
                status: r.get("status")?,
                at: r.get("at")?,
                content: stored("version", &r.get::<String>("snapshot")?)?,
            })
        })
        .collect()
}

/// A trigger's refusal (`RAISE(ABORT, 'rx: …')`) as the conflict it is.
pub fn refused(e: &DbError) -> Option<String> {
    let text = e.to_string();
    text.split_once("rx: ")
        .map(|(_, why)| why.trim_end_matches(['\'', '"']).to_string())
}
