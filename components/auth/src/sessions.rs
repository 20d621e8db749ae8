//! Sign-in, access tokens and refresh-token rotation with reuse detection.
//!
//! Access tokens live 15 minutes. A refresh token is 256 random bits, stored only as its SHA-256,
//! single-use: each refresh marks it used and issues the next one in the same family. Presenting a
//! used token means it was copied, so the whole family (that sign-in) is revoked.

use crate::api::{LoginBody, TokenResponse, User};
use crate::{accounts, password, throttle, Ctx};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service_kit::token::{self, Audience, Claims, Expectations};
use service_kit::{new_id, params, random_bytes, Problem};
use sha2::{Digest, Sha256};

pub const ACCESS_TTL_SECS: i64 = 15 * 60;
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;

/// The one answer for an unknown email and a wrong password.
fn bad_credentials() -> Problem {
    Problem::unauthorized("the email or password is wrong")
}

pub fn login(
    ctx: &Ctx,
    body: &LoginBody,
    client_ip: Option<&str>,
) -> Result<TokenResponse, Problem> {
    body.validate()?;
    let account_key = throttle::account_key(&body.email);
    let client_key = client_ip.map(throttle::client_key);
    let keys: Vec<String> = std::iter::once(account_key.clone())
        .chain(client_key.clone())
        .collect();
    throttle::check(ctx, &keys)?;

    let found = accounts::find_credentials(ctx, &body.email)?;
    let user = match found {
        Some((user, hash)) if password::verify(&body.password, &hash) => user,
        other => {
            if other.is_none() {
                password::verify_dummy(&body.password);
            }
            throttle::record_failure(ctx, &account_key, &throttle::ACCOUNT)?;
            if let Some(k) = &client_key {
                throttle::record_failure(ctx, k, &throttle::CLIENT)?;
            }
            return Err(bad_credentials());
        }
    };
    if user.disabled {
        return Err(Problem::forbidden(
            "this account is disabled; contact the clinic",
        ));
    }
    throttle::clear(ctx, &account_key)?;
    let family = new_id(ctx.now);
    ctx.db.execute(
        "INSERT INTO auth_refresh_families (id, user_id, created_at) VALUES (?, ?, ?)",
        params![family.as_str(), user.id.as_str(), ctx.unix()],
    )?;
    issue(ctx, user, &family)
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mints an access token and the family's next refresh token.
fn issue(ctx: &Ctx, user: User, family: &str) -> Result<TokenResponse, Problem> {
    let now = ctx.unix();
    let refresh = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    ctx.db.execute(
        "INSERT INTO auth_refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
        params![hash_token(&refresh), family, now, now + REFRESH_TTL_SECS],
    )?;
    let expect = Expectations::from_vars(ctx.vars);
    let claims = Claims {
        iss: expect.issuer,
        aud: Audience::One(expect.audience),
        sub: user.id.clone(),
        role: user.role,
        iat: now,
        nbf: now,
        exp: now + ACCESS_TTL_SECS,
        jti: new_id(ctx.now),
    };
    let access = token::sign(&claims, &crate::keys::signing_key(ctx)?);
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_SECS,
        refresh_token: refresh,
        refresh_expires_in: REFRESH_TTL_SECS,
        user,
    })
}

fn invalid_refresh() -> Problem {
    Problem::unauthorized("the refresh token is invalid, expired or revoked; sign in again")
}

/// Rotates a refresh token.
pub fn refresh(ctx: &Ctx, presented: &str) -> Result<TokenResponse, Problem> {
    let now = ctx.unix();
    let hash = hash_token(presented);
    // Claim the token in one statement: of two concurrent uses, exactly one gets the row back.
    let claimed = ctx.db.execute(
        "UPDATE auth_refresh_tokens SET used_at = ?1
         WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1
           AND family_id IN (SELECT id FROM auth_refresh_families WHERE revoked_at IS NULL)
         RETURNING family_id",
        params![now, hash.as_str()],
    )?;
    let Some(row) = claimed.first() else {
        // Not claimable. If it exists and was already used, it has been replayed: revoke the family.
        let seen = ctx.db.execute(
            "SELECT family_id FROM auth_refresh_tokens WHERE token_hash = ? AND used_at IS NOT NULL",
            params![hash.as_str()],
        )?;
        if let Some(row) = seen.first() {
            let family: String = row.get("family_id")?;
            revoke_family(ctx, &family, "reuse-detected")?;
            return Err(Problem::unauthorized(
                "this refresh token was already used; every session from that sign-in is now revoked",
            ));
        }
        return Err(invalid_refresh());
    };
    let family: String = row.get("family_id")?;
    let user_row = ctx.db.execute(
        "SELECT user_id FROM auth_refresh_families WHERE id = ?",
        params![family.as_str()],
    )?;
    let user_id: String = user_row
        .first()
        .ok_or_else(invalid_refresh)?
        .get("user_id")?;
    let user = accounts::get(ctx, &user_id)?.ok_or_else(invalid_refresh)?;
    if user.disabled {
        revoke_family(ctx, &family, "disabled")?;
        return Err(invalid_refresh());
    }
    issue(ctx, user, &family)
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
