//! Application variables (Spin's `[variables]`), behind a trait so tests can set them.

use std::collections::HashMap;

pub trait Vars {
    /// The variable's value; `None` when unset or empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// Fixed variables, for tests and tools.
#[derive(Debug, Clone, Default)]
pub struct MapVars(pub HashMap<String, String>);

impl MapVars {
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.insert(name.to_string(), value.to_string());
        self
    }
}

impl Vars for MapVars {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
}
