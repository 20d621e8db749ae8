//! RFC 9457 problem details: the one error shape every Healthe endpoint answers with.

use http::StatusCode;
use serde::Serialize;

/// Base of the `type` URIs. They are stable identifiers, documented in `docs/problems.md`.
const TYPE_BASE: &str = "https://healthe.dev/problems/";

/// One offending input, named by its JSON path (`email`, `items[2].dose`) or parameter name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// The line of an uploaded file the error is on (a bulk import's row report), from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Where in the field's text the error is, in characters from 1 (a refused expression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            line: None,
            position: None,
        }
    }

    pub fn on_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at(mut self, position: u64) -> Self {
        self.position = Some(position);
        self
    }
}

/// An `application/problem+json` body. Build one with the constructors below; it becomes a
/// response with [`crate::http::problem_response`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The problem type's short name; serialised as the full `type` URI.
    #[serde(rename = "type", serialize_with = "type_uri")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds, sent as `Retry-After` (429, 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// Whether to send a bearer `WWW-Authenticate` challenge (401).
    #[serde(skip)]
    pub challenge: bool,
    /// The methods the resource does support, sent as `Allow` (405).
    #[serde(skip)]
    pub allow: Option<Box<str>>,
}

fn type_uri<S: serde::Serializer>(kind: &&'static str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{TYPE_BASE}{kind}"))
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            challenge: false,
            allow: None,
        }
    }

    /// The `WWW-Authenticate` value for a 401 (RFC 6750 §3): why the bearer token was refused.
    pub fn www_authenticate(&self) -> Option<String> {
        self.challenge.then(|| {
            let escaped = self.detail.replace(['"', '\\'], "'");
            format!("Bearer realm=\"healthe\", error=\"invalid_token\", error_description=\"{escaped}\"")
        })
    }

    /// 422 (or 400 for syntax) naming every offending field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid input",
            detail,
        );
        p.errors = errors;
        p
    }

    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn malformed(detail: impl Into<String>, field: Option<String>) -> Self {
        let mut p = Self::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed request",
            detail,
        );
        if let Some(field) = field {
            p.errors.push(FieldError::new(field, p.detail.clone()));
        }
        p
    }

    pub fn unsupported_media_type(expected: &str) -> Self {
        let mut p = Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("the body must be {expected}"),
        );
        p.errors.push(FieldError::new(
            "content-type",
            format!("expected {expected}"),
        ));
        p
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            format!("the body may be at most {limit} bytes"),
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut p = Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        p.challenge = true;
        p
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this resource does not support that method",
        )
    }

    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, kind, "Conflict", detail)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("try again in {retry_after} seconds"),
        );
        p.retry_after = Some(retry_after.max(1));
        p
    }

    pub fn unavailable(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        );
        p.retry_after = Some(retry_after);
        p
    }

    /// An unexpected failure. The detail shown to the client is generic; the cause is logged.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        eprintln!("internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed to handle this request; it has been logged",
        )
    }

    /// The `Allow` header of a 405: the methods the path does support.
    pub fn with_allow(mut self, methods: impl Into<String>) -> Self {
        self.allow = Some(methods.into().into_boxed_str());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError::new(field, message));
        self
    }

    /// The same problem with every named field placed under `prefix` (`messages[2].`), for a
    /// rule that checks one item of a list.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for e in &mut self.errors {
            e.field = format!("{prefix}{}", e.field);
        }
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl std::error::Error for Problem {}

/// Storage errors surface as a generic 500 (logged) unless the caller maps them first,
/// except contention, which is worth a retry.
impl From<crate::db::DbError> for Problem {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Busy(_) => {
                Problem::unavailable("the database is busy; please retry", 1)
            }
            other => Problem::internal(other),
        }
    }
}
