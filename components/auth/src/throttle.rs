//! Throttling by reservation: each attempt at a sign-in (or a sign-up) is *reserved* against
//! every key it counts for, in one statement, before any password is hashed. Of fifty parallel
//! guesses, only the first `max` get a reservation; the rest are answered 429 without a hash.
//! A sign-in that succeeds gives its reservations back, so only failures stay counted.
//!
//! The keys are chosen so that brute force is expensive but nobody can lock anybody else out:
//! - one address guessing one account is stopped after a few tries (`PAIR`);
//! - one address guessing across accounts is stopped after more (`CLIENT`);
//! - all addresses together guessing one account meet a slower cap (`ACCOUNT`), so a botnet
//!   gets a few hundred guesses a day, not millions;
//! - and the right password from an address that has not been failing still works after the
//!   first two have tripped.
//!
//! Rows in auth's own table, one per key tried recently — never one key-value entry per user.

use crate::Ctx;
use service_kit::db::Value;
use service_kit::{params, Problem};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_attempts: i64,
    pub window_secs: i64,
}

/// One address guessing one account: 5 tries in 15 minutes.
pub const PAIR: Limit = Limit {
    max_attempts: 5,
    window_secs: 15 * 60,
};

/// One address guessing across many accounts: looser, since clinics sit behind NAT.
pub const CLIENT: Limit = Limit {
    max_attempts: 100,
    window_secs: 15 * 60,
};

/// Every address together, for one account: the slow global cap.
pub const ACCOUNT: Limit = Limit {
    max_attempts: 30,
    window_secs: 60 * 60,
};

/// Sign-ups from one address in an hour, unless `auth_registrations_per_hour` says otherwise.
pub const REGISTER_PER_HOUR: i64 = 30;

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The keys one sign-in attempt counts against. Without a client address (never on Spin), the
/// attempt counts against the account alone.
pub fn sign_in_keys(email: &str, ip: Option<&str>) -> Vec<(String, Limit)> {
    let email = email_key(email);
    let mut keys = vec![(format!("account:{email}"), ACCOUNT)];
    if let Some(ip) = ip {
        keys.push((format!("pair:{email}|{ip}"), PAIR));
        keys.push((format!("client:{ip}"), CLIENT));
    }
    keys
}

/// The key one sign-up counts against.
pub fn register_keys(ip: Option<&str>, per_hour: i64) -> Vec<(String, Limit)> {
    let limit = Limit {
        max_attempts: per_hour,
        window_secs: 3600,
    };
    vec![(format!("register:{}", ip.unwrap_or("unknown")), limit)]
}

/// Reservations held by one attempt; give them back with [`release`] when it succeeds.
#[derive(Debug)]
pub struct Reservation {
    keys: Vec<String>,
}

/// Reserves one attempt against every key, in one statement. 429 with `Retry-After` if any key
/// is at its limit; the keys that did take the reservation are then given back, so a refused
/// attempt counts nowhere.
pub fn reserve(ctx: &Ctx, keys: &[(String, Limit)]) -> Result<Reservation, Problem> {
    if keys.is_empty() {
        return Ok(Reservation { keys: vec![] });
    }
    let now = ctx.unix();
    let mut values = Vec::new();
    let mut args: Vec<Value> = vec![Value::Integer(now)];
    for (key, limit) in keys {
        let n = args.len();
        values.push(format!("(?{}, 1, ?{}, ?1, ?{})", n + 1, n + 2, n + 3));
        args.push(Value::from(key.as_str()));
        args.push(Value::Integer(limit.max_attempts));
        args.push(Value::Integer(limit.window_secs));
    }
    // A window that has ended starts again at 1. Otherwise the count rises to at most one past
    // the limit: `attempts <= max_attempts` after the update means this attempt holds a
    // reservation on that key, `max_attempts + 1` that it was refused there.
    let sql = format!(
        "INSERT INTO auth_attempts (key, attempts, max_attempts, window_start, window_secs)
         VALUES {}
         ON CONFLICT (key) DO UPDATE SET
           attempts = CASE
             WHEN window_start + window_secs <= ?1 THEN 1
             WHEN attempts <= excluded.max_attempts THEN attempts + 1
             ELSE attempts END,
           max_attempts = excluded.max_attempts,
           window_secs = excluded.window_secs,
           window_start = CASE
             WHEN window_start + window_secs <= ?1 THEN ?1 ELSE window_start END
         RETURNING key, attempts, max_attempts, window_start, window_secs",
        values.join(", ")
    );
    let rows = ctx.db.execute(&sql, &args)?;
    let mut held = Vec::new();
    let mut retry_at: Option<i64> = None;
    for row in rows.iter() {
        let key: String = row.get("key")?;
        let attempts: i64 = row.get("attempts")?;
        let max: i64 = row.get("max_attempts")?;
        if attempts <= max {
            held.push(key);
        } else {
            let end = row.get::<i64>("window_start")? + row.get::<i64>("window_secs")?;
            retry_at = Some(retry_at.map_or(end, |r: i64| r.max(end)));
        }
    }
    let reservation = Reservation { keys: held };
    match retry_at {
        None => Ok(reservation),
        Some(end) => {
            release(ctx, reservation)?;
            Err(crate::refusal::Refusal::Throttled {
                retry_after: (end - now).max(1) as u64,
            }
            .into())
        }
    }
}

/// Gives reservations back (the attempt succeeded, or was refused elsewhere). One statement.
pub fn release(ctx: &Ctx, reservation: Reservation) -> Result<(), Problem> {
    if reservation.keys.is_empty() {
        return Ok(());
    }
    let list = serde_json::to_string(&reservation.keys)
        .map_err(|e| Problem::internal(format!("reservation keys: {e}")))?;
    ctx.db.execute(
        "UPDATE auth_attempts SET attempts = MAX(attempts - 1, 0)
         WHERE key IN (SELECT value FROM json_each(?1))",
        params![list],
    )?;
    Ok(())
}

/// Forgets windows that have ended, so the table holds only keys tried recently. Called on the
/// failure path, which writes anyway.
pub fn sweep(ctx: &Ctx) -> Result<(), Problem> {
    ctx.db.execute(
        "DELETE FROM auth_attempts WHERE window_start + window_secs <= ?1",
        params![ctx.unix()],
    )?;
    Ok(())
}
