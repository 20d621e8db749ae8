//! Versioned schema migrations, owned and applied by each service on its own database label.
//!
//! Applied versions are rows of `schema_migrations(service, version)` — not `PRAGMA user_version`,
//! which would collide when several labels point at one database (Fermyon Cloud). Applying runs
//! under `BEGIN IMMEDIATE` on one connection, so two first requests arriving at once serialise:
//! the second waits for the write lock, then finds the work done.

use crate::db::{Db, DbError, Value};
use crate::params;

/// One migration file, `NNNN_<what>.sql`, embedded in the component with `include_str!`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// Applied where the backend supports it ([`Migration::where_supported`]).
    pub optional: bool,
}

/// Declares a service's migrations from `migrations/<service>/` (paths relative to the crate):
/// `migrations!("auth", "0001_init.sql", "0002_throttle.sql")`.
#[macro_export]
macro_rules! migrations {
    ($service:literal, $($file:literal),+ $(,)?) => {
        &[$($crate::migrate::Migration::from_file(
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/", $service, "/", $file)),
        )),+]
    };
}

impl Migration {
    /// The version is the file name's leading number.
    pub const fn from_file(name: &'static str, sql: &'static str) -> Self {
        let bytes = name.as_bytes();
        let mut version: i64 = 0;
        let mut i = 0;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            version = version * 10 + (bytes[i] - b'0') as i64;
            i += 1;
        }
        assert!(
            i > 0 && version > 0,
            "migration file names start with a version number"
        );
        Migration {
            version,
            name,
            sql,
            optional: false,
        }
    }

    /// A migration that needs something not every backend has (an FTS5 index): where SQLite
    /// says `no such module`, its statements are undone and it is recorded as skipped (so it is
    /// not tried again on every connection); the service keeps a way that works without it.
    /// Any other failure fails as a migration does.
    pub const fn where_supported(mut self) -> Self {
        self.optional = true;
        self
    }
}

/// Whether `service`'s optional migration `version` was skipped on this database.
pub fn skipped(db: &dyn Db, service: &str, version: i64) -> Result<bool, DbError> {
    let rows = db.execute(
        "SELECT name LIKE '%(skipped:%' AS skipped FROM schema_migrations \
         WHERE service = ? AND version = ?",
        params![service, version],
    )?;
    Ok(rows
        .first()
        .map(|r| r.get::<bool>("skipped"))
        .transpose()?
        .unwrap_or(false))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    service TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (service, version)
)";

fn current_version(db: &dyn Db, service: &str) -> Result<i64, DbError> {
    let rows = db.execute(
        "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE service = ?",
        params![service],
    )?;
    rows.first().map(|r| r.get::<i64>("v")).unwrap_or(Ok(0))
}

/// Brings `service`'s schema up to date: now, or — on a connection that takes them
/// ([`Db::defer_migrations`]) — just before its first statement. Cheap when it already is: one
/// indexed read.
pub fn apply(
    db: &dyn Db,
    service: &'static str,
    migrations: &'static [Migration],
) -> Result<(), DbError> {
    if db.defer_migrations(service, migrations) {
        return Ok(());
    }
    apply_now(db, service, migrations)
}

/// The version `migrations` bring a schema to.
pub fn latest(migrations: &[Migration]) -> i64 {
    migrations.iter().map(|m| m.version).max().unwrap_or(0)
}

/// [`apply`], now.
pub fn apply_now(db: &dyn Db, service: &str, migrations: &[Migration]) -> Result<(), DbError> {
    let latest = latest(migrations);
    match current_version(db, service) {
        Ok(v) if v >= latest => return Ok(()),
        Ok(_) => {}
        Err(e) if e.is_missing_table() => {
            // A new database. Write-ahead logging persists in the file once set: readers stop
            // blocking the writer, and a commit is one append and one fsync instead of a rollback
            // journal's three — what lets a burst of writers (each request its own connection,
            // queueing on the busy timeout) through. Best effort: a remote backend (libSQL)
            // manages its own journal and may refuse the pragma.
            let _ = db.execute("PRAGMA journal_mode = WAL", &[]);
            db.execute(CREATE_TABLE, &[])?;
        }
        Err(e) => return Err(e),
    }

    db.execute("BEGIN IMMEDIATE", &[])?;
    let result = apply_pending(db, service, migrations);
    match result {
        Ok(()) => db.execute("COMMIT", &[]).map(|_| ()),
        Err(e) => {
            let _ = db.execute("ROLLBACK", &[]);
            Err(e)
        }
    }
}

