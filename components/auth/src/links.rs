//! One-time links mailed to an account: confirming its address, and resetting its password.
//!
//! A link carries 256 random bits; auth keeps only their SHA-256, as for refresh tokens. A link
//! is spent by one `UPDATE … WHERE used_at IS NULL AND expires_at > now`, so of two clicks (or a
//! click and a replay) exactly one wins. Spending a verification link verifies the account and
//! spending a reset link spends every other reset link of the account, both by triggers in the
//! same statement (migrations/auth/0004_email_links.sql).

use crate::Ctx;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use service_kit::{params, random_bytes, Problem};
use sha2::{Digest, Sha256};

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address: valid two days.
    Verify,
    /// Sets a new password: valid one hour (the mail says so).
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }

    pub fn lifetime_secs(self) -> i64 {
        match self {
            Purpose::Verify => 48 * 3600,
            Purpose::Reset => 3600,
        }
    }
}

/// A link about to be mailed: the token goes into the mail, its hash into the database.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token: String,
    pub hash: String,
    pub user_id: String,
    pub purpose: Purpose,
    pub expires_at: i64,
}

impl NewLink {
    pub fn new(ctx: &Ctx, user_id: &str, purpose: Purpose) -> NewLink {
        let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        NewLink {
            hash: hash(&token),
            token,
            user_id: user_id.to_string(),
            purpose,
            expires_at: ctx.unix() + purpose.lifetime_secs(),
        }
    }

    /// Where the mail sends its reader. A verification link is auth's own (it verifies, then
    /// takes the browser to the portal); a reset link opens the portal's form, the token in the
    /// fragment so it is never sent in a request line, a log or a `Referer`.
    pub fn url(&self, ctx: &Ctx) -> String {
        let base = ctx.settings.links_base();
        match self.purpose {
            Purpose::Verify => format!("{base}/api/auth/verify-email?token={}", self.token),
            Purpose::Reset => format!("{base}/#/reset-password?token={}", self.token),
        }
    }
}

pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A token is 43 URL-safe characters; anything else names no link and costs no statement.
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The problem a dead link is: named by its field.
pub fn dead(field: &str) -> Problem {
    Problem::invalid(
        field,
        "is not a valid link: it may have expired or already been used; ask for a new one",
    )
}

/// Spends a link of `purpose`, once: the account it belongs to, or `None` if it is unknown,
/// spent or expired.
pub fn spend(ctx: &Ctx, purpose: Purpose, token: &str) -> Result<Option<String>, Problem> {
    if !plausible(token) {
        return Ok(None);
    }
    let rows = ctx.db.execute(
        "UPDATE auth_email_links SET used_at = ?1
         WHERE token_hash = ?2 AND purpose = ?3 AND used_at IS NULL AND expires_at > ?1
         RETURNING user_id",
        params![ctx.unix(), hash(token), purpose.as_str()],
    )?;
    rows.first()
        .map(|r| r.get("user_id"))
        .transpose()
        .map_err(Into::into)
}

/// The account a live link of `purpose` belongs to, without spending it.
pub fn holder(ctx: &Ctx, purpose: Purpose, token: &str) -> Result<Option<String>, Problem> {
    if !plausible(token) {
        return Ok(None);
    }
    let rows = ctx.db.execute(
        "SELECT user_id FROM auth_email_links
         WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
        params![hash(token), purpose.as_str(), ctx.unix()],
    )?;
    rows.first()
        .map(|r| r.get("user_id"))
        .transpose()
        .map_err(Into::into)
}
