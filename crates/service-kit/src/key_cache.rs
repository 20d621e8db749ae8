//! Where a verifying service keeps what it knows from auth between requests — auth's keys and
//! its revocations (`GET /api/auth/verification`) — and when it trusts them. The keys are the
//! trust anchor of every token check, so they live where only that service can write: its own
//! database, never the shared key-value store (any component granted the store could write a
//! key of its own there and mint tokens every service accepts).
//!
//! The rules, all decided here so they are tested natively:
//! - a cached state is used for [`TTL_SECS`] after it was fetched (short, since revocations
//!   ride along: a disabled account stops working everywhere within it);
//! - a token naming a `kid` the set lacks refetches (a rotation is picked up at once), but not
//!   again within [`KID_REFETCH_SECS`], so forged tokens can't turn every request into a call
//!   to auth;
//! - an entry dated in the future is no entry at all (a clock can be wrong; a forged row is
//!   dated to live forever);
//! - when auth can't be reached, the last good set keeps serving for [`STALE_IF_ERROR_SECS`],
//!   so a moment's outage of auth doesn't take every service down with it;
//! - the `token_verification_keys` variable (a public JWKS), when set, pins the keys: whatever
//!   auth's answer says, only those keys verify (revocations are still fetched).

use crate::db::{creating_if_missing, Db, Value};
use crate::problem::Problem;
use crate::revocation::Revocations;
use crate::token::{Jwks, KeySet};
use crate::vars::Vars;
use serde::{Deserialize, Serialize};

pub const TTL_SECS: i64 = 10;
pub const KID_REFETCH_SECS: i64 = 2;
pub const STALE_IF_ERROR_SECS: i64 = 3600;
/// How far ahead of our clock a `fetched_at` may be before the entry is refused.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// What auth publishes for Healthe's own verifiers (`GET /api/auth/verification`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthState {
    pub keys: Jwks,
    #[serde(default)]
    pub revocations: Revocations,
}

/// The state as this service last fetched it.
#[derive(Debug, Clone)]
pub struct Cached {
    pub state: AuthState,
    pub fetched_at: i64,
}

/// What a request verifies with.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub keys: KeySet,
    pub revocations: Revocations,
}

impl Known {
    fn of(state: &AuthState) -> Known {
        Known {
            keys: KeySet::from_jwks(&state.keys),
            revocations: state.revocations.clone(),
        }
    }
}

/// What to do for one request.
#[derive(Debug)]
pub enum Decision {
    /// Verify with this; nothing to fetch.
    Use(Known),
    /// Fetch auth's state; if that fails, use `fallback` (the last good state, still within its
    /// stale-if-error time) or give up.
    Fetch { fallback: Option<Known> },
}

/// The keys pinned by `token_verification_keys`, if the variable is set.
pub fn pinned(vars: &dyn Vars) -> Result<Option<KeySet>, Problem> {
    let Some(raw) = vars.get("token_verification_keys") else {
        return Ok(None);
    };
    let jwks: Jwks = serde_json::from_str(&raw).map_err(|e| {
        Problem::internal(format!(
            "variable token_verification_keys is not a JWKS: {e}"
        ))
    })?;
    let set = KeySet::from_jwks(&jwks);
    if set.is_empty() {
        return Err(Problem::internal(
            "variable token_verification_keys holds no usable Ed25519 key",
        ));
    }
    Ok(Some(set))
}

/// Decides from the cached entry, the time and the `kid` the caller's token names.
pub fn decide(cached: Option<&Cached>, now: i64, kid: Option<&str>) -> Decision {
    let Some(c) = cached.filter(|c| c.fetched_at <= now + CLOCK_SKEW_SECS) else {
        return Decision::Fetch { fallback: None };
    };
    let age = now - c.fetched_at;
    let known = Known::of(&c.state);
    let knows_kid = kid.is_none_or(|k| known.keys.contains(k));
    if age < TTL_SECS && (knows_kid || age < KID_REFETCH_SECS) {
        return Decision::Use(known);
    }
    Decision::Fetch {
        fallback: (age < STALE_IF_ERROR_SECS && !known.keys.is_empty()).then_some(known),
    }
}

/// The known state from a fresh answer, with pinned keys (if any) in place of auth's.
pub fn known(state: &AuthState, pinned: Option<&KeySet>) -> Known {
    known_with(Known::of(state), pinned)
}

