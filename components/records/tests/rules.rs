//! records natively: the real router, rules and SQL on real SQLite. What booking would answer
//! (care relationships, appointments) is given per test, as the Spin entry asks it before the
//! rules run.

use http::StatusCode;
use records::reports::Appointment;
use records::{Care, Ctx};
use serde_json::{json, Value};
use service_kit::db::{Db, SqliteDb};
use service_kit::principal::Principal;
use service_kit::token::Role;
use std::cell::RefCell;

const PATIENT: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000001";
const OTHER_PATIENT: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000002";
const DOCTOR: &str = "0192f0c1-7a4e-7cc2-9a1b-00000000000d";
const OTHER_DOCTOR: &str = "0192f0c1-7a4e-7cc2-9a1b-00000000000e";
const STAFF: &str = "0192f0c1-7a4e-7cc2-9a1b-00000000005f";
const PHARMACIST: &str = "0192f0c1-7a4e-7cc2-9a1b-0000000000ff";
const APPOINTMENT: &str = "0192f0c1-7a4e-7cc2-9a1b-0000000000aa";

struct App {
    db: SqliteDb,
    now: RefCell<jiff::Timestamp>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    bytes: Vec<u8>,
    headers: http::HeaderMap,
}

impl Reply {
    fn field(&self) -> String {
        self.body["errors"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl App {
    fn new() -> App {
        App {
            db: SqliteDb::open_in_memory(),
            now: RefCell::new("2026-12-02T10:00:00Z".parse().unwrap()),
        }
    }

    fn later(&self, hours: i64) {
        let t = *self.now.borrow() + jiff::SignedDuration::from_hours(hours);
        *self.now.borrow_mut() = t;
    }

    fn send(
        &self,
        who: (&str, Role),
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut b = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(body).unwrap();
        let principal = Principal::signed_in(who.0, who.1);
        // Booking's view: DOCTOR has a confirmed appointment with PATIENT, nobody else.
        let appointment = records::appointment_named(&req, route_of(path, method)).and_then(|id| {
            (id == APPOINTMENT && (who.0 == DOCTOR || who.0 == PATIENT)).then(|| Appointment {
                id: APPOINTMENT.into(),
                doctor_id: DOCTOR.into(),
                patient_id: PATIENT.into(),
                status: "confirmed".into(),
            })
        });
        let care = (who.1 == Role::Doctor)
            .then(|| records::patient_concerned(&self.db, &req, appointment.as_ref()).unwrap())
            .flatten()
            .map(|patient_id| Care {
                treating: who.0 == DOCTOR && patient_id == PATIENT,
                patient_id,
            });
        let now = *self.now.borrow();
        let reason = match records::stated_reason(&req, &principal) {
            Ok(r) => r,
            Err(p) => return reply(service_kit::http::problem_response(&p)),
        };
        let ctx = Ctx {
            db: &self.db,
            reason,
            audit: service_kit::audit::Recorder::for_principal("records", now, &principal),
            principal,
            now,
            care,
            appointment,
            medications: None,
        };
        reply(records::handle(&req, &ctx))
    }

    fn call(&self, who: (&str, Role), method: &str, path: &str, body: Option<Value>) -> Reply {
        match body {
            Some(v) => self.send(
                who,
                method,
                path,
                &[("content-type", "application/json")],
                v.to_string().into_bytes(),
            ),
            None => self.send(who, method, path, &[], vec![]),
        }
    }

    fn log(&self) -> Vec<(String, String, String, String)> {
        self.db
            .execute(
                "SELECT actor_id, action, resource, outcome FROM kit_access_log
                 WHERE service = 'records' ORDER BY seq",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.get::<String>("actor_id").unwrap(),
                    r.get("action").unwrap(),
                    r.get("resource").unwrap(),
                    r.get("outcome").unwrap(),
                )
            })
            .collect()
    }
}

fn reply(resp: http::Response<Vec<u8>>) -> Reply {
    let (parts, bytes) = resp.into_parts();
    Reply {
        status: parts.status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes,
        headers: parts.headers,
    }
}

/// The route pattern the context code is given (only the two that name appointments matter).
fn route_of(path: &str, method: &str) -> &'static str {
    if method == "POST" && path == "/api/records/reports" {
        "/api/records/reports"
    } else if method == "POST" && path.contains("/files") {
        records::UPLOAD
    } else {
        ""
    }
}

