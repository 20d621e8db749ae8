//! The `healthe:platform/risk-engine` export: the WIT types mapped to the engine's.

wit_bindgen::generate!({ path: "../../wit", world: "risk-engine-provider" });

use exports::healthe::platform::risk_engine as wit;

struct Engine;

impl Guest for Engine {
    fn wizer_initialize() {
        crate::engine::preload();
    }
}

impl wit::Guest for Engine {
    fn list_models() -> Vec<wit::ModelCard> {
        crate::cards().into_iter().map(card).collect()
    }

    fn get_model(id: String) -> Option<wit::ModelCard> {
        crate::engine::card(&id).map(card)
    }

    fn evaluate(
        model: String,
        inputs: Vec<wit::NamedInput>,
    ) -> Result<Vec<wit::NamedOutput>, wit::EvaluationError> {
        let inputs: Vec<crate::Input> = inputs
            .into_iter()
            .map(|i| crate::Input {
                name: i.name,
                value: match i.value {
                    wit::Value::Number(n) => crate::Value::Number(n),
                    wit::Value::Flag(b) => crate::Value::Flag(b),
                    wit::Value::Choice(c) => crate::Value::Choice(c),
                },
                unit: i.unit,
            })
            .collect();
        crate::evaluate(&model, &inputs)
            .map(|outs| {
                outs.into_iter()
                    .map(|o| wit::NamedOutput {
                        name: o.name,
                        value: o.value,
                        unit: o.unit,
                    })
                    .collect()
            })
            .map_err(|e| match e {
                crate::EvalError::UnknownModel(m) => wit::EvaluationError::UnknownModel(m),
                crate::EvalError::MissingInput(i) => wit::EvaluationError::MissingInput(i),
                crate::EvalError::UnknownInput(i) => wit::EvaluationError::UnknownInput(i),
                crate::EvalError::WrongUnit {
                    input,
                    expected,
                    got,
                } => wit::EvaluationError::WrongUnit(wit::WrongUnit {
                    input,
                    expected,
                    got,
                }),
                crate::EvalError::OutOfRange {
                    input,
                    value,
                    min,
                    max,
                    unit,
                } => wit::EvaluationError::OutOfRange(wit::OutOfRange {
                    input,
                    value,
                    min,
                    max,
                    unit,
                }),
                crate::EvalError::InvalidValue { input, message } => {
                    wit::EvaluationError::InvalidValue(wit::InvalidValue { input, message })
                }
                crate::EvalError::Engine(m) => wit::EvaluationError::EngineFailure(m),
            })
    }
}

fn card(c: crate::ModelCard) -> wit::ModelCard {
    wit::ModelCard {
        id: c.id,
        version: c.version,
        title: c.title,
        outcome: c.outcome,
        horizon_years: c.horizon_years,
        citation: c.citation,
        inputs: c
            .inputs
            .into_iter()
            .map(|i| wit::InputSpec {
                kind: match i.kind {
                    crate::models::InputKind::Number => wit::InputKind::Number,
                    crate::models::InputKind::Boolean => wit::InputKind::Boolean,
                    crate::models::InputKind::Choice => wit::InputKind::Choice,
                },
                name: i.name,
                unit: i.unit,
                range: i.range.map(|[a, b]| (a, b)),
                choices: i.choices,
                aliases: i.aliases,
                description: i.description,
            })
            .collect(),
        outputs: c
            .outputs
            .into_iter()
            .map(|o| wit::OutputSpec {
                name: o.name,
                unit: o.unit,
                description: o.description,
            })
            .collect(),
        intended_population: c.intended_population,
        caveats: c.caveats,
    }
}

export!(Engine);
