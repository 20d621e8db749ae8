//! Tokens this service has already verified, so a session's later requests skip the Ed25519
//! check — in wasm the largest single cost of an authenticated request (about 0.2 ms, more than
//! a whole plain route). A token is used for many requests in its few minutes of life; the mark
//! is kept in the service's own key-value store ([`crate::kv`]), which only it can write, like
//! the keys the mark stands for.
//!
//! The rules:
//! - a mark names the SHA-256 of the whole token (header, payload and signature), the `kid` it
//!   verified under, and the token's expiry. It is honoured only for that exact token, only
//!   while its key is still in the service's key set (a key rotated out or unpinned undoes
//!   every mark made under it), and never past the expiry. Everything else — the claims'
//!   issuer, audience, times, the revocations — is checked on every request as before;
//! - marks live in a fixed number of slots ([`SLOTS`], by the hash's first bits), so the store
//!   never grows with the number of tokens ever seen. A slot is taken only when it is empty or
//!   its mark has expired: two live tokens in one slot never evict each other on every request;
//!   the second is verified in full until the first expires;
//! - only a read marks. A write already pays for a database write; a burst of new tokens each
//!   writing once (sign-ins booking) costs no store write each.

use crate::kv::Kv;
use crate::token::{Check, Claims, KeySet, Verified, CLOCK_SKEW_SECS};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How many marks the store holds at most.
pub const SLOTS: u16 = 4096;

/// The store key of `token`'s slot, for a caller that reads it ahead ([`Kv::prefetch`]).
pub fn slot(token: &str) -> String {
    slot_of(&Sha256::digest(token.as_bytes()))
}

fn slot_of(digest: &[u8]) -> String {
    let slot = u16::from_be_bytes([digest[0], digest[1]]) % SLOTS;
    format!("verified/{slot}")
}

/// A verified token, as kept in its slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Mark {
    /// The SHA-256 of the whole token, base64url.
    token: String,
    kid: String,
    exp: i64,
}

impl Mark {
    fn live(&self, now: i64) -> bool {
        now < self.exp + CLOCK_SKEW_SECS
    }
}

/// One token's place in the store: its hash, its slot, and what the slot held when read.
pub struct Lookup {
    hash: String,
    slot: String,
    held: Option<Mark>,
}

impl Lookup {
    /// Reads the token's slot. A store that can't be read is an empty slot: the token is then
    /// verified in full.
    pub fn read(kv: &dyn Kv, token: &str) -> Lookup {
        let digest = Sha256::digest(token.as_bytes());
        let slot = slot_of(&digest);
        let held = kv
            .get(&slot)
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        Lookup {
            hash: B64.encode(digest),
            slot,
            held,
        }
    }

    /// What this token needs: [`Check::AlreadyVerified`] when this very token was verified
    /// before under a key still in `keys`, and has not expired.
    pub fn check(&self, keys: &KeySet, now: i64) -> Check {
        if self.verified(keys, now) {
            Check::AlreadyVerified
        } else {
            Check::Signature
        }
    }

    fn verified(&self, keys: &KeySet, now: i64) -> bool {
        self.held
            .as_ref()
            .is_some_and(|m| m.token == self.hash && m.live(now) && keys.contains(&m.kid))
    }

    /// After the request's token passed `check`: marks it when it was verified in full on a
    /// read (GET or HEAD; writes don't mark).
    pub fn keep(&self, kv: &dyn Kv, method: &http::Method, check: Check, v: &Verified, now: i64) {
        if check == Check::Signature && matches!(*method, http::Method::GET | http::Method::HEAD) {
            self.mark(kv, &v.kid, &v.claims, now);
        }
    }

