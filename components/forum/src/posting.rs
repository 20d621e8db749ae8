//! Writing: a new topic with its opening post, a reply, an edit, a deletion.
//!
//! A write is one statement whose `WHERE` holds every rule that depends on stored state — the
//! category's who-may-post, the author not silenced, the posting rate, a new member's limits —
//! so two requests at once cannot both slip under a limit. Only when it writes nothing is the
//! state read again, to say which rule refused it.

use crate::markdown::{self, Rendered};
use crate::phi;
use crate::trust::{self, Level, Policy, Standing};
use jiff::{SignedDuration, Timestamp};
use service_kit::db::{Db, Row};
use service_kit::text::TextRule;
use service_kit::token::Role;
use service_kit::{params, FieldError, Problem};

pub const TITLE: TextRule = TextRule::line(5, 200);
pub const BODY: TextRule = TextRule::paragraphs(1, 20_000);

/// A post's text, checked and rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub md: String,
    pub rendered: Rendered,
}

impl Draft {
    pub fn new(field: &str, raw: Option<&str>) -> Result<Draft, FieldError> {
        let md = BODY
            .clean(raw.unwrap_or(""))
            .map_err(|m| FieldError::new(field, m))?;
        let rendered = markdown::render(&md);
        if rendered.text.is_empty() && rendered.images == 0 {
            return Err(FieldError::new(field, "has no text"));
        }
        Ok(Draft { md, rendered })
    }
}

pub fn title(raw: Option<&str>) -> Result<String, FieldError> {
    TITLE
        .clean(raw.unwrap_or(""))
        .map_err(|m| FieldError::new("title", m))
}

/// Who is writing.
#[derive(Debug, Clone)]
pub struct Writer {
    pub id: String,
    pub role: Role,
}

/// The personal-information guard: unless the author confirmed, anything in the title or body
/// that may identify someone is a 422 naming each finding's field and position.
pub fn guard(
    title: Option<&str>,
    body: &Draft,
    confirmed: bool,
    now: Timestamp,
) -> Result<(), Problem> {
    if confirmed {
        return Ok(());
    }
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year();
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(t) = title {
        errors.extend(phi::scan(t, year).iter().map(|f| f.to_field_error("title")));
    }
    errors.extend(
        phi::scan(&body.md, year)
            .iter()
            .map(|f| f.to_field_error("body")),
    );
    if errors.is_empty() {
        return Ok(());
    }
    let mut p = Problem::new(
        http::StatusCode::UNPROCESSABLE_ENTITY,
        "personal-information",
        "Personal information in a post",
        "this post may identify someone: remove what is named, or send it again with \
         personal_information_confirmed: true",
    );
    p.errors = errors;
    Err(p)
}

