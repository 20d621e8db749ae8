//! A model's card: what it computes, from which inputs (kinds, units, ranges, choices and
//! aliases), with which outputs, and the evidence behind it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A model card: what a clinic needs to show a result honestly. The one card type — read from
/// `models/<id>.card.json`, served by diagnosis as it is, carried across the WIT boundary as
/// `healthe:platform/risk-engine`'s `model-card`. What only the engine needs (which output
/// tensor holds a result) is read but never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub id: String,
    pub version: String,
    pub title: String,
    pub outcome: String,
    pub horizon_years: u32,
    pub citation: String,
    pub inputs: Vec<InputSpec>,
    pub outputs: Vec<OutputSpec>,
    pub intended_population: String,
    pub caveats: Vec<String>,
}

/// One input: a number with a unit and validated range, a yes/no, or one of a few choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    #[serde(default)]
    pub kind: InputKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Other names the input is accepted by (an earlier name, another model's), never shown
    /// in results: those use `name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl InputSpec {
    /// Whether `name` names this input.
    pub fn is_named(&self, name: &str) -> bool {
        self.name == name || self.aliases.iter().any(|a| a == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    #[default]
    Number,
    Boolean,
    Choice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSpec {
    pub name: String,
    /// The graph output holding it, and the column within (the engine's business only).
    #[serde(default, skip_serializing)]
    pub tensor: String,
    #[serde(default, skip_serializing)]
    pub index: usize,
    pub unit: String,
    pub description: String,
    /// Inputs' ranges within which this output is valid (PREVENT's 30-year risks: ages 30-59).
    #[serde(default, skip_serializing)]
    pub valid_when: Option<BTreeMap<String, [f64; 2]>>,
}
