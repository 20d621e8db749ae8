//! risk-engine: Healthe's validated risk models behind the `healthe:platform/risk-engine`
//! interface. A capability-free library component: no storage, no network, no files — the models
//! are compiled in — so the readings it sees cannot leak from it.

pub mod engine;
pub mod models;
pub use risk_types::types;

pub use engine::{cards, evaluate};
pub use models::ModelCard;
pub use types::{EvalError, Input, Output, Value};

#[cfg(target_arch = "wasm32")]
mod component;
