//! What a chart item may hold, by kind: a problem (diagnosis), an allergy, an observation (a
//! reading with its unit and when it was taken), or a free-text entry (a note, a treatment
//! plan, history). A body is parsed once into these types; what is stored is what they
//! serialise to, so every stored item is one a client could have sent.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use service_kit::text::TextRule;
use service_kit::Problem;

/// The four kinds of chart item.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    Problem,
    Allergy,
    Observation,
    Entry,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An item's clinical content (stored as its fields alone; the kind is a column).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    Problem(ProblemData),
    Allergy(AllergyData),
    Observation(ObservationData),
    Entry(EntryData),
}

impl Data {
    pub fn kind(&self) -> Kind {
        match self {
            Data::Problem(_) => Kind::Problem,
            Data::Allergy(_) => Kind::Allergy,
            Data::Observation(_) => Kind::Observation,
            Data::Entry(_) => Kind::Entry,
        }
    }

    /// When it holds clinically: the chart's order.
    pub fn effective_at(&self, recorded: Timestamp) -> String {
        let day = |d: &Option<Date>| d.map(|d| format!("{d}T00:00:00Z"));
        match self {
            Data::Problem(p) => day(&p.onset),
            Data::Allergy(_) => None,
            Data::Observation(o) => Some(o.taken_at.to_string()),
            Data::Entry(e) => Some(format!("{}T00:00:00Z", e.date)),
        }
        .unwrap_or_else(|| recorded.to_string())
    }

    /// Reads a stored item back (it was written by [`parse`], so it parses).
    pub fn stored(kind: Kind, json: &str) -> Result<Data, Problem> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(Problem::internal)?;
        let bad = |e: serde_json::Error| Problem::internal(format!("a stored {kind:?}: {e}"));
        Ok(match kind {
            Kind::Problem => Data::Problem(serde_json::from_value(value).map_err(bad)?),
            Kind::Allergy => Data::Allergy(serde_json::from_value(value).map_err(bad)?),
            Kind::Observation => Data::Observation(serde_json::from_value(value).map_err(bad)?),
            Kind::Entry => Data::Entry(serde_json::from_value(value).map_err(bad)?),
        })
    }
}

/// A coded problem: which code system, and the code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub system: CodeSystem,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeSystem {
    /// ICD-10 (WHO), e.g. `I10`, `E11.9`.
    #[serde(rename = "icd-10", alias = "icd10")]
    Icd10,
    /// SNOMED CT, a concept id, e.g. `38341003`.
    #[serde(rename = "snomed", alias = "snomed-ct")]
    Snomed,
}

