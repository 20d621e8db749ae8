//! auth's outbox: the mail a change must send (a verification link, a reset link, a notice to an
//! address's owner), queued in the same statement as the link it carries and relayed to mail
//! after the answer (`service_kit::mail`). A row is deleted once mail accepted it, so the raw
//! token a link holds stays in auth's database only until mail has it.

use crate::links::NewLink;
use crate::Ctx;
use service_kit::db::{Db, Value};
use service_kit::mail::Message;
use service_kit::{params, Problem};

/// Messages one relay takes at most.
pub const BATCH: i64 = 20;

/// Queues `message`, creating `link` with it (a trigger on the outbox) when there is one.
pub fn queue(ctx: &Ctx, message: &Message, link: Option<&NewLink>) -> Result<(), Problem> {
    let json = serde_json::to_string(message).map_err(|e| Problem::internal(e.to_string()))?;
    ctx.db.execute(
        "INSERT INTO auth_outbox (message, link_hash, link_user, link_purpose, link_expires, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::from(json),
            Value::from(link.map(|l| l.hash.as_str())),
            Value::from(link.map(|l| l.user_id.as_str())),
            Value::from(link.map(|l| l.purpose.as_str())),
            Value::from(link.map(|l| l.expires_at)),
            Value::Integer(ctx.unix()),
        ],
    )?;
    Ok(())
}

/// The oldest queued messages, with the last one's sequence number.
pub fn pending(db: &dyn Db) -> Result<(Vec<Message>, Option<i64>), Problem> {
    let rows = db.execute(
        "SELECT seq, message FROM auth_outbox ORDER BY seq LIMIT ?",
        params![BATCH],
    )?;
    let mut last = None;
    let mut messages = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        last = Some(row.get::<i64>("seq")?);
        let json: String = row.get("message")?;
        messages.push(
            serde_json::from_str(&json)
                .map_err(|e| Problem::internal(format!("a queued message: {e}")))?,
        );
    }
    Ok((messages, last))
}

/// Forgets what mail accepted: every row up to `seq`.
pub fn delivered(db: &dyn Db, seq: i64) -> Result<(), Problem> {
    db.execute("DELETE FROM auth_outbox WHERE seq <= ?", params![seq])?;
    Ok(())
}
