//! The kit every Healthe service is built with.
//!
//! Everything here is plain Rust over the `http` crate's types, so a service's whole request path
//! runs natively under `cargo test` on real SQLite. The one Spin-specific piece, [`spin`], is a thin
//! adapter compiled only for wasm.

pub mod audit;
pub mod db;
pub mod fhir;
pub mod html;
pub mod http;
pub mod internal;
pub mod json;
pub mod key_cache;
pub mod kv;
pub mod mail;
pub mod migrate;
pub mod page;
pub mod principal;
pub mod problem;
pub mod revocation;
pub mod router;
pub mod signed;
#[cfg(feature = "native")]
pub mod testing;
pub mod text;
pub mod time;
pub mod token;
pub mod vars;
pub mod verified;

#[cfg(target_arch = "wasm32")]
pub mod spin;

pub use problem::{FieldError, Problem};

/// Cryptographically secure random bytes from the host (WASI `random` in wasm).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the host provides secure randomness");
    buf
}

/// A new time-ordered identifier (UUIDv7), so primary keys sort by creation and make good
/// keyset cursors.
pub fn new_id(now: jiff::Timestamp) -> String {
    let ms = now.as_millisecond().max(0) as u64;
    uuid::Builder::from_unix_timestamp_millis(ms, &random_bytes())
        .into_uuid()
        .to_string()
}

/// Whether `s` could be an id [`new_id`] made (a hyphenated UUID): a lookup by anything else
/// can be answered "not found" without asking the database.
pub fn could_be_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn made_ids_are_ids_and_little_else_is() {
        let id = super::new_id(jiff::Timestamp::now());
        assert!(super::could_be_id(&id));
        for not in [
            "",
            "not-an-id",
            &id[..35],
            &id.replace('-', ""),
            &format!("{{{id}}}"),
        ] {
            assert!(!super::could_be_id(not), "{not}");
        }
    }
}
