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
    /// `records_url`: records, for the chart's allergies when a doctor prescribes. Service
    /// chaining by default.
    pub records_url: String,
    /// `prescriptions_url`: prescriptions, whose medication history the record's export
    /// carries. Service chaining by default.
    pub prescriptions_url: String,
    /// `locator_url`: locator, for a pharmacist's pharmacy and a patient's preferred one.
    /// Service chaining by default.
    pub locator_url: String,
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
            records_url: base("records_url", "http://records.spin.internal"),
            prescriptions_url: base("prescriptions_url", "http://prescriptions.spin.internal"),
            locator_url: base("locator_url", "http://locator.spin.internal"),
        }
    }
}

/// Where links in mail point when `public_url` is unset: `spin up`'s own default address.
pub const DEFAULT_PUBLIC_ORIGIN: &str = "http://localhost:3000";

/// The app's public origin for links that leave it (mail): `public_url`, never a request's
/// Host header, which the requester chooses.
pub fn public_origin(vars: &dyn Vars) -> String {
    vars.get("public_url")
        .map(|u| u.trim().trim_end_matches('/').to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_PUBLIC_ORIGIN.into())
}

/// Whether an account must have verified its address before it may book
/// (`auth_require_verified_email`: `true`, `false`, or `auto`, the default). `auto` requires it
/// only where mail actually leaves (`mail_transport` is `smtp` or `http`): with the default log
/// transport nobody could ever receive the link, and a fresh `spin up` must stay usable.
pub fn verified_email_required(vars: &dyn Vars) -> bool {
    match vars
        .get("auth_require_verified_email")
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("true") => true,
        Some("false") => false,
        _ => matches!(
            vars.get("mail_transport")
                .map(|t| t.trim().to_ascii_lowercase())
                .as_deref(),
            Some("smtp" | "http")
        ),
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
                records_url: "http://records.spin.internal".into(),
                prescriptions_url: "http://prescriptions.spin.internal".into(),
                locator_url: "http://locator.spin.internal".into(),
            }
        );
        let set = MapVars::default().with("auth_url", "https://clinic.example/");
        assert_eq!(Peers::from_vars(&set).auth_url, "https://clinic.example");
    }

    #[test]
    fn verification_is_required_where_mail_leaves_unless_said_otherwise() {
        let vars = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .fold(MapVars::default(), |v, (k, val)| v.with(k, val))
        };
        assert!(!verified_email_required(&vars(&[])));
        assert!(!verified_email_required(&vars(&[(
            "mail_transport",
            "log"
        )])));
        assert!(verified_email_required(&vars(&[(
            "mail_transport",
            "smtp"
        )])));
        assert!(verified_email_required(&vars(&[(
            "mail_transport",
            "http"
        )])));
        let forced = [
            ("mail_transport", "log"),
            ("auth_require_verified_email", "true"),
        ];
        assert!(verified_email_required(&vars(&forced)));
        let waived = [
            ("mail_transport", "smtp"),
            ("auth_require_verified_email", "false"),
        ];
        assert!(!verified_email_required(&vars(&waived)));
    }
}
