//! Readings as clinics send them: a number in the model's unit, `{ "value": 5.2, "unit": "mmol/L" }`
//! where clinics differ, `true`/`false`, or a choice. Converted here into the model's units, so
//! the record keeps the inputs as understood.

use risk_types::{Input, Value};
use serde_json::Value as Json;
use service_kit::Problem;

/// Conversions to the units the models use. Factors from molar masses: cholesterol 386.65 g/mol,
/// triglycerides (as triolein) 885.7 g/mol, glucose 180.16 g/mol.
const CONVERSIONS: &[(&str, &str, &str, f64)] = &[
    ("total_cholesterol", "mmol/L", "mg/dL", 38.67),
    ("hdl_cholesterol", "mmol/L", "mg/dL", 38.67),
    ("triglycerides", "mmol/L", "mg/dL", 88.57),
    ("fasting_glucose", "mmol/L", "mg/dL", 18.016),
];

/// Where a unit may be spelled more than one way.
fn canonical_unit(unit: &str) -> String {
    match unit.trim().to_ascii_lowercase().as_str() {
        "mg/dl" => "mg/dL".into(),
        "mmol/l" => "mmol/L".into(),
        _ => unit.trim().to_string(),
    }
}

/// Parses one reading. `field` names it in errors.
pub fn parse(field: &str, raw: &Json) -> Result<Input, Problem> {
    let input = |value, unit| Input {
        name: field.to_string(),
        value,
        unit,
    };
    match raw {
        Json::Number(n) => Ok(input(Value::Number(n.as_f64().unwrap_or(f64::NAN)), None)),
        Json::Bool(b) => Ok(input(Value::Flag(*b), None)),
        Json::String(s) => Ok(input(Value::Choice(s.clone()), None)),
        Json::Object(o) => {
            let value = o
                .get("value")
                .and_then(Json::as_f64)
                .ok_or_else(|| Problem::invalid(format!("{field}.value"), "must be a number"))?;
            let unit = o
                .get("unit")
                .and_then(Json::as_str)
                .map(canonical_unit)
                .ok_or_else(|| {
                    Problem::invalid(
                        format!("{field}.unit"),
                        "must be a unit such as mg/dL or mmol/L",
                    )
                })?;
            if let Some(extra) = o.keys().find(|k| *k != "value" && *k != "unit") {
                return Err(Problem::invalid(
                    format!("{field}.{extra}"),
                    "is not allowed; give value and unit",
                ));
            }
            match CONVERSIONS
                .iter()
                .find(|(name, from, _, _)| *name == field && *from == unit)
            {
                Some((_, _, to, factor)) => Ok(input(
                    Value::Number(value * factor),
                    Some((*to).to_string()),
                )),
                None => Ok(input(Value::Number(value), Some(unit))),
            }
        }
        _ => Err(Problem::invalid(
            field,
            "must be a number, true/false, a choice, or {value, unit}",
        )),
    }
}

/// The other units an input is also taken in, each with the input's validated range in it:
/// what a form needs to offer the choice (the portal's mg/dL or mmol/L), from the one table the
/// conversion itself uses. Bounds are rounded inwards to 2 decimals, so any value shown as in
/// range is accepted.
pub fn other_units(name: &str, unit: Option<&str>, range: Option<[f64; 2]>) -> Vec<Json> {
    CONVERSIONS
        .iter()
        .filter(|(n, _, to, _)| *n == name && Some(*to) == unit)
        .map(|(_, from, _, factor)| {
            let mut other = serde_json::json!({ "unit": from });
            if let Some([min, max]) = range {
                other["range"] = serde_json::json!([
                    (min / factor * 100.0).ceil() / 100.0,
                    (max / factor * 100.0).floor() / 100.0
                ]);
            }
            other
        })
        .collect()
}

/// Parses every reading of a JSON object.
pub fn parse_all(readings: &serde_json::Map<String, Json>) -> Result<Vec<Input>, Problem> {
    if readings.len() > 64 {
        return Err(Problem::invalid("inputs", "at most 64 readings"));
    }
    readings.iter().map(|(k, v)| parse(k, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cholesterol_is_also_taken_in_mmol_with_its_range_rounded_inwards() {
        let other = other_units("total_cholesterol", Some("mg/dL"), Some([130.0, 320.0]));
        assert_eq!(other, [json!({"unit": "mmol/L", "range": [3.37, 8.27]})]);
        // Every bound shown converts back inside the model's range.
        for bound in [3.37, 8.27] {
            let mgdl = bound * 38.67;
            assert!((130.0..=320.0).contains(&mgdl), "{mgdl}");
        }
        assert!(other_units("age", Some("years"), Some([30.0, 79.0])).is_empty());
        assert!(other_units("total_cholesterol", Some("mmol/L"), None).is_empty());
    }

    #[test]
    fn converts_cholesterol_and_glucose_from_mmol() {
        let i = parse(
            "total_cholesterol",
            &json!({"value": 5.0, "unit": "mmol/l"}),
        )
        .unwrap();
        assert_eq!(i.value, Value::Number(5.0 * 38.67));
        assert_eq!(i.unit.as_deref(), Some("mg/dL"));
        let g = parse("fasting_glucose", &json!({"value": 5.5, "unit": "mmol/L"})).unwrap();
        assert_eq!(g.value, Value::Number(5.5 * 18.016));
        let same = parse("hdl_cholesterol", &json!({"value": 50, "unit": "mg/dL"})).unwrap();
        assert_eq!(same.value, Value::Number(50.0));
    }

    #[test]
    fn names_the_bad_part() {
        assert_eq!(
            parse("sbp", &json!({"value": "high", "unit": "mmHg"}))
                .unwrap_err()
                .errors[0]
                .field,
            "sbp.value"
        );
        assert_eq!(
            parse("sbp", &json!({"value": 120})).unwrap_err().errors[0].field,
            "sbp.unit"
        );
        assert_eq!(
            parse("sbp", &json!([120])).unwrap_err().errors[0].field,
            "sbp"
        );
    }
}
