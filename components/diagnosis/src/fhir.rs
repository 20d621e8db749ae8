//! An assessment as a FHIR R4 `RiskAssessment`, for `Accept: application/fhir+json`.

use crate::assess::Assessment;
use serde_json::{json, Value};

pub const MEDIA_TYPE: &str = "application/fhir+json";

pub fn risk_assessment(a: &Assessment) -> Value {
    let predictions: Vec<Value> = a
        .outputs
        .iter()
        .filter(|o| o.unit == "probability")
        .map(|o| {
            let years = if o.name.ends_with("_30y") { 30 } else { a.model.horizon_years };
            json!({
                "outcome": { "text": o.description },
                "probabilityDecimal": o.value,
                "whenRange": { "high": { "value": years, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a" } },
            })
        })
        .collect();
    let mut resource = json!({
        "resourceType": "RiskAssessment",
        "id": a.id,
        "status": "final",
        "subject": { "reference": format!("Patient/{}", a.subject_id) },
        "occurrenceDateTime": a.created_at,
        "method": {
            "coding": [{ "system": "https://healthe.dev/models", "code": a.model.id, "version": a.model.version, "display": a.model.title }],
            "text": a.model.citation,
        },
        "prediction": predictions,
        "note": [{ "text": crate::assess::DISCLAIMER }],
    });
    if a.requested_by != a.subject_id {
        resource["performer"] = json!({ "reference": format!("Practitioner/{}", a.requested_by) });
    }
    resource
}
