//! records over HTTP: the real records.wasm beside booking (care relationships, appointments),
//! auth (tokens) and mail (the patient's notification).

use blackbox::booking::*;
use blackbox::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Owner,
    OtherPatient,
    Treating,
    OtherDoctor,
    ExpiredGrant,
    StaffWithoutReason,
    StaffWithReason,
    Pharmacist,
}
use Who::*;

const EVERYONE: [Who; 9] = [
    Anonymous,
    Owner,
    OtherPatient,
    Treating,
    OtherDoctor,
    ExpiredGrant,
    StaffWithoutReason,
    StaffWithReason,
    Pharmacist,
];

const REASON: &str = "Patient unconscious in the emergency room";

struct World {
    owner: User,
    other: User,
    treating: User,
    other_doctor: User,
    expired: User,
    staff: User,
    pharmacist: User,
    appointment: String,
    entry: String,
    file: String,
    report: String,
}

impl World {
    fn user(&self, who: Who) -> Option<&User> {
        Some(match who {
            Anonymous => return None,
            Owner => &self.owner,
            OtherPatient => &self.other,
            Treating => &self.treating,
            OtherDoctor => &self.other_doctor,
            ExpiredGrant => &self.expired,
            StaffWithoutReason | StaffWithReason => &self.staff,
            Pharmacist => &self.pharmacist,
        })
    }

    fn chart(&self) -> String {
        format!("/api/records/patients/{}", self.owner.id)
    }
}

fn pdf(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    b.resize(len, b'7');
    b
}

fn upload(token: &str, patient: &str, name: &str, bytes: Vec<u8>) -> Raw {
    send_raw(
        "POST",
        &format!("/api/records/patients/{patient}/files?name={name}"),
        Some(token),
        &[("content-type", "application/pdf")],
        bytes,
    )
}

fn json_of(r: &Raw) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn created(r: Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

/// One world for the file: building it books, confirms and signs.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let treating = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "internal");
        let owner = new_patient();
        let appointment = confirmed_visit(&owner, &treating);
        let chart = format!("/api/records/patients/{}", owner.id);
        let entry = created(post(
            &format!("{chart}/entries"),
            &json!({"kind": "problem", "text": "Essential hypertension",
                    "code": {"system": "icd-10", "code": "I10"}, "onset": "2021-05-01", "status": "active"}),
            Some(&treating.access),
        ));
        let r = upload(&owner.access, &owner.id, "letter.pdf", pdf(2000));
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let file = json_of(&r)["id"].as_str().unwrap().to_string();
        let report = created(post(
            "/api/records/reports",
            &json!({"appointment_id": appointment, "subjective": "Headaches.",
                    "assessment": "Tension headache.", "plan": "Review in four weeks."}),
            Some(&treating.access),
        ));
        let signed = post(
            &format!("/api/records/reports/{report}/sign"),
            &json!({}),
            Some(&treating.access),
        );
        assert_eq!(signed.status, 200, "{}", signed.text);
        // A doctor whose grant ran out.
        let expired = new_user("doctor");
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
        created(post(
            "/api/records/grants",
            &json!({"grantee_id": expired.id, "scope": "chart", "expires_at": until.to_string()}),
            Some(&owner.access),
        ));
        assert_eq!(get(&chart, Some(&expired.access)).status, 200);
        std::thread::sleep(std::time::Duration::from_secs(3));
        World {
            other: new_patient(),
            other_doctor: new_user("doctor"),
            staff: new_user("staff"),
            pharmacist: new_user("pharmacist"),
            expired,
            owner,
            treating,
            appointment,
            entry,
            file,
            report,
        }
    })
}

/// Who may read the record: the patient, the treating doctor, staff with a reason.
fn readers(ok: u16) -> [(Who, u16); 9] {
    [
        (Anonymous, 401),
        (Owner, ok),
        (OtherPatient, 403),
        (Treating, ok),
        (OtherDoctor, 403),
        (ExpiredGrant, 403),
        (StaffWithoutReason, 403),
        (StaffWithReason, ok),
        (Pharmacist, 403),
    ]
}

