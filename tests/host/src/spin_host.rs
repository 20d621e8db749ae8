//! Spin's own host interfaces (`fermyon:spin/*@2.0.0`), implemented the way Spin's local backends
//! behave: every `connection.open` is a new SQLite connection to the label's file (rusqlite's
//! default 5 s busy timeout, the file's own journal mode, no ATTACH), and key-value stores are rows
//! of one SQLite table per store file behind one long-lived connection per store, as Spin's
//! `spin` key-value backend keeps them.

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

/// An open `fermyon:spin/key-value.store`: the store's shared connection.
pub struct KvStore {
    conn: std::sync::Arc<std::sync::Mutex<rusqlite::Connection>>,
    label: String,
}

impl KvStore {
    fn conn(&self) -> Result<std::sync::MutexGuard<'_, rusqlite::Connection>, key_value::Error> {
        self.conn
            .lock()
            .map_err(|_| kv_err("the store's connection is poisoned"))
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

impl key_value::Host for HostState {}

/// A key-value call as Spin's SQLite-backed store makes it: in `block_in_place`, on the
/// request's thread; timed for the bench.
fn kv<T>(f: impl FnOnce() -> T) -> T {
    timed(Kind::KeyValue, || block_in_place(f))
}

fn kv_err(e: impl std::fmt::Display) -> key_value::Error {
    key_value::Error::Other(e.to_string())
}

impl key_value::HostStore for HostState {
    async fn open(&mut self, label: String) -> Result<Resource<KvStore>, key_value::Error> {
        let Some(conn) = self.component.key_value.get(&label) else {
            return Err(key_value::Error::AccessDenied);
        };
        let conn = conn.clone();
        self.table.push(KvStore { conn, label }).map_err(kv_err)
    }

    async fn get(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        let s = self.table.get(&store).map_err(kv_err)?;
        kv(|| {
            let conn = s.conn()?;
            let mut stmt = conn
                .prepare_cached("SELECT value FROM spin_key_value WHERE store = ? AND key = ?")
                .map_err(kv_err)?;
            let mut rows = stmt.query([&s.label, &key]).map_err(kv_err)?;
            match rows.next().map_err(kv_err)? {
                Some(row) => Ok(Some(row.get(0).map_err(kv_err)?)),
                None => Ok(None),
            }
        })
    }

    async fn set(
        &mut self,
        store: Resource<KvStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        let s = self.table.get(&store).map_err(kv_err)?;
        kv(|| {
            s.conn()?
                .execute(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
                    rusqlite::params![s.label, key, value],
                )
                .map_err(kv_err)?;
            Ok(())
        })
    }

    async fn delete(
        &mut self,
        store: Resource<KvStore>,
        key: String,
    ) -> Result<(), key_value::Error> {
        let s = self.table.get(&store).map_err(kv_err)?;
        kv(|| {
            s.conn()?
                .execute(
                    "DELETE FROM spin_key_value WHERE store = ? AND key = ?",
                    [&s.label, &key],
                )
                .map_err(kv_err)?;
            Ok(())
        })
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
        let s = self.table.get(&store).map_err(kv_err)?;
        kv(|| {
            let conn = s.conn()?;
            let mut stmt = conn
                .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?")
                .map_err(kv_err)?;
            let keys = stmt
                .query_map([&s.label], |r| r.get::<_, String>(0))
                .map_err(kv_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(kv_err)?;
            Ok(keys)
        })
    }

    async fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
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
