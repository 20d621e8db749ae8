//! Sign-in, access tokens and refresh-token rotation with reuse detection.
//!
//! Access tokens live 15 minutes. A refresh token is 256 bits, stored only as its SHA-256,
//! single-use: each refresh marks it used and issues the next one in the same family (one
//! sign-in). Presenting a used token means it was copied, so the whole family is revoked —
//! except a retry within [`RETRY_GRACE_SECS`] of the first use, whose answer was probably lost:
//! it gets the same successor again (the successor is derived from the presented token with a
//! key only auth holds, so nothing secret is stored to make that possible).
//!
//! A sign-in ends [`ABSOLUTE_TTL_SECS`] after it began however often it is refreshed, and after
//! [`IDLE_TTL_SECS`] without a refresh.

use crate::api::{LoginBody, TokenResponse, User};
use crate::refusal::Refusal;
use crate::{accounts, password, security, throttle, Ctx};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service_kit::audit::Outcome;
use service_kit::token::{self, Audience, Claims};
use service_kit::{new_id, params, random_bytes, Problem};
use sha2::{Digest, Sha256};

pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// A sign-in's whole life, from the password to the last refresh.
pub const ABSOLUTE_TTL_SECS: i64 = 30 * 24 * 3600;
/// How long a refresh token lasts unused.
pub const IDLE_TTL_SECS: i64 = 7 * 24 * 3600;
/// How soon after its first use a refresh token may be presented again and get the same answer.
pub const RETRY_GRACE_SECS: i64 = 10;

/// The one answer for an unknown email and a wrong password.
fn bad_credentials() -> Problem {
    Refusal::BadCredentials.into()
}

pub fn login(
    ctx: &Ctx,
    body: &LoginBody,
    client_ip: Option<&str>,
) -> Result<TokenResponse, Problem> {
    body.validate()?;
    // Reserved before the password is looked at: parallel guesses can't all pass a check.
    let reservation = match throttle::reserve(ctx, &throttle::sign_in_keys(&body.email, client_ip))
    {
        Ok(r) => r,
        Err(p) => {
            security::event(ctx, "sign-in-throttled", None, None, Outcome::Denied)?;
            return Err(p);
        }
    };
    let found = accounts::find_credentials(ctx, &body.email)?;
    let user = match found {
        Some((user, hash)) if password::verify(&body.password, &hash) => user,
        other => {
            if other.is_none() {
                password::verify_dummy(&body.password);
            }
            // The reservation stays: it is this failure's count.
            throttle::sweep(ctx)?;
            let subject = other.as_ref().map(|(u, _)| u.id.as_str());
            security::event(ctx, "sign-in-failed", None, subject, Outcome::Denied)?;
            return Err(bad_credentials());
        }
    };
    throttle::release(ctx, reservation)?;
    security::event(
        ctx,
        "sign-in",
        Some((&user.id, user.role)),
        Some(&user.id),
        if user.disabled {
            Outcome::Denied
        } else {
            Outcome::Allowed
        },
    )?;
    if user.disabled {
        return Err(Refusal::Disabled.into());
    }
    let family = Family {
        id: new_id(ctx.now),
        created_at: ctx.unix(),
    };
    ctx.db.execute(
        "INSERT INTO auth_refresh_families (id, user_id, created_at) VALUES (?, ?, ?)",
        params![family.id.as_str(), user.id.as_str(), family.created_at],
    )?;
    let refresh = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    issue(ctx, user, &family, refresh, true)
}

/// One sign-in.
struct Family {
    id: String,
    created_at: i64,
}

impl Family {
    /// When a refresh token issued now expires: idle limit, capped by the absolute one.
    fn token_expiry(&self, now: i64) -> i64 {
        (now + IDLE_TTL_SECS).min(self.created_at + ABSOLUTE_TTL_SECS)
    }
}

/// The token that follows `presented`: derived, not random, so a retry of the same refresh
/// gets the same successor. Keyed with the signing key's secret half, which only auth holds.
fn successor(ctx: &Ctx, presented: &str) -> Result<String, Problem> {
    let key = crate::keys::signing_key(ctx)?;
    let mut h = Sha256::new();
    h.update(b"healthe refresh successor v1\0");
    h.update(key.to_bytes());
    h.update(presented.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(h.finalize()))
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mints an access token beside the family's next refresh token (stored first when `store`).
fn issue(
    ctx: &Ctx,
    user: User,
    family: &Family,
    refresh: String,
    store: bool,
) -> Result<TokenResponse, Problem> {
    let now = ctx.unix();
    let expires_at = family.token_expiry(now);
    if store {
        ctx.db.execute(
            "INSERT INTO auth_refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
            params![hash_token(&refresh), family.id.as_str(), now, expires_at],
        )?;
    }
    let expect = &ctx.settings.expect;
    let claims = Claims {
        iss: expect.issuer.clone(),
        aud: Audience::One(expect.audience.clone()),
        sub: user.id.clone(),
        role: user.role,
        iat: now,
        nbf: now,
        exp: now + ACCESS_TTL_SECS,
        jti: new_id(ctx.now),
        email_verified: user.email_verified,
    };
    let access = token::sign(&claims, &crate::keys::signing_key(ctx)?);
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_SECS,
        refresh_token: Some(refresh),
        refresh_expires_in: (expires_at - now).max(0),
        user,
    })
}