    /// Marks the token, just verified in full under `kid`, when its slot is free (empty, or
    /// holding an expired mark). Best effort: a failed write only means verifying again.
    fn mark(&self, kv: &dyn Kv, kid: &str, claims: &Claims, now: i64) {
        if self.held.as_ref().is_some_and(|m| m.live(now)) {
            return;
        }
        let mark = Mark {
            token: self.hash.clone(),
            kid: kid.to_string(),
            exp: claims.exp,
        };
        if let Ok(bytes) = serde_json::to_vec(&mark) {
            let _ = kv.set(&self.slot, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemKv;
    use crate::token::{key_id, Audience, Role};
    use ed25519_dalek::SigningKey;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "u1".into(),
            role: Role::Patient,
            iss: "healthe-auth".into(),
            aud: Audience::One("healthe".into()),
            iat: 0,
            nbf: 0,
            exp,
            jti: "j".into(),
            email_verified: true,
        }
    }

    fn keys(seed: u8) -> (KeySet, String) {
        let k = SigningKey::from_bytes(&[seed; 32]).verifying_key();
        (KeySet::new([k]), key_id(&k))
    }

    #[test]
    fn a_mark_stands_for_that_token_under_a_current_key_until_it_expires() {
        let kv = MemKv::default();
        let (set, kid) = keys(1);
        let first = Lookup::read(&kv, "a.b.c");
        assert!(!first.verified(&set, 100));
        first.mark(&kv, &kid, &claims(1000), 100);
        assert!(Lookup::read(&kv, "a.b.c").verified(&set, 100));
        // Another token, even one in the same slot, is not covered.
        assert!(!Lookup::read(&kv, "a.b.d").verified(&set, 100));
        // Past the expiry (and its skew), no more.
        assert!(!Lookup::read(&kv, "a.b.c").verified(&set, 1000 + CLOCK_SKEW_SECS));
        // A key set without the key the mark was made under undoes it.
        let (other, _) = keys(2);
        assert!(!Lookup::read(&kv, "a.b.c").verified(&other, 100));
    }

    /// Two tokens whose hashes share a slot.
    fn colliding() -> (String, String) {
        let slot = |t: &str| {
            let d = Sha256::digest(t.as_bytes());
            u16::from_be_bytes([d[0], d[1]]) % SLOTS
        };
        let first = "t.0.x".to_string();
        let second = (1..)
            .map(|n| format!("t.{n}.x"))
            .find(|t| slot(t) == slot(&first))
            .unwrap();
        (first, second)
    }

    #[test]
    fn a_live_mark_keeps_its_slot_and_an_expired_one_gives_it_up() {
        let kv = MemKv::default();
        let (set, kid) = keys(1);
        let (a, b) = colliding();
        Lookup::read(&kv, &a).mark(&kv, &kid, &claims(1000), 100);
        Lookup::read(&kv, &b).mark(&kv, &kid, &claims(5000), 200);
        assert!(
            Lookup::read(&kv, &a).verified(&set, 300),
            "a keeps its slot"
        );
        assert!(!Lookup::read(&kv, &b).verified(&set, 300));
        // Once a has expired, b takes the slot.
        let late = 1000 + CLOCK_SKEW_SECS;
        Lookup::read(&kv, &b).mark(&kv, &kid, &claims(5000), late);
        assert!(Lookup::read(&kv, &b).verified(&set, late));
        assert!(!Lookup::read(&kv, &a).verified(&set, 300));
    }

    #[test]
    fn only_a_read_verified_in_full_leaves_a_mark() {
        let (set, kid) = keys(1);
        let v = Verified {
            claims: claims(1000),
            kid,
        };
        for (method, check, marked) in [
            (http::Method::GET, Check::Signature, true),
            (http::Method::HEAD, Check::Signature, true),
            (http::Method::POST, Check::Signature, false),
            (http::Method::DELETE, Check::Signature, false),
            (http::Method::GET, Check::AlreadyVerified, false),
        ] {
            let kv = MemKv::default();
            Lookup::read(&kv, "a.b.c").keep(&kv, &method, check, &v, 100);
            assert_eq!(
                Lookup::read(&kv, "a.b.c").check(&set, 100) == Check::AlreadyVerified,
                marked,
                "{method} {check:?}"
            );
        }
    }

    #[test]
    fn garbage_in_a_slot_is_an_empty_slot() {
        let kv = MemKv::default();
        let (set, kid) = keys(1);
        let l = Lookup::read(&kv, "a.b.c");
        kv.set(&l.slot, b"{not json").unwrap();
        let l = Lookup::read(&kv, "a.b.c");
        assert!(!l.verified(&set, 100));
        l.mark(&kv, &kid, &claims(1000), 100);
        assert!(Lookup::read(&kv, "a.b.c").verified(&set, 100));
    }
}
