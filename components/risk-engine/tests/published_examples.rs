//! Every worked example the sources print (models/source/risk-equations.json), reproduced by tract
//! running the committed .onnx files: PCE to 0.1 percentage point (Table A prints rounded sums),
//! PREVENT to the precision printed (4 decimals where the source gives 4).

use risk_engine::{evaluate, Input};
use serde_json::Value;

fn source() -> Value {
    serde_json::from_str(include_str!("../../../models/source/risk-equations.json")).unwrap()
}

fn output(outputs: &[risk_engine::Output], name: &str) -> f64 {
    outputs
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no output {name}"))
        .value
}

/// Half a unit in the last printed decimal: what "reproduces the printed value" means.
fn printed_tolerance(v: f64) -> f64 {
    let text = format!("{v}");
    let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
    0.5 * 10f64.powi(-decimals) + 1e-12
}

#[allow(clippy::too_many_arguments)] // the equation's own nine inputs, named as Table A names them
fn pce(
    age: f64,
    tc: f64,
    hdl: f64,
    sbp: f64,
    treated: bool,
    smoker: bool,
    diabetes: bool,
    group: &str,
) -> f64 {
    let (sex, race) = match group {
        "white_female" => ("female", "white_or_other"),
        "black_female" => ("female", "african_american"),
        "white_male" => ("male", "white_or_other"),
        "black_male" => ("male", "african_american"),
        other => panic!("{other}"),
    };
    let out = evaluate(
        "pce-2013",
        &[
            Input::number("age", age),
            Input::number("total_cholesterol", tc),
            Input::number("hdl_cholesterol", hdl),
            Input::number("sbp", sbp),
            Input::flag("bp_treated", treated),
            Input::flag("smoker", smoker),
            Input::flag("diabetes", diabetes),
            Input::choice("sex", sex),
            Input::choice("race", race),
        ],
    )
    .unwrap();
    output(&out, "hard_ascvd_10y") * 100.0
}

#[test]
fn pce_reproduces_goff_table_a_and_the_pooledcohort_cases() {
    let src = source();
    let examples = src["pce_2013"]["published_examples"].as_array().unwrap();
    let table_a = &examples[0];
    let i = &table_a["input"];
    let f = |k: &str| i[k].as_f64().unwrap();
    for (group, printed) in table_a["printed"].as_object().unwrap() {
        let ours = pce(
            f("age"),
            f("tc"),
            f("hdl"),
            f("sbp"),
            false,
            false,
            false,
            group,
        );
        let printed = printed["risk_pct"].as_f64().unwrap();
        let exact = table_a["exact_arithmetic_pct"][group].as_f64().unwrap();
        assert!(
            (ours - printed).abs() <= 0.1,
            "{group}: {ours} vs printed {printed}"
        );
        assert!(
            (ours - exact).abs() <= 0.001,
            "{group}: {ours} vs exact {exact}"
        );
    }
    // PooledCohort's variants of the Goff profile: one risk factor switched on at a time.
    let variants = &examples[1];
    let order: Vec<&str> = variants["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for factor in ["bp_treated", "smoker", "diabetes"] {
        for (group, expected) in order.iter().zip(variants[factor].as_array().unwrap()) {
            let ours = pce(
                55.0,
                213.0,
                50.0,
                120.0,
                factor == "bp_treated",
                factor == "smoker",
                factor == "diabetes",
                group,
            );
            let expected = expected.as_f64().unwrap();
            assert!(
                (ours - expected).abs() <= 0.1,
                "{factor} {group}: {ours} vs {expected}"
            );
        }
    }
    let single = &examples[2];
    let i = &single["input"];
    let ours = pce(
        54.0,
        170.0,
        50.0,
        157.0,
        false,
        i["smoker"] == 1,
        i["diabetes"] == 1,
        "white_male",
    );
    assert!(
        (ours - single["risk_pct"].as_f64().unwrap()).abs() <= 0.1,
        "{ours}"
    );
}

fn prevent(inputs: &Value, age: f64, sex: &str) -> Vec<risk_engine::Output> {
    let f = |k: &str| inputs[k].as_f64().unwrap();
    evaluate(
        "prevent-2024",
        &[
            Input::number("age", age),
            Input::number("total_cholesterol", f("tc")),
            Input::number("hdl_cholesterol", f("hdl")),
            Input::number("sbp", f("sbp")),
            Input::number("bmi", f("bmi")),
            Input::number("egfr", f("egfr")),
            Input::flag("diabetes", f("diabetes") == 1.0),
            Input::flag("smoker", f("smoker") == 1.0),
            Input::flag("bp_tx", f("bp_tx") == 1.0),
            Input::flag("statin", f("statin") == 1.0),
            Input::choice("sex", sex),
        ],
    )
    .unwrap()
}

#[test]
fn prevent_reproduces_the_khan_2024_worked_examples() {
    let src = source();
    let examples = src["prevent_2024"]["published_examples"]
        .as_array()
        .unwrap();
    let base = &examples[0];
    let inputs = &base["input"];
    let mut checked = 0;
    for (example, age) in [
        (base, inputs["age"].as_f64().unwrap()),
        (&examples[1], 67.0),
    ] {
        for sex in ["female", "male"] {
            let outputs = prevent(inputs, age, sex);
            for horizon in ["10y", "30y"] {
                let Some(expected) = example[format!("{sex}_{horizon}")].as_object() else {
                    continue;
                };
                for (outcome, value) in expected {
                    let value = value.as_f64().unwrap();
                    let ours = output(&outputs, &format!("{outcome}_{horizon}"));
                    assert!(
                        (ours - value).abs() <= printed_tolerance(value).max(1e-4),
                        "{sex} age {age} {outcome} {horizon}: {ours} vs {value}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 25, "every printed value was compared");
}

#[test]
fn prevent_gives_30_year_risks_only_for_ages_30_to_59() {
    let src = source();
    let inputs = &src["prevent_2024"]["published_examples"][0]["input"];
    let old = prevent(inputs, 67.0, "female");
    assert!(old.iter().all(|o| o.name.ends_with("_10y")));
    assert_eq!(prevent(inputs, 50.0, "female").len(), 10);
}
