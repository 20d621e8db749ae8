//! `runtime-config.toml`: where each SQLite database and key-value store lives.
//!
//! As in Spin: a relative SQLite `path` resolves against the working directory, a relative
//! key-value `path` against the runtime config file's directory. Only the local (`spin`) backend
//! is available here; libSQL and Redis entries are refused with a clear message.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmtime::error::Context;
use wasmtime::{bail, Result};

#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(default)]
    sqlite_database: BTreeMap<String, StoreDef>,
    #[serde(default)]
    key_value_store: BTreeMap<String, StoreDef>,
}

#[derive(Debug, Deserialize)]
struct StoreDef {
    #[serde(rename = "type")]
    kind: String,
    path: Option<String>,
}

/// Resolved store locations.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    pub sqlite: BTreeMap<String, PathBuf>,
    pub key_value: BTreeMap<String, PathBuf>,
}

impl RuntimeConfig {
    /// `file`: the runtime config, if any. `cwd`: what SQLite paths resolve against.
    /// `state_dir`: where Spin's defaults live (`.spin/` by default).
    pub fn load(file: Option<&Path>, cwd: &Path, state_dir: &Path) -> Result<RuntimeConfig> {
        let (raw, base) = match file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?;
                let raw: Raw =
                    toml::from_str(&text).with_context(|| format!("parsing {}", f.display()))?;
                (raw, f.parent().unwrap_or(Path::new(".")).to_path_buf())
            }
            None => (Raw::default(), cwd.to_path_buf()),
        };
        let mut cfg = RuntimeConfig::default();
        // Spin's defaults for the `default` labels.
        cfg.sqlite
            .insert("default".into(), state_dir.join("sqlite_db.db"));
        cfg.key_value
            .insert("default".into(), state_dir.join("sqlite_key_value.db"));
        for (label, def) in raw.sqlite_database {
            cfg.sqlite
                .insert(label.clone(), resolve(&label, &def, cwd)?);
        }
        for (label, def) in raw.key_value_store {
            cfg.key_value
                .insert(label.clone(), resolve(&label, &def, &base)?);
        }
        Ok(cfg)
    }
}

fn resolve(label: &str, def: &StoreDef, base: &Path) -> Result<PathBuf> {
    if def.kind != "spin" {
        bail!(
            "store {label:?} has type {:?}; the test host runs only local (type = \"spin\") stores",
            def.kind
        );
    }
    let path = def
        .path
        .as_deref()
        .with_context(|| format!("store {label:?} needs a path"))?;
    let p = Path::new(path);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}
