//! Links that carry their own authority: a payload and an HMAC-SHA-256 tag under a key only the
//! issuing service holds, so a link in a mail (a reminder's "cancel", an unsubscribe) can be
//! checked without storing it, and can't be made up or altered. Whether a link may be used
//! twice is the issuer's rule, not this module's.
//!
//! The key is generated on first use and kept in the service's own database (its
//! `<service>_secrets` table), like auth's generated signing key.

use crate::db::Db;
use crate::problem::Problem;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the tag kept: 128 bits, plenty against forgery and short enough for a link.
const TAG_BYTES: usize = 16;

fn mac(key: &[u8], payload: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(payload);
    m
}

/// `payload` and its tag, URL-safe: `<payload>.<tag>`, both base64url.
pub fn seal(key: &[u8], payload: &str) -> String {
    let tag = mac(key, payload.as_bytes()).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES])
    )
}

/// The payload of a token [`seal`] made with `key`; `None` for anything else. The tag is
/// compared in constant time (`verify_truncated_left`).
pub fn open(key: &[u8], token: &str) -> Option<String> {
    if token.len() > 1024 {
        return None;
    }
    let (payload, tag) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if tag.len() != TAG_BYTES {
        return None;
    }
    mac(key, &payload).verify_truncated_left(&tag).ok()?;
    String::from_utf8(payload).ok()
}

/// The service's link key, made on first use: one statement either way (an upsert that keeps
/// the stored key and returns it).
pub fn key(db: &dyn Db, service: &str) -> Result<Vec<u8>, Problem> {
    let rows = db.execute(
        &format!(
            "INSERT INTO {service}_secrets (name, value) VALUES ('links', randomblob(32))
             ON CONFLICT (name) DO UPDATE SET name = name RETURNING value"
        ),
        &[],
    )?;
    match rows.first().map(|r| r.get::<Vec<u8>>("value")) {
        Some(Ok(b)) if b.len() == 32 => Ok(b),
        _ => Err(Problem::internal("the link key is unreadable")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_payload_opens_with_its_key_only_and_unaltered() {
        let key = [7u8; 32];
        let t = seal(&key, "appt:cancel:1800000000");
        assert_eq!(open(&key, &t).as_deref(), Some("appt:cancel:1800000000"));
        assert_eq!(open(&[8u8; 32], &t), None);
        let (_, tag) = t.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("appt:cancel:1900000000"));
        assert_eq!(open(&key, &forged), None);
        assert_eq!(open(&key, "nonsense"), None);
        assert_eq!(open(&key, "a.b"), None);
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let db = crate::db::SqliteDb::open_in_memory();
        db.execute(
            "CREATE TABLE demo_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
            &[],
        )
        .unwrap();
        let k1 = key(&db, "demo").unwrap();
        assert_eq!(k1.len(), 32);
        assert_eq!(key(&db, "demo").unwrap(), k1);
    }
}
