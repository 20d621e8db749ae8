//! What native tests of a service's rules share: an answer read as the API's clients read it.

use crate::http::Response;
use http::StatusCode;
use serde_json::Value;

/// A response's status and JSON body (`Null` when it has none).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn of(resp: &Response) -> Answer {
        Answer {
            status: resp.status(),
            body: serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
        }
    }

    /// A problem's type, after `https://healthe.dev/problems/` (empty for a success).
    pub fn kind(&self) -> String {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    }

    /// The fields a problem names, in order.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str().map(str::to_string))
            .collect()
    }
}
