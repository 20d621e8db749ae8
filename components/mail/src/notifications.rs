//! In-app notifications: what each user was told, newest first, and how many are unread. They
//! are made with their message (a trigger on the outbox), so one exists exactly when the other
//! does; their sequence number is what a stream resumes from (`Last-Event-ID`).

use serde::Serialize;
use service_kit::db::{Db, Row};
use service_kit::{params, Problem};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notification {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub title: String,
    pub link: Option<String>,
    pub created_at: String,
    pub read: bool,
}

const COLUMNS: &str = "seq, id, kind, title, link, created_at, read_at IS NOT NULL AS read";

fn notification(r: Row<'_>) -> Result<Notification, Problem> {
    Ok(Notification {
        seq: r.get("seq")?,
        id: r.get("id")?,
        kind: r.get("kind")?,
        title: r.get("title")?,
        link: r.get("link")?,
        created_at: r.get("created_at")?,
        read: r.get("read")?,
    })
}

/// The user's notifications, newest first, before `before` (a sequence number).
pub fn list(
    db: &dyn Db,
    user: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notification>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM mail_notifications WHERE user_id = ? AND seq < ? \
             ORDER BY seq DESC LIMIT ?"
        ),
        params![user, before.unwrap_or(i64::MAX), limit],
    )?;
    rows.iter().map(notification).collect()
}

/// The user's notifications after `after`, oldest first: what a stream or a long poll sends.
pub fn since(
    db: &dyn Db,
    user: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Notification>, Problem> {
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM mail_notifications WHERE user_id = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        ),
        params![user, after, limit],
    )?;
    rows.iter().map(notification).collect()
}

/// How many are unread, and the newest sequence number (0 when none): one statement.
pub fn summary(db: &dyn Db, user: &str) -> Result<(i64, i64), Problem> {
    let rows = db.execute(
        "SELECT (SELECT count(*) FROM mail_notifications WHERE user_id = ?1 AND read_at IS NULL) \
           AS unread, \
         (SELECT COALESCE(max(seq), 0) FROM mail_notifications WHERE user_id = ?1) AS latest",
        params![user],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| Problem::internal("a count returned no row"))?;
    Ok((r.get("unread")?, r.get("latest")?))
}

/// Which of the user's notifications to mark read.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    These(Vec<String>),
    /// Everything up to and including a sequence number (what the reader has seen).
    UpTo(i64),
}

/// Marks the user's own notifications read (another user's ids match nothing); the unread
/// count after.
pub fn mark_read(db: &dyn Db, user: &str, mark: &Mark, now: &str) -> Result<i64, Problem> {
    match mark {
        Mark::These(ids) => {
            let ids = serde_json::to_string(ids).map_err(Problem::internal)?;
            db.execute(
                "UPDATE mail_notifications SET read_at = ?3 WHERE user_id = ?1 AND read_at IS NULL \
                 AND id IN (SELECT value FROM json_each(?2))",
                params![user, ids, now],
            )?;
        }
        Mark::UpTo(seq) => {
            db.execute(
                "UPDATE mail_notifications SET read_at = ?3 WHERE user_id = ?1 AND read_at IS NULL \
                 AND seq <= ?2",
                params![user, *seq, now],
            )?;
        }
    }
    Ok(summary(db, user)?.0)
}
