//! The engine's contract: typed errors for unknown models and bad inputs (never an extrapolation),
//! the points scores computed from their tables, and the committed models being what the script makes.

use risk_engine::{cards, evaluate, EvalError, Input};

fn cha(age: f64, sex: &str, flags: [bool; 5]) -> (f64, f64) {
    let names = [
        "chf",
        "hypertension",
        "diabetes",
        "stroke_tia",
        "vascular_disease",
    ];
    let mut inputs = vec![Input::number("age", age), Input::choice("sex", sex)];
    inputs.extend(names.iter().zip(flags).map(|(n, f)| Input::flag(n, f)));
    let out = evaluate("cha2ds2-vasc", &inputs).unwrap();
    (out[0].value, out[1].value)
}

#[test]
fn cha2ds2_vasc_points_and_friberg_rates() {
    assert_eq!(cha(50.0, "male", [false; 5]), (0.0, 0.002));
    assert_eq!(cha(50.0, "female", [false; 5]), (1.0, 0.006));
    assert_eq!(
        cha(70.0, "female", [false, true, false, false, false]),
        (3.0, 0.032)
    );
    // Every point: 75+ (2), female (1), CHF, hypertension, diabetes (3), stroke (2), vascular (1) = 9.
    assert_eq!(cha(80.0, "female", [true; 5]), (9.0, 0.122));
}

#[test]
fn findrisc_points_and_bands() {
    let run = |age: f64,
               sex: &str,
               bmi: f64,
               waist: f64,
               active: bool,
               veg: bool,
               bp: bool,
               glucose: bool,
               family: &str| {
        let out = evaluate(
            "findrisc",
            &[
                Input::number("age", age),
                Input::choice("sex", sex),
                Input::number("bmi", bmi),
                Input::number("waist", waist),
                Input::flag("physically_active", active),
                Input::flag("daily_vegetables", veg),
                Input::flag("bp_medication", bp),
                Input::flag("high_glucose_history", glucose),
                Input::choice("family_history", family),
            ],
        )
        .unwrap();
        (out[0].value, out[1].value, out[2].value)
    };
    assert_eq!(
        run(40.0, "male", 22.0, 85.0, true, true, false, false, "none"),
        (0.0, 0.0, 0.01)
    );
    // 55-64 (3) + BMI>30 (3) + waist >102 man (4) + inactive (2) + no veg (1) + BP (2) + glucose (5) + first-degree (5) = 25.
    let (score, band, risk) = run(
        60.0,
        "male",
        32.0,
        110.0,
        false,
        false,
        true,
        true,
        "first_degree",
    );
    assert_eq!((score, band), (25.0, 4.0));
    assert!((risk - 0.5).abs() < 1e-12);
    // Woman, 50 (2), BMI 27 (1), waist 85 (3), second-degree relative (3) = 9 → band 1 (1 in 25).
    assert_eq!(
        run(
            50.0,
            "female",
            27.0,
            85.0,
            true,
            true,
            false,
            false,
            "second_degree"
        ),
        (9.0, 1.0, 0.04)
    );
}

#[test]
fn framingham_diabetes_follows_its_coefficients() {
    let out = evaluate(
        "framingham-diabetes-2007",
        &[
            Input::number("age", 55.0),
            Input::choice("sex", "male"),
            Input::flag("parent_diabetes", true),
            Input::number("bmi", 31.0),
            Input::number("sbp", 135.0),
            Input::number("dbp", 80.0),
            Input::flag("bp_tx", false),
            Input::number("hdl_cholesterol", 38.0),
            Input::number("triglycerides", 160.0),
            Input::number("fasting_glucose", 110.0),
        ],
    )
    .unwrap();
    let z: f64 = -5.517 - 0.018 - 0.01 + 0.565 + 0.92 + 0.498 + 0.944 + 0.575 + 1.98;
    let expected = 1.0 / (1.0 + (-z).exp());
    assert!(
        (out[0].value - expected).abs() < 1e-12,
        "{} vs {expected}",
        out[0].value
    );
}

fn pce_inputs() -> Vec<Input> {
    vec![
        Input::number("age", 55.0),
        Input::number("total_cholesterol", 213.0),
        Input::number("hdl_cholesterol", 50.0),
        Input::number("sbp", 120.0),
        Input::flag("bp_treated", false),
        Input::flag("smoker", false),
        Input::flag("diabetes", false),
        Input::choice("sex", "female"),
        Input::choice("race", "white_or_other"),
    ]
}