const P: (&str, Role) = (PATIENT, Role::Patient);
const OTHER: (&str, Role) = (OTHER_PATIENT, Role::Patient);
const D: (&str, Role) = (DOCTOR, Role::Doctor);
const D2: (&str, Role) = (OTHER_DOCTOR, Role::Doctor);
const S: (&str, Role) = (STAFF, Role::Staff);
const PH: (&str, Role) = (PHARMACIST, Role::Pharmacist);

fn chart_path() -> String {
    format!("/api/records/patients/{PATIENT}")
}

fn weight(kg: f64) -> Value {
    json!({"kind": "observation", "measure": "weight", "value": kg, "unit": "kg",
           "taken_at": "2026-12-01T08:00:00Z"})
}

#[test]
fn an_edit_is_a_new_version_and_a_delete_marks_it_in_error_with_who_and_why() {
    let app = App::new();
    let made = app.call(
        D,
        "POST",
        &format!("{}/entries", chart_path()),
        Some(weight(81.0)),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.headers["etag"], "\"1\"");
    let id = made.body["id"].as_str().unwrap().to_string();
    let entry = format!("/api/records/entries/{id}");

    let edited = app.send(
        D,
        "PUT",
        &entry,
        &[("content-type", "application/json"), ("if-match", "\"1\"")],
        weight(80.5).to_string().into_bytes(),
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["version"], 2);
    assert_eq!(edited.body["data"]["value"], 80.5);

    // A writer who read version 1 does not overwrite version 2.
    let stale = app.send(
        D,
        "PUT",
        &entry,
        &[("content-type", "application/json"), ("if-match", "\"1\"")],
        weight(99.0).to_string().into_bytes(),
    );
    assert_eq!(stale.status, 409, "{}", stale.body);

    // The patient did not write it: they do not rewrite their doctor's entry.
    assert_eq!(app.call(P, "PUT", &entry, Some(weight(70.0))).status, 403);

    let no_reason = app.call(D, "DELETE", &entry, None);
    assert_eq!(
        (no_reason.status.as_u16(), no_reason.field()),
        (422, "reason".into())
    );
    let gone = app.call(
        D,
        "DELETE",
        &entry,
        Some(json!({"reason": "weighed in clothes"})),
    );
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["status"], "entered-in-error");
    assert_eq!(gone.body["error_reason"], "weighed in clothes");
    assert_eq!(app.call(D, "PUT", &entry, Some(weight(80.0))).status, 409);

    let history = app.call(P, "GET", &format!("{entry}/history"), None);
    let versions = history.body["versions"].as_array().unwrap();
    let shape: Vec<(i64, f64, &str)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().unwrap(),
                v["data"]["value"].as_f64().unwrap(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1, 81.0, "current"),
            (2, 80.5, "current"),
            (3, 80.5, "entered-in-error")
        ]
    );
    assert_eq!(versions[2]["author_id"], DOCTOR);

    // Nothing behind the app's back either: the table refuses it.
    for sql in [
        format!("DELETE FROM records_items WHERE id = '{id}'"),
        format!("DELETE FROM records_item_versions WHERE item_id = '{id}'"),
        format!("UPDATE records_item_versions SET data = '{{}}' WHERE item_id = '{id}'"),
        format!("UPDATE records_items SET status = 'current', error_reason = NULL, version = 4 WHERE id = '{id}'"),
    ] {
        assert!(app.db.execute(&sql, &[]).is_err(), "{sql}");
    }
    // The chart still lists it, marked.
    let chart = app.call(P, "GET", &chart_path(), None);
    assert_eq!(chart.body["observations"][0]["status"], "entered-in-error");
}

