//! Likes, the accepted answer and watching a topic. A like is a row keyed by (post, member),
//! so however many arrive at once a member's like counts once; the counters move in the
//! triggers of the statement that wrote the row.

use jiff::Timestamp;
use service_kit::db::Db;
use service_kit::{params, Problem};

/// Likes `post` for `user`, a signed-in member (who may read every category), once whatever
/// the number of tries. The post's likes and whether this call added one; `None`: no such
/// visible post the user may like.
pub fn like(
    db: &dyn Db,
    user: &str,
    post: &str,
    now: Timestamp,
) -> Result<Option<(i64, bool)>, Problem> {
    let rows = db.execute(
        "INSERT INTO forum_likes (post_id, user_id, created_at) \
         SELECT p.id, ?2, ?3 FROM forum_posts AS p JOIN forum_topics AS t ON t.id = p.topic_id \
         WHERE p.id = ?1 AND p.status = 'visible' AND t.status = 'visible' AND p.author_id <> ?2 \
           AND NOT EXISTS (SELECT 1 FROM forum_members WHERE user_id = ?2 AND silenced_until > ?3) \
         ON CONFLICT (post_id, user_id) DO NOTHING RETURNING post_id",
        params![post, user, crate::stamp(now)],
    )?;
    let added = !rows.is_empty();
    let count = db.execute(
        "SELECT p.likes_count, p.author_id, p.status, \
           EXISTS (SELECT 1 FROM forum_likes WHERE post_id = p.id AND user_id = ?2) AS liked \
         FROM forum_posts AS p WHERE p.id = ?1",
        params![post, user],
    )?;
    let Some(r) = count.first() else {
        return Ok(None);
    };
    if !r.get::<bool>("liked")? {
        if r.get::<String>("author_id")? == user {
            return Err(Problem::conflict(
                "own-post",
                "you cannot like your own post",
            ));
        }
        return Ok(None);
    }
    Ok(Some((r.get("likes_count")?, added)))
}

/// Takes `user`'s like back; the post's likes.
pub fn unlike(db: &dyn Db, user: &str, post: &str) -> Result<Option<i64>, Problem> {
    db.execute(
        "DELETE FROM forum_likes WHERE post_id = ?1 AND user_id = ?2",
        params![post, user],
    )?;
    let rows = db.execute(
        "SELECT likes_count FROM forum_posts WHERE id = ?1",
        params![post],
    )?;
    rows.first()
        .map(|r| r.get("likes_count"))
        .transpose()
        .map_err(Into::into)
}

/// Marks `post` the topic's accepted answer, by the topic's author or a moderator. `false`:
/// not allowed, or not a visible reply of this topic.
pub fn accept(
    db: &dyn Db,
    topic: &str,
    post: &str,
    by: &str,
    moderator: bool,
    now: Timestamp,
) -> Result<bool, Problem> {
    let rows = db.execute(
        "UPDATE forum_topics SET accepted_post_id = ?2, accepted_by = ?3, accepted_at = ?5 \
         WHERE id = ?1 AND status = 'visible' AND (author_id = ?3 OR ?4) \
           AND EXISTS (SELECT 1 FROM forum_posts WHERE id = ?2 AND topic_id = ?1 \
                       AND number > 1 AND status = 'visible') \
         RETURNING id",
        params![topic, post, by, moderator, crate::stamp(now)],
    )?;
    Ok(!rows.is_empty())
}

pub fn unaccept(db: &dyn Db, topic: &str, by: &str, moderator: bool) -> Result<bool, Problem> {
    let rows = db.execute(
        "UPDATE forum_topics SET accepted_post_id = NULL, accepted_by = NULL, accepted_at = NULL \
         WHERE id = ?1 AND (author_id = ?2 OR ?3) RETURNING id",
        params![topic, by, moderator],
    )?;
    Ok(!rows.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, strum::AsRefStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WatchLevel {
    /// Told of every reply.
    Watching,
    /// The default: told of replies to one's own topic, and of one's answer accepted.
    Normal,
    /// Told of nothing in this topic.
    Muted,
}

pub fn watch(db: &dyn Db, topic: &str, user: &str, level: WatchLevel) -> Result<bool, Problem> {
    let exists = db.execute(
        "SELECT 1 AS yes FROM forum_topics WHERE id = ?1",
        params![topic],
    )?;
    if exists.is_empty() {
        return Ok(false);
    }
    match level {
        WatchLevel::Normal => db.execute(
            "DELETE FROM forum_watch WHERE topic_id = ?1 AND user_id = ?2",
            params![topic, user],
        )?,
        l => db.execute(
            "INSERT INTO forum_watch (topic_id, user_id, level) VALUES (?1, ?2, ?3) \
             ON CONFLICT (topic_id, user_id) DO UPDATE SET level = excluded.level",
            params![topic, user, l.as_ref()],
        )?,
    };
    Ok(true)
}
