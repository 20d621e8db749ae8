//! The record as FHIR R4 (`Accept: application/fhir+json`): problems as `Condition`, allergies
//! as `AllergyIntolerance`, readings as `Observation` (LOINC-coded, UCUM units), free-text
//! entries, files and visit reports as `DocumentReference`, and the whole chart as one
//! `Bundle` — what "download my record" gives.

use crate::chart::Item;
use crate::files::FileMeta;
use crate::kinds::{Category, ClinicalStatus, Data, Reading};
use crate::reports::Report;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

pub use service_kit::fhir::{bundle, MEDIA_TYPE};

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

fn patient(id: &str) -> Value {
    json!({ "reference": format!("Patient/{id}") })
}

/// Who wrote it: the patient themself, or a practitioner.
fn author(id: &str, role: &str) -> Value {
    if role == "patient" {
        json!({ "reference": format!("Patient/{id}") })
    } else {
        json!({ "reference": format!("Practitioner/{id}") })
    }
}

fn coding(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

fn in_error(i: &Item) -> bool {
    i.status == "entered-in-error"
}

fn meta(i: &Item) -> Value {
    json!({ "versionId": i.version.to_string(), "lastUpdated": i.recorded_at })
}

/// A chart item as its FHIR resource.
pub fn item(i: &Item) -> Value {
    let mut r = match &i.data {
        Data::Problem(p) => {
            let mut code = json!({ "text": p.text });
            if let Some(c) = &p.code {
                let mut coded = json!({ "system": c.system.uri(), "code": c.code });
                if let Some(d) = &c.display {
                    coded["display"] = json!(d);
                }
                code["coding"] = json!([coded]);
            }
            let mut r = json!({
                "resourceType": "Condition",
                "verificationStatus": coding(
                    "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    if in_error(i) { "entered-in-error" } else { "confirmed" },
                ),
                "category": [coding(
                    "http://terminology.hl7.org/CodeSystem/condition-category",
                    "problem-list-item",
                )],
                "code": code,
                "subject": patient(&i.patient_id),
                "recordedDate": i.created_at,
                "recorder": author(&i.author_id, &i.author_role),
            });
            // A condition entered in error has no clinical status (FHIR's con-5).
            if !in_error(i) {
                r["clinicalStatus"] = coding(
                    "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    match p.status {
                        ClinicalStatus::Active => "active",
                        ClinicalStatus::Resolved => "resolved",
                    },
                );
            }
            if let Some(onset) = p.onset {
                r["onsetDateTime"] = json!(onset.to_string());
            }
            r
        }
        Data::Allergy(a) => {
            let mut r = json!({
                "resourceType": "AllergyIntolerance",
                "verificationStatus": coding(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    if in_error(i) { "entered-in-error" } else { "confirmed" },
                ),
                "code": { "text": a.substance },
                "patient": patient(&i.patient_id),
                "recordedDate": i.created_at,
                "recorder": author(&i.author_id, &i.author_role),
                "reaction": [{
                    "manifestation": [{ "text": a.reaction.as_deref().unwrap_or("not recorded") }],
                    "severity": serde_json::to_value(a.severity).unwrap_or_default(),
                }],
            });
            if !in_error(i) {
                r["clinicalStatus"] = coding(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "active",
                );
            }
            r
        }
        Data::Observation(o) => {
            let (code, display) = o.measure.loinc();
            let quantity =
                |v: f64| json!({ "value": v, "unit": o.unit, "system": UCUM, "code": o.unit });
            let mut r = json!({
                "resourceType": "Observation",
                "status": if in_error(i) { "entered-in-error" } else { "final" },
                "category": [coding(
                    "http://terminology.hl7.org/CodeSystem/observation-category",
                    if o.measure.is_vital_sign() { "vital-signs" } else { "laboratory" },
                )],
                "code": { "coding": [{ "system": LOINC, "code": code, "display": display }], "text": o.measure.as_str() },
                "subject": patient(&i.patient_id),
                "effectiveDateTime": o.taken_at.to_string(),
                "issued": i.recorded_at,
                "performer": [author(&i.author_id, &i.author_role)],
            });
            match o.value {
                Reading::Value(v) => r["valueQuantity"] = quantity(v),
                Reading::Pressure {
                    systolic,
                    diastolic,
                } => {
                    let part = |code: &str, display: &str, v: f64| {
                        json!({
                            "code": { "coding": [{ "system": LOINC, "code": code, "display": display }] },
                            "valueQuantity": quantity(v),
                        })
                    };
                    r["component"] = json!([
                        part("8480-6", "Systolic blood pressure", systolic),
                        part("8462-4", "Diastolic blood pressure", diastolic),
                    ]);
                }
            }
            r
        }
        Data::Entry(e) => {
            let (code, display) = match e.category {
                Category::Note => ("11506-3", "Progress note"),
                Category::TreatmentPlan => ("18776-5", "Plan of care note"),
                Category::History => ("11329-0", "History general Narrative"),
            };
            json!({
                "resourceType": "DocumentReference",
                "status": if in_error(i) { "entered-in-error" } else { "current" },
                "docStatus": "final",
                "type": { "coding": [{ "system": LOINC, "code": code, "display": display }] },
                "subject": patient(&i.patient_id),
                "date": i.recorded_at,
                "author": [author(&i.author_id, &i.author_role)],
                "content": [{ "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": B64.encode(e.text.as_bytes()),
                    "creation": format!("{}", e.date),
                }}],
            })
        }
    };
    r["id"] = json!(i.id);
    r["meta"] = meta(i);
    r
}

