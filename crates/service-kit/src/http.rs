//! Plain `http` crate request/response types and the helpers every service's router uses.
//! No Spin types here: a service's whole request path runs natively in tests.

use crate::problem::Problem;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

pub type Request = http::Request<Vec<u8>>;
pub type Response = http::Response<Vec<u8>>;
pub use http::Method;

/// What a handler returns: a response, or a problem that becomes one.
pub type Reply = Result<Response, Problem>;

/// Decoded query parameters, in order.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The first value of a query parameter.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The version a writer saw: `If-Match` (`"3"`, `W/"3"` or `3`, the ETag a read gave), else the
/// body's `version`; when both are given they must agree.
pub fn version_seen(req: &Request, in_body: Option<i64>) -> Result<Option<i64>, Problem> {
    let Some(tag) = header_str(req, "if-match") else {
        return Ok(in_body);
    };
    let v = tag
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map_err(|_| Problem::invalid("If-Match", "must be the version you read"))?;
    if in_body.is_some_and(|b| b != v) {
        return Err(Problem::invalid("version", "differs from If-Match"));
    }
    Ok(Some(v))
}

/// A header as text, if present and valid UTF-8.
pub fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A header the host sets (`spin-full-url`, `spin-client-addr`, …), as the host set it.
///
/// Spin copies the client's own headers first and *appends* its `spin-*` headers after them
/// (`prepare_request_headers`, then `HeaderMap::extend`), so a client can send a
/// `spin-client-addr` of its choosing and it comes first. Spin's value is the last one: every
/// `spin-*` header is read through here, never with `headers().get`.
pub fn spin_header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(name)
        .iter()
        .next_back()?
        .to_str()
        .ok()
}

/// The client's address as the host reports it (`spin-client-addr`, `ip:port`), without the port.
pub fn client_ip(req: &Request) -> Option<String> {
    let addr = spin_header(req, "spin-client-addr")?;
    let ip = match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => addr.to_string(),
    };
    Some(ip)
}

/// Headers every response carries. APIs return data, never pages to frame or sniff.
fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.entry("content-security-policy")
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    resp
}

/// A JSON response with the given status.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_body(status, "application/json", bytes),
        Err(e) => problem_response(&Problem::internal(e)),
    }
}

/// A response with a body of the given content type.
pub fn with_body(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut resp = http::Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    secure(resp)
}

/// 204 No Content.
pub fn no_content() -> Response {
    let mut resp = http::Response::new(Vec::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    secure(resp)
}

/// The problem as an `application/problem+json` response.
pub fn problem_response(p: &Problem) -> Response {
    let body = serde_json::to_vec(p).unwrap_or_default();
    let mut resp = with_body(p.status_code(), "application/problem+json", body);
    if let Some(secs) = p.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if let Some(allow) = p
        .allow
        .as_deref()
        .and_then(|a| HeaderValue::from_str(a).ok())
    {
        resp.headers_mut().insert(header::ALLOW, allow);
    }
    if let Some(challenge) = p.www_authenticate() {
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// Collapses a handler's result into the response to send.
pub fn finish(reply: Reply) -> Response {
    reply.unwrap_or_else(|p| problem_response(&p))
}

/// Sets a header on a response (builder style), for the few that differ from the defaults.
pub fn set_header(mut resp: Response, name: &'static str, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

#[cfg(test)]
mod client_ip_tests {
    use super::*;

    #[test]
    fn the_hosts_value_is_the_last_one() {
        let req = http::Request::builder()
            .header("spin-client-addr", "6.6.6.6:1")
            .header("spin-client-addr", "203.0.113.9:4242")
            .body(vec![])
            .unwrap();
        assert_eq!(client_ip(&req).as_deref(), Some("203.0.113.9"));
        let req = http::Request::builder()
            .header("spin-client-addr", "[2001:db8::1]:80")
            .body(vec![])
            .unwrap();
        assert_eq!(client_ip(&req).as_deref(), Some("2001:db8::1"));
    }
}
