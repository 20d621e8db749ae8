//! Component dependencies (`[component.x.dependencies]`), composed at load time as Spin does:
//! each named import of the component is satisfied by the same-named export of the dependency
//! (`export` names a differently named one); everything else the component exports stays exported,
//! and whatever remains unsatisfied becomes an import of the composition for the host to provide.

use crate::manifest::Dependency;
use std::collections::BTreeMap;
use std::path::Path;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};
use wasmtime::error::Context;
use wasmtime::{bail, format_err, Result};

/// `name` without its `@version`.
fn unversioned(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// The import of `imports` that a dependency key names: exact, or the same interface at any version.
fn matching<'a>(key: &str, imports: impl Iterator<Item = &'a String>) -> Option<String> {
    let mut candidates: Vec<&String> = imports
        .filter(|i| *i == key || unversioned(i) == unversioned(key))
        .collect();
    candidates.sort();
    candidates.first().map(|s| s.to_string())
}

pub fn compose(
    main: &Path,
    deps: &BTreeMap<String, Dependency>,
    app_dir: &Path,
) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let main_pkg = Package::from_file("root:component", None, main, graph.types_mut())
        .map_err(|e| format_err!("{e:#}"))
        .with_context(|| format!("reading {}", main.display()))?;
    let main_id = graph
        .register_package(main_pkg)
        .map_err(|e| format_err!("{e:#}"))?;
    let main_ty = graph[main_id].ty();
    let imports: Vec<String> = graph.types()[main_ty].imports.keys().cloned().collect();
    let exports: Vec<String> = graph.types()[main_ty].exports.keys().cloned().collect();
    let main_inst = graph.instantiate(main_id);

    for (n, (key, dep)) in deps.iter().enumerate() {
        let Some(import) = matching(key, imports.iter()) else {
            bail!("dependency {key:?}: the component imports nothing by that name");
        };
        let path = app_dir.join(&dep.path);
        let pkg = Package::from_file(&format!("dependency:n{n}"), None, &path, graph.types_mut())
            .map_err(|e| format_err!("{e:#}"))
            .with_context(|| format!("dependency {key:?}: reading {}", path.display()))?;
        let dep_ty = pkg.ty();
        let dep_exports: Vec<String> = graph.types()[dep_ty].exports.keys().cloned().collect();
        let dep_id = graph
            .register_package(pkg)
            .map_err(|e| format_err!("{e:#}"))?;
        let wanted = dep.export.clone().unwrap_or_else(|| import.clone());
        let Some(export) = matching(&wanted, dep_exports.iter()) else {
            bail!(
                "dependency {key:?}: {} exports no {wanted:?}",
                path.display()
            );
        };
        let dep_inst = graph.instantiate(dep_id);
        let item = graph
            .alias_instance_export(dep_inst, &export)
            .map_err(|e| format_err!("{e:#}"))?;
        graph
            .set_instantiation_argument(main_inst, &import, item)
            .map_err(|e| format_err!("dependency {key:?}: {e:#}"))?;
    }
    for name in exports {
        let item = graph
            .alias_instance_export(main_inst, &name)
            .map_err(|e| format_err!("{e:#}"))?;
        graph
            .export(item, &name)
            .map_err(|e| format_err!("{e:#}"))?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| format_err!("composing: {e:#}"))
}
