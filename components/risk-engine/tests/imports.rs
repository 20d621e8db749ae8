//! The risk engine sees patient readings, so it must be unable to store or send them: the built
//! component may import nothing but what a pure computation needs.

use std::path::Path;

/// Interfaces a computation may import: error reporting, clocks and randomness that Rust's std
/// links in. Nothing here stores, reads files, or talks to the network.
const ALLOWED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    // tract links std::fs for ONNX external tensor data, which the engine never uses (its models
    // are compiled in). The imports stay, but with no preopened directory there is nothing to
    // open: the second test checks that no directory is ever granted.
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

#[test]
fn the_component_imports_nothing_that_stores_reads_files_or_networks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = std::process::Command::new(env!("CARGO"))
        .arg("build-wasm")
        .current_dir(&root)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(root.join("target/wasm32-wasip2/release/risk_engine.wasm")).unwrap();
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut depth = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth -= 1,
            wasmparser::Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    imports.push(import.unwrap().name.0.to_string());
                }
            }
            wasmparser::Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    exports.push(export.unwrap().name.0.to_string());
                }
            }
            _ => {}
        }
    }
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("healthe:platform/risk-engine")),
        "{exports:?}"
    );
    for import in &imports {
        let interface = import.split('@').next().unwrap();
        assert!(
            ALLOWED.contains(&interface),
            "the risk engine imports {import}; all imports: {imports:?}"
        );
    }
}

/// Whatever the engine imports, the app grants it no directory, no network and no stores: it is a
/// dependency of diagnosis, which mounts no files, and dependencies do not inherit the component's
/// configuration (Spin's default).
#[test]
fn the_app_grants_the_engine_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest: toml::Table = std::fs::read_to_string(root.join("spin.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let diagnosis = manifest["component"]["diagnosis"].as_table().unwrap();
    assert!(
        diagnosis.get("files").is_none(),
        "diagnosis must mount no files"
    );
    assert!(
        diagnosis
            .get("dependencies_inherit_configuration")
            .and_then(|v| v.as_bool())
            != Some(true),
        "the risk engine must not inherit diagnosis's stores and hosts"
    );
    let deps = diagnosis["dependencies"].as_table().unwrap();
    assert!(deps
        .keys()
        .any(|k| k.starts_with("healthe:platform/risk-engine")));
    for (id, component) in manifest["component"].as_table().unwrap() {
        let source = component["source"].as_str().unwrap();
        assert!(
            !source.contains("risk_engine"),
            "{id}: the engine is never an HTTP component with grants of its own"
        );
    }
}
