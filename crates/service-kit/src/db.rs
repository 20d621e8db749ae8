//! The storage seam: one small trait over SQLite, implemented by Spin's SQLite interface in
//! wasm and by `rusqlite` in native tests, so domain code and its SQL are tested for real.
//!
//! Every call is one SQL statement in autocommit mode, the only shape every backend
//! (local file, libSQL over the network) runs the same way. What must be atomic is one statement.

use thiserror::Error;

/// Issued on every connection a service opens (each request opens its own): the settings SQLite
/// keeps per connection, not in the file. The file's own, `journal_mode = WAL`, is set once by
/// the first migration (`migrate::apply`).
///
/// `synchronous = NORMAL`: in WAL mode a commit is an append to the log, synced at checkpoints
/// rather than at every commit. An acknowledged write survives a crash of the process (the
/// operating system holds it); a power cut can lose the last commits before a checkpoint, never
/// corrupt the file. `bench -- sqlite` measured the choice: with a fresh connection per request
/// and 32 writers, NORMAL writes about twice as fast as FULL with a fifth of its p99.
/// `docs/storage.md` says it for operators.
pub const PER_CONNECTION: &[&str] = &["PRAGMA synchronous = NORMAL"];

/// A SQLite value, as a parameter or a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(v as i64)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Runs `statement`; if its table does not exist yet, runs `create` (idempotent `IF NOT EXISTS`
/// statements) and tries once more. For the kit's own tables (the access log),
/// which every service gets without a migration of its own: the common path pays nothing.
pub fn creating_if_missing(
    db: &dyn Db,
    create: &[&str],
    statement: impl Fn() -> Result<Rows, DbError>,
) -> Result<Rows, DbError> {
    match statement() {
        Err(e) if e.is_missing_table() => {
            for sql in create {
                db.execute(sql, &[])?;
            }
            statement()
        }
        other => other,
    }
}

/// Builds a parameter slice: `params![id, email, now]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::db::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::db::Value::from($v)),+] as &[$crate::db::Value] };
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum DbError {
    /// A UNIQUE / PRIMARY KEY / CHECK / FOREIGN KEY constraint refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// The database stayed locked past the busy timeout.
    #[error("database busy: {0}")]
    Busy(String),
    #[error("database error: {0}")]
    Other(String),
    #[error("column {column}: {message}")]
    Column { column: String, message: String },
}

impl DbError {
    /// A table the statement names does not exist yet (a new database).
    pub fn is_missing_table(&self) -> bool {
        matches!(self, DbError::Other(m) if m.contains("no such table"))
    }

    /// Classifies a backend's error text. SQLite's messages are the only thing every backend
    /// (rusqlite, Spin's host, libSQL) passes through unchanged.
    pub fn from_message(msg: String) -> Self {
        let lower = msg.to_ascii_lowercase();
        if lower.contains("constraint") {
            DbError::Constraint(msg)
        } else if lower.contains("database is locked") || lower.contains("busy") {
            DbError::Busy(msg)
        } else {
            DbError::Other(msg)
        }
    }

    /// The statement met a schema older than it expects: a table or a column it names is not
    /// there (a database replaced by an older or empty one).
    pub fn is_schema_behind(&self) -> bool {
        matches!(self, DbError::Other(m) if m.contains("no such table") || m.contains("no such column"))
    }

    pub fn is_unique_violation(&self) -> bool {
        self.unique_violation().is_some()
    }

    /// The unique constraint a write broke, named as SQLite names it: the columns of the index
    /// or key (`"booking_appointments.doctor_id, booking_appointments.starts_at"`), or
    /// `"index 'name'"` for an index on expressions. Callers compare it with the constraint
    /// their migration declares — never search the message for a word.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            DbError::Constraint(m) => m
                .split_once("UNIQUE constraint failed: ")
                .map(|(_, on)| on.trim()),
            _ => None,
        }
    }
}

/// SQLite's plan for `sql` (`EXPLAIN QUERY PLAN`), one step a line, for tests that hold a
/// list to O(page): every step a `SEARCH` of an index, no `SCAN` of a table.
pub fn query_plan(db: &dyn Db, sql: &str, params: &[Value]) -> Result<Vec<String>, DbError> {
    let rows = db.execute(&format!("EXPLAIN QUERY PLAN {sql}"), params)?;
    rows.iter().map(|r| r.get::<String>("detail")).collect()
}

/// Rows returned by a statement.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |values| Row {
            columns: &self.columns,
            values,
        })
    }
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }
}

/// One row, read by column name.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl<'a> Row<'a> {
    fn value(&self, column: &str) -> Result<&'a Value, DbError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|i| &self.values[i])
            .ok_or_else(|| DbError::Column {
                column: column.into(),
                message: "no such column in result".into(),
            })
    }

    pub fn get<T: FromValue>(&self, column: &str) -> Result<T, DbError> {
        T::from_value(self.value(column)?).map_err(|message| DbError::Column {
            column: column.into(),
            message,
        })
    }
}