#[test]
fn a_signed_report_never_changes_its_corrections_are_addenda_and_the_patient_is_told() {
    let app = App::new();
    let made = app.call(
        D,
        "POST",
        "/api/records/reports",
        Some(json!({"appointment_id": APPOINTMENT, "subjective": "Headaches for a week."})),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();
    let report = format!("/api/records/reports/{id}");
    // One report per appointment; another doctor writes none.
    assert_eq!(
        app.call(
            D,
            "POST",
            "/api/records/reports",
            Some(json!({"appointment_id": APPOINTMENT}))
        )
        .status,
        409
    );
    assert_eq!(
        app.call(
            D2,
            "POST",
            "/api/records/reports",
            Some(json!({"appointment_id": APPOINTMENT}))
        )
        .status,
        422
    );

    // A draft is its doctor's alone.
    assert_eq!(app.call(P, "GET", &report, None).status, 404);
    let listed = app.call(P, "GET", &format!("{}/reports", chart_path()), None);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    // Signing an empty assessment and plan is refused.
    assert_eq!(
        app.call(D, "POST", &format!("{report}/sign"), None).field(),
        "assessment"
    );
    let saved = app.call(
        D,
        "PUT",
        &report,
        Some(json!({"assessment": "Tension headache.", "plan": "Ibuprofen as needed; review in 4 weeks."})),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["subjective"], "Headaches for a week.");
    // Addenda are for signed reports.
    assert_eq!(
        app.call(
            D,
            "POST",
            &format!("{report}/addenda"),
            Some(json!({"text": "x"}))
        )
        .status,
        409
    );
    let signed = app.call(D, "POST", &format!("{report}/sign"), None);
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.body["status"], "signed");

    assert_eq!(
        app.call(D, "PUT", &report, Some(json!({"plan": "changed"})))
            .status,
        409
    );
    assert_eq!(
        app.call(D, "POST", &format!("{report}/sign"), None).status,
        409
    );
    assert!(app
        .db
        .execute(
            &format!("UPDATE records_reports SET plan = 'x' WHERE id = '{id}'"),
            &[]
        )
        .is_err());
    assert!(app
        .db
        .execute(
            &format!("DELETE FROM records_reports WHERE id = '{id}'"),
            &[]
        )
        .is_err());

    let added = app.call(
        D,
        "POST",
        &format!("{report}/addenda"),
        Some(json!({"text": "Correction: review in 2 weeks."})),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let read = app.call(P, "GET", &report, None);
    assert_eq!(read.status, 200);
    assert_eq!(read.body["plan"], "Ibuprofen as needed; review in 4 weeks.");
    assert_eq!(
        read.body["addenda"][0]["text"],
        "Correction: review in 2 weeks."
    );
    // The patient's mail was queued by the signing statement, once.
    let queued = records::reports::pending_mail(&app.db, 10).unwrap();
    assert_eq!(
        queued,
        [(id.clone(), PATIENT.to_string(), DOCTOR.to_string())]
    );
}

#[test]
fn a_grant_lets_a_doctor_read_until_it_ends_or_is_revoked_and_never_write() {
    let app = App::new();
    let item = app.call(
        P,
        "POST",
        &format!("{}/entries", chart_path()),
        Some(weight(70.0)),
    );
    assert_eq!(item.status, 201, "{}", item.body);
    let entry = format!("/api/records/entries/{}", item.body["id"].as_str().unwrap());
    assert_eq!(app.call(D2, "GET", &chart_path(), None).status, 403);

    let until = (*app.now.borrow() + jiff::SignedDuration::from_hours(1)).to_string();
    let grant = app.call(
        P,
        "POST",
        "/api/records/grants",
        Some(json!({"grantee_id": OTHER_DOCTOR, "scope": "chart", "expires_at": until})),
    );
    assert_eq!(grant.status, 201, "{}", grant.body);
    assert_eq!(grant.body["state"], "active");

    let chart = app.call(D2, "GET", &chart_path(), None);
    assert_eq!(chart.status, 200, "{}", chart.body);
    assert_eq!(
        chart.body["access"],
        json!({"basis": "grant", "until": until})
    );
    assert_eq!(app.call(D2, "GET", &entry, None).status, 200);
    assert_eq!(app.call(D2, "PUT", &entry, Some(weight(71.0))).status, 403);
    assert_eq!(
        app.call(
            D2,
            "POST",
            &format!("{}/entries", chart_path()),
            Some(weight(71.0))
        )
        .status,
        403
    );
    // The grantee sees what was shared and until when.
    let received = app.call(D2, "GET", "/api/records/grants", None);
    assert_eq!(received.body["items"][0]["expires_at"], until);

    // An hour later it has ended by itself.
    app.later(2);
    assert_eq!(app.call(D2, "GET", &chart_path(), None).status, 403);
    assert_eq!(
        app.call(D2, "GET", "/api/records/grants", None).body["items"],
        json!([])
    );
    let given = app.call(P, "GET", "/api/records/grants", None);
    assert_eq!(given.body["items"][0]["state"], "expired");

    // A new grant, revoked: refused at once.
    let until = (*app.now.borrow() + jiff::SignedDuration::from_hours(24)).to_string();
    let again = app.call(
        P,
        "POST",
        "/api/records/grants",
        Some(json!({"grantee_id": OTHER_DOCTOR, "scope": "chart", "expires_at": until})),
    );
    assert_eq!(app.call(D2, "GET", &chart_path(), None).status, 200);
    let gid = again.body["id"].as_str().unwrap();
    // Only its patient revokes it.
    assert_eq!(
        app.call(OTHER, "DELETE", &format!("/api/records/grants/{gid}"), None)
            .status,
        404
    );
    let revoked = app.call(P, "DELETE", &format!("/api/records/grants/{gid}"), None);
    assert_eq!(revoked.body["state"], "revoked");
    assert_eq!(app.call(D2, "GET", &chart_path(), None).status, 403);
    assert!(app
        .db
        .execute(
            &format!("UPDATE records_grants SET revoked_at = NULL WHERE id = '{gid}'"),
            &[]
        )
        .is_err());

    // Bad grants name their field.
    for (body, field) in [
        (
            json!({"grantee_id": OTHER_DOCTOR, "scope": "chart", "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"grantee_id": OTHER_DOCTOR, "scope": "chart", "expires_at": "2030-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"grantee_id": "nobody", "scope": "chart", "expires_at": until}),
            "grantee_id",
        ),
        (
            json!({"grantee_id": OTHER_DOCTOR, "scope": "file", "expires_at": until}),
            "resource_id",
        ),
        (
            json!({"grantee_id": OTHER_DOCTOR, "scope": "file", "resource_id": APPOINTMENT, "expires_at": until}),
            "resource_id",
        ),
        (
            json!({"grantee_id": OTHER_DOCTOR, "scope": "everything", "expires_at": until}),
            "scope",
        ),
    ] {
        let r = app.call(P, "POST", "/api/records/grants", Some(body.clone()));
        assert_eq!(
            (r.status.as_u16(), r.field()),
            (422, field.to_string()),
            "{body}"
        );
    }
    assert_eq!(
        app.call(
            D2,
            "POST",
            "/api/records/grants",
            Some(json!({"grantee_id": PATIENT, "scope": "chart", "expires_at": until}))
        )
        .status,
        403
    );
}

fn pdf(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.resize(len, b'x');
    b
}

#[test]
fn files_are_typed_by_content_kept_in_chunks_and_shared_one_at_a_time() {
    let app = App::new();
    let up = |who, name: &str, bytes: Vec<u8>| {
        app.send(
            who,
            "POST",
            &format!("{}/files?name={name}", chart_path()),
            &[("content-type", "application/pdf")],
            bytes,
        )
    };
    let big = pdf(records::files::MAX_SIZE);
    let stored = up(P, "scan.pdf", big.clone());
    assert_eq!(stored.status, 201, "{}", stored.body);
    assert_eq!(stored.body["media_type"], "application/pdf");
    assert_eq!(stored.body["size"], records::files::MAX_SIZE);
    let id = stored.body["id"].as_str().unwrap().to_string();
    let chunks = app
        .db
        .execute(&format!("SELECT COUNT(*) AS n, MAX(length(bytes)) AS m FROM records_file_chunks WHERE file_id = '{id}'"), &[])
        .unwrap();
    assert_eq!(chunks.first().unwrap().get::<i64>("n").unwrap(), 32);
    assert_eq!(chunks.first().unwrap().get::<i64>("m").unwrap(), 256 * 1024);

    let down = app.call(P, "GET", &format!("/api/records/files/{id}"), None);
    assert_eq!(down.status, 200);
    assert!(down.bytes == big, "the download is the upload");
    assert_eq!(down.headers["content-type"], "application/pdf");
    assert_eq!(down.headers["x-content-type-options"], "nosniff");
    assert!(down.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert!(down.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));

    assert_eq!(
        up(P, "big.pdf", pdf(records::files::MAX_SIZE + 1)).status,
        413
    );
    let html = up(
        P,
        "report.pdf",
        b"<html><script>alert(1)</script></html>".to_vec(),
    );
    assert_eq!((html.status.as_u16(), html.field()), (415, "file".into()));
    assert_eq!(up(P, "empty.pdf", vec![]).status, 422);
    let png = up(P, "x.pdf", b"\x89PNG\r\n\x1a\nrest".to_vec());
    assert_eq!(png.body["media_type"], "image/png");
    assert_eq!(up(OTHER, "x.pdf", pdf(10)).status, 403);

    // A file grant opens that file, not the chart nor another file.
    let until = (*app.now.borrow() + jiff::SignedDuration::from_hours(1)).to_string();
    let g = app.call(
        P,
        "POST",
        "/api/records/grants",
        Some(json!({"grantee_id": OTHER_DOCTOR, "scope": "file", "resource_id": id, "expires_at": until})),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    assert_eq!(
        app.call(D2, "GET", &format!("/api/records/files/{id}"), None)
            .status,
        200
    );
    let other_file = png.body["id"].as_str().unwrap();
    assert_eq!(
        app.call(D2, "GET", &format!("/api/records/files/{other_file}"), None)
            .status,
        403
    );
    assert_eq!(app.call(D2, "GET", &chart_path(), None).status, 403);

    // Withdrawn: listed, marked, not served.
    let del = app.call(
        P,
        "DELETE",
        &format!("/api/records/files/{id}?reason=wrong%20patient%27s%20scan"),
        None,
    );
    assert_eq!(del.status, 200, "{}", del.body);
    assert_eq!(
        app.call(P, "GET", &format!("/api/records/files/{id}"), None)
            .status,
        410
    );
    assert!(app
        .db
        .execute(
            &format!("DELETE FROM records_file_chunks WHERE file_id = '{id}'"),
            &[]
        )
        .is_err());
}

#[test]
fn staff_break_the_glass_with_a_reason_the_patient_reads_and_pharmacists_never_get_in() {
    let app = App::new();
    app.call(
        P,
        "POST",
        &format!("{}/entries", chart_path()),
        Some(weight(70.0)),
    );
    let refused = app.call(S, "GET", &chart_path(), None);
    assert_eq!(
        (refused.status.as_u16(), refused.field()),
        (403, "reason".into())
    );
    assert_eq!(
        app.call(S, "GET", &format!("{}?reason=hm", chart_path()), None)
            .field(),
        "reason"
    );
    let ok = app.send(
        S,
        "GET",
        &chart_path(),
        &[(
            "x-access-reason",
            "Patient unconscious in the emergency room",
        )],
        vec![],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["access"]["basis"], "break_glass");
    // Reading, not writing.
    assert_eq!(
        app.call(
            S,
            "POST",
            &format!("{}/entries?reason=urgent%20care", chart_path()),
            Some(weight(71.0))
        )
        .status,
        403
    );

    let reasons = app.call(P, "GET", &format!("{}/break-glass", chart_path()), None);
    assert_eq!(
        reasons.body["items"][0]["reason"],
        "Patient unconscious in the emergency room"
    );
    assert_eq!(reasons.body["items"][0]["actor_id"], STAFF);
    assert_eq!(
        app.call(S, "GET", &format!("{}/break-glass", chart_path()), None)
            .status,
        403
    );

    for who in [PH, OTHER, D2] {
        assert_eq!(
            app.call(who, "GET", &chart_path(), None).status,
            403,
            "{who:?}"
        );
        assert_eq!(
            app.call(who, "GET", &format!("{}/export", chart_path()), None)
                .status,
            403
        );
    }
    // The treating doctor reads and writes.
    assert_eq!(
        app.call(D, "GET", &chart_path(), None).body["access"]["basis"],
        "treating"
    );

    // Every access is in the log, denials too, and the chain holds.
    let log = app.log();
    let has = |actor: &str, action: &str, resource: &str, outcome: &str| {
        log.iter()
            .any(|(a, ac, r, o)| a == actor && ac == action && r == resource && o == outcome)
    };
    assert!(has(STAFF, "read", "chart", "denied"));
    assert!(has(STAFF, "read", "chart", "allowed"));
    assert!(has(PHARMACIST, "read", "chart", "denied"));
    assert!(has(PHARMACIST, "export", "chart", "denied"));
    assert!(has(DOCTOR, "read", "chart", "allowed"));
    let verified = service_kit::audit::verify(&app.db, "records").unwrap();
    assert!(
        verified.ok && verified.rows_checked as usize == log.len(),
        "{verified:?}"
    );
}

#[test]
fn the_latest_readings_come_in_the_calculators_units() {
    let app = App::new();
    let path = format!("{}/entries", chart_path());
    for body in [
        json!({"kind": "observation", "measure": "total_cholesterol", "value": 6.0, "unit": "mmol/L", "taken_at": "2026-11-01T08:00:00Z"}),
        json!({"kind": "observation", "measure": "total_cholesterol", "value": 190, "unit": "mg/dL", "taken_at": "2026-11-20T08:00:00Z"}),
        json!({"kind": "observation", "measure": "blood_pressure", "value": {"systolic": 134, "diastolic": 86}, "unit": "mm[Hg]", "taken_at": "2026-11-20T08:00:00Z"}),
    ] {
        assert_eq!(app.call(P, "POST", &path, Some(body)).status, 201);
    }
    let latest = app.call(
        P,
        "GET",
        &format!("{}/observations/latest", chart_path()),
        None,
    );
    let r = &latest.body["readings"];
    assert_eq!(r["total_cholesterol"]["value"], 190.0);
    assert_eq!(
        (r["sbp"]["value"].as_f64(), r["dbp"]["value"].as_f64()),
        (Some(134.0), Some(86.0))
    );
}

#[test]
fn every_list_walks_one_index_from_its_cursor() {
    let app = App::new();
    service_kit::migrate::apply(&app.db, "records", records::MIGRATIONS).unwrap();
    use service_kit::db::Value::Integer as I;
    use service_kit::db::Value::Text as T;
    for (sql, params) in [
        (
            format!("SELECT id {}", records::chart::LIST),
            vec![
                T("p".into()),
                T("problem".into()),
                T("~".into()),
                T("".into()),
                I(10),
            ],
        ),
        (
            format!("SELECT id {}", records::files::LIST),
            vec![T("p".into()), T("~".into()), I(10)],
        ),
        (
            format!("SELECT id {}", records::reports::LIST),
            vec![T("p".into()), T("~".into()), I(10), I(0)],
        ),
    ] {
        let plan = service_kit::db::query_plan(&app.db, &sql, &params).unwrap();
        assert!(
            plan.iter()
                .all(|s| s.starts_with("SEARCH") && !s.contains("TEMP B-TREE")),
            "{sql}: {plan:?}"
        );
    }
}