fn apply_pending(db: &dyn Db, service: &str, migrations: &[Migration]) -> Result<(), DbError> {
    // Re-read under the write lock: another request may have applied them while we waited.
    let current = current_version(db, service)?;
    let mut pending: Vec<&Migration> = migrations.iter().filter(|m| m.version > current).collect();
    pending.sort_by_key(|m| m.version);
    let now = jiff::Timestamp::now().to_string();
    for m in pending {
        let name = if m.optional {
            db.execute("SAVEPOINT optional_migration", &[])?;
            match run_statements(db, service, m) {
                Ok(()) => {
                    db.execute("RELEASE optional_migration", &[])?;
                    m.name.to_string()
                }
                Err(e) if e.to_string().contains("no such module") => {
                    db.execute("ROLLBACK TO optional_migration", &[])?;
                    db.execute("RELEASE optional_migration", &[])?;
                    format!("{} (skipped: {e})", m.name)
                }
                Err(e) => return Err(e),
            }
        } else {
            run_statements(db, service, m)?;
            m.name.to_string()
        };
        db.execute(
            "INSERT INTO schema_migrations (service, version, name, applied_at) VALUES (?, ?, ?, ?)",
            &[
                Value::from(service),
                Value::Integer(m.version),
                Value::from(name),
                Value::from(now.as_str()),
            ],
        )?;
    }
    Ok(())
}

fn run_statements(db: &dyn Db, service: &str, m: &Migration) -> Result<(), DbError> {
    for stmt in split_statements(m.sql) {
        db.execute(&stmt, &[])
            .map_err(|e| DbError::Other(format!("migration {service}/{}: {e}", m.name)))?;
    }
    Ok(())
}

/// Splits a SQL script into statements: on `;` outside quotes and comments, except inside a
/// `CREATE TRIGGER … BEGIN … END` body. Spin's SQLite interface runs one statement per call.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                current.push(c);
                // A doubled quote inside a literal is an escaped quote: the loop handles it by
                // closing and immediately reopening.
                for d in chars.by_ref() {
                    current.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '[' => {
                current.push(c);
                for d in chars.by_ref() {
                    current.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                current.push(' ');
            }
            ';' => {
                if is_open_trigger(&current) {
                    current.push(';');
                } else {
                    push_statement(&mut out, &mut current);
                }
            }
            _ => current.push(c),
        }
    }
    push_statement(&mut out, &mut current);
    out
}

fn push_statement(out: &mut Vec<String>, current: &mut String) {
    let stmt = current.trim();
    if !stmt.is_empty() {
        out.push(stmt.to_string());
    }
    current.clear();
}

/// True while `text` is a `CREATE [TEMP] TRIGGER` whose body has not reached its final `END`.
/// `CASE … END` inside the body nests, so keywords are counted, not just the last one read.
fn is_open_trigger(text: &str) -> bool {
    let mut words = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase());
    let first_three: Vec<String> = words.by_ref().take(3).collect();
    let is_trigger = first_three.first().map(String::as_str) == Some("CREATE")
        && first_three[1..].iter().any(|w| w == "TRIGGER");
    if !is_trigger {
        return false;
    }
    let (mut began, mut depth) = (false, 0i32);
    for w in first_three.into_iter().chain(words) {
        match w.as_str() {
            "BEGIN" => {
                began = true;
                depth += 1;
            }
            "CASE" => depth += 1,
            "END" => depth -= 1,
            _ => {}
        }
    }
    !began || depth > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "native")]
    #[test]
    fn an_optional_migration_the_backend_cannot_run_is_skipped_once_and_the_rest_apply() {
        let db = crate::db::SqliteDb::open_in_memory();
        const M: &[Migration] = &[
            Migration::from_file("0001_base.sql", "CREATE TABLE base (x INTEGER);"),
            Migration::from_file(
                "0002_index.sql",
                "CREATE TABLE half (y INTEGER); CREATE VIRTUAL TABLE idx USING no_such_engine (y);",
            )
            .where_supported(),
            Migration::from_file("0003_more.sql", "CREATE TABLE more (z INTEGER);"),
        ];
        apply_now(&db, "svc", M).unwrap();
        assert!(skipped(&db, "svc", 2).unwrap());
        assert!(!skipped(&db, "svc", 1).unwrap());
        // Undone whole: not even its first statement's table is left.
        assert!(db.execute("SELECT * FROM half", &[]).is_err());
        db.execute("INSERT INTO more VALUES (1)", &[]).unwrap();
        apply_now(&db, "svc", M).unwrap();
        // A real error in an optional migration is still an error.
        const BAD: &[Migration] =
            &[Migration::from_file("0001_bad.sql", "CREATE TABLE (;").where_supported()];
        assert!(apply_now(&db, "other", BAD).is_err());
    }

    #[test]
    fn splits_plain_statements_and_keeps_literals_whole() {
        let s = split_statements(
            "-- a comment; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n/* c; */ INSERT INTO a VALUES ('it''s; ok');",
        );
        assert_eq!(
            s,
            vec![
                "CREATE TABLE a (x TEXT DEFAULT 'a;b')",
                "INSERT INTO a VALUES ('it''s; ok')"
            ]
        );
    }

    #[test]
    fn keeps_a_trigger_body_whole() {
        let s = split_statements(
            "CREATE TABLE t (x);\nCREATE TRIGGER t_ai AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (CASE WHEN NEW.x THEN 1 ELSE 0 END);\n  INSERT INTO log VALUES (2);\nEND;\nCREATE TABLE u (y);",
        );
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[1].starts_with("CREATE TRIGGER") && s[1].ends_with("END"));
    }
}
