//! Strict JSON request bodies: the right content type, a bounded size, no unknown fields
//! (the target type says `#[serde(deny_unknown_fields)]`), and every error naming its field.

use crate::http::Request;
use crate::problem::{FieldError, Problem};
use serde::de::DeserializeOwned;

/// Bodies larger than this are refused with 413 unless a route asks for more.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Parses the request body as `T`.
pub fn parse<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    parse_limited(req, DEFAULT_BODY_LIMIT)
}

pub fn parse_limited<T: DeserializeOwned>(req: &Request, limit: usize) -> Result<T, Problem> {
    let content_type = crate::http::header_str(req, "content-type").unwrap_or("");
    if !is_json(content_type) {
        return Err(Problem::unsupported_media_type("application/json"));
    }
    let body = req.body();
    if body.len() > limit {
        return Err(Problem::too_large(limit));
    }
    // Every body this API takes is an object; serde would also read a struct from an array,
    // which would name fields `[0]`, `[1]`.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => Problem::invalid("body", "must be a JSON object"),
                Err(e) => Problem::malformed(
                    format!(
                        "the body is not valid JSON: {}",
                        clean_message(&e.to_string())
                    ),
                    Some("body".to_string()),
                ),
            },
        );
    }
    from_slice(body)
}

/// `application/json`, `application/merge-patch+json`, `…; charset=utf-8` and the like.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises `bytes`, mapping serde's errors to problems that name the field.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            Err(describe(path, &inner))
        }
    }
}

fn describe(path: String, err: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let message = clean_message(&err.to_string());
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => Problem::malformed(
            format!("the body is not valid JSON: {message}"),
            Some("body".to_string()),
        ),
        Category::Data => {
            // serde reports a missing field at its parent's path; name the field itself.
            // (An unknown field's path already ends with it.)
            let field = match missing_field(&message) {
                Some(name) => join_path(&path, &name),
                None if path == "." || path.is_empty() => "body".into(),
                None => path,
            };
            Problem::validation(vec![FieldError::new(field, message)])
        }
    }
}

/// serde_json appends " at line X column Y": useful in logs, noise in an API answer.
fn clean_message(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Extracts `name` from "missing field `name`".
fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() || parent == "." {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        dose: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        items: Vec<Inner>,
    }

    fn req(ct: &str, body: &str) -> Request {
        http::Request::builder()
            .header("content-type", ct)
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn fields(p: &Problem) -> Vec<&str> {
        p.errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn names_the_field_of_a_type_error() {
        let p = parse::<Body>(&req(
            "application/json",
            r#"{"email":"a","items":[{"dose":"x"}]}"#,
        ))
        .unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(fields(&p), ["items[0].dose"]);
    }

    #[test]
    fn names_missing_and_unknown_fields() {
        let p = parse::<Body>(&req("application/json", r#"{"items":[]}"#)).unwrap_err();
        assert_eq!(fields(&p), ["email"]);
        let p = parse::<Body>(&req(
            "application/json",
            r#"{"email":"a","items":[],"admin":true}"#,
        ))
        .unwrap_err();
        assert_eq!(fields(&p), ["admin"]);
        let p = parse::<Body>(&req(
            "application/json",
            r#"{"email":"a","items":[{"dose":1,"x":2}]}"#,
        ))
        .unwrap_err();
        assert_eq!(fields(&p), ["items[0].x"]);
    }

    #[test]
    fn malformed_json_is_400() {
        let p = parse::<Body>(&req("application/json", r#"{"email":"#)).unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(fields(&p), ["body"]);
    }

    #[test]
    fn wrong_content_type_is_415() {
        let p = parse::<Body>(&req("text/plain", r#"{}"#)).unwrap_err();
        assert_eq!(p.status, 415);
        assert!(parse::<Body>(&req(
            "application/json; charset=utf-8",
            r#"{"email":"a","items":[]}"#
        ))
        .is_ok());
    }

    #[test]
    fn oversized_body_is_413() {
        let big = format!(
            r#"{{"email":"{}","items":[]}}"#,
            "a".repeat(DEFAULT_BODY_LIMIT)
        );
        let p = parse::<Body>(&req("application/json", &big)).unwrap_err();
        assert_eq!(p.status, 413);
    }

    #[test]
    fn a_non_object_body_names_the_body() {
        let p = parse::<Body>(&req("application/json", "[1,2]")).unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(fields(&p), ["body"]);
    }
}
