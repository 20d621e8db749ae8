//! The risk engine as diagnosis sees it: a trait, so the rules run natively against the engine
//! crate in tests and against the composed `healthe:platform/risk-engine` import in wasm.

use risk_types::{EvalError, Input, Output};

/// The risk engine's own card type is the one the API shows (`risk_engine::ModelCard`).
pub use risk_types::ModelCard as Card;

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

    /// The card as it crossed the component boundary, back in the engine's own type.
    fn from_wit(c: wit::ModelCard) -> Card {
        use risk_types::models::{InputKind, InputSpec, OutputSpec};
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
                .map(|i| InputSpec {
                    kind: match i.kind {
                        wit::InputKind::Number => InputKind::Number,
                        wit::InputKind::Boolean => InputKind::Boolean,
                        wit::InputKind::Choice => InputKind::Choice,
                    },
                    name: i.name,
                    unit: i.unit,
                    range: i.range.map(|(a, b)| [a, b]),
                    choices: i.choices,
                    aliases: i.aliases,
                    description: i.description,
                })
                .collect(),
            outputs: c
                .outputs
                .into_iter()
                .map(|o| OutputSpec {
                    name: o.name,
                    unit: o.unit,
                    description: o.description,
                    tensor: String::new(),
                    index: 0,
                    valid_when: None,
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
                        risk_types::Value::Number(n) => wit::Value::Number(*n),
                        risk_types::Value::Flag(b) => wit::Value::Flag(*b),
                        risk_types::Value::Choice(c) => wit::Value::Choice(c.clone()),
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
