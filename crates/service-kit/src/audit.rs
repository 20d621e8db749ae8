//! The access log: who touched whose data, when, how, and whether they were let in — one
//! append-only, hash-chained row per access, in the service's own database. Every service that
//! holds a patient's data writes it (booking, diagnosis, and every later one); auth writes its
//! security events to it too (sign-ins, lock-outs, role changes).
//!
//! A row holds no health data: the actor (id, role), the subject (the patient, or the account
//! concerned), the action, the resource's kind and id, the outcome and the request's id.
//!
//! **Append-only**: triggers refuse `UPDATE` and `DELETE` on the table, so no code path can
//! change history. **Hash-chained**: each row holds the SHA-256 of its own content and the hash
//! of the row before it (per service), so a row edited or deleted behind the app's back — in the
//! database file itself — is found by [`verify`], which names the first row that doesn't hold.
//! The row is written in one statement: its sequence number and its link to the previous row
//! are taken by the `INSERT … SELECT` itself, under SQLite's write lock, so concurrent writers
//! never fork the chain and never retry.

use crate::db::{creating_if_missing, Db, Row, Value};
use crate::problem::Problem;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Whether the access was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Who is acting in a request, and the request's id: made once per request, used for every row
/// it writes.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub service: &'static str,
    pub request_id: String,
    pub at: jiff::Timestamp,
    /// `None` for anonymous requests (a calendar feed by its secret URL names its owner).
    pub actor: Option<(String, String)>,
}

/// One access, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub subject_id: Option<String>,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub request_id: String,
}

const CREATE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS kit_access_log (
        service    TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        at         TEXT NOT NULL,
        actor_id   TEXT,
        actor_role TEXT,
        subject_id TEXT,
        action     TEXT NOT NULL,
        resource   TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        request_id TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL,
        PRIMARY KEY (service, seq)
    )",
    "CREATE INDEX IF NOT EXISTS kit_access_log_by_subject
        ON kit_access_log (service, subject_id, seq)",
    "CREATE TRIGGER IF NOT EXISTS kit_access_log_no_update BEFORE UPDATE ON kit_access_log
     BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS kit_access_log_no_delete BEFORE DELETE ON kit_access_log
     BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
];

