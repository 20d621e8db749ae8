//! prescriptions natively: the real router, rules and SQL on real SQLite. What booking and
//! records would answer (care relationships, the chart's allergies) is given per test, as the
//! Spin entry gathers it before the rules run.

use http::StatusCode;
use prescriptions::allergy::Allergy;
use prescriptions::{Care, Ctx};
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

struct App {
    db: SqliteDb,
    now: RefCell<jiff::Timestamp>,
    /// Whether booking says DOCTOR treats PATIENT.
    treating: RefCell<bool>,
    /// What records says PATIENT is allergic to; `None`: records can't be reached.
    allergies: RefCell<Option<Vec<Allergy>>>,
    /// The pharmacy locator says PHARMACIST works at; `None`: none assigned.
    pharmacy: RefCell<Option<String>>,
}

/// An answer as a client reads it.
use service_kit::testing::Answer as Reply;

const DR: (&str, Role) = (DOCTOR, Role::Doctor);
const ME: (&str, Role) = (PATIENT, Role::Patient);
const RX: (&str, Role) = (PHARMACIST, Role::Pharmacist);

impl App {
    fn new() -> App {
        App::on(SqliteDb::open_in_memory())
    }

    fn on(db: SqliteDb) -> App {
        App {
            db,
            now: RefCell::new("2026-12-02T10:00:00Z".parse().unwrap()),
            treating: RefCell::new(true),
            allergies: RefCell::new(Some(vec![])),
            pharmacy: RefCell::new(None),
        }
    }

    fn later(&self, hours: i64) {
        let t = *self.now.borrow() + jiff::SignedDuration::from_hours(hours);
        *self.now.borrow_mut() = t;
    }

