//! News for mail, queued by the migration's triggers with the change it tells of: a reply to a
//! topic someone follows, an accepted answer. Relayed after the answer (the Spin entry's
//! `after`); a row leaves once mail accepted it, and mail stores each message once by its key.

use service_kit::db::Db;
use service_kit::mail::Message;
use service_kit::{params, Problem};

/// How long a relay holds what it claimed before another may take it.
const CLAIM: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// Claims up to `limit` waiting messages no live relay holds, in one statement, as mail's
/// messages (the topic's title and who acted, as they are now).
pub fn claim(db: &dyn Db, now: jiff::Timestamp, limit: i64) -> Result<Vec<Message>, Problem> {
    let rows = db.execute(
        "UPDATE forum_outbox SET claimed_until = ?1 \
         WHERE key IN (SELECT key FROM forum_outbox \
                       WHERE claimed_until IS NULL OR claimed_until < ?2 \
                       ORDER BY queued_at, key LIMIT ?3) \
         RETURNING key, template, to_user, topic_id, actor_id, \
           (SELECT title FROM forum_topics WHERE id = forum_outbox.topic_id) AS title, \
           (SELECT display_name FROM forum_members WHERE user_id = forum_outbox.actor_id) AS actor_name",
        params![crate::stamp(now + CLAIM), crate::stamp(now), limit],
    )?;
    rows.iter()
        .map(|r| {
            let actor: String = r.get("actor_id")?;
            let topic: String = r.get("topic_id")?;
            Ok(Message::to_user(
                &r.get::<String>("template")?,
                &r.get::<String>("to_user")?,
                serde_json::json!({
                    "topic_id": topic,
                    "topic_title": r.get::<Option<String>>("title")?.unwrap_or_default(),
                    "by_name": crate::display_name(r.get("actor_name")?, &actor),
                }),
                r.get("key")?,
            ))
        })
        .collect()
}

/// Removes what mail accepted.
pub fn sent(db: &dyn Db, keys: &[String]) -> Result<(), Problem> {
    if keys.is_empty() {
        return Ok(());
    }
    db.execute(
        "DELETE FROM forum_outbox WHERE key IN (SELECT value FROM json_each(?1))",
        params![serde_json::to_string(keys).map_err(Problem::internal)?],
    )?;
    Ok(())
}
