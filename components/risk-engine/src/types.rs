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

#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    UnknownModel(String),
    MissingInput(String),
    UnknownInput(String),
    WrongUnit {
        input: String,
        expected: String,
        got: String,
    },
    OutOfRange {
        input: String,
        value: f64,
        min: f64,
        max: f64,
        unit: String,
    },
    InvalidValue {
        input: String,
        message: String,
    },
    Engine(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::UnknownModel(m) => write!(f, "no model {m}"),
            EvalError::MissingInput(i) => write!(f, "{i} is required"),
            EvalError::UnknownInput(i) => write!(f, "{i} is not an input of this model"),
            EvalError::WrongUnit { input, expected, got } => write!(f, "{input} must be in {expected}, not {got}"),
            EvalError::OutOfRange { input, value, min, max, unit } => write!(
                f,
                "{input} = {value} {unit} is outside the range the model was validated on ({min}-{max} {unit})"
            ),
            EvalError::InvalidValue { input, message } => write!(f, "{input}: {message}"),
            EvalError::Engine(m) => write!(f, "the model could not be evaluated: {m}"),
        }
    }
}
