//! The engine's vocabulary: inputs, outputs and typed errors.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Flag(bool),
    Choice(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    pub value: Value,
    /// The unit the value is in; `None` means the card's.
    pub unit: Option<String>,
}

impl Input {
    pub fn number(name: &str, v: f64) -> Self {
        Input {
            name: name.into(),
            value: Value::Number(v),
            unit: None,
        }
    }
    pub fn flag(name: &str, v: bool) -> Self {
        Input {
            name: name.into(),
            value: Value::Flag(v),
            unit: None,
        }
    }
    pub fn choice(name: &str, v: &str) -> Self {
        Input {
            name: name.into(),
            value: Value::Choice(v.into()),
            unit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// Why a model would not give an answer: each names the input at fault where there is one, so
/// diagnosis can answer a 422 naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("no model {0}")]
    UnknownModel(String),
    #[error("{0} is required")]
    MissingInput(String),
    #[error("{0} is not an input of this model")]
    UnknownInput(String),
    #[error("{input} must be in {expected}, not {got}")]
    WrongUnit {
        input: String,
        expected: String,
        got: String,
    },
    #[error("{input} = {value} {unit} is outside the range the model was validated on ({min}-{max} {unit})")]
    OutOfRange {
        input: String,
        value: f64,
        min: f64,
        max: f64,
        unit: String,
    },
    #[error("{input}: {message}")]
    InvalidValue { input: String, message: String },
    #[error("the model could not be evaluated: {0}")]
    Engine(String),
}
