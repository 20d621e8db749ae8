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

/// Where the kit reaches the services it asks: read from the variables here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers {
    /// `auth_url`: auth, for its keys and revocations. Service chaining by default.
    pub auth_url: String,
    /// `booking_url`: booking, for care relationships. Service chaining by default.
    pub booking_url: String,
    /// `mail_url`: mail, which services hand their messages to. Service chaining by default.
    pub mail_url: String,
}

impl Peers {
    pub fn from_vars(vars: &dyn Vars) -> Self {
        let base = |name: &str, default: &str| {
            vars.get(name)
                .unwrap_or_else(|| default.into())
                .trim_end_matches('/')
                .to_string()
        };
        Peers {
            auth_url: base("auth_url", "http://auth.spin.internal"),
            booking_url: base("booking_url", "http://booking.spin.internal"),
            mail_url: base("mail_url", "http://mail.spin.internal"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_default_to_service_chaining_and_lose_a_trailing_slash() {
        assert_eq!(
            Peers::from_vars(&MapVars::default()),
            Peers {
                auth_url: "http://auth.spin.internal".into(),
                booking_url: "http://booking.spin.internal".into(),
                mail_url: "http://mail.spin.internal".into(),
            }
        );
        let set = MapVars::default().with("auth_url", "https://clinic.example/");
        assert_eq!(Peers::from_vars(&set).auth_url, "https://clinic.example");
    }
}
