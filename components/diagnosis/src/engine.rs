//! The risk engine as diagnosis sees it: a trait, so the rules run natively against the engine
//! crate in tests and against the composed `healthe:platform/risk-engine` import in wasm.

use risk_engine::{EvalError, Input, Output};
use serde::Serialize;

/// A model card as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Card {
    pub id: String,
    pub version: String,
    pub title: String,
    pub outcome: String,
    pub horizon_years: u32,
    pub citation: String,
    pub inputs: Vec<CardInput>,
    pub outputs: Vec<CardOutput>,
    pub intended_population: String,
    pub caveats: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CardInput {
    pub name: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CardOutput {
    pub name: String,
    pub unit: String,
    pub description: String,
}

pub trait RiskEngine {
    fn cards(&self) -> Vec<Card>;
    /// One model's card. Cheaper than [`RiskEngine::cards`] across the component boundary, where
    /// every card is copied out of the engine's memory: this is the per-assessment path.
    fn card(&self, id: &str) -> Option<Card> {
        self.cards().into_iter().find(|c| c.id == id)
    }
    fn evaluate(&self, model: &str, inputs: &[Input]) -> Result<Vec<Output>, EvalError>;
}

/// The engine linked in directly (native tests and tools).
pub struct Linked;

#[cfg(not(target_arch = "wasm32"))]
impl RiskEngine for Linked {
    fn cards(&self) -> Vec<Card> {
        risk_engine::cards()
            .into_iter()
            .map(|c| Card {
                id: c.id,
                version: c.version,
                title: c.title,
                outcome: c.outcome,
                horizon_years: c.horizon_years,
                citation: c.citation,
                inputs: c
                    .inputs
                    .into_iter()
                    .map(|i| CardInput {
                        kind: match i.kind() {
                            risk_engine::models::InputKind::Number => "number",
                            risk_engine::models::InputKind::Boolean => "boolean",
                            risk_engine::models::InputKind::Choice => "choice",
                        },
                        name: i.name,
                        unit: i.unit,
                        range: i.range,
                        choices: i.values.unwrap_or_default(),
                        description: i.description,
                    })
                    .collect(),
                outputs: c
                    .outputs
                    .into_iter()
                    .map(|o| CardOutput {
                        name: o.name,
                        unit: o.unit,
                        description: o.description,
                    })
                    .collect(),
                intended_population: c.intended_population,
                caveats: c.caveats,
            })
            .collect()
    }

    fn evaluate(&self, model: &str, inputs: &[Input]) -> Result<Vec<Output>, EvalError> {
        risk_engine::evaluate(model, inputs)
    }
}

#[cfg(target_arch = "wasm32")]
pub mod composed {
    //! The `healthe:platform/risk-engine` import, satisfied by composing the risk-engine
    //! component (spin.toml `[component.diagnosis.dependencies]`).
    use super::*;

    wit_bindgen::generate!({ path: "../../wit", world: "diagnosis-imports" });
    use healthe::platform::risk_engine as wit;

    pub struct Composed;

    fn from_wit(c: wit::ModelCard) -> Card {
        Card {
            id: c.id,
            version: c.version,
            title: c.title,
            outcome: c.outcome,
            horizon_years: c.horizon_years,
            citation: c.citation,
            inputs: c
                .inputs
                .into_iter()
                .map(|i| CardInput {
                    kind: match i.kind {
                        wit::InputKind::Number => "number",
                        wit::InputKind::Boolean => "boolean",
                        wit::InputKind::Choice => "choice",
                    },
                    name: i.name,
                    unit: i.unit,
                    range: i.range.map(|(a, b)| [a, b]),
                    choices: i.choices,
                    description: i.description,
                })
                .collect(),
            outputs: c
                .outputs
                .into_iter()
                .map(|o| CardOutput {
                    name: o.name,
                    unit: o.unit,
                    description: o.description,
                })
                .collect(),
            intended_population: c.intended_population,
            caveats: c.caveats,
        }
    }

    impl RiskEngine for Composed {
        fn cards(&self) -> Vec<Card> {
            wit::list_models().into_iter().map(from_wit).collect()
        }

        fn card(&self, id: &str) -> Option<Card> {
            wit::get_model(id).map(from_wit)
        }

        fn evaluate(&self, model: &str, inputs: &[Input]) -> Result<Vec<Output>, EvalError> {
            let inputs: Vec<wit::NamedInput> = inputs
                .iter()
                .map(|i| wit::NamedInput {
                    name: i.name.clone(),
                    value: match &i.value {
                        risk_engine::Value::Number(n) => wit::Value::Number(*n),
                        risk_engine::Value::Flag(b) => wit::Value::Flag(*b),
                        risk_engine::Value::Choice(c) => wit::Value::Choice(c.clone()),
                    },
                    unit: i.unit.clone(),
                })
                .collect();
            wit::evaluate(model, &inputs)
                .map(|outs| {
                    outs.into_iter()
                        .map(|o| Output {
                            name: o.name,
                            value: o.value,
                            unit: o.unit,
                        })
                        .collect()
                })
                .map_err(|e| match e {
                    wit::EvaluationError::UnknownModel(m) => EvalError::UnknownModel(m),
                    wit::EvaluationError::MissingInput(i) => EvalError::MissingInput(i),
                    wit::EvaluationError::UnknownInput(i) => EvalError::UnknownInput(i),
                    wit::EvaluationError::WrongUnit(w) => EvalError::WrongUnit {
                        input: w.input,
                        expected: w.expected,
                        got: w.got,
                    },
                    wit::EvaluationError::OutOfRange(r) => EvalError::OutOfRange {
                        input: r.input,
                        value: r.value,
                        min: r.min,
                        max: r.max,
                        unit: r.unit,
                    },
                    wit::EvaluationError::InvalidValue(v) => EvalError::InvalidValue {
                        input: v.input,
                        message: v.message,
                    },
                    wit::EvaluationError::EngineFailure(m) => EvalError::Engine(m),
                })
        }
    }
}
