//! Sharing on the patient's terms: a grant lets one doctor read the whole chart, one file or one
//! report until a time the patient chose; the patient revokes it whenever they like. A grant is
//! never deleted, so "who could see my record, and when" stays answerable.

use crate::access::Scope;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use service_kit::db::{Db, Row, Value};
use service_kit::{params, Problem};

/// The longest a grant may run: a year, renewed by a new grant if need be.
pub const MAX_LENGTH: SignedDuration = SignedDuration::from_hours(24 * 366);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum GrantScope {
    Chart,
    File,
    Report,
}

/// A grant as read back, with its state now.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Grant {
    pub id: String,
    pub patient_id: String,
    pub grantee_id: String,
    pub scope: GrantScope,
    pub resource_id: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

const COLUMNS: &str =
    "id, patient_id, grantee_id, scope, resource_id, created_at, expires_at, revoked_at";

fn grant(row: Row<'_>, now: &str) -> Result<Grant, Problem> {
    let scope: String = row.get("scope")?;
    let expires_at: String = row.get("expires_at")?;
    let revoked_at: Option<String> = row.get("revoked_at")?;
    let state = match (&revoked_at, expires_at.as_str() > now) {
        (Some(_), _) => "revoked",
        (None, false) => "expired",
        (None, true) => "active",
    };
    Ok(Grant {
        id: row.get("id")?,
        patient_id: row.get("patient_id")?,
        grantee_id: row.get("grantee_id")?,
        scope: match scope.as_str() {
            "chart" => GrantScope::Chart,
            "file" => GrantScope::File,
            _ => GrantScope::Report,
        },
        resource_id: row.get("resource_id")?,
        created_at: row.get("created_at")?,
        expires_at,
        revoked_at,
        state,
    })
}

/// A new grant, as the patient asked for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub grantee_id: String,
    pub scope: GrantScope,
    #[serde(default)]
    pub resource_id: Option<String>,
    pub expires_at: Timestamp,
}

/// Creates `patient`'s grant. The file or report it names must be the patient's own.
pub fn create(db: &dyn Db, now: Timestamp, patient: &str, g: NewGrant) -> Result<Grant, Problem> {
    if !service_kit::could_be_id(&g.grantee_id) {
        return Err(Problem::invalid("grantee_id", "must be a user id"));
    }
    if g.grantee_id == patient {
        return Err(Problem::invalid(
            "grantee_id",
            "is you: you see your record already",
        ));
    }
    if g.expires_at <= now {
        return Err(Problem::invalid("expires_at", "must be in the future"));
    }
    if g.expires_at > now + MAX_LENGTH {
        return Err(Problem::invalid("expires_at", "must be within a year"));
    }
    let resource = match (g.scope, g.resource_id.as_deref()) {
        (GrantScope::Chart, None) => None,
        (GrantScope::Chart, Some(_)) => {
            return Err(Problem::invalid(
                "resource_id",
                "a chart grant covers the whole chart: leave it out",
            ))
        }
        (_, None) => return Err(Problem::invalid("resource_id", "names the file or report")),
        (scope, Some(id)) => {
            let table = match scope {
                GrantScope::File => "records_files",
                _ => "records_reports",
            };
            let theirs = service_kit::could_be_id(id)
                && !db
                    .execute(
                        &format!("SELECT 1 FROM {table} WHERE id = ?1 AND patient_id = ?2"),
                        params![id, patient],
                    )?
                    .is_empty();
            if !theirs {
                return Err(Problem::invalid(
                    "resource_id",
                    "is not one of your files or reports",
                ));
            }
            Some(id.to_string())
        }
    };
    let id = service_kit::new_id(now);
    let rows = db.execute(
        &format!(
            "INSERT INTO records_grants (id, patient_id, grantee_id, scope, resource_id,
               created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {COLUMNS}"
        ),
        &[
            Value::from(id.as_str()),
            Value::from(patient),
            Value::from(g.grantee_id.as_str()),
            Value::from(<&str>::from(g.scope)),
            Value::from(resource),
            Value::from(now.to_string()),
            Value::from(g.expires_at.to_string()),
        ],
    )?;
    let now = now.to_string();
    rows.first()
        .map(|r| grant(r, &now))
        .transpose()?
        .ok_or_else(|| Problem::internal("the grant was not written"))
}

/// The grant by id, if any.
pub fn get(db: &dyn Db, now: Timestamp, id: &str) -> Result<Option<Grant>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM records_grants WHERE id = ?1"),
        params![id],
    )?;
    let now = now.to_string();
    rows.first().map(|r| grant(r, &now)).transpose()
}

/// Revokes a grant of `patient`'s (at once: the grantee's next request is refused). Revoking
/// one already revoked changes nothing.
pub fn revoke(db: &dyn Db, now: Timestamp, patient: &str, id: &str) -> Result<Grant, Problem> {
    db.execute(
        "UPDATE records_grants SET revoked_at = ?3
         WHERE id = ?1 AND patient_id = ?2 AND revoked_at IS NULL",
        params![id, patient, now.to_string()],
    )?;
    get(db, now, id)?.ok_or_else(|| Problem::not_found("no such grant"))
}

/// Grants a patient gave (`Given`), or a doctor received (`Received`, active ones only), newest
/// first, before the cursor (a grant's id, which sorts by creation).
pub enum Listing<'a> {
    Given(&'a str),
    Received(&'a str),
}

pub fn list(
    db: &dyn Db,
    now: Timestamp,
    who: Listing,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Grant>, Problem> {
    let nowt = now.to_string();
    let before = Value::from(before.unwrap_or("~"));
    let rows = match who {
        Listing::Given(patient) => db.execute(
            &format!(
                "SELECT {COLUMNS} FROM records_grants INDEXED BY records_grants_by_patient
                 WHERE patient_id = ?1 AND id < ?2 ORDER BY created_at DESC, id DESC LIMIT ?3"
            ),
            &[Value::from(patient), before, Value::Integer(limit)],
        )?,
        Listing::Received(doctor) => db.execute(
            &format!(
                "SELECT {COLUMNS} FROM records_grants INDEXED BY records_grants_by_grantee
                 WHERE grantee_id = ?1 AND revoked_at IS NULL AND expires_at > ?4 AND id < ?2
                 ORDER BY id DESC LIMIT ?3"
            ),
            &[
                Value::from(doctor),
                before,
                Value::Integer(limit),
                Value::from(nowt.as_str()),
            ],
        )?,
    };
    rows.iter().map(|r| grant(r, &nowt)).collect()
}

/// When the grant that lets `doctor` reach `scope` of `patient`'s record ends, if one does now:
/// a chart grant covers everything, a file or report grant that one. One indexed read.
pub fn covering(
    db: &dyn Db,
    now: Timestamp,
    doctor: &str,
    patient: &str,
    scope: Scope,
) -> Result<Option<String>, Problem> {
    let (kind, resource) = match scope {
        Scope::Chart => ("chart", None),
        Scope::File(id) => ("file", Some(id)),
        Scope::Report(id) => ("report", Some(id)),
    };
    let rows = db.execute(
        "SELECT MAX(expires_at) AS until FROM records_grants
         WHERE grantee_id = ?1 AND patient_id = ?2 AND expires_at > ?3 AND revoked_at IS NULL
           AND (scope = 'chart' OR (scope = ?4 AND resource_id = ?5))",
        &[
            Value::from(doctor),
            Value::from(patient),
            Value::from(now.to_string()),
            Value::from(kind),
            Value::from(resource),
        ],
    )?;
    match rows.first() {
        Some(r) => Ok(r.get("until")?),
        None => Ok(None),
    }
}
