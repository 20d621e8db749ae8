//! diagnosis over HTTP: the real diagnosis.wasm with the risk engine composed in as a dependency.

use blackbox::*;
use serde_json::{json, Value};

fn classic() -> Value {
    json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213, "hdl_cholesterol": 50,
           "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false})
}

fn prevent() -> Value {
    json!({"age": 50, "sex": "male", "total_cholesterol": 200, "hdl_cholesterol": 45, "sbp": 160, "bmi": 35, "egfr": 90,
           "diabetes": true, "smoker": false, "bp_tx": true, "statin": false})
}

fn output(b: &Value, name: &str) -> f64 {
    b["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap()["value"]
        .as_f64()
        .unwrap()
}

#[test]
fn models_are_listed_with_their_cards() {
    let u = new_patient();
    let r = get("/api/diagnosis/models", Some(&u.access));
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    for id in [
        "prevent-2024",
        "pce-2013",
        "framingham-diabetes-2007",
        "findrisc",
        "cha2ds2-vasc",
    ] {
        assert!(ids.contains(&id.to_string()), "{ids:?}");
    }
    let card = get("/api/diagnosis/models/pce-2013", Some(&u.access)).json();
    // A form learns the other units from the card: cholesterol also in mmol/L, with its range.
    let cholesterol = card["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "total_cholesterol")
        .unwrap();
    assert_eq!(
        cholesterol["other_units"],
        json!([{"unit": "mmol/L", "range": [3.37, 8.27]}])
    );
    assert!(card["citation"].as_str().unwrap().contains("Goff"));
    assert_eq!(card["inputs"][0]["range"], json!([40.0, 79.0]));
    get("/api/diagnosis/models/nope", Some(&u.access)).problem(404);
}

#[test]
fn each_predictor_says_which_model_it_used() {
    let u = new_patient();
    let r = post("/api/diagnosis/heart", &classic(), Some(&u.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let b = r.json();
    assert_eq!(b["model"]["id"], "pce-2013");
    assert!((output(&b, "hard_ascvd_10y") - 0.02054).abs() < 0.0005);
    assert!(b["disclaimer"]
        .as_str()
        .unwrap()
        .contains("not a diagnosis"));
    assert_eq!(b["model"]["version"], "1.0.0");

    let b = post("/api/diagnosis/heart", &prevent(), Some(&u.access)).json();
    assert_eq!(b["model"]["id"], "prevent-2024");
    assert!((output(&b, "chd_10y") - 0.0557).abs() < 1e-4, "{b}");

    let b = post(
        "/api/diagnosis/stroke",
        &json!({"atrial_fibrillation": true, "age": 72, "sex": "male", "chf": true, "hypertension": true,
                "diabetes": false, "stroke_tia": false, "vascular_disease": false}),
        Some(&u.access),
    )
    .json();
    assert_eq!(b["model"]["id"], "cha2ds2-vasc");
    assert_eq!(output(&b, "score"), 3.0);
    let mut no_af = prevent();
    no_af["atrial_fibrillation"] = json!(false);
    let b = post("/api/diagnosis/stroke", &no_af, Some(&u.access)).json();
    assert_eq!(b["model"]["id"], "prevent-2024");
    assert_eq!(b["headline"], "stroke_10y");

    let b = post(
        "/api/diagnosis/diabetes",
        &json!({"age": 50, "sex": "female", "bmi": 27, "waist": 85, "physically_active": true, "daily_vegetables": true,
                "bp_medication": false, "high_glucose_history": false, "family_history": "second_degree"}),
        Some(&u.access),
    )
    .json();
    assert_eq!(b["model"]["id"], "findrisc");
    assert_eq!(output(&b, "score"), 9.0);
}

#[test]
fn units_are_converted_and_recorded_as_understood() {
    let u = new_patient();
    let mut body = classic();
    body["total_cholesterol"] = json!({"value": 5.508, "unit": "mmol/L"});
    body["hdl_cholesterol"] = json!({"value": 1.293, "unit": "mmol/L"});
    let r = post("/api/diagnosis/heart", &body, Some(&u.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let b = r.json();
    assert_eq!(b["inputs"]["total_cholesterol"]["unit"], "mg/dL");
    assert!((b["inputs"]["total_cholesterol"]["value"].as_f64().unwrap() - 213.0).abs() < 0.1);
    assert!((output(&b, "hard_ascvd_10y") - 0.02054).abs() < 0.0005);
}

#[test]
fn every_out_of_range_field_is_a_422_naming_it_and_its_range() {
    let u = new_patient();
    for (field, value) in [
        ("age", json!(39)),
        ("total_cholesterol", json!(500)),
        ("hdl_cholesterol", json!(10)),
        ("sbp", json!(250)),
    ] {
        let mut body = classic();
        body[field] = value;
        let r = post("/api/diagnosis/heart", &body, Some(&u.access));
        assert_eq!(r.problem(422), [field]);
        assert!(
            r.json()["detail"].as_str().unwrap().contains("validated"),
            "{}",
            r.text
        );
    }
    for (field, value) in [("bmi", json!(45)), ("egfr", json!(5))] {
        let mut body = prevent();
        body[field] = value;
        assert_eq!(
            post("/api/diagnosis/heart", &body, Some(&u.access)).problem(422),
            [field]
        );
    }
}

#[test]
fn missing_wrong_and_unknown_fields_are_named() {
    let u = new_patient();
    let mut missing = classic();
    missing.as_object_mut().unwrap().remove("hdl_cholesterol");
    assert_eq!(
        post("/api/diagnosis/heart", &missing, Some(&u.access)).problem(422),
        ["hdl_cholesterol"]
    );
    let mut wrong = classic();
    wrong["sbp"] = json!("high");
    assert_eq!(
        post("/api/diagnosis/heart", &wrong, Some(&u.access)).problem(422),
        ["sbp"]
    );
    let mut unit = classic();
    unit["sbp"] = json!({"value": 16, "unit": "kPa"});
    assert_eq!(
        post("/api/diagnosis/heart", &unit, Some(&u.access)).problem(422),
        ["sbp"]
    );
    let mut unknown = classic();
    unknown["shoe_size"] = json!(44);
    assert_eq!(
        post("/api/diagnosis/heart", &unknown, Some(&u.access)).problem(422),
        ["shoe_size"]
    );
    let r = post(
        "/api/diagnosis/assessments",
        &json!({"model": "nope", "inputs": {}}),
        Some(&u.access),
    );
    assert_eq!(r.problem(422), ["model"]);
    let r = send(
        "POST",
        "/api/diagnosis/heart",
        Some(&u.access),
        Some("application/json"),
        Some(b"{".to_vec()),
    );
    r.problem(400);
}

#[test]
fn only_signed_in_users_and_only_their_own_assessments() {
    post("/api/diagnosis/heart", &classic(), None).problem(401);
    get("/api/diagnosis/assessments", None).problem(401);
    let alice = new_patient();
    let bob = new_patient();
    let a = post("/api/diagnosis/heart", &classic(), Some(&alice.access)).json();
    let id = a["id"].as_str().unwrap();
    assert_eq!(
        get(
            &format!("/api/diagnosis/assessments/{id}"),
            Some(&alice.access)
        )
        .status,
        200
    );
    get(
        &format!("/api/diagnosis/assessments/{id}"),
        Some(&bob.access),
    )
    .problem(404);
    let mine = get("/api/diagnosis/assessments", Some(&alice.access)).json();
    assert_eq!(mine["items"][0]["id"], id);
    assert!(
        get("/api/diagnosis/assessments", Some(&bob.access)).json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A patient cannot assess someone else.
    let mut for_bob = classic();
    for_bob["patient_id"] = json!(bob.id);
    post("/api/diagnosis/heart", &for_bob, Some(&alice.access)).problem(403);
}

#[test]
fn a_doctor_assesses_a_patient_and_the_record_says_so() {
    use blackbox::booking::*;
    let patient = new_patient();
    let doctor = doctor_with_hours(
        "America/New_York",
        every_day("09:00", "17:00"),
        "cardiology",
    );
    let mut body = classic();
    body["patient_id"] = json!(patient.id);
    // Not their doctor yet: refused, naming the field.
    let r = post("/api/diagnosis/heart", &body, Some(&doctor.access));
    assert_eq!(r.problem(403), ["patient_id"]);
    // A requested visit is not care either; a confirmed one is.
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let visit = r.json()["id"].as_str().unwrap().to_string();
    post("/api/diagnosis/heart", &body, Some(&doctor.access)).problem(403);
    assert_eq!(act(&doctor, &visit, "confirm", None).status, 200);
    // Another doctor, with no visit, is still refused.
    let stranger = new_user("doctor");
    post("/api/diagnosis/heart", &body, Some(&stranger.access)).problem(403);
    let r = post("/api/diagnosis/heart", &body, Some(&doctor.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let a = r.json();
    assert_eq!(a["subject_id"], patient.id.as_str());
    assert_eq!(a["requested_by"], doctor.id.as_str());
    let id = a["id"].as_str().unwrap();
    let r = send_with_accept(
        &format!("/api/diagnosis/assessments/{id}"),
        &patient.access,
        "application/fhir+json",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let fhir = r.json();
    assert_eq!(fhir["resourceType"], "RiskAssessment");
    assert_eq!(
        fhir["subject"]["reference"],
        format!("Patient/{}", patient.id)
    );
    assert_eq!(
        fhir["performer"]["reference"],
        format!("Practitioner/{}", doctor.id)
    );
}
