//! One line of a prescription, parsed once into a value that can't be wrong: what, how much,
//! how taken, how often, for how long, how many fills.

use serde::{Deserialize, Serialize};
use service_kit::text::TextRule;
use service_kit::Problem;

/// How a medication is made up (the FHIR `doseForm`, as text).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::AsRefStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Form {
    Tablet,
    Capsule,
    Solution,
    Suspension,
    Syrup,
    Injection,
    Cream,
    Ointment,
    Gel,
    Inhaler,
    Drops,
    Patch,
    Suppository,
    Spray,
    Powder,
    Other,
}

/// How it enters the body, with its SNOMED CT route code (FHIR `dosageInstruction.route`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::AsRefStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Route {
    Oral,
    Sublingual,
    Topical,
    Transdermal,
    Inhalation,
    Nasal,
    Ophthalmic,
    Otic,
    Rectal,
    Vaginal,
    Subcutaneous,
    Intramuscular,
    Intravenous,
}

impl Route {
    /// SNOMED CT "route of administration value" codes.
    pub fn snomed(self) -> (&'static str, &'static str) {
        match self {
            Route::Oral => ("26643006", "Oral route"),
            Route::Sublingual => ("37839007", "Sublingual route"),
            Route::Topical => ("6064005", "Topical route"),
            Route::Transdermal => ("45890007", "Transdermal route"),
            Route::Inhalation => ("447694001", "Respiratory tract route"),
            Route::Nasal => ("46713006", "Nasal route"),
            Route::Ophthalmic => ("54485002", "Ophthalmic route"),
            Route::Otic => ("10547007", "Otic route"),
            Route::Rectal => ("37161004", "Rectal route"),
            Route::Vaginal => ("16857009", "Vaginal route"),
            Route::Subcutaneous => ("34206005", "Subcutaneous route"),
            Route::Intramuscular => ("78421000", "Intramuscular route"),
            Route::Intravenous => ("47625008", "Intravenous route"),
        }
    }
}

/// A prescription's line as stored and shown: every field checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    /// What is given: "Amoxicillin".
    pub name: String,
    /// "500 mg", "5 mg/ml".
    pub strength: String,
    pub form: Form,
    /// One dose: "1 tablet", "10 ml".
    pub dose: String,
    pub route: Route,
    /// "3 times a day", "every 8 hours", "at night".
    pub frequency: String,
    /// How many days the course lasts.
    pub duration_days: u32,
    /// Units handed over per fill (tablets, bottles, inhalers).
    pub quantity: u32,
    /// Fills after the first one.
    pub refills: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

const NAME: TextRule = TextRule::line(2, 200);
const SHORT: TextRule = TextRule::line(1, 100);
const INSTRUCTIONS: TextRule = TextRule::paragraphs(1, 1000);
pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: u32 = 10_000;
pub const MAX_REFILLS: u32 = 11;
pub const MAX_DAYS: u32 = 366;

impl Medication {
    /// The line as it may be stored, or the first thing wrong with it, named `field.…`.
    pub fn checked(self, field: &str) -> Result<Medication, Problem> {
        let f = |name: &str| format!("{field}.{name}");
        let text = |name: &str, rule: TextRule, v: &str| {
            rule.clean(v).map_err(|m| Problem::invalid(f(name), m))
        };
        let within = |name: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(Problem::invalid(
                    f(name),
                    format!("must be from {lo} to {hi}"),
                ))
            }
        };
        Ok(Medication {
            name: text("name", NAME, &self.name)?,
            strength: text("strength", SHORT, &self.strength)?,
            form: self.form,
            dose: text("dose", SHORT, &self.dose)?,
            route: self.route,
            frequency: text("frequency", SHORT, &self.frequency)?,
            duration_days: within("duration_days", self.duration_days, 1, MAX_DAYS)?,
            quantity: within("quantity", self.quantity, 1, MAX_QUANTITY)?,
            refills: within("refills", self.refills, 0, MAX_REFILLS)?,
            instructions: match self.instructions {
                Some(i) if !i.trim().is_empty() => Some(text("instructions", INSTRUCTIONS, &i)?),
                _ => None,
            },
        })
    }

    /// One line for people: "Amoxicillin 500 mg capsule, 1 capsule oral 3 times a day for 7
    /// days".
    pub fn summary(&self) -> String {
        format!(
            "{} {} {}, {} {} {} for {} days",
            self.name,
            self.strength,
            self.form.as_ref(),
            self.dose,
            self.route.as_ref(),
            self.frequency,
            self.duration_days
        )
    }
}

/// A prescription's lines, checked: one to [`MAX_LINES`].
pub fn checked_list(list: Vec<Medication>) -> Result<Vec<Medication>, Problem> {
    if list.is_empty() {
        return Err(Problem::invalid(
            "medications",
            "name at least one medication",
        ));
    }
    if list.len() > MAX_LINES {
        return Err(Problem::invalid(
            "medications",
            format!("at most {MAX_LINES} medications on one prescription"),
        ));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, m)| m.checked(&format!("medications[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<Vec<Medication>, Problem> {
        let list: Vec<Medication> = service_kit::json::from_slice(v.to_string().as_bytes())?;
        checked_list(list)
    }

    fn amoxicillin() -> serde_json::Value {
        json!({"name": " Amoxicillin ", "strength": "500 mg", "form": "capsule", "dose": "1 capsule",
               "route": "oral", "frequency": "3 times a day", "duration_days": 7, "quantity": 21,
               "refills": 0})
    }

    #[test]
    fn a_line_is_cleaned_and_every_bad_field_is_named() {
        let ok = parse(json!([amoxicillin()])).unwrap();
        assert_eq!(ok[0].name, "Amoxicillin");
        assert_eq!(
            ok[0].summary(),
            "Amoxicillin 500 mg capsule, 1 capsule oral 3 times a day for 7 days"
        );
        for (field, value, named) in [
            ("quantity", json!(0), "medications[0].quantity"),
            ("refills", json!(12), "medications[0].refills"),
            ("duration_days", json!(400), "medications[0].duration_days"),
            ("name", json!("\u{202e}nillicixomA"), "medications[0].name"),
            ("form", json!("pill"), "[0].form"),
            ("route", json!("by mouth"), "[0].route"),
            ("quantity", json!(-3), "[0].quantity"),
        ] {
            let mut m = amoxicillin();
            m[field] = value;
            let p = parse(json!([m])).unwrap_err();
            assert_eq!(p.status, 422, "{field}");
            let named_field = &p.errors[0].field;
            assert!(named_field.ends_with(named), "{field}: {named_field}");
        }
        assert!(parse(json!([])).is_err());
        let mut extra = amoxicillin();
        extra["diagnosis"] = json!("otitis");
        assert!(parse(json!([extra])).is_err());
    }
}