/// Where a post goes.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A new topic in a category (id or slug).
    Category(&'a str),
    /// A reply in a topic.
    Topic(&'a str),
}

/// The rules on the writer that depend on stored state, from parameter ?11 on (the writer is
/// ?2 and now is ?4 in every statement that uses it).
const MAY_WRITE: &str = "NOT EXISTS (SELECT 1 FROM forum_members WHERE user_id = ?2 AND silenced_until > ?4) \
  AND (?11 OR (SELECT count(*) FROM forum_posts WHERE author_id = ?2 AND created_at > ?15) < ?17) \
  AND (?12 OR EXISTS (SELECT 1 FROM forum_members WHERE user_id = ?2 \
                       AND (trusted_by IS NOT NULL OR (posts_count >= ?20 AND first_posted_at <= ?21))) \
       OR (?13 <= ?19 AND ?14 = 0 \
           AND (SELECT count(*) FROM forum_posts WHERE author_id = ?2 AND created_at > ?16) < ?18))";

const OPEN_TOPIC: &str =
    "INSERT INTO forum_topics (id, category_id, author_id, title, created_at, \
    last_posted_at, opening_md, opening_html, opening_text, opening_role) \
  SELECT ?1, c.id, ?2, ?8, ?4, ?4, ?5, ?6, ?7, ?3 FROM forum_categories AS c \
  WHERE (c.id = ?9 OR c.slug = ?9) AND (c.who_posts = 'signed_in' OR ?10) AND ";

const REPLY: &str = "INSERT INTO forum_posts (id, topic_id, number, author_id, author_role, body_md, \
    body_html, body_text, created_at) \
  SELECT ?1, t.id, (SELECT COALESCE(MAX(p.number), 0) + 1 FROM forum_posts AS p WHERE p.topic_id = t.id), \
    ?2, ?3, ?5, ?6, ?7, ?4 \
  FROM forum_topics AS t JOIN forum_categories AS c ON c.id = t.category_id \
  WHERE t.id = ?9 AND t.status = 'visible' AND (c.who_posts = 'signed_in' OR ?10) AND ";

/// Writes a new topic (with `title`) or a reply; its id, or the rule that refused it.
pub fn write(
    db: &dyn Db,
    policy: &Policy,
    w: &Writer,
    target: Target,
    title: Option<&str>,
    body: &Draft,
    now: Timestamp,
) -> Result<String, Problem> {
    let id = service_kit::new_id(now);
    let (sql, key) = match target {
        Target::Category(c) => (format!("{OPEN_TOPIC}{MAY_WRITE} RETURNING id"), c),
        Target::Topic(t) => (format!("{REPLY}{MAY_WRITE} RETURNING id"), t),
    };
    let staff = trust::moderator(w.role);
    let r = &body.rendered;
    let rows = db.execute(
        &sql,
        params![
            id.as_str(),
            w.id.as_str(),
            w.role.as_str(),
            crate::stamp(now),
            body.md.as_str(),
            r.html.as_str(),
            r.text.as_str(),
            title,
            key,
            staff || trust::clinician(w.role),
            staff,
            trust::trusted_role(w.role),
            r.links as i64,
            r.images as i64,
            crate::stamp(now - SignedDuration::from_secs(60)),
            crate::stamp(now - SignedDuration::from_hours(24)),
            policy.posts_per_minute,
            policy.new_posts_per_day,
            policy.new_links_per_post,
            policy.trust_posts,
            crate::stamp(policy.trusted_since(now)),
        ],
    )?;
    if rows.is_empty() {
        return Err(refusal(db, policy, w, target, r, now));
    }
    Ok(id)
}

/// A member's standing as stored (a member without a row is new and unsilenced).
pub fn standing(db: &dyn Db, user: &str) -> Result<Standing, Problem> {
    let rows = db.execute(
        "SELECT posts_count, first_posted_at, trusted_by, silenced_until, silence_reason \
         FROM forum_members WHERE user_id = ?1",
        params![user],
    )?;
    let Some(r) = rows.first() else {
        return Ok(Standing::default());
    };
    Ok(Standing {
        posts: r.get("posts_count")?,
        first_posted_at: crate::instant(&r, "first_posted_at")?,
        trusted_by: r.get("trusted_by")?,
        silenced_until: crate::instant(&r, "silenced_until")?,
        silence_reason: r.get("silence_reason")?,
    })
}

/// Why a write was refused, read after the fact (the refused path only).
fn refusal(
    db: &dyn Db,
    policy: &Policy,
    w: &Writer,
    target: Target,
    r: &Rendered,
    now: Timestamp,
) -> Problem {
    let explain = || -> Result<Problem, Problem> {
        let rows = match target {
            Target::Category(c) => db.execute(
                "SELECT who_posts, 'visible' AS status FROM forum_categories WHERE id = ?1 OR slug = ?1",
                params![c],
            )?,
            Target::Topic(t) => db.execute(
                "SELECT c.who_posts, t.status FROM forum_topics AS t \
                 JOIN forum_categories AS c ON c.id = t.category_id WHERE t.id = ?1",
                params![t],
            )?,
        };
        let Some(place) = rows.first() else {
            return Ok(match target {
                Target::Category(_) => {
                    Problem::invalid("category", "is not a category of this forum")
                }
                Target::Topic(_) => Problem::not_found("no such topic"),
            });
        };
        if place.get::<String>("status")? != "visible" {
            return Ok(Problem::conflict(
                "topic-closed",
                "this topic is hidden or deleted: it takes no replies",
            ));
        }
        let staff = trust::moderator(w.role);
        if place.get::<String>("who_posts")? == "clinicians" && !staff && !trust::clinician(w.role)
        {
            return Ok(Problem::forbidden(
                "only clinicians (doctors and pharmacists) post in this category",
            ));
        }
        let s = standing(db, &w.id)?;
        if s.silenced(now) {
            let until = s.silenced_until.map(|t| t.to_string()).unwrap_or_default();
            return Ok(Problem::new(
                http::StatusCode::FORBIDDEN,
                "silenced",
                "Silenced",
                format!(
                    "a moderator silenced you until {until}: {}",
                    s.silence_reason.unwrap_or_default()
                ),
            ));
        }
        let count = |since: Timestamp| -> Result<i64, Problem> {
            let rows = db.execute(
                "SELECT count(*) AS n FROM forum_posts WHERE author_id = ?1 AND created_at > ?2",
                params![w.id.as_str(), crate::stamp(since)],
            )?;
            Ok(rows.first().map(|r| r.get("n")).transpose()?.unwrap_or(0))
        };
        if !staff && count(now - SignedDuration::from_secs(60))? >= policy.posts_per_minute {
            let mut p = Problem::too_many_requests(60);
            p.detail = format!(
                "at most {} posts a minute: wait a moment",
                policy.posts_per_minute
            );
            return Ok(p);
        }
        if s.level(w.role, policy, now) == Level::New {
            if let Err(p) = new_members_media(r, policy) {
                return Ok(p);
            }
            if count(now - SignedDuration::from_hours(24))? >= policy.new_posts_per_day {
                let mut p = Problem::too_many_requests(3600);
                p.detail = format!(
                    "new members may post {} times a day; a moderator can lift the limit",
                    policy.new_posts_per_day
                );
                return Ok(p);
            }
        }
        Ok(Problem::conflict(
            "write-refused",
            "the post was not written: try again",
        ))
    };
    explain().unwrap_or_else(|p| p)
}

/// A new member's post: no images, at most so many links.
fn new_members_media(r: &Rendered, policy: &Policy) -> Result<(), Problem> {
    if r.images > 0 {
        return Err(new_member("body", "new members cannot include images yet"));
    }
    if r.links as i64 > policy.new_links_per_post {
        return Err(new_member(
            "body",
            &format!(
                "new members may include at most {} links in a post",
                policy.new_links_per_post
            ),
        ));
    }
    Ok(())
}

fn new_member(field: &str, message: &str) -> Problem {
    let mut p = Problem::new(
        http::StatusCode::UNPROCESSABLE_ENTITY,
        "new-member-limit",
        "A new member's limit",
        format!("{field}: {message}"),
    );
    p.errors = vec![FieldError::new(field, message)];
    p
}

/// A post as stored, for edits and checks.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub topic_id: String,
    pub number: i64,
    pub author_id: String,
    pub status: String,
    pub version: i64,
}

