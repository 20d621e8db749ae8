//! Full-text search over visible posts, ranked: SQLite's FTS5 with BM25 (a title counts five
//! times its body's words) where the backend has the module, which Spin's own SQLite does. On a
//! backend without it, migration 0002 was recorded as skipped and the same query runs as word
//! matching over the posts, ranked by where the words are found: slower (a scan), but the same
//! answers in the same shape. Results only come from topics and categories the reader may see.

use crate::markdown::excerpt;
use crate::reading::Viewer;
use serde_json::{json, Value};
use service_kit::db::{Db, Row, Value as Param};
use service_kit::{params, Problem};

pub const MAX_TERMS: usize = 8;
/// How deep a search pages (ranked results page by offset).
pub const MAX_OFFSET: i64 = 500;
/// The most matches a ranked search reads from the index before it stops growing its window.
const MAX_WINDOW: i64 = 1 << 20;

/// Which way a search ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Engine {
    Fts5,
    Fallback,
}

/// The words of a query: letters and digits, lower-cased, at most [`MAX_TERMS`]. FTS5's own
/// syntax (quotes, operators, column filters) is never passed through.
pub fn terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in q.split(|c: char| !c.is_alphanumeric()) {
        let w = w.to_lowercase();
        if !w.is_empty() && !out.contains(&w) && out.len() < MAX_TERMS {
            out.push(w);
        }
    }
    out
}

const VISIBLE: &str = "t.status = 'visible' AND p.status = 'visible' AND (?2 OR c.public = 1)";

fn hit(r: &Row, snippet: Option<String>) -> Result<Value, Problem> {
    let text: String = r.get("body_text")?;
    let author: String = r.get("author_id")?;
    Ok(json!({
        "topic": { "id": r.get::<String>("topic_id")?, "title": r.get::<String>("topic_title")? },
        "post": {
            "id": r.get::<String>("id")?,
            "number": r.get::<i64>("number")?,
            "author": { "id": author, "name": crate::display_name(r.get("display_name")?, &author) },
            "created_at": r.get::<String>("created_at")?,
        },
        "excerpt": snippet.unwrap_or_else(|| excerpt(&text, 200)),
        "rank": r.get::<f64>("score")?,
    }))
}

