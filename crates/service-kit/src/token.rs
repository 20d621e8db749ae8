//! Access tokens: compact JWS (JWT) signed with Ed25519 (`alg: EdDSA`, RFC 8037).
//!
//! Verification pins the algorithm: a token whose header says anything but `EdDSA` (`none`,
//! `HS256` with the public key as the HMAC secret, …) is refused before any key is touched.
//! Only `auth` holds a private key; every other service verifies with the published key set.
//!
//! Why not a general JWT crate: the common ones pull in `ring` or `aws-lc`, C-backed crypto that
//! does not build for `wasm32-wasip2` without a C cross toolchain, and carry algorithm agility we
//! deliberately refuse. One pinned algorithm over `ed25519-dalek` is short and auditable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use thiserror::Error;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// A Healthe account's role. Authorisation to a patient's data also needs a relationship;
/// the role alone only opens role-wide functions (admin pages, a doctor's own agenda).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    Patient,
    Doctor,
    Pharmacist,
    Staff,
    Admin,
}

impl Role {
    pub const ALL: &[Role] = <Role as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Role> {
        s.parse().ok()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `aud` may be one string or an array (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, aud: &str) -> bool {
        match self {
            Audience::One(a) => a == aud,
            Audience::Many(list) => list.iter().any(|a| a == aud),
        }
    }
}

/// The claims Healthe's access tokens carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: Audience,
    /// The user's id.
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// Whether the account has shown it reads its address (OpenID Connect Core §5.1). A token
    /// minted before the claim existed counts as verified: only auth mints tokens.
    #[serde(default = "verified_by_default")]
    pub email_verified: bool,
}

fn verified_by_default() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    /// Critical extensions we'd have to understand; we understand none (RFC 7515 §4.1.11).
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by someone else")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
}

/// The issuer and audience unless the `token_issuer` / `token_audience` variables say otherwise.
pub const DEFAULT_ISSUER: &str = "healthe-auth";
pub const DEFAULT_AUDIENCE: &str = "healthe";

/// What a verifier expects of every token.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub issuer: String,
    pub audience: String,
}

