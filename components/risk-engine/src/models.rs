//! The models compiled into the engine: each one's card and ONNX graph. The card types are
//! `risk_types`' (what diagnosis shares without linking the engine).

pub use risk_types::models::*;

/// A model as shipped.
pub struct Shipped {
    pub id: &'static str,
    pub card: &'static str,
    pub onnx: &'static [u8],
}

macro_rules! shipped {
    ($($id:literal),+ $(,)?) => {
        &[$(Shipped {
            id: $id,
            card: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/", $id, ".card.json")),
            onnx: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/", $id, ".onnx")),
        }),+]
    };
}

pub const SHIPPED: &[Shipped] = shipped!(
    "prevent-2024",
    "pce-2013",
    "framingham-diabetes-2007",
    "findrisc",
    "cha2ds2-vasc",
);

impl Shipped {
    pub fn card(&self) -> ModelCard {
        serde_json::from_str(self.card).expect("shipped model cards are valid (checked by tests)")
    }
}
