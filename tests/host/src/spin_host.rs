//! Spin's own host interfaces (`fermyon:spin/*@2.0.0`), implemented the way Spin's local backends
//! behave: every `connection.open` is a new SQLite connection to the label's file (rusqlite's
//! default 5 s busy timeout, the file's own journal mode, no ATTACH), and key-value stores are rows
//! of one SQLite table per store file behind one long-lived connection per store, as Spin's
//! `spin` key-value backend keeps them — reached through `fermyon:spin/key-value` or
//! `wasi:keyvalue` (store and batch), as on Spin. Every store call, `open` included, runs in
//! `block_in_place` as Spin's backend runs it.

use crate::bindings::fermyon::spin::{key_value, sqlite, variables};
use crate::state::HostState;
use crate::stats::{add, timed, Kind};
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::{block_in_place, spawn_blocking};
use wasmtime::component::Resource;

/// An open `fermyon:spin/sqlite.connection`. As Spin's `InProcConnection`: `open` only names the
/// file; the rusqlite connection is made at the first statement, on the request's own thread,
/// and shared with the blocking thread that runs each statement.
pub struct SqliteConnection {
    path: std::path::PathBuf,
    conn: std::sync::OnceLock<Arc<Mutex<rusqlite::Connection>>>,
}

impl SqliteConnection {
    fn conn(&self) -> Result<Arc<Mutex<rusqlite::Connection>>, sqlite::Error> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        let c = timed(Kind::SqliteOpen, || rusqlite::Connection::open(&self.path))
            .map_err(|e| sqlite::Error::Io(e.to_string()))?;
        Ok(self.conn.get_or_init(|| Arc::new(Mutex::new(c))).clone())
    }
}

/// An open `fermyon:spin/key-value.store` or `wasi:keyvalue/store.bucket`: the store's shared
/// connection.
pub struct KvStore {
    conn: std::sync::Arc<std::sync::Mutex<rusqlite::Connection>>,
    label: String,
}

impl KvStore {
    fn conn(&self) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>, String> {
        self.conn
            .lock()
            .map_err(|_| "the store's connection is poisoned".to_string())
    }
}

pub const KV_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key))";

impl sqlite::Host for HostState {}

impl sqlite::HostConnection for HostState {
    async fn open(
        &mut self,
        database: String,
    ) -> Result<Resource<SqliteConnection>, sqlite::Error> {
        let Some(path) = self.component.sqlite.get(&database).cloned() else {
            return Err(sqlite::Error::AccessDenied);
        };
        self.table
            .push(SqliteConnection {
                path,
                conn: Default::default(),
            })
            .map_err(|e| sqlite::Error::Io(e.to_string()))
    }

    async fn execute(
        &mut self,
        conn: Resource<SqliteConnection>,
        statement: String,
        parameters: Vec<sqlite::Value>,
    ) -> Result<sqlite::QueryResult, sqlite::Error> {
        let conn = self
            .table
            .get(&conn)
            .map_err(|_| sqlite::Error::InvalidConnection)?
            .conn()?;
        let t = Instant::now();
        let done = spawn_blocking(move || {
            let conn = conn.lock().map_err(|_| sqlite::Error::InvalidConnection)?;
            execute(&conn, &statement, &parameters).map_err(|e| sqlite::Error::Io(e.to_string()))
        })
        .await
        .map_err(|e| sqlite::Error::Io(e.to_string()))?;
        add(Kind::SqliteExecute, t);
        done
    }

    // The connection closes here, on the request's thread, as Spin's does when the guest drops
    // it: in WAL mode the last close checkpoints (see docs/storage.md).
    async fn drop(&mut self, conn: Resource<SqliteConnection>) -> wasmtime::Result<()> {
        timed(Kind::SqliteClose, || self.table.delete(conn))?;
        Ok(())
    }
}

struct Param<'a>(&'a sqlite::Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            sqlite::Value::Integer(i) => ValueRef::Integer(*i),
            sqlite::Value::Real(f) => ValueRef::Real(*f),
            sqlite::Value::Text(s) => ValueRef::Text(s.as_bytes()),
            sqlite::Value::Blob(b) => ValueRef::Blob(b),
            sqlite::Value::Null => ValueRef::Null,
        }))
    }
}

