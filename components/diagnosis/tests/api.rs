//! diagnosis natively: the real router, rules and SQL on real SQLite, with the real risk engine
//! linked in (in wasm it is the composed component).

use diagnosis::engine::Linked;
use diagnosis::Ctx;
use http::StatusCode;
use serde_json::{json, Value};
use service_kit::db::SqliteDb;
use service_kit::principal::Principal;
use service_kit::token::Role;

struct App {
    db: SqliteDb,
    /// (doctor, patient) pairs booking would say are in care: the answer the Spin entry asks
    /// booking for before handling.
    treats: std::cell::RefCell<Vec<(String, String)>>,
}

fn who(id: &str, role: Role) -> Principal {
    Principal::signed_in(id, role)
}

impl App {
    fn call(
        &self,
        principal: Principal,
        method: &str,
        path: &str,
        body: Option<Value>,
        accept: Option<&str>,
    ) -> (StatusCode, Value, String) {
        let mut b = http::Request::builder().method(method).uri(path);
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        if let Some(a) = accept {
            b = b.header("accept", a);
        }
        let req = b
            .body(body.map(|v| v.to_string().into_bytes()).unwrap_or_default())
            .unwrap();
        let care = diagnosis::patient_named(&req, &principal).map(|patient_id| {
            let doctor = principal.user().unwrap().sub.clone();
            let treating = self.treats.borrow().contains(&(doctor, patient_id.clone()));
            diagnosis::Care {
                patient_id,
                treating,
            }
        });
        let now = "2026-11-24T12:00:00Z".parse().unwrap();
        let audit = service_kit::audit::Recorder::for_principal("diagnosis", now, &principal);
        let ctx = Ctx {
            db: &self.db,
            engine: &Linked,
            principal,
            now,
            care,
            audit,
        };
        let resp = diagnosis::handle(&req, &ctx);
        let ct = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            resp.status(),
            serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
            ct,
        )
    }
}

fn app() -> App {
    App {
        db: SqliteDb::open_in_memory(),
        treats: Default::default(),
    }
}

fn field(v: &Value) -> String {
    v["errors"][0]["field"].as_str().unwrap_or("").to_string()
}

#[test]
fn heart_uses_pce_for_a_classic_panel_and_prevent_with_bmi_and_egfr() {
    let a = app();
    let pat = || who("pat-1", Role::Patient);
    let classic = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50,
                         "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let (s, b, _) = a.call(pat(), "POST", "/api/diagnosis/heart", Some(classic), None);
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["model"]["id"], "pce-2013");
    assert_eq!(b["headline"], "hard_ascvd_10y");
    assert!((b["outputs"][0]["value"].as_f64().unwrap() - 0.0205).abs() < 0.0005);
    assert!(b["disclaimer"]
        .as_str()
        .unwrap()
        .contains("not a diagnosis"));
    assert!(b["model"]["citation"].as_str().unwrap().contains("Goff"));
    assert_eq!(b["model"]["valid_ranges"]["age"]["min"], 40.0);

    let prevent = json!({"age": 50, "sex": "female", "total_cholesterol": {"value": 200.0 / 38.67, "unit": "mmol/L"}, "hdl_cholesterol": 45,
                         "sbp": 160, "bmi": 35, "egfr": 90, "diabetes": true, "smoker": false, "bp_tx": true, "statin": false});
    let (s, b, _) = a.call(pat(), "POST", "/api/diagnosis/heart", Some(prevent), None);
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["model"]["id"], "prevent-2024");
    assert!((b["inputs"]["total_cholesterol"]["value"].as_f64().unwrap() - 200.0).abs() < 1e-9);
    assert_eq!(b["inputs"]["total_cholesterol"]["unit"], "mg/dL");
    let chd = b["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "chd_10y")
        .unwrap();
    assert!((chd["value"].as_f64().unwrap() - 0.0441).abs() < 1e-4);
}

#[test]
fn stroke_with_atrial_fibrillation_uses_cha2ds2_vasc() {
    let a = app();
    let body = json!({"atrial_fibrillation": true, "age": 70, "sex": "female", "chf": false, "hypertension": true,
                      "diabetes": false, "stroke_tia": false, "vascular_disease": false});
    let (s, b, _) = a.call(
        who("p", Role::Patient),
        "POST",
        "/api/diagnosis/stroke",
        Some(body),
        None,
    );
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["model"]["id"], "cha2ds2-vasc");
    assert_eq!(b["outputs"][0]["value"], 3.0);
}

