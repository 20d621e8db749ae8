//! The portal in a real browser: Debian's Chromium, headless, driven by playwright-core
//! (`tests/browser`), against the real app. Each flow is its own test; each checks every screen
//! with axe-core at phone and desktop width and saves screenshots under `target/screenshots/`.

use blackbox::booking::{
    a_slot_about_to_start, act, book, doctor_with_hours, every_day, publish, wait_until,
};
use blackbox::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `tests/browser`, with its pinned packages installed (`npm ci`, once per run).
fn browser_dir() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = workspace_root().join("tests/browser");
            if !dir.join("node_modules/playwright-core").exists() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir)
                    .status()
                    .expect("npm (Node.js) is needed for the browser tests");
                assert!(status.success(), "npm ci in tests/browser failed");
            }
            dir
        })
        .clone()
}

fn run_flow(flow: &str, fixtures: Value) {
    let dir = browser_dir();
    let shots = workspace_root().join("target/screenshots");
    let out = Command::new("node")
        .arg("run.mjs")
        .arg(flow)
        .env("HEALTHE_URL", base_url())
        .env("FIXTURES", fixtures.to_string())
        .env("SCREENSHOTS", &shots)
        .current_dir(&dir)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "flow {flow}:\n{text}");
    println!("{text}");
}

#[test]
fn a_patient_books_and_the_doctor_confirms_in_the_browser() {
    let specialty = format!("Cardiology {}", unique());
    let doctor = doctor_with_hours("America/Chicago", every_day("09:00", "17:00"), &specialty);
    let profile = get(&format!("/api/booking/doctors/{}", doctor.id), None).json();
    run_flow(
        "book-and-confirm",
        json!({
            "patient_email": format!("pat-{}@example.org", unique()),
            "password": PASSWORD,
            "specialty": specialty,
            "doctor_name": profile["name"],
            "doctor_zone": "America/Chicago",
            "doctor_email": doctor.email,
        }),
    );
}

#[test]
fn sign_in_problems_are_said_plainly() {
    let patient = register_patient();
    run_flow(
        "sign-in-problems",
        json!({ "patient_email": patient.email }),
    );
}

#[test]
fn the_heart_calculator_takes_mmol_and_names_an_out_of_range_field() {
    let patient = new_patient();
    run_flow(
        "risk-calculator",
        json!({ "patient_email": patient.email, "password": PASSWORD }),
    );
}

#[test]
fn staff_create_a_doctor_account_profile_and_hours() {
    run_flow(
        "staff-create-doctor",
        json!({
            "admin_email": admin_email(),
            "admin_password": admin_password(),
            "doctor_name": format!("Dr. Browser {}", unique()),
            "doctor_email": format!("doc-{}@example.org", unique()),
            "specialty": format!("Dermatology {}", unique()),
            "password": PASSWORD,
        }),
    );
}

#[test]
fn a_disabled_account_is_signed_out() {
    let patient = new_patient();
    run_flow(
        "disabled-signed-out",
        json!({
            "patient_email": patient.email,
            "password": PASSWORD,
            "admin_email": admin_email(),
            "admin_password": admin_password(),
        }),
    );
}

#[test]
fn a_patient_reviews_a_completed_visit() {
    let doctor = new_user("doctor");
    let patient = new_patient();
    let (zone, weekly, at, start) = a_slot_about_to_start();
    publish(&doctor, zone, weekly, "Neurology", 10);
    let r = book(&patient, &doctor.id, &at);
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(act(&doctor, &id, "confirm", None).status, 200);
    wait_until(start);
    let r = act(&doctor, &id, "complete", None);
    assert_eq!(r.status, 200, "{}", r.text);
    run_flow(
        "review-after-visit",
        json!({ "patient_email": patient.email, "password": PASSWORD, "doctor_id": doctor.id }),
    );
}

#[test]
fn a_forgotten_password_and_a_confirmed_address_have_their_screens() {
    let patient = new_patient();
    run_flow(
        "password-reset-screens",
        json!({ "patient_email": patient.email }),
    );
}

#[test]
fn a_doctors_open_agenda_shows_a_new_request_within_two_seconds() {
    let zone = "Europe/Berlin";
    let doctor = doctor_with_hours(zone, every_day("09:00", "17:00"), "Live cardiology");
    let patient = new_patient();
    let slot = blackbox::booking::a_slot(&doctor.id, 0);
    // Berlin's 09:00–17:00 is 07:00–16:00 UTC whatever the season: the slot's UTC date is its
    // date in the doctor's zone.
    let day = slot[..10].to_string();
    run_flow(
        "live-agenda",
        json!({
            "doctor_email": doctor.email,
            "doctor_id": doctor.id,
            "patient_email": patient.email,
            "password": PASSWORD,
            "slot": slot,
            "day": day,
        }),
    );
}