fn execute(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[sqlite::Value],
) -> rusqlite::Result<sqlite::QueryResult> {
    let mut stmt = conn.prepare_cached(sql)?;
    let columns: Vec<String> = stmt
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let n = columns.len();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(Param)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(match row.get_ref(i)? {
                ValueRef::Null => sqlite::Value::Null,
                ValueRef::Integer(i) => sqlite::Value::Integer(i),
                ValueRef::Real(f) => sqlite::Value::Real(f),
                ValueRef::Text(t) => sqlite::Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => sqlite::Value::Blob(b.to_vec()),
            });
        }
        out.push(sqlite::RowResult { values });
    }
    Ok(sqlite::QueryResult { columns, rows: out })
}

/// A key-value call as Spin's SQLite-backed store makes it: in `block_in_place`, on the
/// request's thread; timed for the bench.
fn kv<T>(f: impl FnOnce() -> T) -> T {
    timed(Kind::KeyValue, || block_in_place(f))
}

/// What `wasi:keyvalue/batch.get-many` answers: each key found, with its value.
type Found = Vec<(String, Option<Vec<u8>>)>;

/// The store operations both key-value interfaces share, as Spin's `spin` backend runs them.
impl KvStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        kv(|| {
            let conn = self.conn()?;
            let mut stmt = conn
                .prepare_cached("SELECT value FROM spin_key_value WHERE store = ? AND key = ?")
                .map_err(text)?;
            let mut rows = stmt.query([&self.label, key]).map_err(text)?;
            match rows.next().map_err(text)? {
                Some(row) => Ok(Some(row.get(0).map_err(text)?)),
                None => Ok(None),
            }
        })
    }

    /// The keys that exist, with their values, in the order SQLite finds them: like Spin's
    /// (`key IN rarray(...)`), a missing key is left out of the answer rather than `None`.
    fn get_many(&self, keys: &[String]) -> Result<Found, String> {
        kv(|| {
            let conn = self.conn()?;
            let marks = vec!["?"; keys.len()].join(", ");
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT key, value FROM spin_key_value WHERE store = ? AND key IN ({marks})"
                ))
                .map_err(text)?;
            let params = std::iter::once(&self.label).chain(keys);
            let found = stmt
                .query_map(rusqlite::params_from_iter(params), |r| {
                    Ok((r.get::<_, String>(0)?, Some(r.get::<_, Vec<u8>>(1)?)))
                })
                .map_err(text)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(text);
            found
        })
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), String> {
        kv(|| {
            self.conn()?
                .execute(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                    rusqlite::params![self.label, key, value],
                )
                .map_err(text)?;
            Ok(())
        })
    }

    fn delete(&self, key: &str) -> Result<(), String> {
        kv(|| {
            self.conn()?
                .execute(
                    "DELETE FROM spin_key_value WHERE store = ? AND key = ?",
                    [&self.label, key],
                )
                .map_err(text)?;
            Ok(())
        })
    }

    fn keys(&self) -> Result<Vec<String>, String> {
        kv(|| {
            let conn = self.conn()?;
            let mut stmt = conn
                .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?")
                .map_err(text)?;
            let keys = stmt
                .query_map([&self.label], |r| r.get::<_, String>(0))
                .map_err(text)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(text)?;
            Ok(keys)
        })
    }
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl HostState {
    /// The store `label`, if the component was granted it. Spin's `spin` backend makes the
    /// store's connection the first time and hands it out after, inside `block_in_place`
    /// every time (`KeyValueSqlite::get`), so an open costs a hand-off like any other call.
    fn open_store(&self, label: String) -> Option<KvStore> {
        let conn = kv(|| self.component.key_value.get(&label).cloned())?;
        Some(KvStore { conn, label })
    }
}

impl key_value::Host for HostState {}

fn kv_err(e: String) -> key_value::Error {
    key_value::Error::Other(e)
}

impl key_value::HostStore for HostState {
    async fn open(&mut self, label: String) -> Result<Resource<KvStore>, key_value::Error> {
        let store = self
            .open_store(label)
            .ok_or(key_value::Error::AccessDenied)?;
        self.table.push(store).map_err(|e| kv_err(e.to_string()))
    }

    async fn get(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        let s = self.table.get(&store).map_err(|e| kv_err(e.to_string()))?;
        s.get(&key).map_err(kv_err)
    }