#[test]
fn inputs_are_checked_never_extrapolated() {
    let mut i = pce_inputs();
    i[0] = Input::number("age", 39.0);
    assert_eq!(
        evaluate("pce-2013", &i),
        Err(EvalError::OutOfRange {
            input: "age".into(),
            value: 39.0,
            min: 40.0,
            max: 79.0,
            unit: "years".into()
        })
    );
    let mut i = pce_inputs();
    i.remove(3);
    assert_eq!(
        evaluate("pce-2013", &i),
        Err(EvalError::MissingInput("sbp".into()))
    );
    let mut i = pce_inputs();
    i.push(Input::number("weight", 80.0));
    assert_eq!(
        evaluate("pce-2013", &i),
        Err(EvalError::UnknownInput("weight".into()))
    );
    let mut i = pce_inputs();
    i[1].unit = Some("mmol/L".into());
    assert!(matches!(
        evaluate("pce-2013", &i),
        Err(EvalError::WrongUnit { .. })
    ));
    let mut i = pce_inputs();
    i[7] = Input::choice("sex", "other");
    assert!(matches!(
        evaluate("pce-2013", &i),
        Err(EvalError::InvalidValue { .. })
    ));
    let mut i = pce_inputs();
    i[4] = Input::number("bp_treated", 1.0);
    assert!(matches!(
        evaluate("pce-2013", &i),
        Err(EvalError::InvalidValue { .. })
    ));
    let mut i = pce_inputs();
    i[2] = Input::number("hdl_cholesterol", f64::NAN);
    assert!(matches!(
        evaluate("pce-2013", &i),
        Err(EvalError::InvalidValue { .. })
    ));
    assert_eq!(
        evaluate("nope", &[]),
        Err(EvalError::UnknownModel("nope".into()))
    );
}

#[test]
fn every_card_is_complete() {
    let all = cards();
    assert_eq!(all.len(), 5);
    for card in all {
        assert!(
            !card.citation.is_empty() && !card.version.is_empty() && !card.outputs.is_empty(),
            "{}",
            card.id
        );
        for input in &card.inputs {
            if input.kind == risk_engine::models::InputKind::Number {
                assert!(
                    input.unit.is_some() && input.range.is_some(),
                    "{}: {}",
                    card.id,
                    input.name
                );
            }
            if input.kind == risk_engine::models::InputKind::Choice {
                assert!(!input.choices.is_empty(), "{}: {}", card.id, input.name);
            }
        }
    }
}

#[test]
fn one_name_for_blood_pressure_treatment_in_every_model_the_old_one_an_alias() {
    use risk_engine::{evaluate, Input};
    for card in risk_engine::cards() {
        assert!(
            card.inputs.iter().all(|i| i.name != "bp_tx"),
            "{} still names bp_tx",
            card.id
        );
    }
    let mut readings = vec![
        Input::number("age", 50.0),
        Input::choice("sex", "male"),
        Input::number("total_cholesterol", 200.0),
        Input::number("hdl_cholesterol", 45.0),
        Input::number("sbp", 160.0),
        Input::number("bmi", 35.0),
        Input::number("egfr", 90.0),
        Input::flag("diabetes", true),
        Input::flag("smoker", false),
        Input::flag("statin", false),
    ];
    let with = |name: &str| {
        let mut r = readings.clone();
        r.push(Input::flag(name, true));
        evaluate("prevent-2024", &r).unwrap()
    };
    assert_eq!(with("bp_treated"), with("bp_tx"));
    readings.push(Input::flag("bp_treated", true));
    readings.push(Input::flag("bp_tx", true));
    let e = evaluate("prevent-2024", &readings).unwrap_err();
    assert!(
        matches!(e, risk_engine::EvalError::InvalidValue { ref input, .. } if input == "bp_treated"),
        "{e:?}"
    );
}

#[test]
fn committed_models_are_what_the_script_makes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::env::temp_dir().join(format!("healthe-models-{}", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(root.join("models/build_models.py"))
        .arg(&out)
        .status()
        .expect("python3 runs models/build_models.py (pip install -r models/requirements.txt)");
    assert!(
        status.success(),
        "models/build_models.py failed: pip install -r models/requirements.txt"
    );
    for entry in std::fs::read_dir(&out).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let built = std::fs::read(entry.path()).unwrap();
        let committed = std::fs::read(root.join("models").join(&name)).unwrap_or_default();
        assert!(
            built == committed,
            "models/{} differs from what build_models.py makes",
            name.to_string_lossy()
        );
    }
}