/// Who may write the chart: the patient and the treating doctor.
fn writers(owner: u16, treating: u16) -> [(Who, u16); 9] {
    [
        (Anonymous, 401),
        (Owner, owner),
        (OtherPatient, 403),
        (Treating, treating),
        (OtherDoctor, 403),
        (ExpiredGrant, 403),
        (StaffWithoutReason, 403),
        (StaffWithReason, 403),
        (Pharmacist, 403),
    ]
}

fn check(w: &World, method: &str, path: &str, body: Option<Value>, expect: &[(Who, u16)]) {
    assert_eq!(expect.len(), EVERYONE.len());
    for (who, status) in expect {
        let mut headers = vec![];
        if *who == StaffWithReason {
            headers.push(("x-access-reason", REASON));
        }
        let bytes = body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default();
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let r = send_raw(
            method,
            path,
            w.user(*who).map(|u| u.access.as_str()),
            &headers,
            bytes,
        );
        assert_eq!(
            r.status,
            *status,
            "{method} {path} as {who:?}: {}",
            String::from_utf8_lossy(&r.body)
        );
        if r.status >= 400 {
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let text = String::from_utf8_lossy(&r.body);
            assert!(
                !text.contains("hypertension"),
                "{method} {path} as {who:?}: {text}"
            );
        }
    }
}

#[test]
fn every_route_by_every_caller() {
    let w = world();
    let chart = w.chart();
    let entry = format!("/api/records/entries/{}", w.entry);
    let file = format!("/api/records/files/{}", w.file);
    let report = format!("/api/records/reports/{}", w.report);
    for path in [
        chart.clone(),
        format!("{chart}/entries?kind=problem"),
        format!("{chart}/observations/latest"),
        format!("{chart}/export"),
        format!("{chart}/files"),
        format!("{chart}/reports"),
        entry.clone(),
        format!("{entry}/history"),
        file.clone(),
        format!("{file}/meta"),
        report.clone(),
    ] {
        check(w, "GET", &path, None, &readers(200));
    }
    let weight = json!({"kind": "observation", "measure": "weight", "value": 72.5, "unit": "kg",
                        "taken_at": "2026-11-30T08:00:00Z"});
    check(
        w,
        "POST",
        &format!("{chart}/entries"),
        Some(weight.clone()),
        &writers(201, 201),
    );
    let mut with_patient = weight.clone();
    with_patient["patient_id"] = json!(w.owner.id);
    check(
        w,
        "POST",
        "/api/records/entries",
        Some(with_patient),
        &writers(201, 201),
    );
    // The treating doctor wrote the diagnosis: the patient does not rewrite it.
    let edit = json!({"text": "Essential (primary) hypertension", "code": {"system": "icd-10", "code": "I10"},
                      "onset": "2021-05-01", "status": "active"});
    check(w, "PUT", &entry, Some(edit), &writers(403, 200));
    // Only the appointment's doctor writes its report; only the patient grants.
    check(
        w,
        "POST",
        &format!("{report}/addenda"),
        Some(json!({"text": "Blood pressure was 150/95, not 130/85."})),
        &writers(403, 201),
    );
    let grant = json!({"grantee_id": w.other_doctor.id, "scope": "file", "resource_id": w.file,
                       "expires_at": (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string()});
    let r = post("/api/records/grants", &grant, Some(&w.other.access));
    assert_eq!(r.problem(422), ["resource_id"], "another patient's file");
    assert_eq!(
        post("/api/records/grants", &grant, Some(&w.treating.access)).status,
        403
    );
    assert_eq!(post("/api/records/grants", &grant, None).status, 401);

    // Staff's reason is the patient's to read, beside the access log.
    let reasons = get(&format!("{chart}/break-glass"), Some(&w.owner.access)).json();
    assert!(reasons["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["reason"] == REASON && r["actor_id"] == w.staff.id.as_str()));
    assert_eq!(
        get(&format!("{chart}/break-glass"), Some(&w.staff.access)).status,
        403
    );
}

#[test]
fn a_file_of_8_mib_goes_in_and_out_whole_and_9_mb_or_html_named_pdf_are_refused() {
    let w = world();
    let eight = pdf(8 * 1024 * 1024);
    let r = upload(&w.owner.access, &w.owner.id, "scan.pdf", eight.clone());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = json_of(&r)["id"].as_str().unwrap().to_string();
    let down = send_raw(
        "GET",
        &format!("/api/records/files/{id}"),
        Some(&w.owner.access),
        &[],
        vec![],
    );
    assert_eq!(down.status, 200);
    assert_eq!(down.body.len(), eight.len());
    assert!(
        down.body == eight,
        "the download is the upload, byte for byte"
    );
    assert_eq!(down.header("content-type"), Some("application/pdf"));
    assert_eq!(down.header("x-content-type-options"), Some("nosniff"));
    assert!(down
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment; filename=\"scan.pdf\""));
    assert!(down
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));

    let nine = upload(&w.owner.access, &w.owner.id, "big.pdf", pdf(9_000_000));
    assert_eq!(nine.status, 413);
    assert_eq!(
        nine.header("content-type"),
        Some("application/problem+json")
    );

    // Sent without a length (chunked), the body is refused once it passes 8 MiB, and what was
    // written of it is gone.
    let (status, answer) = chunked_upload(
        &w.owner.access,
        &w.owner.id,
        "streamed.pdf",
        &pdf(9_000_000),
    );
    assert_eq!(status, 413, "{answer}");
    let (status, answer) = chunked_upload(
        &w.owner.access,
        &w.owner.id,
        "streamed-ok.pdf",
        &pdf(3_000_000),
    );
    assert_eq!(status, 201, "{answer}");

    let html = upload(
        &w.owner.access,
        &w.owner.id,
        "results.pdf",
        b"<!DOCTYPE html><html><script>fetch('/api/auth/me')</script></html>".to_vec(),
    );
    assert_eq!(html.status, 415, "{}", String::from_utf8_lossy(&html.body));
    assert_eq!(json_of(&html)["errors"][0]["field"], "file");
    // Nothing half-written: the refused uploads are not listed.
    let listed = get(
        &format!("{}/files?limit=100", w.chart()),
        Some(&w.owner.access),
    )
    .json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"scan.pdf")
            && !names.contains(&"results.pdf")
            && !names.contains(&"big.pdf"),
        "{names:?}"
    );
}