/// The content a row's hash covers, field by field, unambiguously separated.
#[allow(clippy::too_many_arguments)]
fn content_hash(
    service: &str,
    at: &str,
    actor_id: Option<&str>,
    actor_role: Option<&str>,
    subject_id: Option<&str>,
    action: &str,
    resource: &str,
    outcome: &str,
    request_id: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        Some(service),
        Some(at),
        actor_id,
        actor_role,
        subject_id,
        Some(action),
        Some(resource),
        Some(outcome),
        Some(request_id),
    ] {
        match part {
            // Length-prefixed, and absent told apart from empty.
            Some(p) => {
                h.update(b"+");
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            None => h.update(b"-"),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Recorder {
    pub fn new(
        service: &'static str,
        at: jiff::Timestamp,
        actor: Option<(String, String)>,
    ) -> Self {
        Recorder {
            service,
            request_id: crate::new_id(at),
            at,
            actor,
        }
    }

    /// The recorder for a request by `principal`.
    pub fn for_principal(
        service: &'static str,
        at: jiff::Timestamp,
        principal: &crate::principal::Principal,
    ) -> Self {
        let actor = match principal {
            crate::principal::Principal::User(c) => {
                Some((c.sub.clone(), c.role.as_str().to_string()))
            }
            crate::principal::Principal::Anonymous => None,
        };
        Self::new(service, at, actor)
    }

    /// Appends one row. One statement (plus, once per database, the table's creation).
    pub fn record(
        &self,
        db: &dyn Db,
        action: &str,
        resource: &str,
        subject_id: Option<&str>,
        outcome: Outcome,
    ) -> Result<(), Problem> {
        let at = self.at.to_string();
        let (actor_id, actor_role) = match &self.actor {
            Some((id, role)) => (Some(id.as_str()), Some(role.as_str())),
            None => (None, None),
        };
        let hash = content_hash(
            self.service,
            &at,
            actor_id,
            actor_role,
            subject_id,
            action,
            resource,
            outcome.as_str(),
            &self.request_id,
        );
        creating_if_missing(db, CREATE, || {
            db.execute(
                "INSERT INTO kit_access_log (service, seq, at, actor_id, actor_role, subject_id,
                   action, resource, outcome, request_id, prev_hash, hash)
                 SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
                   COALESCE((SELECT hash FROM kit_access_log WHERE service = ?1
                             ORDER BY seq DESC LIMIT 1), ''),
                   ?10
                 FROM kit_access_log WHERE service = ?1",
                &[
                    Value::from(self.service),
                    Value::from(at.as_str()),
                    Value::from(actor_id),
                    Value::from(actor_role),
                    Value::from(subject_id),
                    Value::from(action),
                    Value::from(resource),
                    Value::from(outcome.as_str()),
                    Value::from(self.request_id.as_str()),
                    Value::from(hash.as_str()),
                ],
            )
        })?;
        Ok(())
    }
}

const COLUMNS: &str =
    "seq, at, actor_id, actor_role, subject_id, action, resource, outcome, request_id";

fn entry(row: Row<'_>) -> Result<Entry, Problem> {
    Ok(Entry {
        seq: row.get("seq")?,
        at: row.get("at")?,
        actor_id: row.get("actor_id")?,
        actor_role: row.get("actor_role")?,
        subject_id: row.get("subject_id")?,
        action: row.get("action")?,
        resource: row.get("resource")?,
        outcome: row.get("outcome")?,
        request_id: row.get("request_id")?,
    })
}

/// What to list: one subject's rows (a patient's "who looked at my data"), or all (admins),
/// optionally of one action; newest first, before `before_seq`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub subject_id: Option<String>,
    pub action: Option<String>,
    pub before_seq: Option<i64>,
}

/// Rows newest first, at most `limit`: one walk down one index from the cursor — the
/// subject's (`kit_access_log_by_subject`) when the filter names one, else the log's own key.
/// A `?2 IS NULL OR subject_id = ?2` in one statement would make SQLite walk the whole log
/// for a patient with a handful of rows.
pub fn list(
    db: &dyn Db,
    service: &str,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Entry>, Problem> {
    let before = Value::Integer(filter.before_seq.unwrap_or(i64::MAX));
    let action = Value::from(filter.action.as_deref());
    let (sql, values) = match filter.subject_id.as_deref() {
        Some(subject) => (
            format!("SELECT {COLUMNS} {LIST_SUBJECT} {LIST_END}"),
            vec![
                Value::from(service),
                before,
                action,
                Value::Integer(limit),
                Value::from(subject),
            ],
        ),
        None => (
            format!("SELECT {COLUMNS} {LIST_ALL} {LIST_END}"),
            vec![Value::from(service), before, action, Value::Integer(limit)],
        ),
    };
    let rows = match db.execute(&sql, &values) {
        Ok(rows) => rows,
        Err(e) if e.is_missing_table() => return Ok(vec![]),
        Err(e) => return Err(e.into()),
    };
    rows.iter().map(entry).collect()
}

/// The two shapes of [`list`] (?1 service, ?2 before this seq, ?3 action or NULL, ?4 limit,
/// ?5 subject), public for the plan test.
pub const LIST_SUBJECT: &str = "FROM kit_access_log INDEXED BY kit_access_log_by_subject \
     WHERE service = ?1 AND subject_id = ?5 AND seq < ?2";
pub const LIST_ALL: &str = "FROM kit_access_log WHERE service = ?1 AND seq < ?2";
pub const LIST_END: &str = "AND (?3 IS NULL OR action = ?3) ORDER BY seq DESC LIMIT ?4";

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub service: String,
    pub ok: bool,
    pub rows_checked: i64,
    /// The first row that does not hold, and why.
    pub first_bad: Option<BadRow>,
    /// The newest row's hash: an operator who writes it down can later tell the chain was not
    /// rebuilt wholesale.
    pub head: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadRow {
    pub seq: i64,
    pub problem: String,
}

/// Walks the whole chain of `service` in order, a page at a time: every row's content must
/// match its hash, link to the row before, and follow it without a gap.
pub fn verify(db: &dyn Db, service: &str) -> Result<Verification, Problem> {
    const PAGE: i64 = 1000;
    let mut prev_seq = 0;
    let mut prev_hash = String::new();
    let mut checked = 0;
    loop {
        let rows = match db.execute(
            "SELECT seq, at, actor_id, actor_role, subject_id, action, resource, outcome,
                    request_id, prev_hash, hash
             FROM kit_access_log WHERE service = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            &[
                Value::from(service),
                Value::Integer(prev_seq),
                Value::Integer(PAGE),
            ],
        ) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => break,
            Err(e) => return Err(e.into()),
        };
        let n = rows.len() as i64;
        for row in rows.iter() {
            let seq: i64 = row.get("seq")?;
            let bad = |problem: &str| Verification {
                service: service.to_string(),
                ok: false,
                rows_checked: checked,
                first_bad: Some(BadRow {
                    seq,
                    problem: problem.to_string(),
                }),
                head: None,
            };
            if seq != prev_seq + 1 {
                return Ok(Verification {
                    first_bad: Some(BadRow {
                        seq: prev_seq + 1,
                        problem: format!("missing: the chain jumps from {prev_seq} to {seq}"),
                    }),
                    ..bad("")
                });
            }
            let s = |c: &str| row.get::<Option<String>>(c);
            let hash = content_hash(
                service,
                &row.get::<String>("at")?,
                s("actor_id")?.as_deref(),
                s("actor_role")?.as_deref(),
                s("subject_id")?.as_deref(),
                &row.get::<String>("action")?,
                &row.get::<String>("resource")?,
                &row.get::<String>("outcome")?,
                &row.get::<String>("request_id")?,
            );
            let stored: String = row.get("hash")?;
            if hash != stored {
                return Ok(bad("its content does not match its hash: it was edited"));
            }
            if row.get::<String>("prev_hash")? != prev_hash {
                return Ok(bad(
                    "it does not link to the row before it: a row was replaced or removed",
                ));
            }
            prev_seq = seq;
            prev_hash = stored;
            checked += 1;
        }
        if n < PAGE {
            break;
        }
    }
    Ok(Verification {
        service: service.to_string(),
        ok: true,
        rows_checked: checked,
        first_bad: None,
        head: (checked > 0).then_some(prev_hash),
    })
}

/// An entry as a FHIR R4 `AuditEvent` (for `Accept: application/fhir+json`).
pub fn fhir_audit_event(service: &str, e: &Entry) -> serde_json::Value {
    let (code, display) = match e.action.as_str() {
        "create" => ("C", "Create"),
        "update" => ("U", "Update"),
        "delete" => ("D", "Delete"),
        _ => ("R", "Read/View/Print"),
    };
    serde_json::json!({
        "resourceType": "AuditEvent",
        "id": format!("{service}-{}", e.seq),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation"
        },
        "subtype": [{ "code": e.action }],
        "action": code,
        "recorded": e.at,
        "outcome": if e.outcome == "allowed" { "0" } else { "4" },
        "outcomeDesc": if e.outcome == "allowed" { "allowed" } else { "denied" },
        "agent": [{
            "who": e.actor_id.as_ref().map(|id| serde_json::json!({ "reference": format!("Practitioner/{id}"), "display": e.actor_role })),
            "requestor": true,
            "role": e.actor_role.as_ref().map(|r| vec![serde_json::json!({ "text": r })]),
        }],
        "source": { "observer": { "display": format!("Healthe {service}") } },
        "entity": [{
            "what": { "identifier": { "value": e.resource } },
            "description": display,
        }, {
            "what": e.subject_id.as_ref().map(|s| serde_json::json!({ "reference": format!("Patient/{s}") })),
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" },
        }],
        "extension": [{
            "url": "https://healthe.example/fhir/request-id",
            "valueString": e.request_id,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_page_walks_one_index_from_the_cursor() {
        let db = crate::db::SqliteDb::open_in_memory();
        let who = Recorder::new(
            "svc",
            jiff::Timestamp::UNIX_EPOCH,
            Some(("a".into(), "admin".into())),
        );
        who.record(&db, "read", "x", Some("p"), Outcome::Allowed)
            .unwrap();
        for (from, expect) in [
            (LIST_SUBJECT, "SEARCH kit_access_log USING INDEX kit_access_log_by_subject (service=? AND subject_id=? AND seq<?)"),
            (LIST_ALL, "SEARCH kit_access_log USING INDEX sqlite_autoindex_kit_access_log_1 (service=? AND seq<?)"),
        ] {
            let mut values = vec![
                Value::from("svc"),
                Value::Integer(i64::MAX),
                Value::Null,
                Value::Integer(21),
            ];
            if from == LIST_SUBJECT {
                values.push(Value::from("p"));
            }
            let steps = crate::db::query_plan(
                &db,
                &format!("SELECT seq {from} {LIST_END}"),
                &values,
            )
            .unwrap();
            assert_eq!(steps, vec![expect.to_string()], "{from}");
        }
    }
    use crate::db::SqliteDb;

    fn rec(n: u32) -> Recorder {
        let at: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        Recorder::new(
            "booking",
            at + jiff::SignedDuration::from_secs(n as i64),
            Some(("doc-1".into(), "doctor".into())),
        )
    }

    #[test]
    fn rows_chain_and_verify() {
        let db = SqliteDb::open_in_memory();
        assert!(verify(&db, "booking").unwrap().ok);
        for n in 0..5 {
            rec(n)
                .record(
                    &db,
                    "read",
                    "appointment/a1",
                    Some("pat-1"),
                    Outcome::Allowed,
                )
                .unwrap();
        }
        rec(9)
            .record(
                &db,
                "read",
                "appointment/a2",
                Some("pat-2"),
                Outcome::Denied,
            )
            .unwrap();
        let v = verify(&db, "booking").unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.rows_checked, 6);
        // Another service's chain is its own.
        Recorder {
            service: "diagnosis",
            ..rec(1)
        }
        .record(&db, "read", "x", None, Outcome::Allowed)
        .unwrap();
        assert_eq!(verify(&db, "diagnosis").unwrap().rows_checked, 1);
        assert_eq!(verify(&db, "booking").unwrap().rows_checked, 6);
        let mine = list(
            &db,
            "booking",
            &Filter {
                subject_id: Some("pat-1".into()),
                ..Filter::default()
            },
            3,
        )
        .unwrap();
        assert_eq!(mine.len(), 3);
        assert_eq!(mine[0].seq, 5);
        assert!(mine
            .iter()
            .all(|e| e.subject_id.as_deref() == Some("pat-1")));
    }

    #[test]
    fn the_log_refuses_edits_and_verify_names_a_row_edited_behind_its_back() {
        let path = std::env::temp_dir().join(format!("audit-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = SqliteDb::open(&path);
        for n in 0..4 {
            rec(n)
                .record(
                    &db,
                    "read",
                    "appointment/a1",
                    Some("pat-1"),
                    Outcome::Allowed,
                )
                .unwrap();
        }
        assert!(db
            .execute(
                "UPDATE kit_access_log SET actor_id = 'nobody' WHERE seq = 2",
                &[]
            )
            .is_err());
        assert!(db
            .execute("DELETE FROM kit_access_log WHERE seq = 2", &[])
            .is_err());
        // Someone with the file drops the guard and edits row 3.
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TRIGGER kit_access_log_no_update;
             UPDATE kit_access_log SET actor_id = 'nobody' WHERE seq = 3;",
        )
        .unwrap();
        let v = verify(&db, "booking").unwrap();
        assert!(!v.ok);
        assert_eq!(v.first_bad.as_ref().unwrap().seq, 3, "{v:?}");
        // Deleting a row is found too.
        raw.execute_batch(
            "DROP TRIGGER kit_access_log_no_delete;
             UPDATE kit_access_log SET actor_id = 'doc-1' WHERE seq = 3;
             DELETE FROM kit_access_log WHERE seq = 2;",
        )
        .unwrap();
        let v = verify(&db, "booking").unwrap();
        assert_eq!(v.first_bad.as_ref().unwrap().seq, 2, "{v:?}");
        let _ = std::fs::remove_file(&path);
    }
}

/// The access-log endpoints every service that holds patient data routes:
/// `GET /api/<service>/access-log` and `GET /api/<service>/access-log/verify`.
pub mod endpoints {
    use super::{list, verify, Filter};
    use crate::db::Db;
    use crate::http::{header_str, json, query_param, with_body, Reply, Request};
    use crate::page::{Page, PageRequest};
    use crate::principal::Principal;
    use crate::problem::Problem;
    use crate::token::Role;
    use http::StatusCode;

    const FHIR: &str = "application/fhir+json";

    /// Who accessed *my* data, newest first: every caller sees the rows about themself; admins
    /// and staff see every row, or one `subject_id`'s; anyone may filter by `action`. With
    /// `Accept: application/fhir+json`, a FHIR `Bundle` of `AuditEvent`s.
    pub fn access_log(req: &Request, db: &dyn Db, service: &str, who: &Principal) -> Reply {
        let me = who.user()?;
        let page = PageRequest::from_query(req)?;
        let before_seq = match &page.after {
            None => None,
            Some(k) => Some(
                k.parse::<i64>()
                    .map_err(|_| Problem::invalid("cursor", "is not a cursor this API issued"))?,
            ),
        };
        let overseer = matches!(me.role, Role::Admin | Role::Staff);
        let bounded = |name: &str| match query_param(req, name).filter(|s| !s.is_empty()) {
            Some(v) if v.len() > 64 => Err(Problem::invalid(name, "must be at most 64 bytes")),
            v => Ok(v),
        };
        let (subject_id, action) = (bounded("subject_id")?, bounded("action")?);
        let subject_id = match subject_id {
            Some(s) if overseer || s == me.sub => Some(s),
            Some(_) => {
                return Err(Problem::forbidden("you may read the log of your own data")
                    .with_field("subject_id", "is not you"))
            }
            None if overseer => None,
            None => Some(me.sub.clone()),
        };
        let filter = Filter {
            subject_id,
            action,
            before_seq,
        };
        let rows = list(db, service, &filter, page.fetch_limit())?;
        let page = Page::from_fetched(rows, &page, |e| e.seq.to_string());
        if header_str(req, "accept").is_some_and(|a| a.contains(FHIR)) {
            let bundle = serde_json::json!({
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": page.items.iter().map(|e| serde_json::json!({
                    "resource": super::fhir_audit_event(service, e)
                })).collect::<Vec<_>>(),
            });
            let bytes = serde_json::to_vec(&bundle).map_err(Problem::internal)?;
            return Ok(with_body(StatusCode::OK, FHIR, bytes));
        }
        Ok(json(StatusCode::OK, &page))
    }

    /// Walks the chain (admins and staff): 200 with `ok: true`, or `ok: false` naming the first
    /// row that does not hold.
    pub fn verify_log(db: &dyn Db, service: &str, who: &Principal) -> Reply {
        who.require_role(&[Role::Admin, Role::Staff])?;
        Ok(json(StatusCode::OK, &verify(db, service)?))
    }
}
