//! Application variables as Spin resolves them: a component's `variables` table maps its own
//! names to templates (`"{{ admin_email }}"`, literal text around them allowed) over the
//! application's `[variables]`, whose values come from `SPIN_VARIABLE_<NAME>` in the environment,
//! else their `default`. A required variable without a value stops the app from starting.

use crate::manifest::{ComponentDef, VariableDef};
use std::collections::{BTreeMap, HashMap};
use wasmtime::{bail, Result};

/// The application's variable values.
pub fn resolve_app(
    defs: &BTreeMap<String, VariableDef>,
    env: &HashMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, def) in defs {
        let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        let value = env.get(&env_name).cloned().or_else(|| def.default.clone());
        match value {
            Some(v) => {
                out.insert(name.clone(), v);
            }
            None if def.required => bail!("variable {name} is required: set {env_name}"),
            None => {}
        }
    }
    Ok(out)
}

/// A component's variables, with templates expanded.
pub fn resolve_component(
    def: &ComponentDef,
    app: &BTreeMap<String, String>,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for (name, template) in &def.variables {
        out.insert(name.clone(), expand(template, app)?);
    }
    Ok(out)
}

/// Expands `{{ name }}` references.
pub fn expand(template: &str, app: &BTreeMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unclosed {{{{ in {template:?}")
        };
        let name = after[..end].trim();
        match app.get(name) {
            Some(v) => out.push_str(v),
            None => bail!("template {template:?} names variable {name:?}, which has no value"),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_templates_with_literal_text() {
        let app = BTreeMap::from([("host".to_string(), "auth".to_string())]);
        assert_eq!(
            expand("http://{{ host }}.spin.internal", &app).unwrap(),
            "http://auth.spin.internal"
        );
        assert!(expand("{{ missing }}", &app).is_err());
    }
}