/// Uploads `bytes` with `Transfer-Encoding: chunked` (no length announced, as a client
/// streaming a file does) over a plain connection: the status and the answer.
fn chunked_upload(token: &str, patient: &str, name: &str, bytes: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let base = base_url().trim_start_matches("http://");
    let host = base.split('/').next().unwrap();
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(
        conn,
        "POST /api/records/patients/{patient}/files?name={name} HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    for piece in bytes.chunks(64 * 1024) {
        // The server may answer and close before the whole body is sent.
        if write!(conn, "{:x}\r\n", piece.len()).is_err()
            || conn.write_all(piece).is_err()
            || conn.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn assert_valid_fhir(doc: &Value) {
    let errors = blackbox::fhir::errors(doc);
    assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
    // What the schema leaves optional and FHIR requires of these resources.
    let kind = doc["resourceType"].as_str().unwrap();
    let subject = match kind {
        "AllergyIntolerance" => &doc["patient"],
        _ => &doc["subject"],
    };
    if kind != "Bundle" {
        assert!(
            subject["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("Patient/")),
            "{doc}"
        );
    }
    match kind {
        "Observation" => {
            assert!(
                doc["status"].is_string()
                    && doc["code"]["coding"][0]["system"] == "http://loinc.org",
                "{doc}"
            )
        }
        "Condition" => assert!(
            doc["code"].is_object() && doc["verificationStatus"].is_object(),
            "{doc}"
        ),
        "AllergyIntolerance" => assert!(doc["code"].is_object(), "{doc}"),
        "DocumentReference" => assert!(
            doc["status"].is_string() && doc["content"][0]["attachment"].is_object(),
            "{doc}"
        ),
        _ => {}
    }
}

#[test]
fn the_export_and_every_resource_validate_as_fhir_r4() {
    // The validator does refuse: an unknown status, a missing subject, an unknown field. (The
    // schema gives complex types no `"type": "object"`, so it would let a string stand for a
    // reference: `assert_valid_fhir` checks references itself.)
    for bad in [
        json!({"resourceType": "Observation", "status": "done", "code": {"text": "x"}}),
        json!({"resourceType": "Condition", "code": {"text": "x"}}),
        json!({"resourceType": "Condition", "subject": {"reference": "Patient/1"}, "colour": "red"}),
    ] {
        assert!(!blackbox::fhir::schema().is_valid(&bad), "{bad}");
    }
    let w = world();
    let patient = new_patient();
    let chart = format!("/api/records/patients/{}", patient.id);
    for body in [
        json!({"kind": "allergy", "substance": "Penicillin", "reaction": "Hives", "severity": "moderate"}),
        json!({"kind": "observation", "measure": "blood_pressure", "value": {"systolic": 131, "diastolic": 84}, "unit": "mm[Hg]", "taken_at": "2026-11-30T08:00:00Z"}),
        json!({"kind": "observation", "measure": "hba1c", "value": 6.1, "unit": "%", "taken_at": "2026-11-30T08:00:00Z"}),
        json!({"kind": "entry", "category": "treatment_plan", "text": "Walk 30 minutes a day.", "date": "2026-11-30"}),
        json!({"kind": "problem", "text": "Prediabetes", "code": {"system": "snomed", "code": "714628002"}, "status": "active"}),
    ] {
        let id = created(post(
            &format!("{chart}/entries"),
            &body,
            Some(&patient.access),
        ));
        let one = send_with_accept(
            &format!("/api/records/entries/{id}"),
            &patient.access,
            "application/fhir+json",
        );
        assert_eq!(one.status, 200);
        assert_eq!(one.header("content-type"), Some("application/fhir+json"));
        assert_valid_fhir(&one.json());
    }
    let r = upload(&patient.access, &patient.id, "ecg.pdf", pdf(400 * 1024));
    let file = json_of(&r)["id"].as_str().unwrap().to_string();
    assert_valid_fhir(
        &send_with_accept(
            &format!("/api/records/files/{file}/meta"),
            &patient.access,
            "application/fhir+json",
        )
        .json(),
    );
    let export = get(&format!("{chart}/export"), Some(&patient.access));
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.header("content-type"), Some("application/fhir+json"));
    let bundle = export.json();
    assert_valid_fhir(&bundle);
    let kinds: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    for k in [
        "AllergyIntolerance",
        "Observation",
        "DocumentReference",
        "Condition",
    ] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    for e in bundle["entry"].as_array().unwrap() {
        assert_valid_fhir(&e["resource"]);
    }
    // The signed report with its addenda, and the audit events, validate too.
    assert_valid_fhir(
        &send_with_accept(
            &format!("/api/records/reports/{}", w.report),
            &w.owner.access,
            "application/fhir+json",
        )
        .json(),
    );
    let audit = send_with_accept(
        "/api/records/access-log",
        &patient.access,
        "application/fhir+json",
    )
    .json();
    assert_valid_fhir(&audit);
}

#[test]
fn every_access_is_in_the_patients_log_and_the_chain_verifies() {
    let w = world();
    let chart = w.chart();
    // A denial and a break-the-glass read, fresh.
    assert_eq!(get(&chart, Some(&w.pharmacist.access)).status, 403);
    let r = send_raw(
        "GET",
        &format!("{chart}?reason=Checking%20a%20disputed%20invoice"),
        Some(&w.staff.access),
        &[],
        vec![],
    );
    assert_eq!(r.status, 200);
    let log = get("/api/records/access-log?limit=100", Some(&w.owner.access)).json();
    let rows = log["items"].as_array().unwrap();
    let has = |actor: &str, action: &str, resource: &str, outcome: &str| {
        rows.iter().any(|e| {
            e["actor_id"] == actor
                && e["action"] == action
                && e["resource"] == resource
                && e["outcome"] == outcome
        })
    };
    assert!(
        has(&w.pharmacist.id, "read", "chart", "denied"),
        "{rows:#?}"
    );
    assert!(has(&w.staff.id, "read", "chart", "allowed"));
    assert!(has(
        &w.treating.id,
        "create",
        &format!("entry/{}", w.entry),
        "allowed"
    ));
    assert!(has(
        &w.owner.id,
        "create",
        &format!("file/{}", w.file),
        "allowed"
    ));
    assert!(has(
        &w.treating.id,
        "sign",
        &format!("report/{}", w.report),
        "allowed"
    ));
    assert!(
        rows.iter().all(|e| e["subject_id"] == w.owner.id.as_str()),
        "only the patient's own rows"
    );
    // Another patient sees none of them.
    let theirs = get("/api/records/access-log", Some(&w.other.access)).json();
    assert!(theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["subject_id"] == w.other.id.as_str()));
    let verify = get("/api/records/access-log/verify", Some(&w.staff.access)).json();
    assert_eq!(verify["ok"], true, "{verify}");
    assert!(verify["rows_checked"].as_i64().unwrap() >= rows.len() as i64);
}

#[test]
fn a_signed_report_reaches_the_patient_as_a_notification_and_never_changes() {
    let w = world();
    let report = format!("/api/records/reports/{}", w.report);
    let changed = put(
        &report,
        &json!({"plan": "Something else"}),
        Some(&w.treating.access),
    );
    assert_eq!(changed.problem(409), Vec::<String>::new());
    let read = get(&report, Some(&w.owner.access)).json();
    assert_eq!(read["status"], "signed");
    assert_eq!(read["plan"], "Review in four weeks.");
    // The relay runs after the signing's answer: give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let n = get("/api/mail/notifications", Some(&w.owner.access)).json();
        let told = n["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["link"].as_str().is_some_and(|l| l.contains(&w.report)));
        if told {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no notification: {n}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // The appointment's report is one; a second is a conflict.
    let again = post(
        "/api/records/reports",
        &json!({"appointment_id": w.appointment}),
        Some(&w.treating.access),
    );
    assert_eq!(again.status, 409, "{}", again.text);
}

#[test]
fn bad_input_names_its_field() {
    let w = world();
    let path = format!("{}/entries", w.chart());
    for (body, field) in [
        (
            json!({"measure": "weight", "value": 70, "unit": "kg", "taken_at": "2026-11-30T08:00:00Z"}),
            "kind",
        ),
        (
            json!({"kind": "observation", "measure": "weight", "value": 70, "unit": "stone", "taken_at": "2026-11-30T08:00:00Z"}),
            "unit",
        ),
        (
            json!({"kind": "observation", "measure": "weight", "value": 7000, "unit": "kg", "taken_at": "2026-11-30T08:00:00Z"}),
            "value",
        ),
        (
            json!({"kind": "problem", "text": "x", "code": {"system": "icd-10", "code": "hello"}, "status": "active"}),
            "code.code",
        ),
        (
            json!({"kind": "problem", "text": "\u{202e}evil", "status": "active"}),
            "text",
        ),
        (
            json!({"kind": "allergy", "substance": "Latex", "severity": "lethal"}),
            "severity",
        ),
        (
            json!({"kind": "entry", "text": "x", "category": "note", "date": "2026-11-30", "secret": 1}),
            "secret",
        ),
    ] {
        let r = post(&path, &body, Some(&w.owner.access));
        assert_eq!(r.problem(422), [field], "{body}");
    }
    let not_json = send(
        "POST",
        &path,
        Some(&w.owner.access),
        Some("text/plain"),
        Some(b"hi".to_vec()),
    );
    assert_eq!(not_json.status, 415);
    assert_eq!(
        get("/api/records/entries/not-an-id", Some(&w.owner.access)).status,
        404
    );
    assert_eq!(
        get("/api/records/patients/x/export", Some(&w.owner.access)).status,
        404
    );
}

#[test]
fn a_file_is_attached_to_an_appointment_only_of_that_patient() {
    let w = world();
    let path = |appointment: &str| {
        format!(
            "/api/records/patients/{}/files?name=ecg.pdf&appointment_id={appointment}",
            w.owner.id
        )
    };
    let r = send_raw(
        "POST",
        &path(&w.appointment),
        Some(&w.treating.access),
        &[("content-type", "application/pdf")],
        pdf(5000),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(json_of(&r)["appointment_id"], w.appointment.as_str());
    assert_eq!(json_of(&r)["uploaded_by"], w.treating.id.as_str());
    // Another patient's appointment, or one that does not exist, is named.
    let other = new_patient();
    let theirs = confirmed_visit(&other, &w.treating);
    for appointment in [theirs.as_str(), "0192f0c1-7a4e-7cc2-9a1b-3e5f7d9b1c2a"] {
        let r = send_raw(
            "POST",
            &path(appointment),
            Some(&w.treating.access),
            &[("content-type", "application/pdf")],
            pdf(5000),
        );
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(json_of(&r)["errors"][0]["field"], "appointment_id");
    }
}
