//! The access log over HTTP: every access to a patient's data is a row the patient can read
//! ("who looked at my record"), denied attempts included; rows are hash-chained, and a row
//! edited in the database file is named by the verify endpoint.

use blackbox::booking::*;
use blackbox::*;
use serde_json::{json, Value};

fn rows(path: &str, user: &User) -> Vec<Value> {
    let r = get(path, Some(&user.access));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"].as_array().unwrap().clone()
}

#[test]
fn a_patient_sees_who_accessed_their_visits_including_refusals() {
    let doctor = doctor_with_hours("Europe/Paris", every_day("09:00", "17:00"), "dermatology");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        get(
            &format!("/api/booking/appointments/{id}"),
            Some(&doctor.access)
        )
        .status,
        200
    );
    let stranger = new_patient();
    get(
        &format!("/api/booking/appointments/{id}"),
        Some(&stranger.access),
    )
    .problem(404);
    let staff = new_user("staff");
    let r = get(
        &format!("/api/booking/appointments?patient_id={}", patient.id),
        Some(&staff.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let log = rows("/api/booking/access-log", &patient);
    let find = |actor: &str, outcome: &str| {
        log.iter()
            .find(|e| e["actor_id"] == actor && e["outcome"] == outcome)
            .cloned()
    };
    let by_doctor = find(&doctor.id, "allowed").expect("the doctor's read");
    assert_eq!(by_doctor["actor_role"], "doctor");
    assert_eq!(by_doctor["resource"], format!("appointment/{id}"));
    assert_eq!(by_doctor["subject_id"], patient.id.as_str());
    assert!(by_doctor["request_id"].is_string() && by_doctor["at"].is_string());
    let refused = find(&stranger.id, "denied").expect("the stranger's attempt");
    assert_eq!(refused["action"], "read");
    assert!(
        find(&staff.id, "allowed").is_some(),
        "the staff read: {log:?}"
    );
    assert!(find(&patient.id, "allowed").is_some(), "the booking itself");
    // Newest first, and no health data in any row.
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    assert!(!serde_json::to_string(&log).unwrap().contains("check-up"));
    // Only about me: the stranger's own log has nothing of this patient's.
    assert!(rows("/api/booking/access-log", &stranger)
        .iter()
        .all(|e| e["subject_id"] == stranger.id.as_str()));
    get(
        &format!("/api/booking/access-log?subject_id={}", patient.id),
        Some(&stranger.access),
    )
    .problem(403);
    // As FHIR AuditEvents.
    let r = send_with_accept(
        "/api/booking/access-log",
        &patient.access,
        "application/fhir+json",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let bundle = r.json();
    assert_eq!(bundle["resourceType"], "Bundle");
    let first = &bundle["entry"][0]["resource"];
    assert_eq!(first["resourceType"], "AuditEvent");
    assert!(first["recorded"].is_string());
}

#[test]
fn assessments_of_a_patient_are_in_their_diagnosis_log() {
    let patient = new_patient();
    let body = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213,
        "hdl_cholesterol": 50, "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let r = post("/api/diagnosis/heart", &body, Some(&patient.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let other = new_patient();
    get(
        &format!("/api/diagnosis/assessments/{id}"),
        Some(&other.access),
    )
    .problem(404);
    let log = rows("/api/diagnosis/access-log", &patient);
    assert!(log
        .iter()
        .any(|e| e["action"] == "create" && e["actor_id"] == patient.id.as_str()));
    assert!(log
        .iter()
        .any(|e| e["outcome"] == "denied" && e["actor_id"] == other.id.as_str()));
}

#[test]
fn security_events_are_logged_for_admins() {
    let u = new_patient();
    login(&u.email, "not the right passphrase").problem(401);
    let admin = admin();
    let r = get(
        &format!("/api/auth/audit?action=sign-in-failed&subject_id={}", u.id),
        Some(&admin.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["outcome"], "denied");
    let r = get(
        &format!("/api/auth/audit?subject_id={}", u.id),
        Some(&admin.access),
    );
    assert!(r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "account-created"));
    // A patient reads only their own account's events.
    let other = new_patient();
    get(
        &format!("/api/auth/audit?subject_id={}", u.id),
        Some(&other.access),
    )
    .problem(403);
    get("/api/auth/audit/verify", Some(&other.access)).problem(403);
    let v = get("/api/auth/audit/verify", Some(&admin.access)).json();
    assert_eq!(v["ok"], true, "{v}");
}

/// The chain: verify passes; a row edited in the database file behind the app's back is named.
#[test]
fn an_edited_row_is_named_by_verify() {
    let staff = new_user("staff");
    let v = get("/api/booking/access-log/verify", Some(&staff.access));
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.json()["ok"], true, "{}", v.text);
    get(
        "/api/booking/access-log/verify",
        Some(&new_patient().access),
    )
    .problem(403);
    let Some(dir) = state_dir() else {
        return; // a real spin up without HEALTHE_STATE_DIR: only what HTTP shows
    };
    // Make a row to edit, then edit it as someone with the file would.
    let doctor = doctor_with_hours("UTC", every_day("09:00", "17:00"), "general");
    let patient = new_patient();
    let r = book(&patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let db = rusqlite::Connection::open(dir.join(".spin/booking.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let seq: i64 = db
        .query_row(
            "SELECT MAX(seq) FROM kit_access_log WHERE service = 'booking' AND subject_id = ?1",
            [&patient.id],
            |r| r.get(0),
        )
        .unwrap();
    db.execute_batch("DROP TRIGGER IF EXISTS kit_access_log_no_update")
        .unwrap();
    db.execute(
        "UPDATE kit_access_log SET actor_id = 'someone-else' WHERE service = 'booking' AND seq = ?1",
        [seq],
    )
    .unwrap();
    let v = get("/api/booking/access-log/verify", Some(&staff.access)).json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_bad"]["seq"], seq, "{v}");
    // Put it back, so other tests' verification still holds.
    db.execute(
        "UPDATE kit_access_log SET actor_id = ?2 WHERE service = 'booking' AND seq = ?1",
        rusqlite::params![seq, patient.id],
    )
    .unwrap();
    assert_eq!(
        get("/api/booking/access-log/verify", Some(&staff.access)).json()["ok"],
        true
    );
}