impl CodeSystem {
    pub fn uri(self) -> &'static str {
        match self {
            CodeSystem::Icd10 => "http://hl7.org/fhir/sid/icd-10",
            CodeSystem::Snomed => "http://snomed.info/sct",
        }
    }

    /// Whether `code` has this system's shape: ICD-10 a letter, two digits, and up to four more
    /// after a dot; SNOMED CT a concept id of 6 to 18 digits.
    fn accepts(self, code: &str) -> bool {
        let b = code.as_bytes();
        match self {
            CodeSystem::Icd10 => {
                let head = b.len() >= 3
                    && b[0].is_ascii_uppercase()
                    && b[1].is_ascii_digit()
                    && b[2].is_ascii_alphanumeric();
                let tail = match code.get(3..) {
                    Some("") => true,
                    Some(rest) => rest.strip_prefix('.').is_some_and(|r| {
                        (1..=4).contains(&r.len()) && r.bytes().all(|c| c.is_ascii_alphanumeric())
                    }),
                    None => false,
                };
                head && tail
            }
            CodeSystem::Snomed => {
                (6..=18).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) && b[0] != b'0'
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalStatus {
    Active,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemData {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<Date>,
    pub status: ClinicalStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllergyData {
    pub substance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    pub severity: Severity,
}

/// What an observation measured. Each has its LOINC code, its units and the range a reading in
/// each unit may take (wide: they catch a unit mix-up or a slipped digit, not a diagnosis).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Measure {
    BloodPressure,
    HeartRate,
    Weight,
    Height,
    Bmi,
    Waist,
    Temperature,
    TotalCholesterol,
    HdlCholesterol,
    LdlCholesterol,
    Triglycerides,
    Glucose,
    FastingGlucose,
    Hba1c,
    Egfr,
}

/// One unit a measure may be given in: its UCUM code, the range, and the factor to the first
/// (canonical) unit.
pub struct Unit {
    pub ucum: &'static str,
    pub range: (f64, f64),
    pub to_canonical: f64,
}

/// A unit as a literal, so a table of them is a constant (a `const fn` call would not be
/// promoted to a static).
macro_rules! unit {
    ($ucum:expr, $lo:expr, $hi:expr, $factor:expr) => {
        Unit {
            ucum: $ucum,
            range: ($lo, $hi),
            to_canonical: $factor,
        }
    };
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// LOINC code and display.
    pub fn loinc(self) -> (&'static str, &'static str) {
        use Measure::*;
        match self {
            BloodPressure => ("85354-9", "Blood pressure panel with all children optional"),
            HeartRate => ("8867-4", "Heart rate"),
            Weight => ("29463-7", "Body weight"),
            Height => ("8302-2", "Body height"),
            Bmi => ("39156-5", "Body mass index (BMI) [Ratio]"),
            Waist => ("8280-0", "Waist Circumference at umbilicus by Tape measure"),
            Temperature => ("8310-5", "Body temperature"),
            TotalCholesterol => ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
            HdlCholesterol => ("2085-9", "HDL Cholesterol [Mass/volume] in Serum or Plasma"),
            LdlCholesterol => (
                "13457-7",
                "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            ),
            Triglycerides => ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
            Glucose => ("2339-0", "Glucose [Mass/volume] in Blood"),
            FastingGlucose => ("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma"),
            Hba1c => ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
            Egfr => (
                "98979-8",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
            ),
        }
    }

    /// Vital signs and body measures, or laboratory results (FHIR's observation category).
    pub fn is_vital_sign(self) -> bool {
        use Measure::*;
        matches!(
            self,
            BloodPressure | HeartRate | Weight | Height | Bmi | Waist | Temperature
        )
    }

    /// The units it may be given in, canonical first.
    pub fn units(self) -> &'static [Unit] {
        use Measure::*;
        const MMHG: &[Unit] = &[unit!("mm[Hg]", 20.0, 300.0, 1.0)];
        const CHOLESTEROL: &[Unit] = &[
            unit!("mg/dL", 10.0, 1000.0, 1.0),
            unit!("mmol/L", 0.25, 26.0, 38.67),
        ];
        const GLUCOSE: &[Unit] = &[
            unit!("mg/dL", 10.0, 1500.0, 1.0),
            unit!("mmol/L", 0.5, 85.0, 18.016),
        ];
        match self {
            BloodPressure => MMHG,
            HeartRate => &[unit!("/min", 20.0, 300.0, 1.0)],
            Weight => &[
                unit!("kg", 0.3, 500.0, 1.0),
                unit!("[lb_av]", 0.6, 1100.0, 0.453_592_37),
            ],
            Height => &[unit!("cm", 20.0, 260.0, 1.0)],
            Bmi => &[unit!("kg/m2", 8.0, 120.0, 1.0)],
            Waist => &[unit!("cm", 20.0, 300.0, 1.0)],
            Temperature => &[unit!("Cel", 25.0, 45.0, 1.0)],
            TotalCholesterol | HdlCholesterol | LdlCholesterol => CHOLESTEROL,
            Triglycerides => &[
                unit!("mg/dL", 10.0, 5000.0, 1.0),
                unit!("mmol/L", 0.1, 56.0, 88.57),
            ],
            Glucose | FastingGlucose => GLUCOSE,
            Hba1c => &[unit!("%", 2.0, 25.0, 1.0)],
            Egfr => &[unit!("mL/min/{1.73_m2}", 1.0, 200.0, 1.0)],
        }
    }
}

/// A reading: one value, or a blood pressure's two.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reading {
    Pressure { systolic: f64, diastolic: f64 },
    Value(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationData {
    pub measure: Measure,
    pub value: Reading,
    pub unit: String,
    pub taken_at: Timestamp,
}

impl ObservationData {
    /// The reading in the measure's canonical unit (what the risk calculators take).
    pub fn canonical(&self) -> Reading {
        let factor = self
            .measure
            .units()
            .iter()
            .find(|u| u.ucum == self.unit)
            .map_or(1.0, |u| u.to_canonical);
        match self.value {
            Reading::Value(v) => Reading::Value(v * factor),
            Reading::Pressure {
                systolic,
                diastolic,
            } => Reading::Pressure {
                systolic: systolic * factor,
                diastolic: diastolic * factor,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Note,
    TreatmentPlan,
    History,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryData {
    pub text: String,
    pub category: Category,
    pub date: Date,
}

const TEXT: TextRule = TextRule::line(1, 500);
const NOTE: TextRule = TextRule::paragraphs(1, 20_000);
const SHORT: TextRule = TextRule::line(1, 200);

fn clean(field: &str, rule: TextRule, raw: &str) -> Result<String, Problem> {
    rule.clean(raw).map_err(|m| Problem::invalid(field, m))
}

fn clean_opt(field: &str, rule: TextRule, raw: Option<String>) -> Result<Option<String>, Problem> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => clean(field, rule, r).map(Some),
    }
}

/// Parses the fields of a `kind` item (the body without `kind`, `patient_id`, `version`):
/// the shape by serde (a wrong or unknown field is named), the content by the rules here.
/// `now` bounds what may lie in the future: nothing was observed or began tomorrow.
pub fn parse(
    kind: Kind,
    fields: serde_json::Map<String, serde_json::Value>,
    now: Timestamp,
) -> Result<Data, Problem> {
    // Through the kit's JSON reader, so a wrong or unknown field is named by its path.
    let bytes =
        serde_json::to_vec(&serde_json::Value::Object(fields)).map_err(Problem::internal)?;
    let bytes = bytes.as_slice();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let not_future = |field: &str, d: Date| {
        // A day ahead of UTC is still today somewhere.
        if d > today.tomorrow().unwrap_or(today) {
            Err(Problem::invalid(field, "must not be in the future"))
        } else {
            Ok(d)
        }
    };
    Ok(match kind {
        Kind::Problem => {
            let p: ProblemData = service_kit::json::from_slice(bytes)?;
            let code = match p.code {
                None => None,
                Some(c) => {
                    let code = c.code.trim().to_ascii_uppercase();
                    if !c.system.accepts(&code) {
                        return Err(Problem::invalid(
                            "code.code",
                            match c.system {
                                CodeSystem::Icd10 => "is not an ICD-10 code (like I10 or E11.9)",
                                CodeSystem::Snomed => {
                                    "is not a SNOMED CT concept id (6 to 18 digits)"
                                }
                            },
                        ));
                    }
                    Some(Code {
                        system: c.system,
                        code,
                        display: clean_opt("code.display", TEXT, c.display)?,
                    })
                }
            };
            Data::Problem(ProblemData {
                text: clean("text", TEXT, &p.text)?,
                code,
                onset: p.onset.map(|d| not_future("onset", d)).transpose()?,
                status: p.status,
            })
        }
        Kind::Allergy => {
            let a: AllergyData = service_kit::json::from_slice(bytes)?;
            Data::Allergy(AllergyData {
                substance: clean("substance", SHORT, &a.substance)?,
                reaction: clean_opt("reaction", TEXT, a.reaction)?,
                severity: a.severity,
            })
        }
        Kind::Observation => {
            let o: ObservationData = service_kit::json::from_slice(bytes)?;
            let Some(unit) = o.measure.units().iter().find(|u| u.ucum == o.unit) else {
                let known: Vec<&str> = o.measure.units().iter().map(|u| u.ucum).collect();
                return Err(Problem::invalid(
                    "unit",
                    format!(
                        "{} is measured in {}",
                        o.measure.as_str(),
                        known.join(" or ")
                    ),
                ));
            };
            let in_range = |field: &str, v: f64| {
                let (lo, hi) = unit.range;
                if v.is_finite() && (lo..=hi).contains(&v) {
                    Ok(())
                } else {
                    Err(Problem::invalid(
                        field,
                        format!("must be from {lo} to {hi} {}", unit.ucum),
                    ))
                }
            };
            match (o.measure, o.value) {
                (
                    Measure::BloodPressure,
                    Reading::Pressure {
                        systolic,
                        diastolic,
                    },
                ) => {
                    in_range("value.systolic", systolic)?;
                    in_range("value.diastolic", diastolic)?;
                    if diastolic >= systolic {
                        return Err(Problem::invalid(
                            "value.diastolic",
                            "must be below the systolic pressure",
                        ));
                    }
                }
                (Measure::BloodPressure, Reading::Value(_)) => {
                    return Err(Problem::invalid(
                        "value",
                        "a blood pressure is {\"systolic\": …, \"diastolic\": …}",
                    ))
                }
                (_, Reading::Pressure { .. }) => {
                    return Err(Problem::invalid("value", "must be a number"))
                }
                (_, Reading::Value(v)) => in_range("value", v)?,
            }
            if o.taken_at > now + jiff::SignedDuration::from_mins(5) {
                return Err(Problem::invalid("taken_at", "must not be in the future"));
            }
            Data::Observation(o)
        }
        Kind::Entry => {
            let e: EntryData = service_kit::json::from_slice(bytes)?;
            Data::Entry(EntryData {
                text: clean("text", NOTE, &e.text)?,
                category: e.category,
                date: not_future("date", e.date)?,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    fn fields(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    fn refused(kind: Kind, v: serde_json::Value) -> String {
        let p = parse(kind, fields(v), now()).unwrap_err();
        assert_eq!(p.status, 422, "{p:?}");
        p.errors[0].field.clone()
    }

    #[test]
    fn a_problem_keeps_its_code_and_refuses_a_malformed_one() {
        let d = parse(
            Kind::Problem,
            fields(
                json!({"text": " Hypertension ", "code": {"system": "icd-10", "code": "i10"},
                          "onset": "2019-03-01", "status": "active"}),
            ),
            now(),
        )
        .unwrap();
        let Data::Problem(p) = d else { panic!() };
        assert_eq!(
            (p.text.as_str(), p.code.unwrap().code.as_str()),
            ("Hypertension", "I10")
        );
        for bad in ["I", "10I", "I10.", "I10.12345", "I10 x"] {
            let field = refused(
                Kind::Problem,
                json!({"text": "x", "code": {"system": "icd-10", "code": bad}, "status": "active"}),
            );
            assert_eq!(field, "code.code", "{bad}");
        }
        assert_eq!(
            refused(
                Kind::Problem,
                json!({"text": "x", "code": {"system": "snomed", "code": "0123456"}, "status": "active"})
            ),
            "code.code"
        );
        assert_eq!(
            refused(Kind::Problem, json!({"text": "x", "status": "gone"})),
            "status"
        );
        assert_eq!(
            refused(
                Kind::Problem,
                json!({"text": "x", "status": "active", "onset": "2027-01-01"})
            ),
            "onset"
        );
        assert_eq!(
            refused(
                Kind::Problem,
                json!({"text": "x", "status": "active", "colour": 1})
            ),
            "colour"
        );
        assert_eq!(
            refused(
                Kind::Problem,
                json!({"text": "\u{202e}x", "status": "active"})
            ),
            "text"
        );
    }

    #[test]
    fn an_observation_is_checked_against_its_measure_and_unit() {
        let ok = parse(
            Kind::Observation,
            fields(
                json!({"measure": "total_cholesterol", "value": 5.2, "unit": "mmol/L",
                          "taken_at": "2026-12-01T08:00:00Z"}),
            ),
            now(),
        )
        .unwrap();
        let Data::Observation(o) = ok else { panic!() };
        let Reading::Value(mg) = o.canonical() else {
            panic!()
        };
        assert!((mg - 201.08).abs() < 0.01, "{mg}");
        let obs = |measure: &str, value: serde_json::Value, unit: &str| json!({"measure": measure, "value": value, "unit": unit, "taken_at": "2026-12-01T08:00:00Z"});
        assert_eq!(
            refused(Kind::Observation, obs("weight", json!(80), "stone")),
            "unit"
        );
        assert_eq!(
            refused(Kind::Observation, obs("weight", json!(8000), "kg")),
            "value"
        );
        assert_eq!(
            refused(
                Kind::Observation,
                obs("blood_pressure", json!(120), "mm[Hg]")
            ),
            "value"
        );
        assert_eq!(
            refused(
                Kind::Observation,
                obs(
                    "blood_pressure",
                    json!({"systolic": 80, "diastolic": 120}),
                    "mm[Hg]"
                )
            ),
            "value.diastolic"
        );
        assert_eq!(
            refused(
                Kind::Observation,
                obs("weight", json!({"systolic": 80, "diastolic": 60}), "kg")
            ),
            "value"
        );
        assert_eq!(
            refused(Kind::Observation, obs("mood", json!(1), "kg")),
            "measure"
        );
        let mut future = obs("weight", json!(80), "kg");
        future["taken_at"] = json!("2026-12-03T08:00:00Z");
        assert_eq!(refused(Kind::Observation, future), "taken_at");
    }

    #[test]
    fn stored_data_reads_back_as_written() {
        for (kind, v) in [
            (
                Kind::Allergy,
                json!({"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"}),
            ),
            (
                Kind::Entry,
                json!({"text": "Walk daily.\nReview in 3 months.", "category": "treatment_plan", "date": "2026-12-01"}),
            ),
            (
                Kind::Observation,
                json!({"measure": "blood_pressure", "value": {"systolic": 128, "diastolic": 82}, "unit": "mm[Hg]", "taken_at": "2026-12-01T08:00:00Z"}),
            ),
        ] {
            let d = parse(kind, fields(v), now()).unwrap();
            let back = Data::stored(kind, &serde_json::to_string(&d).unwrap()).unwrap();
            assert_eq!(back, d);
        }
    }
}
