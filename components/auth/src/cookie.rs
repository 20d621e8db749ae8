//! The refresh token as a browser keeps it: an `HttpOnly; Secure; SameSite=Strict` cookie that
//! only auth's refresh endpoint receives, so no script on the portal can read the token, and no other
//! site can make the browser send it (the portal keeps only the short-lived access token, in
//! memory). Every sign-in sets it; API clients keep using the JSON body form beside it, and a
//! sign-in with `"refresh_cookie": true` leaves the token out of the body. A refresh or sign-out
//! answers the way the token came. The cookie's path is the refresh endpoint itself, so it goes
//! nowhere else: a browser signs out with `DELETE /api/auth/refresh`.
//!
//! Also a CSRF defence without a token of its own: `SameSite=Strict` keeps the cookie off
//! cross-site requests, so a request that carries it came from the portal's own pages. (A
//! bodiless refresh or sign-out is taken only with the cookie; any body must be
//! `application/json`, which no cross-site form can send.)

use http::{HeaderValue, Response};
use service_kit::http::Request;

/// The cookie's name. Not `__Host-`: that prefix demands `Path=/`, and this cookie must not
/// travel with every request to every service.
pub const NAME: &str = "healthe_refresh";

/// Where the browser sends it: auth's refresh endpoint only (`POST` refreshes, `DELETE` signs
/// out).
pub const PATH: &str = "/api/auth/refresh";

/// The refresh token the request's cookies carry, if any. Every `Cookie` header is read (HTTP/2
/// may split them), pairs are `; `-separated, and the first pair with this name wins, as
/// browsers send the most specific path first (RFC 6265 §5.4).
pub fn read(req: &Request) -> Option<&str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// Stores `token` in the browser for `max_age` seconds.
pub fn set(resp: &mut Response<Vec<u8>>, token: &str, max_age: i64) {
    append(
        resp,
        &format!("{NAME}={token}; {ATTRIBUTES}; Max-Age={max_age}"),
    );
}

/// Removes the cookie from the browser (same name, path and attributes, expired).
pub fn clear(resp: &mut Response<Vec<u8>>) {
    append(resp, &format!("{NAME}=; {ATTRIBUTES}; Max-Age=0"));
}

/// Every attribute but the lifetime; `Path` is [`PATH`] (checked by a test).
const ATTRIBUTES: &str = "Path=/api/auth/refresh; HttpOnly; Secure; SameSite=Strict";

fn append(resp: &mut Response<Vec<u8>>, value: &str) {
    // A token is base64url, so the value is always a valid header; never panic on it anyway.
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(http::header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookies(values: &[&str]) -> Request {
        let mut b = http::Request::builder().uri("/api/auth/refresh");
        for v in values {
            b = b.header("cookie", *v);
        }
        b.body(Vec::new()).unwrap()
    }

    #[test]
    fn finds_the_refresh_cookie_among_others() {
        let req = with_cookies(&["theme=dark; healthe_refresh=abc_-1; lang=en"]);
        assert_eq!(read(&req), Some("abc_-1"));
        let split = with_cookies(&["theme=dark", "healthe_refresh=xyz"]);
        assert_eq!(read(&split), Some("xyz"));
    }

    #[test]
    fn ignores_lookalikes_and_empties() {
        assert_eq!(read(&with_cookies(&["xhealthe_refresh=1"])), None);
        assert_eq!(read(&with_cookies(&["healthe_refresh="])), None);
        assert_eq!(read(&with_cookies(&["healthe_refresh"])), None);
        assert_eq!(read(&with_cookies(&[])), None);
    }

    #[test]
    fn set_and_clear_carry_every_attribute() {
        let mut resp = Response::new(Vec::new());
        set(&mut resp, "tok", 60);
        clear(&mut resp);
        let all: Vec<_> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert_eq!(
            all,
            [
                "healthe_refresh=tok; Path=/api/auth/refresh; HttpOnly; Secure; SameSite=Strict; Max-Age=60",
                "healthe_refresh=; Path=/api/auth/refresh; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
            ]
        );
        assert!(ATTRIBUTES.contains(&format!("Path={PATH};")));
    }
}
