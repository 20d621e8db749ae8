//! The token signing key: from the secret variable `token_signing_key` when set (a PKCS#8 PEM
//! Ed25519 private key, or its 32-byte seed in base64), otherwise generated once per installation
//! on first use and kept in auth's own database, so `spin up` works out of the box.

use crate::Ctx;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::SigningKey;
use service_kit::db::Value;
use service_kit::token::{Jwk, Jwks, KeySet};
use service_kit::{params, random_bytes, Problem};

/// Parses the configured key. Both forms are what common tools print:
/// `openssl genpkey -algorithm ed25519` (PEM) or `head -c32 /dev/urandom | base64` (seed).
pub fn parse_configured(raw: &str) -> Result<SigningKey, String> {
    let raw = raw.trim();
    if raw.starts_with("-----BEGIN") {
        return SigningKey::from_pkcs8_pem(raw)
            .map_err(|e| format!("not an Ed25519 PKCS#8 key: {e}"));
    }
    let bytes = STANDARD
        .decode(raw)
        .or_else(|_| URL_SAFE_NO_PAD.decode(raw))
        .map_err(|_| "neither PEM nor base64".to_string())?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "a base64 seed must be exactly 32 bytes".to_string())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The key tokens are signed with.
pub fn signing_key(ctx: &Ctx) -> Result<SigningKey, Problem> {
    if let Some(configured) = &ctx.settings.signing_key {
        return parse_configured(configured)
            .map_err(|e| Problem::internal(format!("variable token_signing_key: {e}")));
    }
    // Read first: every sign-in, refresh and JWKS request needs the key, and only the very
    // first may have to make it — the rest must not queue for the write lock.
    if let Some(key) = stored(ctx, "current")? {
        return Ok(key);
    }
    // One statement decides the race between two first requests: whichever insert lands first
    // is the installation's key; the other is ignored and both read the winner.
    let seed: [u8; 32] = random_bytes();
    let made = ctx.db.execute(
        "INSERT OR IGNORE INTO auth_signing_keys (slot, private_key, created_at) VALUES ('current', ?, ?)
         RETURNING slot",
        &[Value::Blob(seed.to_vec()), Value::from(ctx.now.to_string())],
    )?;
    if !made.is_empty() {
        crate::security::event(
            ctx,
            "signing-key-created",
            None,
            None,
            service_kit::audit::Outcome::Allowed,
        )?;
    }
    stored(ctx, "current")?.ok_or_else(|| Problem::internal("signing key row missing after insert"))
}

fn stored(ctx: &Ctx, slot: &str) -> Result<Option<SigningKey>, Problem> {
    let rows = ctx.db.execute(
        "SELECT private_key FROM auth_signing_keys WHERE slot = ?",
        params![slot],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let bytes: Vec<u8> = row.get("private_key")?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Problem::internal("stored signing key is not 32 bytes"))?;
    Ok(Some(SigningKey::from_bytes(&seed)))
}

/// The key that signed before the last rotation, still published so tokens it signed keep
/// verifying until they expire: `token_previous_signing_key` where the key is configured, else
/// the generated key's `previous` slot.
fn previous_key(ctx: &Ctx) -> Result<Option<SigningKey>, Problem> {
    if ctx.settings.signing_key.is_some() {
        return ctx
            .settings
            .previous_signing_key
            .as_deref()
            .map(|raw| {
                parse_configured(raw).map_err(|e| {
                    Problem::internal(format!("variable token_previous_signing_key: {e}"))
                })
            })
            .transpose();
    }
    stored(ctx, "previous")
}

/// Rotates the generated key: the current key becomes the previous one (still published), and
/// a new key signs from now on. Where the key is configured, rotation is done in the variables
/// instead (docs/security.md), and this refuses.
pub fn rotate(ctx: &Ctx) -> Result<Jwks, Problem> {
    if ctx.settings.signing_key.is_some() {
        return Err(crate::refusal::Refusal::KeyConfigured.into());
    }
    signing_key(ctx)?;
    // Each statement leaves a usable state if the next never runs: first the previous slot
    // takes a copy of the current key, then the current slot takes the new one.
    ctx.db.execute(
        "INSERT OR REPLACE INTO auth_signing_keys (slot, private_key, created_at)
         SELECT 'previous', private_key, created_at FROM auth_signing_keys WHERE slot = 'current'",
        params![],
    )?;
    let seed: [u8; 32] = random_bytes();
    ctx.db.execute(
        "UPDATE auth_signing_keys SET private_key = ?, created_at = ? WHERE slot = 'current'",
        &[Value::Blob(seed.to_vec()), Value::from(ctx.now.to_string())],
    )?;
    jwks(ctx)
}

/// The published keys: the current one first, then the previous one, if any.
pub fn jwks(ctx: &Ctx) -> Result<Jwks, Problem> {
    let mut keys = vec![Jwk::from_key(&signing_key(ctx)?.verifying_key())];
    if let Some(previous) = previous_key(ctx)? {
        let jwk = Jwk::from_key(&previous.verifying_key());
        if jwk.kid != keys[0].kid {
            keys.push(jwk);
        }
    }
    Ok(Jwks { keys })
}

/// What auth verifies its own tokens with: every published key.
pub fn key_set(ctx: &Ctx) -> Result<KeySet, Problem> {
    Ok(KeySet::from_jwks(&jwks(ctx)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pem_and_seed_forms() {
        // RFC 8410 §10.3's example private key.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----";
        let k = parse_configured(pem).unwrap();
        let seed = STANDARD.encode(k.to_bytes());
        assert_eq!(parse_configured(&seed).unwrap().to_bytes(), k.to_bytes());
        assert!(parse_configured("c2hvcnQ=").is_err());
        assert!(parse_configured(
            "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----"
        )
        .is_err());
    }
}
