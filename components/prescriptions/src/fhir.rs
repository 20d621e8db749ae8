//! Prescriptions as FHIR R4 (`Accept: application/fhir+json`): each line of a prescription is a
//! `MedicationRequest` (the lines share the prescription's `groupIdentifier`, as FHIR groups
//! the items of one paper prescription), and each line handed over is a `MedicationDispense`.

use crate::dispense::Dispensed;
use crate::prescription::{Prescription, Status};
use serde_json::{json, Value};

/// Where the prescription codes live (the identifier a pharmacy system would scan).
pub const CODE_SYSTEM: &str = "urn:healthe:prescription-code";
const UCUM: &str = "http://unitsofmeasure.org";
const SNOMED: &str = "http://snomed.info/sct";

fn status(p: &Prescription) -> (&'static str, Option<&'static str>) {
    match p.status {
        Status::Draft => ("draft", None),
        Status::Active => ("active", None),
        Status::OnHold => ("on-hold", None),
        Status::Cancelled => ("cancelled", None),
        Status::Completed => ("completed", None),
        // FHIR has no "expired": the order stopped, and says why.
        Status::Expired => ("stopped", Some("expired")),
    }
}

/// The prescription's lines, one `MedicationRequest` each.
pub fn requests(p: &Prescription) -> Vec<Value> {
    let (status, why) = status(p);
    p.medications
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let line = i + 1;
            let (route_code, route_name) = m.route.snomed();
            let mut r = json!({
                "resourceType": "MedicationRequest",
                "id": format!("{}-{line}", p.id),
                "meta": { "versionId": p.version.to_string(), "lastUpdated": p.updated_at },
                "identifier": [{ "system": CODE_SYSTEM, "value": crate::code::display(&p.code) }],
                "groupIdentifier": { "system": "urn:healthe:prescription", "value": p.id },
                "status": status,
                "intent": "order",
                "medicationCodeableConcept": {
                    "text": format!("{} {} {}", m.name, m.strength, m.form.as_ref())
                },
                "subject": { "reference": format!("Patient/{}", p.patient_id) },
                "authoredOn": p.issued_at.as_deref().unwrap_or(&p.created_at),
                "requester": { "reference": format!("Practitioner/{}", p.doctor_id) },
                "dosageInstruction": [{
                    "sequence": 1,
                    "text": m.summary(),
                    "patientInstruction": m.instructions.as_deref().unwrap_or(&m.dose),
                    "timing": { "code": { "text": m.frequency } },
                    "route": { "coding": [{ "system": SNOMED, "code": route_code,
                                             "display": route_name }] },
                }],
                "dispenseRequest": {
                    "validityPeriod": { "start": p.valid_from, "end": p.valid_until },
                    "numberOfRepeatsAllowed": p.lines.get(i).map_or(m.refills as i64, |l| l.fills_allowed - 1),
                    "quantity": { "value": m.quantity, "unit": m.form.as_ref() },
                    "expectedSupplyDuration": { "value": m.duration_days, "unit": "days",
                                                 "system": UCUM, "code": "d" },
                },
            });
            if let Some(why) = why {
                r["statusReason"] = json!({ "text": why });
            } else if let (Status::Cancelled | Status::OnHold, Some(reason)) =
                (p.status, &p.status_reason)
            {
                r["statusReason"] = json!({ "text": reason });
            }
            if let Some(note) = &p.note {
                r["note"] = json!([{ "text": note }]);
            }
            if let Some(old) = &p.replaces {
                r["priorPrescription"] =
                    json!({ "reference": format!("MedicationRequest/{old}-{line}") });
            }
            r
        })
        .collect()
}

/// One line handed over, as a `MedicationDispense`.
pub fn dispense(p: &Prescription, d: &Dispensed) -> Value {
    let m = p.medications.get((d.line - 1) as usize);
    json!({
        "resourceType": "MedicationDispense",
        "id": format!("{}-{}", d.dispense_id, d.line),
        "status": "completed",
        "medicationCodeableConcept": {
            "text": m.map(|m| format!("{} {} {}", m.name, m.strength, m.form.as_ref())).unwrap_or_default()
        },
        "subject": { "reference": format!("Patient/{}", p.patient_id) },
        "performer": [{ "actor": { "reference": format!("Practitioner/{}", d.pharmacist_id) } }],
        "location": { "display": d.pharmacy },
        "authorizingPrescription": [{ "reference": format!("MedicationRequest/{}-{}", p.id, d.line) }],
        "type": { "text": if d.fill == 1 { "first fill" } else { "refill" } },
        "quantity": { "value": d.quantity, "unit": m.map(|m| m.form.as_ref()).unwrap_or("unit") },
        "whenHandedOver": d.dispensed_at,
    })
}
