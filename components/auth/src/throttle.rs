//! Sign-in throttling: failures counted per account and per client address in a fixed window;
//! reaching the limit locks that key for a while (429 with `Retry-After`). Rows in auth's own
//! table, one per key that failed recently — never one key-value entry per user.

use crate::Ctx;
use service_kit::db::Value;
use service_kit::{params, Problem};

pub struct Limit {
    pub max_failures: i64,
    pub window_secs: i64,
    pub lock_secs: i64,
}

/// Five wrong passwords for one account in 15 minutes lock it for 15 minutes.
pub const ACCOUNT: Limit = Limit {
    max_failures: 5,
    window_secs: 15 * 60,
    lock_secs: 15 * 60,
};

/// One address guessing across many accounts: a looser limit, since clinics sit behind NAT.
pub const CLIENT: Limit = Limit {
    max_failures: 100,
    window_secs: 15 * 60,
    lock_secs: 15 * 60,
};

pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

pub fn client_key(ip: &str) -> String {
    format!("client:{ip}")
}

/// 429 if any of the keys is locked now.
pub fn check(ctx: &Ctx, keys: &[String]) -> Result<(), Problem> {
    let now = ctx.unix();
    for key in keys {
        let rows = ctx.db.execute(
            "SELECT locked_until FROM auth_login_throttle WHERE key = ? AND locked_until > ?",
            params![key.as_str(), now],
        )?;
        if let Some(row) = rows.first() {
            let until: i64 = row.get("locked_until")?;
            return Err(Problem::too_many_requests((until - now).max(1) as u64));
        }
    }
    Ok(())
}

/// Counts a failure against `key`, locking it when the limit is reached. One statement, so
/// concurrent failures all count.
pub fn record_failure(ctx: &Ctx, key: &str, limit: &Limit) -> Result<(), Problem> {
    let now = ctx.unix();
    ctx.db.execute(
        "INSERT INTO auth_login_throttle (key, failures, window_start, locked_until)
         VALUES (?1, 1, ?2, CASE WHEN ?4 <= 1 THEN ?2 + ?5 END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE failures + 1 END,
           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END,
           locked_until = CASE
             WHEN (CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE failures + 1 END) >= ?4 THEN ?2 + ?5
             ELSE locked_until END",
        &[
            Value::from(key),
            Value::Integer(now),
            Value::Integer(limit.window_secs),
            Value::Integer(limit.max_failures),
            Value::Integer(limit.lock_secs),
        ],
    )?;
    // Keep the table small: forget windows that ended and locks that expired.
    ctx.db.execute(
        "DELETE FROM auth_login_throttle
         WHERE window_start <= ?1 - ?2 AND (locked_until IS NULL OR locked_until <= ?1)",
        params![now, limit.window_secs.max(ACCOUNT.window_secs)],
    )?;
    Ok(())
}

/// A successful sign-in clears the account's count (not the address's).
pub fn clear(ctx: &Ctx, key: &str) -> Result<(), Problem> {
    ctx.db.execute(
        "DELETE FROM auth_login_throttle WHERE key = ?",
        params![key],
    )?;
    Ok(())
}