    async fn set(
        &mut self,
        store: Resource<KvStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        let s = self.table.get(&store).map_err(|e| kv_err(e.to_string()))?;
        s.set(&key, &value).map_err(kv_err)
    }

    async fn delete(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> Result<(), key_value::Error> {
        let s = self.table.get(&store).map_err(|e| kv_err(e.to_string()))?;
        s.delete(&key).map_err(kv_err)
    }

    async fn exists(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> Result<bool, key_value::Error> {
        Ok(self.get(store, key).await?.is_some())
    }

    async fn get_keys(
        &mut self,
        store: Resource<KvStore>,
    ) -> Result<Vec<String>, key_value::Error> {
        let s = self.table.get(&store).map_err(|e| kv_err(e.to_string()))?;
        s.keys().map_err(kv_err)
    }

    async fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

/// `wasi:keyvalue@0.2.0-draft2` over the same stores, as Spin serves it (`factor-key-value`):
/// the same grants, the same backend calls.
mod wasi_keyvalue {
    use super::KvStore;
    use crate::bindings::wasi::keyvalue::{batch, store};
    use crate::state::HostState;
    use wasmtime::component::Resource;

    fn other(e: impl std::fmt::Display) -> store::Error {
        store::Error::Other(e.to_string())
    }

    impl store::Host for HostState {
        async fn open(&mut self, identifier: String) -> Result<Resource<KvStore>, store::Error> {
            let store = self
                .open_store(identifier)
                .ok_or(store::Error::AccessDenied)?;
            self.table.push(store).map_err(other)
        }
    }

    impl store::HostBucket for HostState {
        async fn get(
            &mut self,
            bucket: Resource<KvStore>,
            key: String,
        ) -> Result<Option<Vec<u8>>, store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            s.get(&key).map_err(other)
        }

        async fn set(
            &mut self,
            bucket: Resource<KvStore>,
            key: String,
            value: Vec<u8>,
        ) -> Result<(), store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            s.set(&key, &value).map_err(other)
        }

        async fn delete(
            &mut self,
            bucket: Resource<KvStore>,
            key: String,
        ) -> Result<(), store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            s.delete(&key).map_err(other)
        }

        async fn exists(
            &mut self,
            bucket: Resource<KvStore>,
            key: String,
        ) -> Result<bool, store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            Ok(s.get(&key).map_err(other)?.is_some())
        }

        /// As Spin: the whole list at once; a cursor is refused.
        async fn list_keys(
            &mut self,
            bucket: Resource<KvStore>,
            cursor: Option<String>,
        ) -> Result<store::KeyResponse, store::Error> {
            if cursor.is_some() {
                return Err(other("list_keys: cursor not supported"));
            }
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            let keys = s.keys().map_err(other)?;
            Ok(store::KeyResponse { keys, cursor: None })
        }

        async fn drop(&mut self, bucket: Resource<KvStore>) -> wasmtime::Result<()> {
            self.table.delete(bucket)?;
            Ok(())
        }
    }

    impl batch::Host for HostState {
        async fn get_many(
            &mut self,
            bucket: Resource<KvStore>,
            keys: Vec<String>,
        ) -> Result<Vec<(String, Option<Vec<u8>>)>, store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            if keys.is_empty() {
                return Ok(vec![]);
            }
            s.get_many(&keys).map_err(other)
        }

        async fn set_many(
            &mut self,
            bucket: Resource<KvStore>,
            key_values: Vec<(String, Vec<u8>)>,
        ) -> Result<(), store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            for (key, value) in &key_values {
                s.set(key, value).map_err(other)?;
            }
            Ok(())
        }

        async fn delete_many(
            &mut self,
            bucket: Resource<KvStore>,
            keys: Vec<String>,
        ) -> Result<(), store::Error> {
            let s = self
                .table
                .get(&bucket)
                .map_err(|_| store::Error::NoSuchStore)?;
            for key in &keys {
                s.delete(key).map_err(other)?;
            }
            Ok(())
        }
    }
}

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> Result<String, variables::Error> {
        timed(Kind::Variables, || self.variable(name))
    }
}

impl HostState {
    fn variable(&mut self, name: String) -> Result<String, variables::Error> {
        // Spin checks the name's shape first: lower-case letters, digits and underscores.
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(variables::Error::InvalidName(name));
        }
        self.component
            .variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(name))
    }
}
