//! Keeping it safe: flags, the review queue, moderators' decisions and the moderation log.
//!
//! A flag is a row (one per member per post); its trigger hides the post once distinct
//! flaggers reach the clinic's threshold, until a moderator decides. A moderator's decision is
//! one row of the moderation log whose triggers apply it — flags closed, post hidden, deleted
//! or shown again, author silenced — so the log cannot miss an action, nor an action its log.
//! The member a log row concerns reads it with its reason; who flagged a post is shown to
//! moderators only.

use crate::trust::Policy;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::db::Db;
use service_kit::text::TextRule;
use service_kit::{params, Problem};

pub const NOTE: TextRule = TextRule::paragraphs(0, 500);
pub const REASON: TextRule = TextRule::paragraphs(3, 500);
pub const MAX_SILENCE_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::AsRefStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FlagReason {
    OffTopic,
    Inappropriate,
    Spam,
    /// Medical misinformation.
    Misinformation,
    /// Personal health information.
    PersonalInformation,
    Other,
}

/// Flags `post` for `user`, a signed-in member (who may read every category), at the clinic's
/// threshold and flagging rate. `Ok(false)`: refused (the caller asks [`why_not_flagged`]).
pub fn flag(
    db: &dyn Db,
    policy: &Policy,
    user: &str,
    post: &str,
    reason: FlagReason,
    note: Option<&str>,
    now: Timestamp,
) -> Result<bool, Problem> {
    let rows = db.execute(
        "INSERT INTO forum_flags (id, post_id, flagger_id, reason, note, threshold, created_at) \
         SELECT ?1, p.id, ?3, ?4, ?5, ?6, ?7 FROM forum_posts AS p \
         WHERE p.id = ?2 AND p.status <> 'deleted' AND p.author_id <> ?3 \
           AND NOT EXISTS (SELECT 1 FROM forum_members WHERE user_id = ?3 AND silenced_until > ?7) \
           AND (SELECT count(*) FROM forum_flags WHERE flagger_id = ?3 AND created_at > ?8) < ?9 \
         ON CONFLICT (post_id, flagger_id) DO NOTHING RETURNING id",
        params![
            service_kit::new_id(now),
            post,
            user,
            reason.as_ref(),
            note,
            policy.flag_threshold,
            crate::stamp(now),
            crate::stamp(now - SignedDuration::from_hours(1)),
            policy.flags_per_hour
        ],
    )?;
    Ok(!rows.is_empty())
}

/// Why a flag was not taken.
pub fn why_not_flagged(
    db: &dyn Db,
    user: &str,
    post: &str,
    per_hour: i64,
    now: Timestamp,
) -> Result<Problem, Problem> {
    let rows = db.execute(
        "SELECT p.author_id, p.status, \
           EXISTS (SELECT 1 FROM forum_flags WHERE post_id = p.id AND flagger_id = ?2) AS flagged, \
           (SELECT count(*) FROM forum_flags WHERE flagger_id = ?2 AND created_at > ?3) AS recent, \
           EXISTS (SELECT 1 FROM forum_members WHERE user_id = ?2 AND silenced_until > ?4) AS silenced \
         FROM forum_posts AS p WHERE p.id = ?1",
        params![
            post,
            user,
            crate::stamp(now - SignedDuration::from_hours(1)),
            crate::stamp(now)
        ],
    )?;
    let Some(r) = rows.first() else {
        return Ok(Problem::not_found("no such post"));
    };
    Ok(if r.get::<bool>("silenced")? {
        Problem::new(
            http::StatusCode::FORBIDDEN,
            "silenced",
            "Silenced",
            "a moderator silenced you: you cannot flag posts now",
        )
    } else if r.get::<bool>("flagged")? {
        Problem::conflict("already-flagged", "you flagged this post already")
    } else if r.get::<String>("author_id")? == user {
        Problem::conflict("own-post", "you cannot flag your own post")
    } else if r.get::<String>("status")? == "deleted" {
        Problem::not_found("no such post")
    } else if r.get::<i64>("recent")? >= per_hour {
        let mut p = Problem::too_many_requests(3600);
        p.detail = format!("at most {per_hour} flags an hour");
        p
    } else {
        Problem::not_found("no such post")
    })
}

