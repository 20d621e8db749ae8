//! A service's own key-value store: what it keeps between requests that is not data — auth's
//! keys and revocations (`key_cache`). Spin keeps a store's connection open across requests
//! (its SQLite backend holds one connection per store; Redis, one client), so a read costs
//! microseconds, where the service's SQLite database is a new connection per request whose
//! first statement loads the schema. A route that needs no data then opens no database at all.
//! Every call is still a hand-off of the request's thread on Spin's SQLite backend, so what a
//! request will read is read in one call ([`Kv::prefetch`]).
//!
//! Each service's store is its own label (`<service>_cache`, granted in `spin.toml` to that
//! component alone): what it holds decides whose tokens verify, so no other component may
//! write it. `runtime-config.toml` must keep the labels apart (one file each, or one Redis
//! database each), never several labels on one Redis keyspace.

use crate::problem::Problem;

/// One store, opened for this request.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem>;
    /// Reads `keys` now, in one call, so that this request's `get`s of them are answered from
    /// what it read (and what it wrote since). A hint: a store may do nothing, and a `get` of a
    /// key not fetched asks the store as usual.
    fn prefetch(&self, _keys: &[String]) {}
}

/// The store label a service's cache lives under.
pub fn label(service: &str) -> String {
    format!("{service}_cache")
}

/// A store in memory, for native tests.
#[derive(Debug, Default)]
pub struct MemKv(std::cell::RefCell<std::collections::HashMap<String, Vec<u8>>>);

impl Kv for MemKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        Ok(self.0.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), Problem> {
        self.0.borrow_mut().insert(key.to_string(), value.to_vec());
        Ok(())
    }
}
