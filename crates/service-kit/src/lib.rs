//! The kit every Healthe service is built with.
//!
//! Everything here is plain Rust over the `http` crate's types, so a service's whole request path
//! runs natively under `cargo test` on real SQLite. The one Spin-specific piece, [`spin`], is a thin
//! adapter compiled only for wasm.

pub mod audit;
pub mod db;
pub mod http;
pub mod json;
pub mod key_cache;
pub mod migrate;
pub mod page;
pub mod principal;
pub mod problem;
pub mod revocation;
pub mod router;
pub mod text;
pub mod token;
pub mod vars;

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
