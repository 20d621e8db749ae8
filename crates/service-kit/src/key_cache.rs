//! Where a verifying service keeps what it knows from auth between requests — auth's keys and
//! its revocations (`GET /api/auth/verification`) — and when it trusts them. The keys are the
//! trust anchor of every token check, so they live where only that service can write: its own
//! key-value store ([`crate::kv`], granted to it alone), never a shared one (any component
//! granted the store could write a key of its own there and mint tokens every service accepts).
//! Not its database: every request reads the entry, and a held key-value connection answers in
//! microseconds where a fresh SQLite connection's first statement costs a schema load.
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

use crate::kv::Kv;
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

/// The state as this service last fetched it: the store's entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// The entry's key.
/// The store key of `service`'s entry.
pub fn key(service: &str) -> String {
    format!("auth-state/{service}")
}

/// This service's cached entry. An unreadable entry is no entry: it is refetched and
/// overwritten.
pub fn read(kv: &dyn Kv, service: &str) -> Result<Option<Cached>, Problem> {
    Ok(kv
        .get(&key(service))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Keeps a freshly fetched state.
pub fn store(kv: &dyn Kv, service: &str, state: &AuthState, now: i64) -> Result<(), Problem> {
    let entry = serde_json::to_vec(&Cached {
        state: state.clone(),
        fetched_at: now,
    })
    .map_err(Problem::internal)?;
    kv.set(&key(service), &entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemKv;
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
    fn entries_round_trip_per_service() {
        let db = MemKv::default();
        assert!(read(&db, "booking").unwrap().is_none());
        store(&db, "booking", &state(1), 500).unwrap();
        store(&db, "diagnosis", &state(2), 600).unwrap();
        store(&db, "booking", &state(3), 700).unwrap();
        let b = read(&db, "booking").unwrap().unwrap();
        assert_eq!(b.fetched_at, 700);
        assert_eq!(b.state, state(3));
        assert_eq!(read(&db, "diagnosis").unwrap().unwrap().state, state(2));
        // Garbage where the entry was is no entry, not an error.
        db.set(&key("booking"), b"not json").unwrap();
        assert!(read(&db, "booking").unwrap().is_none());
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
