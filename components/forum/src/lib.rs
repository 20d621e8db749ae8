//! forum: a moderated community where patients ask and clinicians answer. Categories, topics
//! and replies in safe Markdown, likes, clinician answers and an accepted answer, watching and
//! muting, full-text search; flags, the review queue, the moderation log, new members' limits
//! and the personal-information guard.
//!
//! This file is the route table and the context; the rules live in the modules.

pub mod categories;
mod handlers;
pub mod markdown;
pub mod moderation;
pub mod outbox;
pub mod phi;
pub mod posting;
pub mod reactions;
pub mod reading;
pub mod search;
pub mod trust;

use jiff::Timestamp;
use service_kit::db::{Db, Row};
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] = &[
    Migration::from_file(
        "0001_forum.sql",
        include_str!("../../../migrations/forum/0001_forum.sql"),
    ),
    // FTS5 where the backend has it; search.rs falls back without it.
    Migration::from_file(
        "0002_search_fts5.sql",
        include_str!("../../../migrations/forum/0002_search_fts5.sql"),
    )
    .where_supported(),
];

/// What a request runs against.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    /// Anonymous on public reads.
    pub principal: Principal,
    pub now: Timestamp,
    pub policy: trust::Policy,
    /// Whether posting needs a confirmed address (`auth_require_verified_email`).
    pub verified_email_required: bool,
}

/// forum as a service: its name, context and route table.
pub struct Forum;

impl Service for Forum {
    const NAME: &'static str = "forum";
    type Ctx<'a> = Ctx<'a>;

    /// Every route forum answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/forum/health")
            .get("/api/forum/categories", |_, c, _| h::categories(c))
            .post("/api/forum/categories", |r, c, _| h::create_category(r, c))
            .get("/api/forum/topics", |r, c, _| h::topics(r, c))
            .post("/api/forum/topics", |r, c, _| h::open_topic(r, c))
            .get("/api/forum/topics/{id}", |r, c, p| {
                h::topic(r, c, p.get("id"))
            })
            .post("/api/forum/topics/{id}/replies", |r, c, p| {
                h::reply(r, c, p.get("id"))
            })
            .put("/api/forum/topics/{id}/accepted", |r, c, p| {
                h::accept(r, c, p.get("id"))
            })
            .delete("/api/forum/topics/{id}/accepted", |_, c, p| {
                h::unaccept(c, p.get("id"))
            })
            .put("/api/forum/topics/{id}/watch", |r, c, p| {
                h::watch(r, c, p.get("id"))
            })
            .post("/api/forum/preview", |r, c, _| h::preview(r, c))
            .put("/api/forum/posts/{id}", |r, c, p| {
                h::edit(r, c, p.get("id"))
            })
            .delete("/api/forum/posts/{id}", |_, c, p| h::delete(c, p.get("id")))
            .get("/api/forum/posts/{id}/history", |_, c, p| {
                h::history(c, p.get("id"))
            })
            .put("/api/forum/posts/{id}/like", |_, c, p| {
                h::like(c, p.get("id"))
            })
            .delete("/api/forum/posts/{id}/like", |_, c, p| {
                h::unlike(c, p.get("id"))
            })
            .post("/api/forum/posts/{id}/flags", |r, c, p| {
                h::flag(r, c, p.get("id"))
            })
            .post("/api/forum/posts/{id}/moderation", |r, c, p| {
                h::moderate_post(r, c, p.get("id"))
            })
            .get("/api/forum/search", |r, c, _| h::search(r, c))
            .get("/api/forum/review", |r, c, _| h::review_queue(r, c))
            .post("/api/forum/review/{id}", |r, c, p| {
                h::decide(r, c, p.get("id"))
            })
            .get("/api/forum/actions", |r, c, _| h::actions(r, c))
            .get("/api/forum/me", |_, c, _| h::me(c))
            .put("/api/forum/me", |r, c, _| h::update_me(r, c))
            .get("/api/forum/me/actions", |r, c, _| h::my_actions(r, c))
            .get("/api/forum/members/{id}", |_, c, p| {
                h::member(c, p.get("id"))
            })
            .post("/api/forum/members/{id}/moderation", |r, c, p| {
                h::moderate_member(r, c, p.get("id"))
            })
    }

    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        Ok(migrate::apply(ctx.db, "forum", MIGRATIONS)?)
    }
}

/// Whether a route answers without an account: reading public categories and searching them.
pub fn public(method: &http::Method, route: &str) -> bool {
    method == http::Method::GET
        && matches!(
            route,
            "/api/forum/categories"
                | "/api/forum/topics"
                | "/api/forum/topics/{id}"
                | "/api/forum/posts/{id}/history"
                | "/api/forum/search"
        )
}

/// Whether a route's changes queue news for mail (a reply, an accepted answer): the ones after
/// which forum relays its outbox.
pub fn queues_news(route: &str) -> bool {
    matches!(
        route,
        "/api/forum/topics/{id}/replies" | "/api/forum/topics/{id}/accepted"
    )
}

/// Instants as the forum stores them: RFC 3339 to the second, always the same width, so that
/// text order is time order in SQL (`created_at > ?`).
pub fn stamp(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

/// A stored instant column.
pub fn instant(r: &Row, column: &str) -> Result<Option<Timestamp>, Problem> {
    r.get::<Option<String>>(column)?
        .map(|s| s.parse::<Timestamp>().map_err(Problem::internal))
        .transpose()
}

/// The name a member shows: the one they chose, else "Member" and the end of their id (no real
/// name is ever shown that the member did not choose to show).
pub fn display_name(chosen: Option<String>, user: &str) -> String {
    chosen.unwrap_or_else(|| {
        let tail: String = user
            .chars()
            .rev()
            .filter(char::is_ascii_alphanumeric)
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("Member {}", tail.to_uppercase())
    })
}

#[cfg(target_arch = "wasm32")]
mod spin_entry;

service_kit::component!(Forum);