fn invalid_refresh() -> Problem {
    Refusal::InvalidRefresh.into()
}

/// Rotates a refresh token.
pub fn refresh(ctx: &Ctx, presented: &str) -> Result<TokenResponse, Problem> {
    let now = ctx.unix();
    let hash = hash_token(presented);
    // Claim the token in one statement: of two concurrent uses, exactly one gets the row back.
    let claimed = ctx.db.execute(
        "UPDATE auth_refresh_tokens SET used_at = ?1
         WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
           AND family_id IN (SELECT id FROM auth_refresh_families
                             WHERE revoked_at IS NULL AND created_at > ?1 - ?3)
         RETURNING family_id",
        params![now, hash.as_str(), ABSOLUTE_TTL_SECS],
    )?;
    let (family_id, retry) = match claimed.first() {
        Some(row) => (row.get::<String>("family_id")?, false),
        None => {
            // Not claimable. Used already: a retry within the grace period is answered again;
            // anything later is a replay, and the whole sign-in is revoked.
            let seen = ctx.db.execute(
                "SELECT family_id, used_at FROM auth_refresh_tokens
                 WHERE token_hash = ? AND used_at IS NOT NULL",
                params![hash.as_str()],
            )?;
            let Some(row) = seen.first() else {
                return Err(invalid_refresh());
            };
            let family: String = row.get("family_id")?;
            let used_at: i64 = row.get("used_at")?;
            if now - used_at > RETRY_GRACE_SECS || !successor_unused(ctx, presented)? {
                revoke_family(ctx, &family, "reuse-detected")?;
                let owner = ctx.db.execute(
                    "SELECT user_id FROM auth_refresh_families WHERE id = ?",
                    params![family.as_str()],
                )?;
                let owner: Option<String> = owner.first().map(|r| r.get("user_id")).transpose()?;
                security::event(
                    ctx,
                    "refresh-token-reuse",
                    None,
                    owner.as_deref(),
                    Outcome::Denied,
                )?;
                return Err(Refusal::RefreshReused.into());
            }
            (family, true)
        }
    };
    let rows = ctx.db.execute(
        "SELECT user_id, created_at FROM auth_refresh_families
         WHERE id = ?1 AND revoked_at IS NULL AND created_at > ?2 - ?3",
        params![family_id.as_str(), now, ABSOLUTE_TTL_SECS],
    )?;
    let row = rows.first().ok_or_else(invalid_refresh)?;
    let family = Family {
        id: family_id.clone(),
        created_at: row.get("created_at")?,
    };
    let user_id: String = row.get("user_id")?;
    let user = accounts::get(ctx, &user_id)?.ok_or_else(invalid_refresh)?;
    if user.disabled {
        revoke_family(ctx, &family.id, "disabled")?;
        return Err(invalid_refresh());
    }
    let next = successor(ctx, presented)?;
    issue(ctx, user, &family, next, !retry)
}

/// Whether the successor of `presented` exists and has not been used: a retry is only answered
/// again while the first answer has not been acted on.
fn successor_unused(ctx: &Ctx, presented: &str) -> Result<bool, Problem> {
    let rows = ctx.db.execute(
        "SELECT 1 AS unused FROM auth_refresh_tokens WHERE token_hash = ? AND used_at IS NULL",
        params![hash_token(&successor(ctx, presented)?)],
    )?;
    Ok(!rows.is_empty())
}

/// Ends the sign-in the refresh token belongs to. Unknown tokens are ignored: logging out is
/// idempotent and says nothing about which tokens exist.
pub fn logout(ctx: &Ctx, presented: &str) -> Result<(), Problem> {
    ctx.db.execute(
        "UPDATE auth_refresh_families SET revoked_at = ?1, revoked_reason = 'logout'
         WHERE revoked_at IS NULL
           AND id = (SELECT family_id FROM auth_refresh_tokens WHERE token_hash = ?2)",
        params![ctx.unix(), hash_token(presented)],
    )?;
    Ok(())
}

fn revoke_family(ctx: &Ctx, family: &str, reason: &str) -> Result<(), Problem> {
    ctx.db.execute(
        "UPDATE auth_refresh_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
        params![ctx.unix(), reason, family],
    )?;
    Ok(())
}

/// Revokes every sign-in of a user.
pub fn revoke_all(ctx: &Ctx, user_id: &str, reason: &str) -> Result<(), Problem> {
    ctx.db.execute(
        "UPDATE auth_refresh_families SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
        params![ctx.unix(), reason, user_id],
    )?;
    Ok(())
}
