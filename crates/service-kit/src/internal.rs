//! Calls between Healthe's own services: who may make them.
//!
//! An internal endpoint (mail's intake, auth's contact lookup) answers only another component of
//! the same app. On Spin that is a request that came through service chaining: Spin hands every
//! chained request the client address `0.0.0.0:0` (`trigger-http`, `CHAINED_CLIENT_ADDR`), which
//! no TCP peer can have, and appends its `spin-client-addr` after any the client sent
//! ([`crate::http::spin_header`]), so it can't be forged from outside. Where a host has no
//! chaining (Fermyon Cloud), the callers reach the service by its public URL and present the
//! shared secret `service_key` instead, a Spin variable granted only to the components that
//! call each other.

use crate::http::{header_str, spin_header, Request};
use crate::problem::Problem;
use crate::vars::Vars;
use sha2::{Digest, Sha256};

/// The client address Spin gives a request that came through service chaining.
pub const CHAINED_CLIENT_ADDR: &str = "0.0.0.0:0";

/// The header a caller presents `service_key` in.
pub const SERVICE_KEY_HEADER: &str = "x-healthe-service-key";

/// Whether `req` came from another component of this app.
pub fn is_internal(req: &Request, vars: &dyn Vars) -> bool {
    if spin_header(req, "spin-client-addr") == Some(CHAINED_CLIENT_ADDR) {
        return true;
    }
    match (vars.get("service_key"), header_str(req, SERVICE_KEY_HEADER)) {
        (Some(key), Some(given)) => same_secret(&key, given),
        _ => false,
    }
}

/// Whether `given` is the secret `key`, compared as digests: equal length, and no early exit on
/// the secret's bytes.
pub fn same_secret(key: &str, given: &str) -> bool {
    Sha256::digest(key.as_bytes()) == Sha256::digest(given.as_bytes())
}

/// Whether `req` presents `key` (a secret variable, for a timer's call) as its bearer token;
/// never when no key is set.
pub fn presents_bearer_key(req: &Request, key: Option<&str>) -> bool {
    match (key, crate::principal::bearer_token(req)) {
        (Some(key), Ok(Some(given))) => same_secret(key, given),
        _ => false,
    }
}

/// The answer to anyone else.
pub fn refused() -> Problem {
    Problem::forbidden("this endpoint answers only the app's own services")
}

/// 403 unless [`is_internal`].
pub fn require_internal(req: &Request, vars: &dyn Vars) -> Result<(), Problem> {
    if is_internal(req, vars) {
        Ok(())
    } else {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vars::MapVars;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().uri("/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(vec![]).unwrap()
    }

    #[test]
    fn only_a_chained_request_or_the_shared_key_is_internal() {
        let none = MapVars::default();
        assert!(is_internal(
            &req(&[("spin-client-addr", "0.0.0.0:0")]),
            &none
        ));
        assert!(!is_internal(
            &req(&[("spin-client-addr", "127.0.0.1:5000")]),
            &none
        ));
        // A client's own header comes first; Spin's, last, is the one read.
        assert!(!is_internal(
            &req(&[
                ("spin-client-addr", "0.0.0.0:0"),
                ("spin-client-addr", "10.0.0.1:4000")
            ]),
            &none
        ));
        assert!(!is_internal(&req(&[(SERVICE_KEY_HEADER, "")]), &none));
        let keyed = MapVars::default().with("service_key", "s3cret");
        assert!(is_internal(&req(&[(SERVICE_KEY_HEADER, "s3cret")]), &keyed));
        assert!(!is_internal(&req(&[(SERVICE_KEY_HEADER, "s3cre")]), &keyed));
    }
}