#[test]
fn diabetes_picks_framingham_with_labs_and_findrisc_without() {
    let a = app();
    let labs = json!({"age": 55, "sex": "male", "parent_diabetes": true, "bmi": 31, "sbp": 135, "dbp": 80, "bp_tx": false,
                      "hdl_cholesterol": 38, "triglycerides": {"value": 1.8, "unit": "mmol/L"}, "fasting_glucose": {"value": 6.1, "unit": "mmol/L"}});
    let (s, b, _) = a.call(
        who("p", Role::Patient),
        "POST",
        "/api/diagnosis/diabetes",
        Some(labs),
        None,
    );
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["model"]["id"], "framingham-diabetes-2007");
    let questionnaire = json!({"age": 50, "sex": "female", "bmi": 27, "waist": 85, "physically_active": true,
                               "daily_vegetables": true, "bp_medication": false, "high_glucose_history": false, "family_history": "second_degree"});
    let (s, b, _) = a.call(
        who("p", Role::Patient),
        "POST",
        "/api/diagnosis/diabetes",
        Some(questionnaire),
        None,
    );
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["model"]["id"], "findrisc");
}

#[test]
fn out_of_range_missing_and_unknown_inputs_are_422_naming_the_field() {
    let a = app();
    let p = || who("p", Role::Patient);
    let base = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50,
                      "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let mut young = base.clone();
    young["age"] = json!(25);
    let (s, b, _) = a.call(p(), "POST", "/api/diagnosis/heart", Some(young), None);
    assert_eq!(s, 422);
    assert_eq!(field(&b), "age");
    assert!(b["detail"].as_str().unwrap().contains("40-79"), "{b}");
    let mut chol = base.clone();
    chol["total_cholesterol"] = json!({"value": 20, "unit": "mmol/L"});
    let (_, b, _) = a.call(p(), "POST", "/api/diagnosis/heart", Some(chol), None);
    assert_eq!(field(&b), "total_cholesterol");
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("sbp");
    let (_, b, _) = a.call(p(), "POST", "/api/diagnosis/heart", Some(missing), None);
    assert_eq!(field(&b), "sbp");
    let mut unknown = base.clone();
    unknown["weight"] = json!(80);
    let (_, b, _) = a.call(p(), "POST", "/api/diagnosis/heart", Some(unknown), None);
    assert_eq!(field(&b), "weight");
    let mut wrong = base.clone();
    wrong["smoker"] = json!("yes");
    let (s, b, _) = a.call(p(), "POST", "/api/diagnosis/heart", Some(wrong), None);
    assert_eq!((s.as_u16(), field(&b)), (422, "smoker".to_string()));
    let (s, b, _) = a.call(
        p(),
        "POST",
        "/api/diagnosis/assessments",
        Some(json!({"model": "nope", "inputs": {}})),
        None,
    );
    assert_eq!((s.as_u16(), field(&b)), (422, "model".to_string()));
    // Nothing half-written: only valid assessments were stored.
    let (_, list, _) = a.call(p(), "GET", "/api/diagnosis/assessments", None, None);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[test]
fn history_is_private_and_doctors_may_assess_for_a_patient() {
    let a = app();
    let body = json!({"model": "cha2ds2-vasc", "inputs": {"age": 80, "sex": "male", "chf": true, "hypertension": true,
                      "diabetes": false, "stroke_tia": false, "vascular_disease": false}});
    let (s, mine, _) = a.call(
        who("alice", Role::Patient),
        "POST",
        "/api/diagnosis/assessments",
        Some(body.clone()),
        None,
    );
    assert_eq!(s, 201);
    let id = mine["id"].as_str().unwrap();
    let (s, _, _) = a.call(
        who("bob", Role::Patient),
        "GET",
        &format!("/api/diagnosis/assessments/{id}"),
        None,
        None,
    );
    assert_eq!(s, 404);
    let mut for_bob = body.clone();
    for_bob["patient_id"] = json!("bob");
    let (s, _, _) = a.call(
        who("alice", Role::Patient),
        "POST",
        "/api/diagnosis/assessments",
        Some(for_bob.clone()),
        None,
    );
    assert_eq!(s, 403);
    // A doctor who is not treating bob may not file for him either.
    let (s, p, _) = a.call(
        who("dr-who", Role::Doctor),
        "POST",
        "/api/diagnosis/assessments",
        Some(for_bob.clone()),
        None,
    );
    assert_eq!(s, 403);
    assert_eq!(p["errors"][0]["field"], "patient_id");
    a.treats.borrow_mut().push(("dr-who".into(), "bob".into()));
    let (s, by_doc, _) = a.call(
        who("dr-who", Role::Doctor),
        "POST",
        "/api/diagnosis/assessments",
        Some(for_bob),
        None,
    );
    assert_eq!(s, 201);
    assert_eq!(by_doc["subject_id"], "bob");
    assert_eq!(by_doc["requested_by"], "dr-who");
    let (_, bobs, _) = a.call(
        who("bob", Role::Patient),
        "GET",
        "/api/diagnosis/assessments",
        None,
        None,
    );
    assert_eq!(bobs["items"].as_array().unwrap().len(), 1);
    let (_, alices, _) = a.call(
        who("alice", Role::Patient),
        "GET",
        "/api/diagnosis/assessments",
        None,
        None,
    );
    assert_eq!(alices["items"][0]["id"], id);
    let (s, fhir, ct) = a.call(
        who("bob", Role::Patient),
        "GET",
        &format!(
            "/api/diagnosis/assessments/{}",
            by_doc["id"].as_str().unwrap()
        ),
        None,
        Some("application/fhir+json"),
    );
    assert_eq!(s, 200);
    assert_eq!(ct, "application/fhir+json");
    assert_eq!(fhir["resourceType"], "RiskAssessment");
    assert_eq!(fhir["subject"]["reference"], "Patient/bob");
    assert_eq!(fhir["performer"]["reference"], "Practitioner/dr-who");
    assert!(
        fhir["prediction"][0]["probabilityDecimal"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn anonymous_callers_are_refused_and_models_are_listed() {
    let a = app();
    let (s, _, _) = a.call(
        Principal::Anonymous,
        "GET",
        "/api/diagnosis/models",
        None,
        None,
    );
    assert_eq!(s, 401);
    let (s, b, _) = a.call(
        who("p", Role::Patient),
        "GET",
        "/api/diagnosis/models",
        None,
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(b["items"].as_array().unwrap().len(), 5);
    let (s, b, _) = a.call(
        who("p", Role::Patient),
        "GET",
        "/api/diagnosis/models/prevent-2024",
        None,
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(b["horizon_years"], 10);
    let (s, _, _) = a.call(
        who("p", Role::Patient),
        "GET",
        "/api/diagnosis/models/nope",
        None,
        None,
    );
    assert_eq!(s, 404);
}

/// A history page walks the two indexes in order and stops, whatever the history's length:
/// no scan of the table, no sort of every matching row (EXPLAIN QUERY PLAN on real SQLite).
#[test]
fn a_history_page_costs_a_page_not_the_history() {
    let app = app();
    let me = || who("p-hist", Role::Patient);
    // Any request applies the migrations; a few assessments give the planner real rows.
    for _ in 0..3 {
        let (s, _, _) = app.call(me(), "POST", "/api/diagnosis/heart", Some(json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50, "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false})), None);
        assert_eq!(s, StatusCode::CREATED);
    }
    let sql = format!(
        "SELECT id FROM diagnosis_assessments WHERE id IN ({}) ORDER BY id DESC LIMIT ?3",
        diagnosis::assess::HISTORY_PAGE
    );
    let steps = service_kit::db::query_plan(&app.db, &sql, service_kit::params!["p-hist", "~", 21])
        .unwrap();
    for index in [
        "diagnosis_assessments_by_subject (subject_id=? AND id<?)",
        "diagnosis_assessments_by_requester (requested_by=? AND id<?)",
    ] {
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("SEARCH") && s.ends_with(index)),
            "{index} not walked: {steps:#?}"
        );
    }
    assert!(
        !steps
            .iter()
            .any(|s| s.starts_with("SCAN diagnosis_assessments")),
        "a scan of the whole table: {steps:#?}"
    );
    // The list still answers newest first, paged, both sides merged.
    let (s, first, _) = app.call(
        me(),
        "GET",
        "/api/diagnosis/assessments?limit=2",
        None,
        None,
    );
    assert_eq!(s, StatusCode::OK);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest, _) = app.call(
        me(),
        "GET",
        &format!("/api/diagnosis/assessments?limit=2&cursor={cursor}"),
        None,
        None,
    );
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    assert!(first["items"][1]["id"].as_str() > rest["items"][0]["id"].as_str());
}