/// `known`, with pinned keys (if any) in place of auth's.
pub fn known_with(mut known: Known, pinned: Option<&KeySet>) -> Known {
    if let Some(p) = pinned {
        known.keys = p.clone();
    }
    known
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS kit_auth_state (
    service    TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
)";

/// This service's cached entry, and in the same statement its schema version, noted on the
/// connection for `migrate::apply` (every request reads both; one statement where one will do).
/// The table is made on first use (it is the kit's, not a service's migration), and is keyed by
/// service so labels may share one database.
pub fn read(db: &dyn Db, service: &str) -> Result<Option<Cached>, Problem> {
    let rows = match db.execute(READ_WITH_SCHEMA, &[Value::from(service)]) {
        Ok(rows) => {
            if let Some(v) = rows
                .first()
                .and_then(|r| r.get::<i64>("schema_version").ok())
            {
                db.note_schema_version(service, v);
            }
            rows
        }
        // A new database: one of the two tables is still missing. Ask for the entry alone.
        Err(e) if e.is_missing_table() => match db.execute(READ, &[Value::from(service)]) {
            Ok(rows) => rows,
            Err(e) if e.is_missing_table() => return Ok(None),
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let Ok(text) = row.get::<String>("state") else {
        return Ok(None); // the LEFT JOIN found no entry
    };
    // An unreadable entry is no entry: it is refetched and overwritten.
    Ok(serde_json::from_str(&text).ok().map(|state| Cached {
        state,
        fetched_at: row.get("fetched_at").unwrap_or(i64::MAX),
    }))
}

const READ: &str = "SELECT state, fetched_at FROM kit_auth_state WHERE service = ?1";

/// One row always: the entry's columns (NULL without an entry) and the schema version.
const READ_WITH_SCHEMA: &str = "\
    SELECT k.state, k.fetched_at, \
           (SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE service = ?1) AS schema_version \
    FROM (SELECT 1) LEFT JOIN kit_auth_state AS k ON k.service = ?1";

/// Keeps a freshly fetched state. One upsert.
pub fn store(db: &dyn Db, service: &str, state: &AuthState, now: i64) -> Result<(), Problem> {
    let text = serde_json::to_string(state).map_err(Problem::internal)?;
    creating_if_missing(db, &[CREATE], || {
        db.execute(
            "INSERT INTO kit_auth_state (service, state, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (service) DO UPDATE SET state = excluded.state, fetched_at = excluded.fetched_at",
            &[Value::from(service), Value::from(text.as_str()), Value::Integer(now)],
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SqliteDb;
    use crate::token::Jwk;
    use crate::vars::MapVars;
    use ed25519_dalek::SigningKey;

    fn jwks(seed: u8) -> Jwks {
        Jwks {
            keys: vec![Jwk::from_key(
                &SigningKey::from_bytes(&[seed; 32]).verifying_key(),
            )],
        }
    }

    fn kid(seed: u8) -> String {
        jwks(seed).keys[0].kid.clone()
    }

    fn state(seed: u8) -> AuthState {
        AuthState {
            keys: jwks(seed),
            revocations: Revocations::default(),
        }
    }

    /// A `Db` that counts the statements it runs.
    struct Counting<'a>(&'a SqliteDb, std::cell::Cell<usize>);

    impl crate::db::Db for Counting<'_> {
        fn execute(
            &self,
            sql: &str,
            params: &[Value],
        ) -> Result<crate::db::Rows, crate::db::DbError> {
            self.1.set(self.1.get() + 1);
            self.0.execute(sql, params)
        }
        fn known_schema_version(&self, service: &str) -> Option<i64> {
            self.0.known_schema_version(service)
        }
        fn note_schema_version(&self, service: &str, version: i64) {
            self.0.note_schema_version(service, version)
        }
    }

    #[test]
    fn the_key_cache_read_carries_the_schema_version_so_migrations_cost_no_statement() {
        const M: &[crate::migrate::Migration] = &[crate::migrate::Migration::from_file(
            "0001_t.sql",
            "CREATE TABLE t (id TEXT PRIMARY KEY)",
        )];
        // A new database: nothing cached, both tables missing; the first request migrates.
        let conn = SqliteDb::open_in_memory();
        assert!(read(&conn, "svc").unwrap().is_none());
        assert_eq!(conn.known_schema_version("svc"), None);
        crate::migrate::apply(&conn, "svc", M).unwrap();
        store(&conn, "svc", &state(1), 100).unwrap();

        // A later request (a fresh connection): one statement reads the entry and the version,
        // and applying the migrations asks nothing more.
        let dir = std::env::temp_dir().join(format!("kc-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let first = SqliteDb::open(&path);
        crate::migrate::apply(&first, "svc", M).unwrap();
        store(&first, "svc", &state(1), 100).unwrap();
        let later = SqliteDb::open(&path);
        let counting = Counting(&later, Default::default());
        let got = read(&counting, "svc").unwrap().expect("cached");
        assert_eq!(got.fetched_at, 100);
        assert_eq!(counting.1.get(), 1);
        assert_eq!(later.known_schema_version("svc"), Some(1));
        crate::migrate::apply(&counting, "svc", M).unwrap();
        assert_eq!(counting.1.get(), 1, "no statement for an up-to-date schema");
        // Another service's version is not taken for this one's.
        assert_eq!(later.known_schema_version("other"), None);
        // With no entry yet but migrated, the version still comes back.
        let other = SqliteDb::open(&path);
        assert!(read(&other, "nobody").unwrap().is_none());
        assert_eq!(other.known_schema_version("nobody"), Some(0));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn cached(seed: u8, fetched_at: i64) -> Cached {
        Cached {
            state: state(seed),
            fetched_at,
        }
    }

    #[test]
    fn a_fresh_entry_is_used_and_an_old_one_refetched() {
        let c = cached(1, 1000);
        assert!(matches!(
            decide(Some(&c), 1000 + TTL_SECS - 1, None),
            Decision::Use(_)
        ));
        match decide(Some(&c), 1000 + TTL_SECS, None) {
            Decision::Fetch { fallback: Some(_) } => {}
            other => panic!("{other:?}"),
        }
        match decide(Some(&c), 1000 + STALE_IF_ERROR_SECS, None) {
            Decision::Fetch { fallback: None } => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decide(None, 1000, None),
            Decision::Fetch { fallback: None }
        ));
    }

    #[test]
    fn an_unknown_kid_refetches_but_not_on_every_request() {
        let c = cached(1, 1000);
        let other = kid(2);
        let at = |t: i64, k: &str| decide(Some(&c), t, Some(k));
        assert!(matches!(
            at(1000 + KID_REFETCH_SECS - 1, &other),
            Decision::Use(_)
        ));
        assert!(matches!(
            at(1000 + KID_REFETCH_SECS, &other),
            Decision::Fetch { .. }
        ));
        assert!(matches!(
            at(1000 + KID_REFETCH_SECS, &kid(1)),
            Decision::Use(_)
        ));
    }

    #[test]
    fn an_entry_dated_in_the_future_is_refused() {
        let forged = cached(9, 1000 + 10 * 365 * 86_400);
        match decide(Some(&forged), 1000, None) {
            Decision::Fetch { fallback: None } => {}
            other => panic!("{other:?}"),
        }
        // Within the allowed clock skew it is still fine.
        assert!(matches!(
            decide(Some(&cached(1, 1030)), 1000, None),
            Decision::Use(_)
        ));
        // Pinned keys replace whatever auth's answer carried.
        let pin = KeySet::from_jwks(&jwks(5));
        let k = known(&forged.state, Some(&pin));
        assert!(k.keys.contains(&kid(5)) && !k.keys.contains(&kid(9)));
    }

    #[test]
    fn entries_round_trip_per_service_on_sqlite() {
        let db = SqliteDb::open_in_memory();
        assert!(read(&db, "booking").unwrap().is_none());
        store(&db, "booking", &state(1), 500).unwrap();
        store(&db, "diagnosis", &state(2), 600).unwrap();
        store(&db, "booking", &state(3), 700).unwrap();
        let b = read(&db, "booking").unwrap().unwrap();
        assert_eq!(b.fetched_at, 700);
        assert_eq!(b.state, state(3));
        assert_eq!(read(&db, "diagnosis").unwrap().unwrap().state, state(2));
    }

    #[test]
    fn pinned_keys_come_from_the_variable() {
        assert!(pinned(&MapVars::default()).unwrap().is_none());
        let vars = MapVars::default().with(
            "token_verification_keys",
            &serde_json::to_string(&jwks(4)).unwrap(),
        );
        assert!(pinned(&vars).unwrap().unwrap().contains(&kid(4)));
        let bad = MapVars::default().with("token_verification_keys", "{\"keys\": []}");
        assert!(pinned(&bad).is_err());
    }
}