impl Expectations {
    /// From the app's variables; every service reads the same two, so they always agree.
    pub fn from_vars(vars: &dyn crate::vars::Vars) -> Self {
        Self {
            issuer: vars
                .get("token_issuer")
                .unwrap_or_else(|| DEFAULT_ISSUER.into()),
            audience: vars
                .get("token_audience")
                .unwrap_or_else(|| DEFAULT_AUDIENCE.into()),
        }
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key: a stable `kid`.
pub fn key_id(key: &VerifyingKey) -> String {
    key_id_of(key.as_bytes())
}

fn key_id_of(x: &[u8; 32]) -> String {
    let x = B64.encode(x);
    // Members in lexicographic order, no white space, as RFC 7638 §3 requires.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

/// A JSON Web Key (RFC 8037 OKP form) as published at `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

impl Jwk {
    pub fn from_key(key: &VerifyingKey) -> Self {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: B64.encode(key.as_bytes()),
            kid: key_id(key),
            use_: Some("sig".into()),
            alg: Some("EdDSA".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Verification keys by `kid`, as their 32 bytes: a key is decompressed to a curve point only
/// when a signature is checked with it, not on every request that builds the set (most
/// requests carry a token verified before, `crate::verified`). A key that is no point on the
/// curve is kept, and verifies nothing.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, [u8; 32]>,
}

impl KeySet {
    pub fn new(keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|k| (key_id(&k), k.to_bytes()))
                .collect(),
        }
    }

    /// Takes the Ed25519 keys of a JWKS whose `kid` matches their thumbprint. The thumbprint
    /// is computed once per key (this runs on every authenticated request).
    pub fn from_jwks(jwks: &Jwks) -> Self {
        let keys = jwks.keys.iter().filter_map(|jwk| {
            if jwk.kty != "OKP" || jwk.crv != "Ed25519" {
                return None;
            }
            let bytes: [u8; 32] = B64.decode(&jwk.x).ok()?.try_into().ok()?;
            (key_id_of(&bytes) == jwk.kid).then(|| (jwk.kid.clone(), bytes))
        });
        Self {
            keys: keys.collect(),
        }
    }

    pub fn contains(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Signs claims. Only `auth` holds a [`SigningKey`], so only `auth` can mint tokens.
pub fn sign(claims: &Claims, key: &SigningKey) -> String {
    let header = Header {
        alg: "EdDSA".into(),
        typ: Some("JWT".into()),
        kid: Some(key_id(&key.verifying_key())),
        crit: None,
    };
    let h = B64.encode(serde_json::to_vec(&header).expect("header serialises"));
    let p = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{h}.{p}");
    let sig = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", B64.encode(sig.to_bytes()))
}

/// The `kid` a token names, read without verifying anything: lets a verifier notice a key it has
/// not fetched yet.
pub fn peek_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Header = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    header.kid
}

/// Verifies a token's signature and claims at time `now` (Unix seconds).
pub fn verify(
    token: &str,
    keys: &KeySet,
    expect: &Expectations,
    now: i64,
) -> Result<Claims, TokenError> {
    verify_with(token, keys, expect, now, Check::Signature).map(|v| v.claims)
}

/// Whether to check the signature: always, unless this very token was verified before under a
/// key still in the set ([`crate::verified`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Signature,
    AlreadyVerified,
}

/// A token that passed: its claims and the key it was signed with.
#[derive(Debug, Clone)]
pub struct Verified {
    pub claims: Claims,
    pub kid: String,
}

/// [`verify`], with the signature check skipped for [`Check::AlreadyVerified`]. Every other
/// check — the header, the key's presence in `keys`, issuer, audience, times — runs either way.
pub fn verify_with(
    token: &str,
    keys: &KeySet,
    expect: &Expectations,
    now: i64,
    check: Check,
) -> Result<Verified, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header = B64
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    if header.alg != "EdDSA" {
        return Err(TokenError::Algorithm);
    }
    if header.crit.is_some() {
        return Err(TokenError::Malformed);
    }
    if header
        .typ
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return Err(TokenError::Malformed);
    }
    let (kid, key) = header
        .kid
        .and_then(|kid| keys.keys.get(&kid).map(|k| (kid, k)))
        .ok_or(TokenError::UnknownKey)?;
    if check == Check::Signature {
        let sig_bytes: [u8; 64] = B64
            .decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TokenError::Malformed)?;
        let signature = Signature::from_bytes(&sig_bytes);
        let key = VerifyingKey::from_bytes(key).map_err(|_| TokenError::Signature)?;
        // verify_strict also refuses small-order keys and non-canonical signatures (malleability).
        key.verify_strict(format!("{h}.{p}").as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;
    }
    // Only now, with the payload authenticated, is it worth parsing.
    let claims: Claims = B64
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    if claims.iss != expect.issuer {
        return Err(TokenError::Issuer);
    }
    if !claims.aud.contains(&expect.audience) {
        return Err(TokenError::Audience);
    }
    if now >= claims.exp + CLOCK_SKEW_SECS {
        return Err(TokenError::Expired);
    }
    if now + CLOCK_SKEW_SECS < claims.nbf {
        return Err(TokenError::NotYetValid);
    }
    Ok(Verified { claims, kid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_and_writes_the_same_on_the_wire_and_in_storage() {
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("Admin"), None);
    }

    const NOW: i64 = 1_800_000_000;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn expect() -> Expectations {
        Expectations {
            issuer: "healthe-auth".into(),
            audience: "healthe".into(),
        }
    }

    fn claims() -> Claims {
        Claims {
            iss: "healthe-auth".into(),
            aud: Audience::One("healthe".into()),
            sub: "user-1".into(),
            role: Role::Patient,
            iat: NOW,
            nbf: NOW,
            exp: NOW + 900,
            jti: "j1".into(),
            email_verified: true,
        }
    }

    fn keyset(k: &SigningKey) -> KeySet {
        KeySet::new([k.verifying_key()])
    }

    #[test]
    fn accepts_a_good_token() {
        let k = key(1);
        let t = sign(&claims(), &k);
        assert_eq!(verify(&t, &keyset(&k), &expect(), NOW + 10), Ok(claims()));
    }

    /// What a mark of "verified before" skips is the signature alone: the key must still be in
    /// the set, and the claims still hold.
    #[test]
    fn an_already_verified_token_still_meets_every_other_check() {
        let k = key(1);
        let t = sign(&claims(), &k);
        let again = |t: &str, set: &KeySet, now: i64| {
            verify_with(t, set, &expect(), now, Check::AlreadyVerified).map(|v| v.claims)
        };
        assert_eq!(again(&t, &keyset(&k), NOW), Ok(claims()));
        let v = verify_with(&t, &keyset(&k), &expect(), NOW, Check::Signature).unwrap();
        assert_eq!(v.kid, key_id(&k.verifying_key()));
        assert_eq!(
            again(&t, &keyset(&key(2)), NOW).unwrap_err(),
            TokenError::UnknownKey
        );
        assert_eq!(
            again(&t, &keyset(&k), NOW + 900 + CLOCK_SKEW_SECS).unwrap_err(),
            TokenError::Expired
        );
        let mut c = claims();
        c.iss = "someone-else".into();
        assert_eq!(
            again(&sign(&c, &k), &keyset(&k), NOW).unwrap_err(),
            TokenError::Issuer
        );
    }

    #[test]
    fn refuses_expired_and_not_yet_valid() {
        let k = key(1);
        let t = sign(&claims(), &k);
        assert_eq!(
            verify(&t, &keyset(&k), &expect(), NOW + 900 + CLOCK_SKEW_SECS),
            Err(TokenError::Expired)
        );
        // Within the skew it still passes.
        assert!(verify(&t, &keyset(&k), &expect(), NOW + 900 + CLOCK_SKEW_SECS - 1).is_ok());
        assert_eq!(
            verify(&t, &keyset(&k), &expect(), NOW - CLOCK_SKEW_SECS - 1),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn refuses_wrong_audience_and_issuer() {
        let k = key(1);
        let mut c = claims();
        c.aud = Audience::Many(vec!["billing".into()]);
        assert_eq!(
            verify(&sign(&c, &k), &keyset(&k), &expect(), NOW),
            Err(TokenError::Audience)
        );
        let mut c = claims();
        c.iss = "evil".into();
        assert_eq!(
            verify(&sign(&c, &k), &keyset(&k), &expect(), NOW),
            Err(TokenError::Issuer)
        );
    }

    #[test]
    fn refuses_a_token_from_another_key_even_with_our_kid() {
        let ours = key(1);
        let theirs = key(2);
        let t = sign(&claims(), &theirs);
        assert_eq!(
            verify(&t, &keyset(&ours), &expect(), NOW),
            Err(TokenError::UnknownKey)
        );
        // Forge the header to claim our kid: the signature then fails.
        let forged_header = B64.encode(format!(
            r#"{{"alg":"EdDSA","typ":"JWT","kid":"{}"}}"#,
            key_id(&ours.verifying_key())
        ));
        let mut parts: Vec<&str> = t.split('.').collect();
        parts[0] = &forged_header;
        let forged = parts.join(".");
        assert_eq!(
            verify(&forged, &keyset(&ours), &expect(), NOW),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn refuses_alg_none_and_hs256_with_the_public_key() {
        use hmac_sha256 as hs;
        let k = key(1);
        let kid = key_id(&k.verifying_key());
        let payload = B64.encode(serde_json::to_vec(&claims()).unwrap());
        let none_header = B64.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#));
        let none = format!("{none_header}.{payload}.");
        assert_eq!(
            verify(&none, &keyset(&k), &expect(), NOW),
            Err(TokenError::Algorithm)
        );
        let hs_header = B64.encode(format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#));
        let input = format!("{hs_header}.{payload}");
        let mac = hs::mac(k.verifying_key().as_bytes(), input.as_bytes());
        let hs = format!("{input}.{}", B64.encode(mac));
        assert_eq!(
            verify(&hs, &keyset(&k), &expect(), NOW),
            Err(TokenError::Algorithm)
        );
    }

    #[test]
    fn refuses_a_tampered_payload() {
        let k = key(1);
        let t = sign(&claims(), &k);
        let mut c = claims();
        c.role = Role::Admin;
        let evil = B64.encode(serde_json::to_vec(&c).unwrap());
        let parts: Vec<&str> = t.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], evil, parts[2]);
        assert_eq!(
            verify(&tampered, &keyset(&k), &expect(), NOW),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn refuses_garbage() {
        let k = key(1);
        for t in ["", "a.b", "a.b.c.d", "!!!.@@@.###", "eyJ9.eyJ9.AAAA"] {
            assert!(verify(t, &keyset(&k), &expect(), NOW).is_err(), "{t}");
        }
    }

    #[test]
    fn jwks_round_trip_keeps_only_consistent_keys() {
        let k = key(3);
        let mut jwks = Jwks {
            keys: vec![Jwk::from_key(&k.verifying_key())],
        };
        let mut lying = Jwk::from_key(&key(4).verifying_key());
        lying.kid = jwks.keys[0].kid.clone();
        jwks.keys.push(lying);
        let set = KeySet::from_jwks(&jwks);
        assert!(set.contains(&key_id(&k.verifying_key())));
        assert_eq!(set.keys.len(), 1);
    }

    /// HMAC-SHA256 for the attack test, from the hash we already depend on (RFC 2104).
    mod hmac_sha256 {
        use sha2::{Digest, Sha256};
        pub fn mac(key: &[u8], msg: &[u8]) -> Vec<u8> {
            let mut k = [0u8; 64];
            k[..key.len()].copy_from_slice(key);
            let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
            let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
            let inner = Sha256::new()
                .chain_update(&ipad)
                .chain_update(msg)
                .finalize();
            Sha256::new()
                .chain_update(&opad)
                .chain_update(inner)
                .finalize()
                .to_vec()
        }
    }
}