pub fn post(db: &dyn Db, id: &str) -> Result<Option<Post>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT id, topic_id, number, author_id, status, version FROM forum_posts WHERE id = ?1",
        params![id],
    )?;
    rows.first()
        .map(|r: Row| {
            Ok(Post {
                id: r.get("id")?,
                topic_id: r.get("topic_id")?,
                number: r.get("number")?,
                author_id: r.get("author_id")?,
                status: r.get("status")?,
                version: r.get("version")?,
            })
        })
        .transpose()
}

/// An edit: which post, at the version the writer saw, and its new text.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub id: &'a str,
    pub seen: i64,
    /// The opening post's new title, if it changes.
    pub title: Option<&'a str>,
    pub body: &'a Draft,
}

/// Edits a post the writer wrote (or any, for a moderator) at the version they saw. The
/// opening post's edit goes through its topic, so title and body change in one statement.
/// Returns the new version.
pub fn edit(
    db: &dyn Db,
    policy: &Policy,
    w: &Writer,
    e: Edit,
    now: Timestamp,
) -> Result<i64, Problem> {
    let Edit {
        id,
        seen,
        title,
        body,
    } = e;
    let p = post(db, id)?.ok_or_else(|| Problem::not_found("no such post"))?;
    let staff = trust::moderator(w.role);
    if p.author_id != w.id && !staff {
        return Err(Problem::forbidden(
            "only its author or a moderator edits a post",
        ));
    }
    if p.status == "deleted" {
        return Err(Problem::conflict("post-deleted", "this post was deleted"));
    }
    if title.is_some() && p.number != 1 {
        return Err(Problem::invalid(
            "title",
            "only a topic's opening post has a title",
        ));
    }
    let s = standing(db, &w.id)?;
    if !staff && s.silenced(now) {
        return Err(Problem::forbidden(
            "a moderator silenced you: you cannot edit now",
        ));
    }
    if s.level(w.role, policy, now) == Level::New {
        new_members_media(&body.rendered, policy)?;
    }
    let r = &body.rendered;
    // One parameter list for both: a reply's statement only checks it has no title.
    let sql = if p.number == 1 {
        "UPDATE forum_topics SET title = COALESCE(?9, title), opening_md = ?1, \
           opening_html = ?2, opening_text = ?3, opening_at = ?4, opening_by = ?5 \
         WHERE id = (SELECT topic_id FROM forum_posts WHERE id = ?6 AND number = 1 \
                     AND version = ?7 AND status <> 'deleted' AND (author_id = ?5 OR ?8)) \
         RETURNING id"
    } else {
        "UPDATE forum_posts SET body_md = ?1, body_html = ?2, body_text = ?3, \
           version = version + 1, edited_at = ?4, edited_by = ?5 \
         WHERE id = ?6 AND number > 1 AND version = ?7 AND status <> 'deleted' \
           AND (author_id = ?5 OR ?8) AND ?9 IS NULL RETURNING id"
    };
    let rows = db.execute(
        sql,
        params![
            body.md.as_str(),
            r.html.as_str(),
            r.text.as_str(),
            crate::stamp(now),
            w.id.as_str(),
            id,
            seen,
            staff,
            title
        ],
    )?;
    if rows.is_empty() {
        return Err(Problem::conflict(
            "stale-version",
            format!("this post is at version {}: reload it", p.version),
        ));
    }
    Ok(seen + 1)
}

/// The author takes their post down (a moderator's removal is a logged action instead).
pub fn delete_own(db: &dyn Db, user: &str, id: &str) -> Result<bool, Problem> {
    let rows = db.execute(
        "UPDATE forum_posts SET status = 'deleted' WHERE id = ?1 AND author_id = ?2 \
         AND status <> 'deleted' RETURNING id",
        params![id, user],
    )?;
    Ok(!rows.is_empty())
}

/// A post's earlier versions, newest first.
pub fn history(db: &dyn Db, id: &str) -> Result<Vec<serde_json::Value>, Problem> {
    let rows = db.execute(
        "SELECT version, title, body_md, written_at FROM forum_post_versions \
         WHERE post_id = ?1 ORDER BY version DESC LIMIT 100",
        params![id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(serde_json::json!({
                "version": r.get::<i64>("version")?,
                "title": r.get::<Option<String>>("title")?,
                "body": r.get::<String>("body_md")?,
                "html": markdown::render(&r.get::<String>("body_md")?).html,
                "written_at": r.get::<String>("written_at")?,
            }))
        })
        .collect()
}