/// A stored file as a `DocumentReference` pointing at its download.
pub fn file(f: &FileMeta) -> Value {
    let mut attachment = json!({
        "contentType": f.media_type,
        "url": format!("/api/records/files/{}", f.id),
        "size": f.size,
        "title": f.name,
        "creation": f.created_at,
    });
    if f.status == "entered-in-error" {
        attachment.as_object_mut().map(|a| a.remove("url"));
    }
    let mut r = json!({
        "resourceType": "DocumentReference",
        "id": f.id,
        "status": if f.status == "entered-in-error" { "entered-in-error" } else { "current" },
        "subject": patient(&f.patient_id),
        "date": f.created_at,
        "author": [author(&f.uploaded_by, &f.uploader_role)],
        "description": f.name,
        "content": [{ "attachment": attachment }],
    });
    if let Some(a) = &f.appointment_id {
        r["context"] = json!({ "related": [{ "identifier": { "system": "https://healthe.dev/appointments", "value": a } }] });
    }
    r
}

/// A visit report as a `DocumentReference` holding its text (sections, then addenda).
pub fn report(r: &Report) -> Value {
    json!({
        "resourceType": "DocumentReference",
        "id": r.id,
        "status": "current",
        "docStatus": if r.status == "signed" { "final" } else { "preliminary" },
        "type": { "coding": [{ "system": LOINC, "code": "34108-1", "display": "Outpatient Note" }] },
        "subject": patient(&r.patient_id),
        "date": r.signed_at.as_deref().unwrap_or(&r.updated_at),
        "author": [{ "reference": format!("Practitioner/{}", r.doctor_id) }],
        "authenticator": { "reference": format!("Practitioner/{}", r.doctor_id) },
        "context": { "related": [{ "identifier": { "system": "https://healthe.dev/appointments", "value": r.appointment_id } }] },
        "content": [{ "attachment": {
            "contentType": "text/plain; charset=utf-8",
            "data": B64.encode(report_text(r).as_bytes()),
            "title": "Visit report",
            "creation": r.created_at,
        }}],
    })
}

/// The report as plain text: its four sections, then each addendum.
pub fn report_text(r: &Report) -> String {
    let mut out = String::new();
    for (title, text) in [
        ("Subjective", &r.subjective),
        ("Objective", &r.objective),
        ("Assessment", &r.assessment),
        ("Plan", &r.plan),
    ] {
        out.push_str(&format!("{title}\n{text}\n\n"));
    }
    for a in &r.addenda {
        out.push_str(&format!(
            "Addendum ({}, {})\n{}\n\n",
            a.created_at, a.author_id, a.text
        ));
    }
    out
}