    fn call(&self, who: (&str, Role), method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut b = http::Request::builder().method(method).uri(path);
        let bytes = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                v.to_string().into_bytes()
            }
            None => vec![],
        };
        let req = b.body(bytes).unwrap();
        let principal = Principal::signed_in(who.0, who.1);
        let now = *self.now.borrow();
        // The Spin entry's questions, answered as booking and records would.
        let (care, allergies) = if who.1 == Role::Doctor {
            service_kit::migrate::apply(&self.db, "prescriptions", prescriptions::MIGRATIONS)
                .unwrap();
            let care = prescriptions::patient_concerned(&self.db, &req)
                .unwrap()
                .map(|patient_id| Care {
                    treating: who.0 == DOCTOR && patient_id == PATIENT && *self.treating.borrow(),
                    patient_id,
                });
            let allergies = (care.as_ref().is_some_and(|c| c.treating)
                && prescriptions::issues(&req))
            .then(|| {
                self.allergies
                    .borrow()
                    .clone()
                    .ok_or_else(|| "records answered 503".to_string())
            });
            (care, allergies)
        } else {
            (None, None)
        };
        let ctx = Ctx {
            db: &self.db,
            audit: service_kit::audit::Recorder::for_principal("prescriptions", now, &principal),
            principal,
            now,
            care,
            allergies,
            pharmacy: (who.1 == Role::Pharmacist && prescriptions::dispenses(&req))
                .then(|| self.pharmacy.borrow().clone())
                .flatten(),
        };
        Reply::of(&prescriptions::handle(&req, &ctx))
    }

    /// Issues a prescription for PATIENT and returns it.
    fn prescribe(&self, medications: Value) -> Value {
        let r = self.call(
            DR,
            "POST",
            "/api/prescriptions",
            Some(json!({"patient_id": PATIENT, "medications": medications})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    fn dispense(&self, code: &str, items: Value) -> Reply {
        self.call(
            RX,
            "POST",
            &format!("/api/prescriptions/by-code/{code}/dispenses"),
            Some(json!({"items": items, "pharmacy": "Apotheke am Markt"})),
        )
    }

    fn count(&self, sql: &str) -> i64 {
        self.db
            .execute(sql, &[])
            .unwrap()
            .first()
            .unwrap()
            .get("n")
            .unwrap()
    }
}

fn amoxicillin(quantity: u32, refills: u32) -> Value {
    json!({"name": "Amoxicillin", "strength": "500 mg", "form": "capsule", "dose": "1 capsule",
           "route": "oral", "frequency": "3 times a day", "duration_days": 7,
           "quantity": quantity, "refills": refills, "instructions": "Take with food."})
}

fn metformin() -> Value {
    json!({"name": "Metformin", "strength": "500 mg", "form": "tablet", "dose": "1 tablet",
           "route": "oral", "frequency": "twice a day", "duration_days": 30, "quantity": 60,
           "refills": 2})
}

#[test]
fn a_treating_doctor_prescribes_and_the_patient_sees_what_is_left() {
    let app = App::new();
    let p = app.prescribe(json!([amoxicillin(21, 1), metformin()]));
    assert_eq!(p["status"], "active");
    let code = p["code"].as_str().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    let mine = app.call(
        ME,
        "GET",
        &format!("/api/prescriptions/patients/{PATIENT}"),
        None,
    );
    assert_eq!(mine.status, 200);
    let first = &mine.body["items"][0];
    assert_eq!(first["id"], p["id"]);
    assert_eq!(first["medications"][0]["refills_left"], 1);
    assert_eq!(first["medications"][1]["fills_allowed"], 3);
    assert_eq!(first["medications"][0]["dispensable_now"], 21);
    // Nobody else.
    for who in [
        (OTHER_PATIENT, Role::Patient),
        (OTHER_DOCTOR, Role::Doctor),
        (STAFF, Role::Staff),
        (STAFF, Role::Admin),
        RX,
    ] {
        let r = app.call(
            who,
            "GET",
            &format!("/api/prescriptions/{}", p["id"].as_str().unwrap()),
            None,
        );
        assert_eq!(r.status, 403, "{who:?}");
        let r = app.call(
            who,
            "GET",
            &format!("/api/prescriptions/patients/{PATIENT}"),
            None,
        );
        assert_eq!(r.status, 403, "{who:?}");
    }
    // A patient doesn't prescribe, even for themself.
    let r = app.call(
        ME,
        "POST",
        "/api/prescriptions",
        Some(json!({"patient_id": PATIENT, "medications": [metformin()]})),
    );
    assert_eq!(r.status, 403);
    // A doctor without a care relationship doesn't either.
    let r = app.call(
        (OTHER_DOCTOR, Role::Doctor),
        "POST",
        "/api/prescriptions",
        Some(json!({"patient_id": PATIENT, "medications": [metformin()]})),
    );
    assert_eq!(r.status, 403);
    // The prescriber, once the visits are over, still reads and may cancel what they wrote.
    *app.treating.borrow_mut() = false;
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        app.call(DR, "GET", &format!("/api/prescriptions/{id}"), None)
            .status,
        200
    );
    assert_eq!(
        app.call(
            DR,
            "GET",
            &format!("/api/prescriptions/patients/{PATIENT}"),
            None
        )
        .status,
        403
    );
    let r = app.call(
        DR,
        "POST",
        &format!("/api/prescriptions/{id}/cancel"),
        Some(json!({"reason": "Wrong strength prescribed"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    // Every read and write is in the log, refusals included.
    assert!(app.count("SELECT count(*) AS n FROM kit_access_log WHERE outcome = 'denied'") >= 10);
    assert!(app.count("SELECT count(*) AS n FROM kit_access_log WHERE action = 'issue'") == 1);
}

#[test]
fn an_allergy_in_the_chart_asks_for_an_override_with_a_reason() {
    let app = App::new();
    *app.allergies.borrow_mut() = Some(vec![Allergy {
        substance: "Penicillin".into(),
        reaction: Some("Hives".into()),
        severity: "moderate".into(),
    }]);
    let body = json!({"patient_id": PATIENT, "medications": [metformin(), amoxicillin(21, 0)]});
    let r = app.call(DR, "POST", "/api/prescriptions", Some(body.clone()));
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.kind(), "allergy-warning");
    assert!(r.body["detail"].as_str().unwrap().contains("Penicillin"));
    assert_eq!(
        r.fields(),
        ["medications[1].name", "allergy_override_reason"]
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM rx_prescriptions"), 0);
    // A reason too short is named; a real one lets it through and stays on the prescription.
    let mut with = body.clone();
    with["allergy_override_reason"] = json!("ok");
    let r = app.call(DR, "POST", "/api/prescriptions", Some(with.clone()));
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), ["allergy_override_reason"]);
    with["allergy_override_reason"] = json!("Tolerated amoxicillin in 2024 under observation");
    let r = app.call(DR, "POST", "/api/prescriptions", Some(with));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["allergy_override"]["reason"],
        "Tolerated amoxicillin in 2024 under observation"
    );
    assert_eq!(
        r.body["allergy_override"]["conflicts"][0]["substance"],
        "Penicillin"
    );
    // A draft is saved unchecked; issuing it checks.
    let mut draft = body.clone();
    draft["status"] = json!("draft");
    let d = app.call(DR, "POST", "/api/prescriptions", Some(draft));
    assert_eq!(d.status, 201);
    assert_eq!(d.body["status"], "draft");
    let issue = format!(
        "/api/prescriptions/{}/issue",
        d.body["id"].as_str().unwrap()
    );
    assert_eq!(app.call(DR, "POST", &issue, None).kind(), "allergy-warning");
    // When records can't say, nothing is issued blind.
    *app.allergies.borrow_mut() = None;
    let r = app.call(DR, "POST", &issue, None);
    assert_eq!(r.status, 503);
    let r = app.call(DR, "POST", "/api/prescriptions", Some(body));
    assert_eq!(r.status, 503);
}

#[test]
fn an_issued_prescription_changes_only_by_cancelling_it_and_issuing_a_new_one() {
    let app = App::new();
    let mut draft = json!({"patient_id": PATIENT, "medications": [metformin()], "status": "draft"});
    let d = app.call(DR, "POST", "/api/prescriptions", Some(draft.clone()));
    assert_eq!(d.status, 201);
    let id = d.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/prescriptions/{id}");
    // A draft is edited as versions, against the version seen; it has no code to show yet.
    draft.as_object_mut().unwrap().remove("status");
    draft.as_object_mut().unwrap().remove("patient_id");
    draft["note"] = json!("Review kidney function in 3 months.");
    draft["version"] = json!(1);
    let r = app.call(DR, "PUT", &path, Some(draft.clone()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let stale = app.call(DR, "PUT", &path, Some(draft.clone()));
    assert_eq!(stale.kind(), "stale-version");
    assert_eq!(
        app.call(ME, "GET", &format!("{path}/qr.svg"), None).kind(),
        "draft"
    );
    // Issued: the content is fixed.
    let r = app.call(DR, "POST", &format!("{path}/issue"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "active");
    draft["version"] = json!(3);
    assert_eq!(
        app.call(DR, "PUT", &path, Some(draft)).kind(),
        "issued-is-final"
    );
    assert_eq!(
        app.call(DR, "DELETE", &path, None).kind(),
        "issued-is-final"
    );
    // Even a statement that skipped the handler can't change it.
    let raw = app.db.execute(
        "UPDATE rx_prescriptions SET medications = '[]', version = version + 1 WHERE id = ?1",
        service_kit::params![id.as_str()],
    );
    assert!(raw.is_err());
    // On hold and back; then cancelled, with a reason, for good.
    let hold = app.call(DR, "POST", &format!("{path}/hold"), Some(json!({})));
    assert_eq!(hold.fields(), ["reason"]);
    let hold = app.call(
        DR,
        "POST",
        &format!("{path}/hold"),
        Some(json!({"reason": "Awaiting lab results"})),
    );
    assert_eq!(hold.body["status"], "on-hold");
    assert_eq!(
        app.call(DR, "POST", &format!("{path}/resume"), None).body["status"],
        "active"
    );
    assert_eq!(
        app.call(DR, "POST", &format!("{path}/resume"), None).kind(),
        "not-now"
    );
    let c = app.call(
        DR,
        "POST",
        &format!("{path}/cancel"),
        Some(json!({"reason": "Dose to be changed"})),
    );
    assert_eq!(c.body["status"], "cancelled");
    assert_eq!(c.body["status_reason"], "Dose to be changed");
    assert_eq!(
        app.call(DR, "POST", &format!("{path}/resume"), None).kind(),
        "not-now"
    );
    // Its successor names it.
    let mut next = json!({"patient_id": PATIENT, "medications": [metformin()], "replaces": id});
    next["medications"][0]["strength"] = json!("850 mg");
    let n = app.call(DR, "POST", "/api/prescriptions", Some(next));
    assert_eq!(n.status, 201, "{}", n.body);
    assert_eq!(n.body["replaces"], id.as_str());
    // Every version is kept: created, edited, issued, held, resumed, cancelled.
    let v = app.call(ME, "GET", &format!("{path}/versions"), None);
    let statuses: Vec<&str> = v.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["draft", "draft", "active", "on-hold", "active", "cancelled"]
    );
    // A draft is deleted; its versions stay.
    let d2 = app.call(
        DR,
        "POST",
        "/api/prescriptions",
        Some(json!({"patient_id": PATIENT, "medications": [metformin()], "status": "draft"})),
    );
    let d2 = d2.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call(DR, "DELETE", &format!("/api/prescriptions/{d2}"), None)
            .status,
        204
    );
    assert_eq!(
        app.call(DR, "GET", &format!("/api/prescriptions/{d2}"), None)
            .status,
        404
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM rx_versions WHERE prescription_id = '{d2}'"
        )),
        1
    );
}

#[test]
fn dispensing_never_exceeds_what_was_prescribed_and_never_a_cancelled_or_expired_one() {
    let app = App::new();
    let p = app.prescribe(json!([amoxicillin(30, 1), metformin()]));
    let code = p["code"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .replace('-', "%20");
    // The pharmacist finds it by the code however it is typed, and sees what may be dispensed.
    let seen = app.call(
        RX,
        "GET",
        &format!("/api/prescriptions/by-code/{code}"),
        None,
    );
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["dispensable"], true);
    assert!(seen.body.get("allergy_override").is_none());
    assert_eq!(
        app.call(
            ME,
            "GET",
            &format!("/api/prescriptions/by-code/{code}"),
            None
        )
        .status,
        403
    );
    assert_eq!(
        app.call(RX, "GET", "/api/prescriptions/by-code/AAAA-BBBB-CCCC", None)
            .status,
        404
    );
    // A partial fill, its rest, the refill; then nothing is left of line 1.
    let r = app.dispense(
        &code,
        json!([{"line": 1, "quantity": 20}, {"line": 2, "quantity": 60}]),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["medications"][0]["open_fill_left"], 10);
    assert_eq!(
        app.dispense(&code, json!([{"line": 1, "quantity": 11}]))
            .kind(),
        "nothing-left"
    );
    assert_eq!(
        app.dispense(&code, json!([{"line": 1, "quantity": 10}]))
            .status,
        201
    );
    assert_eq!(
        app.dispense(&code, json!([{"line": 1, "quantity": 31}]))
            .kind(),
        "nothing-left"
    );
    assert_eq!(
        app.dispense(&code, json!([{"line": 1, "quantity": 30}]))
            .status,
        201
    );
    // All or nothing: line 2 has fills left, line 1 none, so neither moves.
    let r = app.dispense(
        &code,
        json!([{"line": 2, "quantity": 60}, {"line": 1, "quantity": 1}]),
    );
    assert_eq!(r.kind(), "nothing-left", "{}", r.body);
    assert_eq!(
        app.count("SELECT fills_used AS n FROM rx_lines WHERE line = 2"),
        1,
        "line 2 did not move"
    );
    // Bad requests are named.
    assert_eq!(
        app.dispense(&code, json!([{"line": 3, "quantity": 1}]))
            .fields(),
        ["items[0].line"]
    );
    assert_eq!(
        app.dispense(
            &code,
            json!([{"line": 2, "quantity": 1}, {"line": 2, "quantity": 1}])
        )
        .fields(),
        ["items[1].line"]
    );
    assert_eq!(
        app.dispense(&code, json!([{"line": 2, "quantity": 0}]))
            .fields(),
        ["items[0].quantity"]
    );
    // The patient sees every dispense; the log shows the pharmacist's lookups.
    let id = p["id"].as_str().unwrap();
    let d = app.call(
        ME,
        "GET",
        &format!("/api/prescriptions/{id}/dispenses"),
        None,
    );
    assert_eq!(d.body["items"].as_array().unwrap().len(), 4);
    let log = app.call(ME, "GET", "/api/prescriptions/access-log", None);
    assert!(
        log.body.to_string().contains("looked up by code"),
        "{}",
        log.body
    );
    // Cancelled: nothing more.
    let c = app.call(
        DR,
        "POST",
        &format!("/api/prescriptions/{id}/cancel"),
        Some(json!({"reason": "Switched to another drug"})),
    );
    assert_eq!(c.status, 200);
    assert_eq!(
        app.dispense(&code, json!([{"line": 2, "quantity": 60}]))
            .kind(),
        "not-dispensable"
    );
    // Expired: nothing more either.
    let q = app.prescribe(json!([metformin()]));
    let code = q["code"].as_str().unwrap();
    app.later(91 * 24);
    assert_eq!(
        app.dispense(code, json!([{"line": 1, "quantity": 60}]))
            .kind(),
        "not-dispensable"
    );
    let got = app.call(
        ME,
        "GET",
        &format!("/api/prescriptions/{}", q["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(got.body["status"], "expired");
}

#[test]
fn sixteen_connections_dispensing_one_code_at_once_never_hand_over_more_than_prescribed() {
    let dir = std::env::temp_dir().join(format!("rx-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prescriptions.db");
    let _ = std::fs::remove_file(&file);
    let app = App::on(SqliteDb::open(&file));
    // 10 units a fill, 5 fills: 50 units at most.
    let p = app.prescribe(json!([amoxicillin(10, 4)]));
    let code = p["code"].as_str().unwrap().to_string();
    let id = p["id"].as_str().unwrap().to_string();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let file = file.clone();
            let code = code.clone();
            std::thread::spawn(move || {
                let app = App::on(SqliteDb::open(&file));
                let mut created = 0;
                for n in 0..12 {
                    // Some ask for a whole fill, some for half of one.
                    let quantity = if (i + n) % 3 == 0 { 5 } else { 10 };
                    let r = app.dispense(&code, json!([{"line": 1, "quantity": quantity}]));
                    match r.status.as_u16() {
                        201 => created += 1,
                        409 => {}
                        other => panic!("dispense answered {other}: {}", r.body),
                    }
                }
                created
            })
        })
        .collect();
    let created: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let sum = app.count(&format!(
        "SELECT coalesce(sum(quantity), 0) AS n FROM rx_dispenses WHERE prescription_id = '{id}'"
    ));
    let fills = app.count(&format!(
        "SELECT coalesce(max(fill), 0) AS n FROM rx_dispenses WHERE prescription_id = '{id}'"
    ));
    assert!(created >= 5, "{created} dispenses went through");
    assert!(sum <= 50, "{sum} units handed over of 50");
    assert!(fills <= 5, "{fills} fills of 5");
    assert_eq!(
        app.count(&format!(
            "SELECT dispensed AS n FROM rx_lines WHERE prescription_id = '{id}'"
        )),
        sum,
        "the counter is the sum of the dispenses"
    );
    // Every fill holds at most its 10 units.
    let worst = app.count(&format!(
        "SELECT max(s) AS n FROM (SELECT sum(quantity) AS s FROM rx_dispenses
         WHERE prescription_id = '{id}' GROUP BY fill)"
    ));
    assert!(worst <= 10, "a fill held {worst}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refill_is_asked_for_once_and_decided_once_and_the_patient_hears_either_way() {
    let app = App::new();
    let p = app.prescribe(json!([amoxicillin(21, 0)]));
    let id = p["id"].as_str().unwrap();
    let code = p["code"].as_str().unwrap();
    let ask = format!("/api/prescriptions/{id}/refill-requests");
    // Fills left: show the code instead.
    assert_eq!(app.call(ME, "POST", &ask, None).kind(), "refills-left");
    assert_eq!(
        app.dispense(code, json!([{"line": 1, "quantity": 21}]))
            .status,
        201
    );
    let got = app.call(ME, "GET", &format!("/api/prescriptions/{id}"), None);
    assert_eq!(got.body["status"], "completed");
    // Only the patient asks; once.
    assert_eq!(app.call(DR, "POST", &ask, None).status, 403);
    let r = app.call(ME, "POST", &ask, Some(json!({"note": "Still coughing"})));
    assert_eq!(r.status, 201, "{}", r.body);
    let request = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(app.call(ME, "POST", &ask, None).kind(), "refill-pending");
    // The doctor's queue has it; the patient's own list too.
    let queue = app.call(DR, "GET", "/api/prescriptions/refill-requests", None);
    assert_eq!(queue.body["items"][0]["id"], request.as_str());
    let mine = app.call(ME, "GET", "/api/prescriptions/refill-requests", None);
    assert_eq!(mine.body["items"][0]["id"], request.as_str());
    assert_eq!(
        app.call(RX, "GET", "/api/prescriptions/refill-requests", None)
            .status,
        403
    );
    // Another doctor can't decide it; the prescriber approves two more fills.
    let approve = format!("/api/prescriptions/refill-requests/{request}/approve");
    assert_eq!(
        app.call((OTHER_DOCTOR, Role::Doctor), "POST", &approve, None)
            .status,
        403
    );
    assert_eq!(
        app.call(DR, "POST", &approve, Some(json!({"fills": 13})))
            .fields(),
        ["fills"]
    );
    let ok = app.call(DR, "POST", &approve, Some(json!({"fills": 2})));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "approved");
    assert_eq!(app.call(DR, "POST", &approve, None).kind(), "decided");
    let got = app.call(ME, "GET", &format!("/api/prescriptions/{id}"), None);
    assert_eq!(got.body["status"], "active");
    assert_eq!(got.body["medications"][0]["fills_allowed"], 3);
    assert_eq!(got.body["medications"][0]["refills_left"], 2);
    // Used again; asked again; declined with a reason.
    for _ in 0..2 {
        assert_eq!(
            app.dispense(code, json!([{"line": 1, "quantity": 21}]))
                .status,
            201
        );
    }
    let r = app.call(ME, "POST", &ask, None);
    let second = r.body["id"].as_str().unwrap().to_string();
    let decline = format!("/api/prescriptions/refill-requests/{second}/decline");
    assert_eq!(app.call(DR, "POST", &decline, None).fields(), ["reason"]);
    let no = app.call(
        DR,
        "POST",
        &decline,
        Some(json!({"reason": "Please book a visit first"})),
    );
    assert_eq!(no.body["status"], "declined");
    // Each piece of news was queued for mail with the change that made it.
    let templates: Vec<String> = app
        .db
        .execute(
            "SELECT template FROM rx_outbox ORDER BY queued_at, key",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get("template").unwrap())
        .collect();
    for t in [
        "prescription_issued",
        "prescription_dispensed",
        "refill_requested",
        "refill_approved",
        "refill_declined",
    ] {
        assert!(templates.iter().any(|x| x == t), "{t} in {templates:?}");
    }
    assert_eq!(
        templates
            .iter()
            .filter(|t| *t == "prescription_dispensed")
            .count(),
        3
    );
}

#[test]
fn bad_input_is_named_and_nothing_is_written() {
    let app = App::new();
    let path = "/api/prescriptions";
    for (body, field) in [
        (json!({"medications": [metformin()]}), "patient_id"),
        (
            json!({"patient_id": PATIENT, "medications": []}),
            "medications",
        ),
        (
            json!({"patient_id": PATIENT, "medications": [metformin()], "status": "done"}),
            "status",
        ),
        (
            json!({"patient_id": PATIENT, "medications": [metformin()],
                "valid_until": "2026-12-01T00:00:00Z"}),
            "valid_until",
        ),
        (
            json!({"patient_id": PATIENT, "medications": [metformin()],
                "valid_until": "2028-12-01T00:00:00Z"}),
            "valid_until",
        ),
        (
            json!({"patient_id": PATIENT, "medications": [metformin()],
                "valid_until": "next week"}),
            "valid_until",
        ),
        (
            json!({"patient_id": PATIENT, "medications": [metformin()], "replaces": PATIENT}),
            "replaces",
        ),
    ] {
        let r = app.call(DR, "POST", path, Some(body));
        assert!(r.status.is_client_error(), "{field}: {}", r.body);
        assert!(r.fields().iter().any(|f| f == field), "{field}: {}", r.body);
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM rx_prescriptions"), 0);
    assert_eq!(
        app.call(ME, "GET", "/api/prescriptions/not-an-id", None)
            .status,
        404
    );
    assert_eq!(
        app.call(RX, "GET", "/api/prescriptions/by-code/%3Cscript%3E", None)
            .fields(),
        ["code"]
    );
}

#[test]
fn the_lists_walk_one_index_each() {
    let app = App::new();
    app.prescribe(json!([metformin()]));
    for (sql, index) in [
        (
            "SELECT p.id FROM rx_prescriptions p WHERE p.patient_id = ?1 AND (p.created_at, p.id) < (?2, ?3) ORDER BY p.created_at DESC, p.id DESC LIMIT 20",
            "rx_prescriptions_by_patient",
        ),
        (
            "SELECT id FROM rx_refill_requests WHERE doctor_id = ?1 AND status = ?2 ORDER BY requested_at, id LIMIT 20",
            "rx_refill_requests_by_doctor",
        ),
        (
            "SELECT id FROM rx_refill_requests WHERE patient_id = ?1 AND status = ?2 ORDER BY requested_at DESC, id DESC LIMIT 20",
            "rx_refill_requests_by_patient",
        ),
    ] {
        let params = if sql.contains("?3") {
            service_kit::params![PATIENT, "9999", "z"]
        } else {
            service_kit::params![PATIENT, "requested"]
        };
        let plan = service_kit::db::query_plan(&app.db, sql, params)
        .unwrap()
        .join("; ");
        assert!(plan.contains(index), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

#[test]
fn fhir_medication_requests_and_dispenses_name_the_prescription() {
    let app = App::new();
    let p = app.prescribe(json!([amoxicillin(21, 1), metformin()]));
    let code = p["code"].as_str().unwrap();
    app.dispense(code, json!([{"line": 2, "quantity": 60}]));
    let id = p["id"].as_str().unwrap();
    let mut b = http::Request::builder()
        .method("GET")
        .uri(format!("/api/prescriptions/{id}"))
        .header("accept", "application/fhir+json")
        .body(vec![])
        .unwrap();
    let _ = &mut b;
    let principal = Principal::signed_in(PATIENT, Role::Patient);
    let now = *app.now.borrow();
    let ctx = Ctx {
        db: &app.db,
        audit: service_kit::audit::Recorder::for_principal("prescriptions", now, &principal),
        principal,
        now,
        care: None,
        allergies: None,
        pharmacy: None,
    };
    let resp = prescriptions::handle(&b, &ctx);
    assert_eq!(resp.headers()["content-type"], "application/fhir+json");
    let bundle: Value = serde_json::from_slice(resp.body()).unwrap();
    let kinds: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "MedicationRequest",
            "MedicationRequest",
            "MedicationDispense"
        ]
    );
    let req = &bundle["entry"][0]["resource"];
    assert_eq!(req["groupIdentifier"]["value"], id);
    assert_eq!(req["identifier"][0]["value"], code);
    assert_eq!(req["dispenseRequest"]["numberOfRepeatsAllowed"], 1);
    let d = &bundle["entry"][2]["resource"];
    assert_eq!(
        d["authorizingPrescription"][0]["reference"],
        format!("MedicationRequest/{id}-2")
    );
    assert_eq!(d["quantity"]["value"], 60);
}

#[test]
fn a_dispense_is_recorded_at_the_pharmacists_own_pharmacy_when_staff_assigned_one() {
    let app = App::new();
    let p = app.prescribe(json!([metformin()]));
    let code = p["code"].as_str().unwrap();
    let path = format!("/api/prescriptions/by-code/{code}/dispenses");
    // Unassigned and unnamed: the request must say where.
    let r = app.call(
        RX,
        "POST",
        &path,
        Some(json!({"items": [{"line": 1, "quantity": 10}]})),
    );
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["pharmacy".to_string()]
        )
    );
    // Assigned: locator's name wins over whatever the request says.
    *app.pharmacy.borrow_mut() = Some("Adler-Apotheke, Invalidenstraße 10, 10115 Berlin".into());
    let r = app.call(
        RX,
        "POST",
        &path,
        Some(json!({"items": [{"line": 1, "quantity": 10}], "pharmacy": "Somewhere else"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = p["id"].as_str().unwrap();
    let d = app.call(
        ME,
        "GET",
        &format!("/api/prescriptions/{id}/dispenses"),
        None,
    );
    assert_eq!(
        d.body["items"][0]["pharmacy"], "Adler-Apotheke, Invalidenstraße 10, 10115 Berlin",
        "{}",
        d.body
    );
}
