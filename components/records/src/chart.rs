//! The chart's items: created, read, edited as new versions, marked entered-in-error — never
//! lost. Every write is one statement; the triggers of `0001_records.sql` keep each version in
//! `records_item_versions` and refuse a delete or a change to an item already in error.

use crate::kinds::{Data, Kind};
use jiff::Timestamp;
use serde::Serialize;
use service_kit::db::{Db, Row, Value};
use service_kit::{params, Problem};

/// An item as read back: its current version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Item {
    pub id: String,
    pub patient_id: String,
    pub kind: Kind,
    pub data: Data,
    pub effective_at: String,
    pub version: i64,
    pub status: String,
    pub author_id: String,
    pub author_role: String,
    pub recorded_at: String,
    pub created_at: String,
    pub error_reason: Option<String>,
}

const COLUMNS: &str = "id, patient_id, kind, data, effective_at, version, status, author_id, \
     author_role, recorded_at, created_at, error_reason";

fn item(row: Row<'_>) -> Result<Item, Problem> {
    let kind: String = row.get("kind")?;
    let kind: Kind = kind
        .parse()
        .map_err(|_| Problem::internal(format!("a stored item of kind {kind}")))?;
    Ok(Item {
        id: row.get("id")?,
        patient_id: row.get("patient_id")?,
        kind,
        data: Data::stored(kind, &row.get::<String>("data")?)?,
        effective_at: row.get("effective_at")?,
        version: row.get("version")?,
        status: row.get("status")?,
        author_id: row.get("author_id")?,
        author_role: row.get("author_role")?,
        recorded_at: row.get("recorded_at")?,
        created_at: row.get("created_at")?,
        error_reason: row.get("error_reason")?,
    })
}

/// Who writes, as the access log names them.
pub struct Author<'a> {
    pub id: &'a str,
    pub role: &'a str,
}

/// Adds an item to `patient`'s chart.
pub fn create(
    db: &dyn Db,
    now: Timestamp,
    patient: &str,
    data: &Data,
    by: &Author,
) -> Result<Item, Problem> {
    let id = service_kit::new_id(now);
    let json = serde_json::to_string(data).map_err(Problem::internal)?;
    let at = now.to_string();
    let rows = db.execute(
        &format!(
            "INSERT INTO records_items (id, patient_id, kind, data, effective_at, version, status,
               author_id, author_role, recorded_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, 'current', ?6, ?7, ?8, ?8) RETURNING {COLUMNS}"
        ),
        params![
            id,
            patient,
            data.kind().as_str(),
            json,
            data.effective_at(now),
            by.id,
            by.role,
            at
        ],
    )?;
    rows.first()
        .map(item)
        .transpose()?
        .ok_or_else(|| Problem::internal("the item was not written"))
}

/// The item by id (current version), if any.
pub fn get(db: &dyn Db, id: &str) -> Result<Option<Item>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM records_items WHERE id = ?1"),
        params![id],
    )?;
    rows.first().map(item).transpose()
}

/// Whose item `id` is, if it exists: what access is decided on.
pub fn patient_of(db: &dyn Db, id: &str) -> Result<Option<String>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT patient_id FROM records_items WHERE id = ?1",
        params![id],
    )?;
    Ok(rows.first().map(|r| r.get("patient_id")).transpose()?)
}

/// Why a write to an item did not happen.
fn refusal(db: &dyn Db, id: &str, expected: Option<i64>) -> Problem {
    match get(db, id) {
        Ok(Some(i)) if i.status == "entered-in-error" => Problem::conflict(
            "entered-in-error",
            "this item was marked entered-in-error: it is kept as it was, add a new one",
        ),
        Ok(Some(i)) if expected.is_some_and(|v| v != i.version) => Problem::conflict(
            "stale-version",
            format!(
                "the item is at version {}, not {}: read it again and redo your change",
                i.version,
                expected.unwrap_or_default()
            ),
        )
        .with_field("version", format!("is {}", i.version)),
        Ok(_) => Problem::not_found("no such item"),
        Err(p) => p,
    }
}