/// Conversion from a column value.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Integer(i) => Ok(*i),
            other => Err(format!("expected integer, got {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        i64::from_value(v).map(|i| i != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            other => Err(format!("expected real, got {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, got {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(format!("expected blob, got {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One open connection to one database label.
pub trait Db {
    /// Runs one SQL statement with positional (`?`, `?N`) parameters; returns its rows, if any.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError>;

    /// Takes `service`'s migrations to apply just before this connection's first statement,
    /// and says whether it did. Spin's connections do ([`crate::spin::SpinDb`]), so a request
    /// that never touches its data spends no statement on checking the schema; one that does
    /// pays nothing extra, since its first statement loads the schema anyway.
    fn defer_migrations(
        &self,
        service: &'static str,
        migrations: &'static [crate::migrate::Migration],
    ) -> bool {
        let _ = (service, migrations);
        false
    }
}

/// Whether a statement may write, so that a connection's [`PER_CONNECTION`] settings must be
/// in place before it runs. Conservative: anything but a plain `SELECT`, or a `WITH … SELECT`
/// that names no writing keyword, may. (A read taken for a write costs one pragma; the
/// reverse would only leave that connection at SQLite's default `synchronous`.)
pub fn may_write(sql: &str) -> bool {
    let sql = sql.trim_start();
    let head = sql.get(..6).unwrap_or("");
    if head.eq_ignore_ascii_case("select") {
        return false;
    }
    if !sql.get(..4).unwrap_or("").eq_ignore_ascii_case("with") {
        return true;
    }
    sql.split(|c: char| !c.is_ascii_alphabetic()).any(|w| {
        ["insert", "update", "delete", "replace"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    })
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use rusqlite::types::{ToSqlOutput, ValueRef};

    /// `rusqlite` behind the `Db` trait, for native tests. Open it on a file to share it between
    /// connections (as Spin's local backend does), or in memory for a private one.
    pub struct SqliteDb {
        conn: rusqlite::Connection,
    }

    impl SqliteDb {
        pub fn open_in_memory() -> Self {
            Self {
                conn: rusqlite::Connection::open_in_memory().expect("open in-memory SQLite"),
            }
        }

        /// A new connection to the file, set up as every service connection is.
        pub fn open(path: &std::path::Path) -> Self {
            let conn = rusqlite::Connection::open(path).expect("open SQLite file");
            for pragma in super::PER_CONNECTION {
                conn.execute_batch(pragma).expect("per-connection pragma");
            }
            Self { conn }
        }
    }

    impl rusqlite::ToSql for Value {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(match self {
                Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
                Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
                Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
                Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            })
        }
    }

    fn to_value(v: ValueRef<'_>) -> Value {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    impl Db for SqliteDb {
        fn execute(&self, sql: &str, params: &[Value]) -> Result<Rows, DbError> {
            let err = |e: rusqlite::Error| DbError::from_message(e.to_string());
            let mut stmt = self.conn.prepare(sql).map_err(err)?;
            let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let n = columns.len();
            let mut rows = stmt
                .query(rusqlite::params_from_iter(params.iter()))
                .map_err(err)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(err)? {
                let mut values = Vec::with_capacity(n);
                for i in 0..n {
                    values.push(to_value(row.get_ref(i).map_err(err)?));
                }
                out.push(values);
            }
            Ok(Rows { columns, rows: out })
        }
    }
}

#[cfg(feature = "native")]
pub use native::SqliteDb;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_select_is_taken_for_a_read() {
        assert!(!may_write("SELECT 1"));
        assert!(!may_write("  select id FROM t"));
        assert!(!may_write("WITH hit AS (SELECT 1 AS x) SELECT x FROM hit"));
        for w in [
            "INSERT INTO t VALUES (1)",
            "WITH x AS (SELECT 1) DELETE FROM t",
            "with x as (select 1) insert into t select * from x",
            "BEGIN IMMEDIATE",
            "UPDATE t SET a = 1",
            "PRAGMA journal_mode = WAL",
            "",
        ] {
            assert!(may_write(w), "{w}");
        }
    }

    #[test]
    fn a_unique_violation_names_its_constraint() {
        let db = SqliteDb::open_in_memory();
        for sql in [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT UNIQUE)",
            "CREATE UNIQUE INDEX t_ab ON t (a, b) WHERE a IS NOT NULL",
            "INSERT INTO t (a, b, c) VALUES ('x', 'y', 'z')",
        ] {
            db.execute(sql, &[]).unwrap();
        }
        let broke = |sql: &str| db.execute(sql, &[]).unwrap_err();
        let e = broke("INSERT INTO t (a, b, c) VALUES ('x', 'y', 'other')");
        assert_eq!(e.unique_violation(), Some("t.a, t.b"));
        let e = broke("INSERT INTO t (a, b, c) VALUES ('p', 'q', 'z')");
        assert_eq!(e.unique_violation(), Some("t.c"));
        let e = broke("INSERT INTO t (id) VALUES (1)");
        assert_eq!(e.unique_violation(), Some("t.id"));
        assert_eq!(broke("SELECT nope FROM t").unique_violation(), None);
    }
}
