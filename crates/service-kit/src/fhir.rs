//! What every service that speaks FHIR R4 shares: the media type a client asks for, the reply
//! it gets, and the `Bundle` of type collection a set of resources travels in.

use crate::http::{header_str, with_body, Reply, Request};
use crate::Problem;
use serde_json::{json, Value};

pub const MEDIA_TYPE: &str = "application/fhir+json";

/// Whether the client asked for FHIR (`Accept: application/fhir+json`).
pub fn wanted(req: &Request) -> bool {
    header_str(req, "accept").is_some_and(|a| a.contains(MEDIA_TYPE))
}

/// A 200 carrying `value` as `application/fhir+json`.
pub fn reply(value: &Value) -> Reply {
    let bytes = serde_json::to_vec(value).map_err(Problem::internal)?;
    Ok(with_body(http::StatusCode::OK, MEDIA_TYPE, bytes))
}

/// `resources` as one `Bundle` of type collection, made at `now`; each entry's `fullUrl` is
/// its id as a URN.
pub fn bundle(now: &str, resources: Vec<Value>) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now,
        "entry": resources.into_iter().map(entry).collect::<Vec<_>>(),
    })
}

/// One resource as a `Bundle` entry, its `fullUrl` its id as a URN.
pub fn entry(resource: Value) -> Value {
    let full = format!("urn:uuid:{}", resource["id"].as_str().unwrap_or_default());
    json!({ "fullUrl": full, "resource": resource })
}
