//! Reading: topic lists (latest, top in a period, unanswered; all or one category) and a topic
//! with its posts, paged. Each is one statement walking an index from its cursor. Public
//! categories are read without an account; a hidden post shows its body only to its author and
//! moderators, and who flagged it to nobody but moderators.

use crate::trust;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use service_kit::db::{Db, Row};
use service_kit::token::Role;
use service_kit::{params, Problem};

/// Who is reading.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub id: Option<String>,
    pub role: Option<Role>,
}

impl Viewer {
    pub fn signed_in(&self) -> bool {
        self.id.is_some()
    }
    pub fn moderator(&self) -> bool {
        self.role.is_some_and(trust::moderator)
    }
    fn is(&self, user: &str) -> bool {
        self.id.as_deref() == Some(user)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Sort {
    Latest,
    Top,
    Unanswered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
    All,
}

impl Period {
    fn since(self, now: Timestamp) -> Option<Timestamp> {
        let days = match self {
            Period::Day => 1,
            Period::Week => 7,
            Period::Month => 30,
            Period::Year => 365,
            Period::All => return None,
        };
        Some(now - SignedDuration::from_hours(24 * days))
    }
}

/// What a list asks for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub sort: Sort,
    pub period: Period,
    /// A category id (resolved from id or slug by the handler).
    pub category: Option<String>,
    pub limit: i64,
    /// The last item's key: (last_posted_at or likes, id).
    pub after: Option<(String, String)>,
}

const TOPIC_COLUMNS: &str = "t.id, t.title, t.author_id, t.created_at, t.last_posted_at, \
    t.replies_count, t.likes_count, t.accepted_post_id, c.id AS category_id, c.slug AS category_slug, \
    c.name AS category_name, m.display_name";

fn topic_item(r: &Row) -> Result<Value, Problem> {
    let author: String = r.get("author_id")?;
    Ok(json!({
        "id": r.get::<String>("id")?,
        "title": r.get::<String>("title")?,
        "author": { "id": author, "name": crate::display_name(r.get("display_name")?, &author) },
        "category": {
            "id": r.get::<String>("category_id")?,
            "slug": r.get::<String>("category_slug")?,
            "name": r.get::<String>("category_name")?,
        },
        "created_at": r.get::<String>("created_at")?,
        "last_posted_at": r.get::<String>("last_posted_at")?,
        "replies": r.get::<i64>("replies_count")?,
        "likes": r.get::<i64>("likes_count")?,
        "answered": r.get::<Option<String>>("accepted_post_id")?.is_some(),
    }))
}

/// A page of topics (`q.limit` of them at most).
pub fn topics(
    db: &dyn Db,
    viewer: &Viewer,
    q: &ListQuery,
    now: Timestamp,
) -> Result<Vec<Value>, Problem> {
    let from = format!(
        "SELECT {TOPIC_COLUMNS} FROM forum_topics AS t \
         JOIN forum_categories AS c ON c.id = t.category_id \
         LEFT JOIN forum_members AS m ON m.user_id = t.author_id"
    );
    let (after_a, after_b) = match &q.after {
        Some((a, b)) => (Some(a.as_str()), Some(b.as_str())),
        None => (None, None),
    };
    // Spelled out rather than `?2 IS NULL OR …`, so the planner walks the category's index.
    let category = if q.category.is_some() {
        "AND t.category_id = ?2"
    } else {
        "AND ?2 IS NULL"
    };
    let rows = match q.sort {
        Sort::Latest | Sort::Unanswered => {
            let unanswered = if q.sort == Sort::Unanswered {
                "AND t.replies_count = 0 "
            } else {
                ""
            };
            db.execute(
                &format!(
                    "{from} WHERE t.status = 'visible' {unanswered}AND (?1 OR c.public = 1) {category} \
                     AND (?3 IS NULL OR (t.last_posted_at, t.id) < (?3, ?4)) \
                     ORDER BY t.last_posted_at DESC, t.id DESC LIMIT ?5"
                ),
                params![viewer.signed_in(), q.category.as_deref(), after_a, after_b, q.limit],
            )?
        }
        Sort::Top => {
            let since = q.period.since(now).map(crate::stamp);
            let likes: Option<i64> = after_a.and_then(|a| a.parse().ok());
            db.execute(
                &format!(
                    "{from} WHERE t.status = 'visible' AND (?1 OR c.public = 1) {category} \
                     AND (?3 IS NULL OR t.created_at >= ?3) \
                     AND (?4 IS NULL OR (t.likes_count, t.id) < (?4, ?5)) \
                     ORDER BY t.likes_count DESC, t.id DESC LIMIT ?6"
                ),
                params![
                    viewer.signed_in(),
                    q.category.as_deref(),
                    since,
                    likes,
                    after_b,
                    q.limit
                ],
            )?
        }
    };
    rows.iter().map(|r| topic_item(&r)).collect()
}

/// One post as a reader may see it.
fn post_view(r: &Row, viewer: &Viewer, accepted: Option<&str>) -> Result<Value, Problem> {
    let id: String = r.get("post_id")?;
    let author: String = r.get("author_id")?;
    let role: String = r.get("author_role")?;
    let status: String = r.get("status")?;
    let shown = status == "visible" || viewer.moderator() || viewer.is(&author);
    let role_parsed = Role::parse(&role);
    let number: i64 = r.get("number")?;
    Ok(json!({
        "id": id,
        "number": number,
        "author": {
            "id": author,
            "name": crate::display_name(r.get("display_name")?, &author),
            "role": role,
        },
        "clinician_answer": number > 1 && role_parsed.is_some_and(trust::clinician),
        "accepted": accepted == Some(id.as_str()),
        "status": status,
        "hidden_reason": if status == "hidden" { r.get::<Option<String>>("hidden_reason")? } else { None },
        "html": if shown { Some(r.get::<String>("body_html")?) } else { None },
        "body": if viewer.is(&author) || viewer.moderator() { Some(r.get::<String>("body_md")?) } else { None },
        "version": r.get::<i64>("version")?,
        "likes": r.get::<i64>("likes_count")?,
        "liked": r.get::<bool>("liked")?,
        "open_flags": if viewer.moderator() { Some(r.get::<i64>("open_flags")?) } else { None },
        "created_at": r.get::<String>("post_created_at")?,
        "edited_at": r.get::<Option<String>>("edited_at")?,
    }))
}

/// A topic, a page of its posts, and the number of the last one shown when more follow.
#[derive(Debug, Clone)]
pub struct TopicPage {
    pub topic: Value,
    pub posts: Vec<Value>,
    pub next: Option<i64>,
}

/// A topic and a page of its posts after post number `after`, in one statement. `None`: no
/// such topic for this reader. `Err` 401 for a members-only category read anonymously.
pub fn topic(
    db: &dyn Db,
    viewer: &Viewer,
    id: &str,
    after: i64,
    limit: i64,
) -> Result<Option<TopicPage>, Problem> {
    if !service_kit::could_be_id(id) {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT t.id, t.title, t.status AS topic_status, t.author_id AS topic_author, \
           t.created_at, t.replies_count, t.likes_count AS topic_likes, t.accepted_post_id, \
           c.id AS category_id, c.slug AS category_slug, c.name AS category_name, c.public, \
           c.who_posts, w.level AS watch, \
           p.id AS post_id, p.number, p.author_id, p.author_role, p.body_html, p.body_md, p.status, \
           p.hidden_reason, p.version, p.open_flags, \
           p.created_at AS post_created_at, p.edited_at, m.display_name, \
           p.likes_count, EXISTS (SELECT 1 FROM forum_likes AS l \
                                  WHERE l.post_id = p.id AND l.user_id = ?3) AS liked \
         FROM forum_topics AS t JOIN forum_categories AS c ON c.id = t.category_id \
         LEFT JOIN forum_watch AS w ON w.topic_id = t.id AND w.user_id = ?3 \
         LEFT JOIN forum_posts AS p ON p.topic_id = t.id AND p.number > ?2 \
         LEFT JOIN forum_members AS m ON m.user_id = p.author_id \
         WHERE t.id = ?1 ORDER BY p.number LIMIT ?4",
        params![id, after, viewer.id.as_deref(), limit + 1],
    )?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let topic_author: String = first.get("topic_author")?;
    if first.get::<String>("topic_status")? != "visible"
        && !viewer.moderator()
        && !viewer.is(&topic_author)
    {
        return Ok(None);
    }
    if !first.get::<bool>("public")? && !viewer.signed_in() {
        return Err(Problem::unauthorized("sign in to read this category"));
    }
    let accepted: Option<String> = first.get("accepted_post_id")?;
    let topic = json!({
        "id": first.get::<String>("id")?,
        "title": first.get::<String>("title")?,
        "status": first.get::<String>("topic_status")?,
        "author_id": topic_author,
        "category": {
            "id": first.get::<String>("category_id")?,
            "slug": first.get::<String>("category_slug")?,
            "name": first.get::<String>("category_name")?,
            "who_posts": first.get::<String>("who_posts")?,
            "public": first.get::<bool>("public")?,
        },
        "created_at": first.get::<String>("created_at")?,
        "replies": first.get::<i64>("replies_count")?,
        "likes": first.get::<i64>("topic_likes")?,
        "accepted_post_id": accepted,
        "watch": first.get::<Option<String>>("watch")?.unwrap_or_else(|| "normal".into()),
    });
    let mut posts = Vec::new();
    let mut numbers = Vec::new();
    for r in rows.iter() {
        if r.get::<Option<String>>("post_id")?.is_none() {
            continue;
        }
        numbers.push(r.get::<i64>("number")?);
        posts.push(post_view(&r, viewer, accepted.as_deref())?);
    }
    let more = posts.len() as i64 > limit;
    posts.truncate(limit as usize);
    numbers.truncate(limit as usize);
    let next = if more { numbers.last().copied() } else { None };
    Ok(Some(TopicPage { topic, posts, next }))
}
