//! `prescriptions`: a pharmacist's dispense (one `INSERT … SELECT` whose triggers hold the
//! limit), the code lookup before it, and the patient's own read, beside prescriptions' plain
//! route (`GET /api/prescriptions/health`) measured in the same run. The prescription allows
//! 12 fills of 10,000 units and each dispense hands over one unit, so every request in the run
//! is a real dispense that succeeds; a last scenario sends every client at a prescription with
//! nothing left (all 409, decided by the same statement).

use crate::{clients, measure, mint, Figures};
use blackbox::booking::{confirmed_visit, doctor_with_hours, every_day};
use blackbox::{get, new_patient, post};
use serde_json::json;
use service_kit::token::Role;

fn prescribe(doctor: &str, patient: &str, quantity: u32, refills: u32) -> serde_json::Value {
    let r = post(
        "/api/prescriptions",
        &json!({"patient_id": patient, "medications": [{"name": "Metformin", "strength": "500 mg",
            "form": "tablet", "dose": "1 tablet", "route": "oral", "frequency": "twice a day",
            "duration_days": 30, "quantity": quantity, "refills": refills}]}),
        Some(doctor),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

pub fn run() {
    let doctor = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "bench");
    let patient = new_patient();
    confirmed_visit(&patient, &doctor);
    let plenty = prescribe(&doctor.access, &patient.id, 10_000, 11);
    let code = plenty["code"].as_str().unwrap().to_string();
    let id = plenty["id"].as_str().unwrap().to_string();
    let used = prescribe(&doctor.access, &patient.id, 1, 0);
    let used_code = used["code"].as_str().unwrap().to_string();
    // A pharmacist's token, as auth would sign it (staff roles are checked against auth's
    // state on every request, as in production).
    let pharmacist = mint("0192f0c1-7a4e-7cc2-9a1b-0000000000ff", Role::Pharmacist);
    let dispense = |code: &str| {
        post(
            &format!("/api/prescriptions/by-code/{code}/dispenses"),
            &json!({"items": [{"line": 1, "quantity": 1}], "pharmacy": "Bench Apotheke"}),
            Some(&pharmacist),
        )
        .status
    };
    assert_eq!(dispense(&used_code), 201);

    let threads = clients();
    let plain = measure(
        "GET /api/prescriptions/health (plain)",
        threads,
        usize::MAX,
        200,
        || get("/api/prescriptions/health", None).status,
    );
    let rows: Vec<Figures> = vec![
        measure(
            "GET by-code (pharmacist lookup)",
            threads,
            usize::MAX,
            200,
            || {
                get(
                    &format!("/api/prescriptions/by-code/{code}"),
                    Some(&pharmacist),
                )
                .status
            },
        ),
        measure(
            "POST dispense (1 unit, succeeds)",
            threads,
            usize::MAX,
            201,
            || dispense(&code),
        ),
        measure(
            "POST dispense, nothing left (409)",
            threads,
            usize::MAX,
            409,
            || dispense(&used_code),
        ),
        measure(
            "GET prescription (the patient)",
            threads,
            usize::MAX,
            200,
            || get(&format!("/api/prescriptions/{id}"), Some(&patient.access)).status,
        ),
    ];
    println!(
        "\nprescriptions: lookup, dispense and read beside the plain route ({threads} clients, {:?} each)",
        crate::seconds()
    );
    let mut all = vec![plain];
    all.extend(rows);
    crate::print(&all, &all[0]);
    let after = get(&format!("/api/prescriptions/{id}"), Some(&patient.access)).json();
    let line = &after["medications"][0];
    println!(
        "after the run: {} units in {} fills dispensed of {} allowed (10,000 each)",
        line["dispensed"], line["fills_used"], line["fills_allowed"]
    );
}
