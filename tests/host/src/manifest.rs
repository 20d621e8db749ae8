//! The parts of a Spin manifest (v2) the app uses.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use wasmtime::error::Context;
use wasmtime::{bail, Result};

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDef>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDef>,
}

#[derive(Debug, Deserialize)]
pub struct VariableDef {
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
pub struct HttpTrigger {
    pub id: Option<String>,
    pub route: RouteConfig,
    pub component: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RouteConfig {
    Path(String),
    Private { private: bool },
}

#[derive(Debug, Deserialize)]
pub struct ComponentDef {
    pub source: String,
    #[serde(default)]
    pub files: Vec<FileMount>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub dependencies: BTreeMap<String, Dependency>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FileMount {
    /// A file or glob relative to the app directory, mounted at the same relative path.
    Pattern(String),
    Mapping {
        source: String,
        destination: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Dependency {
    /// A local `.wasm` exporting the interface.
    pub path: String,
    /// The export to plug in, when it is named differently from the import.
    pub export: Option<String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if manifest.spin_manifest_version != 2 {
            bail!("only spin_manifest_version = 2 is supported");
        }
        for t in &manifest.trigger.http {
            if !manifest.component.contains_key(&t.component) {
                bail!(
                    "trigger {:?} names unknown component {:?}",
                    t.id,
                    t.component
                );
            }
            if let RouteConfig::Private { private: false } = t.route {
                bail!(
                    "component {}: route must be a pattern or {{ private = true }}",
                    t.component
                );
            }
        }
        Ok(manifest)
    }
}
