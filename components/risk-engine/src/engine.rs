//! Evaluation: named inputs are checked against the card (every input present, none unknown,
//! units as the card says, numbers inside the validated range — never an extrapolation), encoded
//! into the model's input tensor, and run by tract.

use crate::models::{self, InputKind, ModelCard};
use crate::types::*;
use std::sync::{LazyLock, OnceLock};
use tract_onnx::prelude::*;

/// A model ready to run: its card, and its tract plan parsed, typed and optimised for one input
/// row, with the index of each output tensor.
struct Prepared {
    card: ModelCard,
    plan: Arc<TypedSimplePlan>,
    output_names: Vec<String>,
}

const MODEL_COUNT: usize = models::SHIPPED.len();

/// One slot per shipped model, filled on first use. Spin makes a fresh instance per request, so
/// in production these are filled at build time instead: the component's `wizer-initialize`
/// export calls [`preload`] and Wizer snapshots the memory, plans included (see `tools/preinit`).
static PREPARED: [OnceLock<Result<Prepared, String>>; MODEL_COUNT] =
    [const { OnceLock::new() }; MODEL_COUNT];

static CARDS: LazyLock<Vec<ModelCard>> =
    LazyLock::new(|| models::SHIPPED.iter().map(|m| m.card()).collect());

/// Every model's card.
pub fn cards() -> Vec<ModelCard> {
    CARDS.clone()
}

/// One model's card.
pub fn card(id: &str) -> Option<ModelCard> {
    CARDS.iter().find(|c| c.id == id).cloned()
}

/// Parses every card and prepares every model now, so that later calls only run them.
pub fn preload() {
    LazyLock::force(&CARDS);
    for index in 0..MODEL_COUNT {
        let _ = prepared(index);
    }
}

/// Parses and optimises `model_id` afresh, bypassing the prepared plans: what every request would
/// pay without pre-initialisation. For the benchmark's figures.
pub fn prepare_uncached(model_id: &str) -> Result<(), EvalError> {
    let shipped = models::SHIPPED
        .iter()
        .find(|m| m.id == model_id)
        .ok_or_else(|| EvalError::UnknownModel(model_id.into()))?;
    prepare(shipped)
        .map(drop)
        .map_err(|e| EvalError::Engine(format!("{e:#}")))
}

fn prepared(index: usize) -> Result<&'static Prepared, EvalError> {
    PREPARED[index]
        .get_or_init(|| prepare(&models::SHIPPED[index]).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| EvalError::Engine(e.clone()))
}

fn prepare(shipped: &models::Shipped) -> TractResult<Prepared> {
    let card = shipped.card();
    let plan = load(shipped.onnx, card.inputs.len())?;
    let output_names = plan
        .model()
        .output_outlets()?
        .iter()
        .map(|o| {
            plan.model()
                .outlet_label(*o)
                .map(str::to_string)
                .unwrap_or_else(|| plan.model().node(o.node).name.clone())
        })
        .collect();
    Ok(Prepared {
        card,
        plan,
        output_names,
    })
}

