//! prescriptions over HTTP: the real prescriptions.wasm beside booking (care relationships),
//! records (the chart's allergies), auth (tokens) and mail, delivering to a real SMTP server
//! (the patient's copy).

use blackbox::booking::*;
use blackbox::smtp::Server;
use blackbox::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

struct World {
    relay: Option<Server>,
    owner: User,
    other: User,
    treating: User,
    other_doctor: User,
    staff: User,
    pharmacist: User,
}

const OVERRIDE: &str = "Tolerated amoxicillin in hospital under observation";

/// One world for the file: the SMTP server first (the app starts with its port), then a
/// patient with a confirmed visit and an allergy and a problem in their chart.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let relay = if std::env::var_os("HEALTHE_URL").is_none() {
            let server = Server::start();
            let port = server.port.to_string();
            assert!(with_variables(&[
                ("mail_transport", "smtp"),
                ("mail_smtp_host", "127.0.0.1"),
                ("mail_smtp_port", &port),
                ("mail_from", "Clinic Nord <desk@clinic-nord.example>"),
                ("mail_clinic_name", "Clinic Nord"),
                ("public_url", "https://clinic-nord.example"),
            ]));
            Some(server)
        } else {
            None
        };
        let treating = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "internal");
        let owner = new_patient();
        confirmed_visit(&owner, &treating);
        let chart = format!("/api/records/patients/{}/entries", owner.id);
        for entry in [
            json!({"kind": "allergy", "substance": "Penicillin", "reaction": "Hives", "severity": "moderate"}),
            json!({"kind": "problem", "text": "Essential hypertension",
                   "code": {"system": "icd-10", "code": "I10"}, "status": "active"}),
        ] {
            let r = post(&chart, &entry, Some(&treating.access));
            assert_eq!(r.status, 201, "{}", r.text);
        }
        World {
            relay,
            other: new_patient(),
            other_doctor: new_user("doctor"),
            staff: new_user("staff"),
            pharmacist: new_user("pharmacist"),
            owner,
            treating,
        }
    })
}

fn metformin(quantity: u32, refills: u32) -> Value {
    json!({"name": "Metformin", "strength": "500 mg", "form": "tablet", "dose": "1 tablet",
           "route": "oral", "frequency": "twice a day", "duration_days": 30,
           "quantity": quantity, "refills": refills, "instructions": "Take with meals."})
}