/// The review queue: posts with open flags, oldest first, each with its flags and its author's
/// standing.
pub fn queue(
    db: &dyn Db,
    after_seq: i64,
    limit: i64,
) -> Result<(Vec<Value>, Option<i64>), Problem> {
    let rows = db.execute(
        "SELECT p.seq, p.id, p.topic_id, p.number, p.author_id, p.author_role, p.body_html, \
           p.body_md, p.status, p.hidden_reason, p.open_flags, p.created_at, t.title, \
           m.display_name, m.silenced_until, m.posts_count, m.trusted_by, \
           (SELECT json_group_array(json_object('id', f.id, 'reason', f.reason, 'note', f.note, \
                     'flagger_id', f.flagger_id, 'created_at', f.created_at)) \
              FROM forum_flags AS f WHERE f.post_id = p.id AND f.status = 'open') AS flags \
         FROM forum_posts AS p INDEXED BY forum_posts_flagged \
         JOIN forum_topics AS t ON t.id = p.topic_id \
         LEFT JOIN forum_members AS m ON m.user_id = p.author_id \
         WHERE p.open_flags > 0 AND p.seq > ?1 ORDER BY p.seq LIMIT ?2",
        params![after_seq, limit + 1],
    )?;
    let mut items = Vec::new();
    let mut last = None;
    for r in rows.iter().take(limit as usize) {
        let author: String = r.get("author_id")?;
        let flags: Value =
            serde_json::from_str(&r.get::<String>("flags")?).map_err(Problem::internal)?;
        last = Some(r.get::<i64>("seq")?);
        items.push(json!({
            "post": {
                "id": r.get::<String>("id")?,
                "topic_id": r.get::<String>("topic_id")?,
                "topic_title": r.get::<String>("title")?,
                "number": r.get::<i64>("number")?,
                "html": r.get::<String>("body_html")?,
                "body": r.get::<String>("body_md")?,
                "status": r.get::<String>("status")?,
                "hidden_reason": r.get::<Option<String>>("hidden_reason")?,
                "created_at": r.get::<String>("created_at")?,
            },
            "author": {
                "id": author,
                "name": crate::display_name(r.get("display_name")?, &author),
                "role": r.get::<String>("author_role")?,
                "posts": r.get::<Option<i64>>("posts_count")?.unwrap_or(0),
                "trusted": r.get::<Option<String>>("trusted_by")?.is_some(),
                "silenced_until": r.get::<Option<String>>("silenced_until")?,
            },
            "open_flags": r.get::<i64>("open_flags")?,
            "flags": flags,
        }));
    }
    let next = if rows.len() as i64 > limit {
        last
    } else {
        None
    };
    Ok((items, next))
}

/// What a moderator decides about a flagged post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    /// The flags are right: hide the post …
    AgreeHide,
    /// … or delete it.
    AgreeDelete,
    /// The flags are wrong: the post is shown again if they hid it.
    Disagree,
    /// Close the flags and leave the post as it is.
    Ignore,
}

/// A moderator's action on a post outside the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PostAction {
    Hide,
    Restore,
    Delete,
}

/// A moderator's action on a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MemberAction {
    Silence,
    Unsilence,
    /// Lift the new-member limits.
    Trust,
    Untrust,
}

/// Writes one moderation log row about `post` (its author the member concerned), applied by
/// the row's triggers. `flagged_only`: only while the post has open flags (a review decision).
/// `false`: no such post (or, for a decision, none with open flags).
#[allow(clippy::too_many_arguments)]
pub fn act_on_post(
    db: &dyn Db,
    kind: &str,
    post: &str,
    moderator: &str,
    reason: &str,
    until: Option<Timestamp>,
    flagged_only: bool,
    now: Timestamp,
) -> Result<bool, Problem> {
    let rows = db.execute(
        "INSERT INTO forum_actions (id, kind, post_id, target_user, moderator_id, reason, until, created_at) \
         SELECT ?1, ?2, p.id, p.author_id, ?3, ?4, ?5, ?6 FROM forum_posts AS p \
         WHERE p.id = ?7 AND (NOT ?8 OR p.open_flags > 0) RETURNING id",
        params![
            service_kit::new_id(now),
            kind,
            moderator,
            reason,
            until.map(crate::stamp),
            crate::stamp(now),
            post,
            flagged_only
        ],
    )?;
    Ok(!rows.is_empty())
}

pub fn act_on_member(
    db: &dyn Db,
    action: MemberAction,
    member: &str,
    moderator: &str,
    reason: &str,
    until: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), Problem> {
    db.execute(
        "INSERT INTO forum_actions (id, kind, post_id, target_user, moderator_id, reason, until, created_at) \
         VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7)",
        params![
            service_kit::new_id(now),
            action.as_ref(),
            member,
            moderator,
            reason,
            until.map(crate::stamp),
            crate::stamp(now)
        ],
    )?;
    Ok(())
}

/// The moderation log, newest first: about one member (what they are shown, without the
/// moderator), or all of it (for moderators).
pub fn log(
    db: &dyn Db,
    member: Option<&str>,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<(Vec<Value>, Option<i64>), Problem> {
    let rows = db.execute(
        "SELECT a.seq, a.id, a.kind, a.post_id, a.target_user, a.moderator_id, a.reason, a.until, \
           a.created_at, p.topic_id, t.title FROM forum_actions AS a \
         LEFT JOIN forum_posts AS p ON p.id = a.post_id \
         LEFT JOIN forum_topics AS t ON t.id = p.topic_id \
         WHERE (?1 IS NULL OR a.target_user = ?1) AND (?2 IS NULL OR a.seq < ?2) \
         ORDER BY a.seq DESC LIMIT ?3",
        params![member, before_seq, limit + 1],
    )?;
    let mut items = Vec::new();
    let mut last = None;
    for r in rows.iter().take(limit as usize) {
        last = Some(r.get::<i64>("seq")?);
        let mut item = json!({
            "id": r.get::<String>("id")?,
            "kind": r.get::<String>("kind")?,
            "post_id": r.get::<Option<String>>("post_id")?,
            "topic_id": r.get::<Option<String>>("topic_id")?,
            "topic_title": r.get::<Option<String>>("title")?,
            "reason": r.get::<String>("reason")?,
            "until": r.get::<Option<String>>("until")?,
            "created_at": r.get::<String>("created_at")?,
        });
        if member.is_none() {
            item["member_id"] = json!(r.get::<String>("target_user")?);
            item["moderator_id"] = json!(r.get::<String>("moderator_id")?);
        }
        items.push(item);
    }
    let next = if rows.len() as i64 > limit {
        last
    } else {
        None
    };
    Ok((items, next))
}