#[test]
fn a_patient_keeps_their_record_and_reads_the_signed_visit_report() {
    let doctor = doctor_with_hours(
        "Europe/Berlin",
        every_day("08:00", "18:00"),
        "General practice",
    );
    let patient = new_patient();
    let appointment = blackbox::booking::confirmed_visit(&patient, &doctor);
    run_flow(
        "records",
        json!({
            "patient_email": patient.email,
            "patient_id": patient.id,
            "doctor_email": doctor.email,
            "doctor_id": doctor.id,
            "password": PASSWORD,
            "appointment_id": appointment,
        }),
    );
}

#[test]
fn a_doctor_prescribes_past_an_allergy_warning_and_the_pharmacist_dispenses_at_the_counter() {
    let doctor = doctor_with_hours(
        "Europe/Berlin",
        every_day("08:00", "18:00"),
        "General practice",
    );
    let patient = new_patient();
    blackbox::booking::confirmed_visit(&patient, &doctor);
    let allergy = post(
        &format!("/api/records/patients/{}/entries", patient.id),
        &json!({"kind": "allergy", "substance": "Penicillin", "reaction": "Rash", "severity": "moderate"}),
        Some(&doctor.access),
    );
    assert_eq!(allergy.status, 201, "{}", allergy.text);
    let pharmacist = new_user("pharmacist");
    run_flow(
        "prescriptions",
        json!({
            "patient_email": patient.email,
            "patient_id": patient.id,
            "doctor_email": doctor.email,
            "pharmacist_email": pharmacist.email,
            "password": PASSWORD,
        }),
    );
}

#[test]
fn staff_import_pharmacies_and_a_patient_finds_the_nearest_from_their_location() {
    let staff = new_user("staff");
    let patient = new_patient();
    // A place of this run's own, so a shared app's other pharmacies are not nearer.
    let n = unique()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    let (lat, lon) = (
        -40.0 + (n % 8000) as f64 / 100.0,
        -120.0 + (n / 8000 % 24000) as f64 / 100.0,
    );
    let k = unique();
    let csv = format!(
        "source_key,name,street,city,lat,lon,opening_hours\n\
         {k}-1,Linden-Apotheke,Unter den Linden 1,Berlin,{},{lon},24/7\n\
         {k}-2,Rosen-Apotheke,Rosenstraße 2,Berlin,{},{lon},\"Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off\"\n\
         {k}-3,Stern-Apotheke,Sternstraße 3,Berlin,{},{lon},\"Mo-Sa 08:00-20:00\"\n",
        lat + 0.001,
        lat + 0.01,
        lat + 0.02,
    );
    let bad_csv = format!(
        "source_key,name,lat,lon,opening_hours\n{k}-9,Fine,{lat},{lon},24/7\n{k}-8,Broken,{lat},{lon},Mo-Fr 8-19x\n"
    );
    run_flow(
        "pharmacies",
        json!({
            "staff_email": staff.email,
            "patient_email": patient.email,
            "password": PASSWORD,
            "lat": lat,
            "lon": lon,
            "csv": csv,
            "bad_csv": bad_csv,
            "nearest": "Linden-Apotheke",
            "duty_date": date_in(10),
        }),
    );
}

#[test]
fn members_ask_clinicians_answer_and_a_flag_hides_spam_until_a_moderator_agrees_in_the_browser() {
    let staff = new_user("staff");
    let patient = new_patient();
    let doctor = new_user("doctor");
    let flagger = new_patient();
    let k = unique_word();
    // A category for the spam topic, made beforehand with two members' flags on its spam reply.
    let slug = format!("spam-{k}");
    let r = post(
        "/api/forum/categories",
        &json!({"name": format!("Spam corner {k}"), "slug": slug, "who_posts": "signed_in", "public": true}),
        Some(&staff.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let asker = new_patient();
    let spam_title = format!("Garlic and blood pressure {k}");
    let r = post(
        "/api/forum/topics",
        &json!({"category": slug, "title": spam_title, "body": "Does garlic lower it?"}),
        Some(&asker.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let spam_topic = r.json()["id"].as_str().unwrap().to_string();
    let spammer = new_patient();
    let spam_text = "Cheap pills without prescription, order today";
    let r = post(
        &format!("/api/forum/topics/{spam_topic}/replies"),
        &json!({ "body": spam_text }),
        Some(&spammer.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let spam = r.json()["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let u = new_patient();
        let r = post(
            &format!("/api/forum/posts/{spam}/flags"),
            &json!({"reason": "spam"}),
            Some(&u.access),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    run_flow(
        "forum",
        json!({
            "staff_email": staff.email,
            "patient_email": patient.email,
            "doctor_email": doctor.email,
            "flagger_email": flagger.email,
            "password": PASSWORD,
            "category_name": format!("Heart health {k}"),
            "title": format!("Is 150/95 too high? {k}"),
            "spam_topic": spam_topic,
            "spam_title": spam_title,
            "spam_text": spam_text,
        }),
    );
}