/// The best matches for `terms` from `offset`; `limit + 1` are fetched to tell whether more
/// exist.
pub fn search(
    db: &dyn Db,
    viewer: &Viewer,
    terms: &[String],
    offset: i64,
    limit: i64,
) -> Result<(Vec<Value>, bool, Engine), Problem> {
    // Each word as a quoted FTS5 string (so `AND`, `NEAR`, `title:` are just words); the last
    // one as a prefix, for search as you type.
    let fts_query = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let quoted = format!("\"{}\"", t.replace('"', ""));
            if i + 1 == terms.len() {
                format!("{quoted}*")
            } else {
                quoted
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let fts = ranked(db, viewer, &fts_query, offset, limit);
    let (rows, engine) = match fts {
        Ok(rows) => (rows, Engine::Fts5),
        Err(e) if e.to_string().contains("no such table: forum_fts") => (
            fallback(db, viewer, terms, offset, limit)?,
            Engine::Fallback,
        ),
        Err(e) => return Err(e.into()),
    };
    let mut items = Vec::new();
    for r in rows.iter().take(limit as usize) {
        let snippet = match engine {
            Engine::Fts5 => r
                .get::<Option<String>>("snippet")?
                .filter(|s| !s.is_empty()),
            Engine::Fallback => None,
        };
        items.push(hit(&r, snippet)?);
    }
    Ok((items, rows.len() as i64 > limit, engine))
}

/// The FTS5 query: the best `window` matches first, from the index alone (BM25 and the
/// snippet), and only those joined to their posts and topics and held to what the reader may
/// see. A common word matches a large part of the forum; joining every match before ranking
/// was most of a search's time (2.3 s for "blood pressure" at 100,000 posts). When the reader
/// may not see enough of the window, it grows, and at last covers every match, so a page is
/// never short because a window was.
fn ranked(
    db: &dyn Db,
    viewer: &Viewer,
    fts_query: &str,
    offset: i64,
    limit: i64,
) -> Result<service_kit::db::Rows, service_kit::db::DbError> {
    let mut window = (offset + limit + 1) * 2 + 20;
    loop {
        let rows = db.execute(
            &format!(
                "WITH hit AS (SELECT rowid AS seq, rank AS r, \
                   snippet(forum_fts, 1, '', '', '…', 24) AS snippet \
                   FROM forum_fts WHERE forum_fts MATCH ?1 AND rank MATCH 'bm25(5.0, 1.0)' \
                   ORDER BY rank LIMIT ?5) \
                 SELECT p.id, p.topic_id, p.number, p.author_id, p.body_text, p.created_at, \
                   t.title AS topic_title, m.display_name, hit.snippet, -hit.r AS score, \
                   (SELECT count(*) FROM hit) AS window_rows \
                 FROM hit JOIN forum_posts AS p ON p.seq = hit.seq \
                 JOIN forum_topics AS t ON t.id = p.topic_id \
                 JOIN forum_categories AS c ON c.id = t.category_id \
                 LEFT JOIN forum_members AS m ON m.user_id = p.author_id \
                 WHERE {VISIBLE} ORDER BY hit.r, p.seq DESC LIMIT ?3 OFFSET ?4"
            ),
            params![fts_query, viewer.signed_in(), limit + 1, offset, window],
        )?;
        let page_full = rows.len() as i64 > limit;
        let in_window = match rows.first() {
            Some(r) => r.get::<i64>("window_rows")?,
            // Nothing visible: was the window all there is?
            None => db
                .execute(
                    "SELECT count(*) AS n FROM (SELECT rowid FROM forum_fts \
                     WHERE forum_fts MATCH ?1 LIMIT ?2)",
                    params![fts_query, window],
                )?
                .first()
                .map(|r| r.get::<i64>("n"))
                .transpose()?
                .unwrap_or(0),
        };
        let every_match_seen = in_window < window;
        if page_full || every_match_seen || window >= MAX_WINDOW {
            return Ok(rows);
        }
        window *= 8;
    }
}

/// Word matching for a backend without FTS5: every word must appear in the post or its topic's
/// title; a word in the title scores 5, in the body 1.
fn fallback(
    db: &dyn Db,
    viewer: &Viewer,
    terms: &[String],
    offset: i64,
    limit: i64,
) -> Result<service_kit::db::Rows, Problem> {
    let mut score = Vec::new();
    let mut all = Vec::new();
    let mut args: Vec<Param> = vec![Param::Null, Param::from(viewer.signed_in())];
    for t in terms {
        args.push(Param::from(format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )));
        let n = args.len();
        score.push(format!(
            "(CASE WHEN lower(t.title) LIKE ?{n} ESCAPE '\\' AND p.number = 1 THEN 5 ELSE 0 END \
             + CASE WHEN lower(p.body_text) LIKE ?{n} ESCAPE '\\' THEN 1 ELSE 0 END)"
        ));
        all.push(format!(
            "(lower(p.body_text) LIKE ?{n} ESCAPE '\\' OR lower(t.title) LIKE ?{n} ESCAPE '\\')"
        ));
    }
    args.push(Param::from(limit + 1));
    let l = args.len();
    args.push(Param::from(offset));
    let o = args.len();
    let sql = format!(
        "SELECT p.id, p.topic_id, p.number, p.author_id, p.body_text, p.created_at, \
           t.title AS topic_title, m.display_name, NULL AS snippet, \
           CAST(({}) AS REAL) AS score \
         FROM forum_posts AS p JOIN forum_topics AS t ON t.id = p.topic_id \
         JOIN forum_categories AS c ON c.id = t.category_id \
         LEFT JOIN forum_members AS m ON m.user_id = p.author_id \
         WHERE ?1 IS NULL AND {VISIBLE} AND {} \
         ORDER BY score DESC, p.seq DESC LIMIT ?{l} OFFSET ?{o}",
        score.join(" + "),
        all.join(" AND ")
    );
    Ok(db.execute(&sql, &args)?)
}
