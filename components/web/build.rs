//! Assembles the app's one OpenAPI document from `openapi-base.json` (info, security scheme,
//! the problem schema and responses) and every component's `openapi.json` (its paths and
//! schemas). A new component's document is picked up by being there: nothing here names one.
//!
//! Every operation also gets the problem responses any route may answer (bad input, a bad
//! token, a refusal, a missing resource, auth unreachable; a body's size and type where it takes
//! one), unless it documents that status itself.

use serde_json::{Map, Value};
use std::path::Path;

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let components = here.parent().expect("components/");
    println!("cargo:rerun-if-changed={}", components.display());
    let base_path = here.join("openapi-base.json");
    println!("cargo:rerun-if-changed={}", base_path.display());
    let mut doc = read(&base_path);

    let mut dirs: Vec<_> = std::fs::read_dir(components)
        .expect("read components/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("openapi.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("openapi.json");
        println!("cargo:rerun-if-changed={}", file.display());
        let part = read(&file);
        merge(&mut doc, &part, &file);
    }
    add_common_responses(&mut doc);
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("openapi.json");
    std::fs::write(out, serde_json::to_string(&doc).unwrap()).unwrap();
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn object<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    v.as_object_mut()
        .unwrap()
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .unwrap_or_else(|| panic!("{key} is not an object"))
}

fn merge(doc: &mut Value, part: &Value, file: &Path) {
    for (path, item) in part["paths"].as_object().into_iter().flatten() {
        let paths = object(doc, "paths");
        assert!(
            paths.insert(path.clone(), item.clone()).is_none(),
            "{}: path {path} is documented twice",
            file.display()
        );
    }
    for (kind, entries) in part["components"].as_object().into_iter().flatten() {
        let components = object(doc, "components");
        let target = components
            .entry(kind.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .unwrap();
        for (name, value) in entries.as_object().into_iter().flatten() {
            if let Some(existing) = target.get(name) {
                assert_eq!(
                    existing,
                    value,
                    "{}: components.{kind}.{name} differs from another document's",
                    file.display()
                );
            }
            target.insert(name.clone(), value.clone());
        }
    }
    if let Some(tags) = part["tags"].as_array() {
        let all = doc
            .as_object_mut()
            .unwrap()
            .entry("tags")
            .or_insert_with(|| Value::Array(vec![]));
        all.as_array_mut().unwrap().extend(tags.iter().cloned());
    }
}

fn add_common_responses(doc: &mut Value) {
    const ALWAYS: &[(&str, &str)] = &[
        ("400", "BadRequest"),
        ("401", "Unauthorized"),
        ("403", "Forbidden"),
        ("404", "NotFound"),
        ("422", "Invalid"),
        ("503", "Unavailable"),
    ];
    const WITH_BODY: &[(&str, &str)] = &[("413", "TooLarge"), ("415", "UnsupportedMediaType")];
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for (method, op) in item.as_object_mut().unwrap() {
            if !["get", "put", "post", "patch", "delete", "head"].contains(&method.as_str()) {
                continue;
            }
            let has_body = op.get("requestBody").is_some();
            if op.get("x-no-common-problems").is_some() {
                op.as_object_mut().unwrap().remove("x-no-common-problems");
                continue;
            }
            let responses = object(op, "responses");
            let extra = if has_body { WITH_BODY } else { &[] };
            for (code, name) in ALWAYS.iter().chain(extra) {
                responses.entry(code.to_string()).or_insert_with(
                    || serde_json::json!({"$ref": format!("#/components/responses/{name}")}),
                );
            }
        }
    }
}