/// Replaces the item's content with a new version. `expected`: the version the writer read
/// (`If-Match`, or `version` in the body); a change made meanwhile is then a 409, not lost.
pub fn update(
    db: &dyn Db,
    now: Timestamp,
    id: &str,
    expected: Option<i64>,
    data: &Data,
    by: &Author,
) -> Result<Item, Problem> {
    let json = serde_json::to_string(data).map_err(Problem::internal)?;
    let rows = db.execute(
        &format!(
            "UPDATE records_items SET data = ?2, effective_at = ?3, version = version + 1,
               author_id = ?4, author_role = ?5, recorded_at = ?6
             WHERE id = ?1 AND status = 'current' AND kind = ?7 AND (?8 IS NULL OR version = ?8)
             RETURNING {COLUMNS}"
        ),
        &[
            Value::from(id),
            Value::from(json),
            Value::from(data.effective_at(now)),
            Value::from(by.id),
            Value::from(by.role),
            Value::from(now.to_string()),
            Value::from(data.kind().as_str()),
            Value::from(expected),
        ],
    )?;
    match rows.first() {
        Some(r) => item(r),
        None => Err(refusal(db, id, expected)),
    }
}

/// Marks the item entered-in-error, saying who and why: a new, final version; the content stays.
pub fn mark_in_error(
    db: &dyn Db,
    now: Timestamp,
    id: &str,
    reason: &str,
    by: &Author,
) -> Result<Item, Problem> {
    let rows = db.execute(
        &format!(
            "UPDATE records_items SET status = 'entered-in-error', error_reason = ?2,
               version = version + 1, author_id = ?3, author_role = ?4, recorded_at = ?5
             WHERE id = ?1 AND status = 'current' RETURNING {COLUMNS}"
        ),
        params![id, reason, by.id, by.role, now.to_string()],
    )?;
    match rows.first() {
        Some(r) => item(r),
        None => Err(refusal(db, id, None)),
    }
}

/// One version of an item.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub version: i64,
    pub data: Data,
    pub effective_at: String,
    pub status: String,
    pub author_id: String,
    pub author_role: String,
    pub recorded_at: String,
    pub error_reason: Option<String>,
}

/// Every version of an item, oldest first.
pub fn history(db: &dyn Db, item: &Item) -> Result<Vec<Version>, Problem> {
    let rows = db.execute(
        "SELECT version, data, effective_at, status, author_id, author_role, recorded_at,
                error_reason
         FROM records_item_versions WHERE item_id = ?1 ORDER BY version",
        params![item.id.as_str()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.get("version")?,
                data: Data::stored(item.kind, &r.get::<String>("data")?)?,
                effective_at: r.get("effective_at")?,
                status: r.get("status")?,
                author_id: r.get("author_id")?,
                author_role: r.get("author_role")?,
                recorded_at: r.get("recorded_at")?,
                error_reason: r.get("error_reason")?,
            })
        })
        .collect()
}

/// The query of [`list`] (?1 patient, ?2 kind, ?3 cursor's effective_at, ?4 cursor's id,
/// ?5 limit), public for the plan test: one walk of `records_items_by_patient` from the cursor.
pub const LIST: &str = "FROM records_items INDEXED BY records_items_by_patient
     WHERE patient_id = ?1 AND kind = ?2 AND (effective_at, id) < (?3, ?4)
     ORDER BY effective_at DESC, id DESC LIMIT ?5";

/// A patient's items of one kind, newest first, after the cursor (`effective_at|id` of the last
/// one seen). Items in error are listed too, marked: a reader must see that something was
/// withdrawn.
pub fn list(
    db: &dyn Db,
    patient: &str,
    kind: Kind,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Item>, Problem> {
    let (at, id) = match after.and_then(|c| c.split_once('|')) {
        Some((at, id)) => (at.to_string(), id.to_string()),
        None => ("~".to_string(), String::new()),
    };
    let rows = db.execute(
        &format!("SELECT {COLUMNS} {LIST}"),
        params![patient, kind.as_str(), at, id, limit],
    )?;
    rows.iter().map(item).collect()
}

/// The cursor of an item in [`list`].
pub fn cursor(i: &Item) -> String {
    format!("{}|{}", i.effective_at, i.id)
}

/// The newest current reading of each measure in `patient`'s chart: what the risk calculators
/// take. One statement (one index walk per measure would be as many statements).
pub fn latest_observations(db: &dyn Db, patient: &str) -> Result<Vec<Item>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM (
               SELECT *, ROW_NUMBER() OVER (
                   PARTITION BY json_extract(data, '$.measure') ORDER BY effective_at DESC, id DESC
               ) AS n
               FROM records_items INDEXED BY records_items_by_patient
               WHERE patient_id = ?1 AND kind = 'observation' AND status = 'current'
             ) WHERE n = 1"
        ),
        params![patient],
    )?;
    rows.iter().map(item).collect()
}
