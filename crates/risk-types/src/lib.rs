//! risk-types: the risk engine's vocabulary, apart from the engine. Diagnosis talks to the
//! composed engine through WIT and needs only these types; linking `risk-engine` instead would
//! bring tract and the models into diagnosis's own wasm (it did: 11.7 MB, against the engine's
//! own copy composed beside it).

pub mod models;
pub mod types;

pub use models::ModelCard;
pub use types::{EvalError, Input, Output, Value};