/// Checks and encodes the inputs in the card's column order.
fn encode(card: &ModelCard, inputs: &[Input]) -> Result<Vec<f64>, EvalError> {
    for input in inputs {
        let Some(spec) = card.inputs.iter().find(|s| s.is_named(&input.name)) else {
            return Err(EvalError::UnknownInput(input.name.clone()));
        };
        // Twice under one name, or under a name and its alias.
        if inputs.iter().filter(|i| spec.is_named(&i.name)).count() > 1 {
            return Err(EvalError::InvalidValue {
                input: spec.name.clone(),
                message: "is given twice".into(),
            });
        }
    }
    card.inputs
        .iter()
        .map(|spec| {
            let input = inputs
                .iter()
                .find(|i| spec.is_named(&i.name))
                .ok_or_else(|| EvalError::MissingInput(spec.name.clone()))?;
            let invalid = |message: &str| EvalError::InvalidValue {
                input: spec.name.clone(),
                message: message.into(),
            };
            match (spec.kind, &input.value) {
                (InputKind::Number, Value::Number(v)) => {
                    let unit = spec.unit.clone().unwrap_or_default();
                    if let Some(got) = &input.unit {
                        if *got != unit {
                            return Err(EvalError::WrongUnit {
                                input: spec.name.clone(),
                                expected: unit,
                                got: got.clone(),
                            });
                        }
                    }
                    if !v.is_finite() {
                        return Err(invalid("must be a finite number"));
                    }
                    if let Some([min, max]) = spec.range {
                        if *v < min || *v > max {
                            return Err(EvalError::OutOfRange {
                                input: spec.name.clone(),
                                value: *v,
                                min,
                                max,
                                unit,
                            });
                        }
                    }
                    Ok(*v)
                }
                (InputKind::Boolean, Value::Flag(b)) => Ok(if *b { 1.0 } else { 0.0 }),
                (InputKind::Choice, Value::Choice(c)) => {
                    let values = &spec.choices;
                    values
                        .iter()
                        .position(|v| v == c)
                        .map(|i| i as f64)
                        .ok_or_else(|| invalid(&format!("must be one of {}", values.join(", "))))
                }
                (InputKind::Number, _) => Err(invalid("must be a number")),
                (InputKind::Boolean, _) => Err(invalid("must be true or false")),
                (InputKind::Choice, _) => Err(invalid("must be one of the listed choices")),
            }
        })
        .collect()
}

/// Parses and optimises a model for one input row. This is the costly step (12–20 ms per model
/// natively, more in wasm), against microseconds to run the plan.
fn load(onnx: &[u8], columns: usize) -> TractResult<Arc<TypedSimplePlan>> {
    tract_onnx::onnx()
        .model_for_read(&mut &onnx[..])?
        .with_input_fact(0, f64::fact([1, columns]).into())?
        .into_optimized()?
        .into_runnable()
}

/// Evaluates `model_id` on `inputs`.
pub fn evaluate(model_id: &str, inputs: &[Input]) -> Result<Vec<Output>, EvalError> {
    let index = models::SHIPPED
        .iter()
        .position(|m| m.id == model_id)
        .ok_or_else(|| EvalError::UnknownModel(model_id.into()))?;
    let Prepared {
        card,
        plan,
        output_names: names,
    } = prepared(index)?;
    let row = encode(card, inputs)?;
    let engine = |e: TractError| EvalError::Engine(format!("{e:#}"));
    let input = tract_ndarray::Array2::from_shape_vec((1, row.len()), row.clone())
        .map_err(|e| EvalError::Engine(e.to_string()))?
        .into_tensor();
    let results = plan.run(tvec!(input.into())).map_err(engine)?;
    let mut out = Vec::new();
    for spec in &card.outputs {
        if let Some(conditions) = &spec.valid_when {
            let holds = conditions.iter().all(|(input, [lo, hi])| {
                let i = card.inputs.iter().position(|s| &s.name == input);
                i.is_some_and(|i| row[i] >= *lo && row[i] <= *hi)
            });
            if !holds {
                continue;
            }
        }
        let position = names
            .iter()
            .position(|n| *n == spec.tensor)
            .ok_or_else(|| EvalError::Engine(format!("the model has no output {}", spec.tensor)))?;
        let tensor = results[position].cast_to::<f64>().map_err(engine)?;
        let view = tensor.to_plain_array_view::<f64>().map_err(engine)?;
        let value = *view.iter().nth(spec.index).ok_or_else(|| {
            EvalError::Engine(format!("{} has no column {}", spec.tensor, spec.index))
        })?;
        out.push(Output {
            name: spec.name.clone(),
            value,
            unit: spec.unit.clone(),
        });
    }
    Ok(out)
}
