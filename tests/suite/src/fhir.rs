//! The FHIR R4 JSON schema (`data/fhir`, vendored), compiled once, for every suite test that
//! holds a service's FHIR documents to it.

use serde_json::{json, Value};
use std::sync::OnceLock;

/// The R4 schema, compiled once.
pub fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = crate::workspace_root().join("tests/suite/data/fhir/fhir.schema.json");
        let mut schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        // The file points `$ref`s at two definitions it lacks: `Resource` (25 times; HL7's
        // schema names any resource `ResourceList`) and `integer64` (once, an R5 type: a
        // whole number sent as a string). Supplied here rather than by editing the vendored
        // file.
        let defs = &mut schema["definitions"];
        if defs["Resource"].is_null() {
            defs["Resource"] = json!({ "$ref": "#/definitions/ResourceList" });
        }
        if defs["integer64"].is_null() {
            defs["integer64"] = json!({ "type": "string", "pattern": "^-?([0]|([1-9][0-9]*))$" });
        }
        jsonschema::draft6::new(&schema).expect("the FHIR schema compiles")
    })
}

/// What the schema finds wrong with `doc` (the first few).
pub fn errors(doc: &Value) -> Vec<String> {
    schema()
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