fn prescribe(w: &World, medications: Value) -> Value {
    let r = post(
        "/api/prescriptions",
        &json!({"patient_id": w.owner.id, "medications": medications}),
        Some(&w.treating.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

fn dispense(w: &World, code: &str, items: Value) -> Reply {
    post(
        &format!("/api/prescriptions/by-code/{code}/dispenses"),
        &json!({"items": items, "pharmacy": "Apotheke am Markt"}),
        Some(&w.pharmacist.access),
    )
}

#[test]
fn who_may_reach_a_prescription() {
    let w = world();
    let p = prescribe(w, json!([metformin(60, 2)]));
    let id = p["id"].as_str().unwrap();
    let code = p["code"].as_str().unwrap();
    let one = format!("/api/prescriptions/{id}");
    let list = format!("/api/prescriptions/patients/{}", w.owner.id);
    let lookup = format!("/api/prescriptions/by-code/{code}");
    let write = json!({"patient_id": w.owner.id, "medications": [metformin(10, 0)]});
    let everyone = [
        ("anonymous", None),
        ("owner", Some(&w.owner)),
        ("other patient", Some(&w.other)),
        ("treating doctor", Some(&w.treating)),
        ("other doctor", Some(&w.other_doctor)),
        ("staff", Some(&w.staff)),
        ("pharmacist", Some(&w.pharmacist)),
    ];
    for (name, who) in everyone {
        let token = who.map(|u| u.access.as_str());
        let expect = |allowed: &[&str]| match (token, allowed.contains(&name)) {
            (None, _) => 401,
            (_, true) => 200,
            _ => 403,
        };
        let reads = expect(&["owner", "treating doctor"]);
        assert_eq!(get(&one, token).status, reads, "{name} reads one");
        assert_eq!(get(&list, token).status, reads, "{name} lists");
        assert_eq!(
            get(&format!("{one}/qr.svg"), token).status,
            reads,
            "{name} QR"
        );
        assert_eq!(
            get(&lookup, token).status,
            expect(&["pharmacist"]),
            "{name} looks up by code"
        );
        let created = post("/api/prescriptions", &write, token).status;
        let allowed = if token.is_none() {
            401
        } else if name == "treating doctor" {
            201
        } else {
            403
        };
        assert_eq!(created, allowed, "{name} prescribes");
    }
    // The QR is an image of the code.
    let qr = send_raw(
        "GET",
        &format!("{one}/qr.svg"),
        Some(&w.owner.access),
        &[],
        vec![],
    );
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(String::from_utf8_lossy(&qr.body).contains("<svg"));
    // The patient sees which pharmacist looked it up.
    let log = get(
        "/api/prescriptions/access-log?action=looked%20up%20by%20code",
        Some(&w.owner.access),
    );
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(
        log.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor_id"] == w.pharmacist.id.as_str()),
        "{}",
        log.text
    );
}

#[test]
fn a_recorded_allergy_asks_the_doctor_for_a_reason() {
    let w = world();
    let amoxicillin = json!({"name": "Amoxicillin", "strength": "500 mg", "form": "capsule",
        "dose": "1 capsule", "route": "oral", "frequency": "3 times a day", "duration_days": 7,
        "quantity": 21, "refills": 0});
    let body = json!({"patient_id": w.owner.id, "medications": [amoxicillin]});
    let r = post("/api/prescriptions", &body, Some(&w.treating.access));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.json()["type"]
        .as_str()
        .unwrap()
        .ends_with("/allergy-warning"));
    assert!(r.text.contains("Penicillin"), "{}", r.text);
    let mut with = body.clone();
    with["allergy_override_reason"] = json!(OVERRIDE);
    let r = post("/api/prescriptions", &with, Some(&w.treating.access));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["allergy_override"]["reason"], OVERRIDE);
}

#[test]
fn a_hundred_pharmacists_dispensing_the_last_fill_at_once_hand_it_over_once() {
    let w = world();
    let p = prescribe(w, json!([metformin(60, 1)]));
    let code = p["code"].as_str().unwrap().to_string();
    assert_eq!(
        dispense(w, &code, json!([{"line": 1, "quantity": 60}])).status,
        201
    );
    // One fill is left: 100 at once ask for it.
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..100)
            .map(|_| s.spawn(|| dispense(w, &code, json!([{"line": 1, "quantity": 60}])).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((ok, refused), (1, 99), "{statuses:?}");
    let after = get(
        &format!("/api/prescriptions/{}", p["id"].as_str().unwrap()),
        Some(&w.owner.access),
    );
    let line = &after.json()["medications"][0];
    assert_eq!(
        (line["fills_used"].as_i64(), line["dispensed"].as_i64()),
        (Some(2), Some(120))
    );
    assert_eq!(after.json()["status"], "completed");
}

#[test]
fn the_patient_gets_the_copy_by_mail_with_the_code_and_nothing_else_of_their_record() {
    let w = world();
    let p = prescribe(w, json!([metformin(60, 2)]));
    let code = p["code"].as_str().unwrap();
    let id = p["id"].as_str().unwrap();
    // The notification, in the app.
    let mut found = false;
    for _ in 0..50 {
        let n = get("/api/mail/notifications", Some(&w.owner.access)).json();
        if n["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["link"].as_str().is_some_and(|l| l.contains(id)))
        {
            found = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(found, "no notification for the prescription");
    let Some(relay) = &w.relay else {
        eprintln!(
            "HEALTHE_URL is set: the mail's copy is checked only with the suite's SMTP server"
        );
        return;
    };
    let mut copy = None;
    for _ in 0..75 {
        copy = relay.received().into_iter().find(|m| {
            let text = String::from_utf8_lossy(m);
            text.contains(&w.owner.email) && text.contains(code)
        });
        if copy.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let raw = copy.expect("the copy reached the SMTP server");
    let parsed = mailparse::parse_mail(&raw).unwrap();
    let mut bodies = String::new();
    for part in parsed.subparts.iter().chain(std::iter::once(&parsed)) {
        bodies.push_str(&part.get_body().unwrap_or_default());
    }
    assert!(bodies.contains(code), "{bodies}");
    assert!(bodies.contains("Metformin 500 mg tablet"), "{bodies}");
    assert!(bodies.contains("Take with meals."), "{bodies}");
    // Nothing of the chart, and nothing of any other prescription.
    for absent in ["Penicillin", "hypertension", "I10", OVERRIDE, "Amoxicillin"] {
        assert!(!bodies.contains(absent), "{absent} in {bodies}");
    }
}

#[test]
fn a_refill_goes_to_the_doctor_and_back() {
    let w = world();
    let p = prescribe(w, json!([metformin(60, 0)]));
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        dispense(
            w,
            p["code"].as_str().unwrap(),
            json!([{"line": 1, "quantity": 60}])
        )
        .status,
        201
    );
    let asked = post(
        &format!("/api/prescriptions/{id}/refill-requests"),
        &json!({"note": "Running out on Friday"}),
        Some(&w.owner.access),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let request = asked.json()["id"].as_str().unwrap().to_string();
    let queue = get(
        "/api/prescriptions/refill-requests",
        Some(&w.treating.access),
    )
    .json();
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == request.as_str()));
    let ok = post(
        &format!("/api/prescriptions/refill-requests/{request}/approve"),
        &json!({"fills": 1}),
        Some(&w.treating.access),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    let now = get(&format!("/api/prescriptions/{id}"), Some(&w.owner.access)).json();
    assert_eq!(now["status"], "active");
    assert_eq!(now["medications"][0]["refills_left"], 1);
    // The patient is told.
    let mut told = false;
    for _ in 0..50 {
        let n = get("/api/mail/notifications", Some(&w.owner.access)).json();
        if n.to_string().contains("refill was approved") {
            told = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(told, "the patient heard of the approval");
}

#[test]
fn fhir_medication_requests_and_dispenses_validate() {
    let w = world();
    let p = prescribe(w, json!([metformin(60, 2)]));
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        dispense(
            w,
            p["code"].as_str().unwrap(),
            json!([{"line": 1, "quantity": 30}])
        )
        .status,
        201
    );
    for path in [
        format!("/api/prescriptions/{id}"),
        format!("/api/prescriptions/patients/{}", w.owner.id),
        format!("/api/prescriptions/patients/{}/export", w.owner.id),
    ] {
        let r = send_with_accept(&path, &w.owner.access, "application/fhir+json");
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let doc = r.json();
        let errors = blackbox::fhir::errors(&doc);
        assert!(errors.is_empty(), "{path}: {errors:?}\n{doc:#}");
        let kinds: Vec<&str> = doc["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"MedicationRequest"), "{path}: {kinds:?}");
        for e in doc["entry"].as_array().unwrap() {
            let errors = blackbox::fhir::errors(&e["resource"]);
            assert!(errors.is_empty(), "{errors:?}");
        }
    }
    let r = send_with_accept(
        &format!("/api/prescriptions/{id}"),
        &w.owner.access,
        "application/fhir+json",
    );
    assert!(r.text.contains("MedicationDispense"), "{}", r.text);
}

#[test]
fn bad_input_is_named() {
    let w = world();
    let r = post(
        "/api/prescriptions",
        &json!({"patient_id": w.owner.id, "medications": [metformin(0, 0)]}),
        Some(&w.treating.access),
    );
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "medications[0].quantity");
    let p = prescribe(w, json!([metformin(60, 0)]));
    let r = dispense(
        w,
        p["code"].as_str().unwrap(),
        json!([{"line": 2, "quantity": 1}]),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["field"], "items[0].line");
    let r = get(
        "/api/prescriptions/by-code/%E2%80%AEabc",
        Some(&w.pharmacist.access),
    );
    assert_eq!(r.status, 422);
    let r = send_raw(
        "POST",
        "/api/prescriptions",
        Some(&w.treating.access),
        &[("content-type", "application/json")],
        vec![b'['; 2 * 1024 * 1024],
    );
    assert_eq!(r.status, 413);
}

/// locator's part: the copy names the pharmacy the patient nominated, and a dispense by a
/// pharmacist staff assigned to a pharmacy is recorded at that pharmacy.
#[test]
fn the_copy_names_the_preferred_pharmacy_and_a_dispense_its_pharmacists_own() {
    let w = world();
    let patient = new_patient();
    confirmed_visit(&patient, &w.treating);
    let name = format!("Adler-Apotheke {}", unique());
    let r = post(
        "/api/locator/pharmacies",
        &json!({"name": name, "address": {"street": "Invalidenstraße", "housenumber": "10",
                "postcode": "10115", "city": "Berlin", "country": "DE"},
                "phone": "+49 30 1234567", "position": {"lat": 52.531, "lon": 13.385},
                "time_zone": "Europe/Berlin", "opening_hours": "Mo-Fr 08:00-19:00"}),
        Some(&w.staff.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let pharmacy = r.json()["id"].as_str().unwrap().to_string();
    let r = put(
        &format!("/api/locator/patients/{}/preferred-pharmacy", patient.id),
        &json!({"pharmacy_id": pharmacy}),
        Some(&patient.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let pharmacist = new_user("pharmacist");
    let r = put(
        &format!("/api/locator/pharmacists/{}", pharmacist.id),
        &json!({"pharmacy_id": pharmacy}),
        Some(&w.staff.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let r = post(
        "/api/prescriptions",
        &json!({"patient_id": patient.id, "medications": [metformin(30, 0)]}),
        Some(&w.treating.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let p = r.json();
    let code = p["code"].as_str().unwrap();
    // The assigned pharmacist names no pharmacy: locator's is recorded.
    let r = post(
        &format!("/api/prescriptions/by-code/{code}/dispenses"),
        &json!({"items": [{"line": 1, "quantity": 30}]}),
        Some(&pharmacist.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let id = p["id"].as_str().unwrap();
    let d = get(
        &format!("/api/prescriptions/{id}/dispenses"),
        Some(&patient.access),
    )
    .json();
    assert_eq!(
        d["items"][0]["pharmacy"],
        format!("{name}, Invalidenstraße 10, 10115 Berlin"),
        "{d}"
    );
    let Some(relay) = &w.relay else {
        eprintln!("HEALTHE_URL is set: the copy is checked only with the suite's SMTP server");
        return;
    };
    let mut copy = None;
    for _ in 0..75 {
        copy = relay.received().into_iter().find(|m| {
            let text = String::from_utf8_lossy(m);
            text.contains(&patient.email) && text.contains(code)
        });
        if copy.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let raw = copy.expect("the copy reached the SMTP server");
    let parsed = mailparse::parse_mail(&raw).unwrap();
    let mut bodies = String::new();
    for part in parsed.subparts.iter().chain(std::iter::once(&parsed)) {
        bodies.push_str(&part.get_body().unwrap_or_default());
    }
    assert!(
        bodies.contains(&format!(
            "Your pharmacy: {name}, Invalidenstraße 10, 10115 Berlin (telephone +49 30 1234567)."
        )),
        "{bodies}"
    );
}
