//! One function per endpoint: parse, authorize, act (the modules), answer.

use crate::moderation::{self, Decision, FlagReason, MemberAction, PostAction};
use crate::posting::{self, Draft, Target, Writer};
use crate::reactions::{self, WatchLevel};
use crate::reading::{self, ListQuery, Period, Sort, Viewer};
use crate::trust::{self, Level};
use crate::{categories, search, Ctx};
use http::StatusCode;
use jiff::SignedDuration;
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::http::{json, no_content, query_param, set_header, version_seen, Reply, Request};
use service_kit::page::{encode_cursor, Page, PageRequest};
use service_kit::text::TextRule;
use service_kit::token::Claims;
use service_kit::{json as body, params, FieldError, Problem};

const DISPLAY_NAME: TextRule = TextRule::line(2, 40);
const QUERY: TextRule = TextRule::line(1, 200);

fn viewer(ctx: &Ctx) -> Viewer {
    match ctx.principal.user() {
        Ok(c) => Viewer {
            id: Some(c.sub.clone()),
            role: Some(c.role),
        },
        Err(_) => Viewer::default(),
    }
}

/// A signed-in member who may write (a confirmed address, where the clinic requires one).
fn writer(ctx: &Ctx) -> Result<Writer, Problem> {
    let c = ctx
        .principal
        .require_verified(ctx.verified_email_required, "posting")?;
    Ok(Writer {
        id: c.sub.clone(),
        role: c.role,
    })
}

fn moderator<'c>(ctx: &'c Ctx) -> Result<&'c Claims, Problem> {
    let c = ctx.principal.user()?;
    if trust::moderator(c.role) {
        Ok(c)
    } else {
        Err(Problem::forbidden("this is for moderators (staff)"))
    }
}

fn id_or_404<'a>(id: &'a str, what: &str) -> Result<&'a str, Problem> {
    if service_kit::could_be_id(id) {
        Ok(id)
    } else {
        Err(Problem::not_found(format!("no such {what}")))
    }
}

fn draft(field: &str, raw: Option<&str>) -> Result<Draft, Problem> {
    Draft::new(field, raw).map_err(|e| Problem::validation(vec![e]))
}

fn reason(raw: Option<&str>) -> Result<String, Problem> {
    moderation::REASON
        .clean(raw.unwrap_or(""))
        .map_err(|m| Problem::invalid("reason", m))
}

fn days(field: &str, d: Option<i64>) -> Result<Option<i64>, Problem> {
    match d {
        None => Ok(None),
        Some(d) if (1..=moderation::MAX_SILENCE_DAYS).contains(&d) => Ok(Some(d)),
        Some(_) => Err(Problem::invalid(
            field,
            format!("must be from 1 to {} days", moderation::MAX_SILENCE_DAYS),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Categories

pub fn categories(ctx: &Ctx) -> Reply {
    let items = categories::list(ctx.db, ctx.principal.user().is_ok())?;
    Ok(json(StatusCode::OK, &json!({ "items": items })))
}

pub fn create_category(req: &Request, ctx: &Ctx) -> Reply {
    let by = moderator(ctx)?.sub.clone();
    let input: categories::Input = body::parse(req)?;
    let c = categories::create(ctx.db, input, &by, ctx.now)?;
    Ok(set_header(
        json(StatusCode::CREATED, &c),
        "location",
        &format!("/api/forum/topics?category={}", c.slug),
    ))
}

// ---------------------------------------------------------------------------------------------
// Reading

fn parsed<T: std::str::FromStr>(
    req: &Request,
    name: &str,
    known: &str,
) -> Result<Option<T>, Problem> {
    query_param(req, name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| Problem::invalid(name, format!("must be one of {known}")))
        })
        .transpose()
}

/// `GET /api/forum/topics?sort=&period=&category=`: latest (default), top by likes in a
/// period, or unanswered; all categories the reader may see, or one.
pub fn topics(req: &Request, ctx: &Ctx) -> Reply {
    let page = PageRequest::from_query(req)?;
    let sort: Sort = parsed(req, "sort", "latest, top, unanswered")?.unwrap_or(Sort::Latest);
    let period: Period =
        parsed(req, "period", "day, week, month, year, all")?.unwrap_or(Period::All);
    let v = viewer(ctx);
    let category = match query_param(req, "category") {
        None => None,
        Some(key) => {
            let c = categories::find(ctx.db, &key)?
                .filter(|c| c.public || v.signed_in())
                .ok_or_else(|| Problem::invalid("category", "is not a category you can read"))?;
            Some(c.id)
        }
    };
    let after = match page.after.as_deref() {
        None => None,
        Some(c) => {
            let (kind, rest) = c.split_once('|').unwrap_or(("", ""));
            let (a, b) = rest.split_once('|').unwrap_or(("", ""));
            if kind != sort.as_ref() || b.is_empty() {
                return Err(Problem::invalid(
                    "cursor",
                    "is not a cursor this listing issued",
                ));
            }
            Some((a.to_string(), b.to_string()))
        }
    };
    let q = ListQuery {
        sort,
        period,
        category,
        limit: page.fetch_limit(),
        after,
    };
    let items = reading::topics(ctx.db, &v, &q, ctx.now)?;
    // The key of the last topic shown: what it was ordered by, and its id.
    let page = Page::from_fetched(items, &page, |i| {
        let a = match sort {
            Sort::Top => i["likes"].to_string(),
            _ => i["last_posted_at"].as_str().unwrap_or("").to_string(),
        };
        format!("{}|{a}|{}", sort.as_ref(), i["id"].as_str().unwrap_or(""))
    });
    Ok(json(StatusCode::OK, &page))
}

/// `GET /api/forum/topics/{id}`: the topic and a page of its posts.
pub fn topic(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let page = PageRequest::from_query(req)?;
    let after: i64 = match page.after.as_deref() {
        None => 0,
        Some(c) => c
            .strip_prefix("p|")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this topic issued"))?,
    };
    let found = reading::topic(ctx.db, &viewer(ctx), id, after, page.limit as i64)?
        .ok_or_else(|| Problem::not_found("no such topic"))?;
    Ok(json(
        StatusCode::OK,
        &json!({
            "topic": found.topic,
            "posts": found.posts,
            "next_cursor": found.next.map(|n| encode_cursor(&format!("p|{n}"))),
        }),
    ))
}

pub fn history(ctx: &Ctx, id: &str) -> Reply {
    let p = posting::post(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such post"))?;
    // Readable where the post is: through its topic's page.
    let v = viewer(ctx);
    let shown = reading::topic(ctx.db, &v, &p.topic_id, p.number - 1, 1)?
        .and_then(|page| page.posts.into_iter().next())
        .filter(|post| !post["html"].is_null())
        .ok_or_else(|| Problem::not_found("no such post"))?;
    Ok(json(
        StatusCode::OK,
        &json!({
            "post_id": p.id,
            "version": shown["version"],
            "earlier": posting::history(ctx.db, &p.id)?,
        }),
    ))
}

pub fn search(req: &Request, ctx: &Ctx) -> Reply {
    let q = query_param(req, "q").ok_or_else(|| Problem::invalid("q", "is required"))?;
    let q = QUERY.clean(&q).map_err(|m| Problem::invalid("q", m))?;
    let terms = search::terms(&q);
    if terms.is_empty() {
        return Err(Problem::invalid("q", "must contain a word"));
    }
    let page = PageRequest::from_query(req)?;
    let offset: i64 = match page.after.as_deref() {
        None => 0,
        Some(c) => c
            .strip_prefix("o|")
            .and_then(|n| n.parse().ok())
            .filter(|n| (0..=search::MAX_OFFSET).contains(n))
            .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this search issued"))?,
    };
    let limit = page.limit as i64;
    let (items, more, engine) = search::search(ctx.db, &viewer(ctx), &terms, offset, limit)?;
    let next = offset + limit;
    Ok(json(
        StatusCode::OK,
        &json!({
            "items": items,
            "engine": engine.as_ref(),
            "next_cursor": (more && next <= search::MAX_OFFSET).then(|| encode_cursor(&format!("o|{next}"))),
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Writing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicInput {
    category: Option<String>,
    title: Option<String>,
    body: Option<String>,
    #[serde(default)]
    personal_information_confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyInput {
    body: Option<String>,
    #[serde(default)]
    personal_information_confirmed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditInput {
    body: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    personal_information_confirmed: bool,
}

fn written(status: StatusCode, v: Value, location: &str) -> Reply {
    Ok(set_header(json(status, &v), "location", location))
}

pub fn open_topic(req: &Request, ctx: &Ctx) -> Reply {
    let w = writer(ctx)?;
    let input: TopicInput = body::parse(req)?;
    let mut errors = Vec::new();
    let category = input
        .category
        .filter(|c| !c.is_empty() && c.len() <= 100)
        .ok_or_else(|| FieldError::new("category", "is required: a category's id or slug"));
    let title = posting::title(input.title.as_deref());
    let body = Draft::new("body", input.body.as_deref());
    let (category, title, body) = match (category, title, body) {
        (Ok(c), Ok(t), Ok(b)) => (c, t, b),
        (c, t, b) => {
            errors.extend(c.err());
            errors.extend(t.err());
            errors.extend(b.err());
            return Err(Problem::validation(errors));
        }
    };
    posting::guard(
        Some(&title),
        &body,
        input.personal_information_confirmed,
        ctx.now,
    )?;
    let id = posting::write(
        ctx.db,
        &ctx.policy,
        &w,
        Target::Category(&category),
        Some(&title),
        &body,
        ctx.now,
    )?;
    written(
        StatusCode::CREATED,
        json!({ "id": id, "title": title, "post_id": id }),
        &format!("/api/forum/topics/{id}"),
    )
}

pub fn reply(req: &Request, ctx: &Ctx, topic: &str) -> Reply {
    let w = writer(ctx)?;
    let topic = id_or_404(topic, "topic")?;
    let input: ReplyInput = body::parse(req)?;
    let body = draft("body", input.body.as_deref())?;
    posting::guard(None, &body, input.personal_information_confirmed, ctx.now)?;
    let id = posting::write(
        ctx.db,
        &ctx.policy,
        &w,
        Target::Topic(topic),
        None,
        &body,
        ctx.now,
    )?;
    written(
        StatusCode::CREATED,
        json!({ "id": id, "topic_id": topic }),
        &format!("/api/forum/topics/{topic}"),
    )
}

pub fn preview(req: &Request, ctx: &Ctx) -> Reply {
    let w = writer(ctx)?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PreviewInput {
        body: Option<String>,
        #[serde(default)]
        title: Option<String>,
    }
    let input: PreviewInput = body::parse(req)?;
    let body = draft("body", input.body.as_deref())?;
    let findings = match posting::guard(input.title.as_deref(), &body, false, ctx.now) {
        Ok(()) => Vec::new(),
        Err(p) => p.errors,
    };
    let standing = posting::standing(ctx.db, &w.id)?;
    let level = standing.level(w.role, &ctx.policy, ctx.now);
    Ok(json(
        StatusCode::OK,
        &json!({
            "html": body.rendered.html,
            "links": body.rendered.links,
            "images": body.rendered.images,
            "personal_information": findings,
            "level": level.as_ref(),
            "limits": limits(level, &ctx.policy),
        }),
    ))
}

fn limits(level: Level, policy: &trust::Policy) -> Value {
    match level {
        Level::New => json!({
            "posts_per_day": policy.new_posts_per_day,
            "links_per_post": policy.new_links_per_post,
            "images": false,
        }),
        _ => json!({ "posts_per_day": null, "links_per_post": null, "images": true }),
    }
}

pub fn edit(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let w = writer(ctx)?;
    let id = id_or_404(id, "post")?;
    let input: EditInput = body::parse(req)?;
    let seen = version_seen(req, input.version)?.ok_or_else(|| {
        Problem::invalid(
            "version",
            "is required: the version you edited (or send If-Match)",
        )
    })?;
    let title = input
        .title
        .as_deref()
        .map(|t| posting::title(Some(t)))
        .transpose()
        .map_err(|e| Problem::validation(vec![e]))?;
    let body = draft("body", input.body.as_deref())?;
    posting::guard(
        title.as_deref(),
        &body,
        input.personal_information_confirmed,
        ctx.now,
    )?;
    let edit = posting::Edit {
        id,
        seen,
        title: title.as_deref(),
        body: &body,
    };
    let version = posting::edit(ctx.db, &ctx.policy, &w, edit, ctx.now)?;
    Ok(json(
        StatusCode::OK,
        &json!({ "id": id, "version": version, "html": body.rendered.html }),
    ))
}

/// The author deletes their post; a moderator's deletion of another's is logged with a reason
/// (`POST …/moderation` takes one; this one says so).
pub fn delete(ctx: &Ctx, id: &str) -> Reply {
    let c = ctx.principal.user()?;
    let id = id_or_404(id, "post")?;
    let p = posting::post(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such post"))?;
    if p.author_id == c.sub {
        posting::delete_own(ctx.db, &c.sub, id)?;
        return Ok(no_content());
    }
    if !trust::moderator(c.role) {
        return Err(Problem::forbidden(
            "only its author or a moderator deletes a post",
        ));
    }
    moderation::act_on_post(
        ctx.db,
        PostAction::Delete.as_ref(),
        id,
        &c.sub,
        "removed by a moderator",
        None,
        false,
        ctx.now,
    )?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// Reactions

pub fn like(ctx: &Ctx, id: &str) -> Reply {
    let w = writer(ctx)?;
    let id = id_or_404(id, "post")?;
    let (likes, added) = reactions::like(ctx.db, &w.id, id, ctx.now)?
        .ok_or_else(|| Problem::not_found("no such post"))?;
    Ok(json(
        if added {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &json!({ "post_id": id, "liked": true, "likes": likes }),
    ))
}

pub fn unlike(ctx: &Ctx, id: &str) -> Reply {
    let c = ctx.principal.user()?;
    let id = id_or_404(id, "post")?;
    let likes =
        reactions::unlike(ctx.db, &c.sub, id)?.ok_or_else(|| Problem::not_found("no such post"))?;
    Ok(json(
        StatusCode::OK,
        &json!({ "post_id": id, "liked": false, "likes": likes }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptInput {
    post_id: Option<String>,
}

pub fn accept(req: &Request, ctx: &Ctx, topic: &str) -> Reply {
    let c = ctx.principal.user()?;
    let topic = id_or_404(topic, "topic")?;
    let input: AcceptInput = body::parse(req)?;
    let post = input
        .post_id
        .filter(|p| service_kit::could_be_id(p))
        .ok_or_else(|| Problem::invalid("post_id", "must be the id of a reply in this topic"))?;
    if reactions::accept(
        ctx.db,
        topic,
        &post,
        &c.sub,
        trust::moderator(c.role),
        ctx.now,
    )? {
        return Ok(json(
            StatusCode::OK,
            &json!({ "topic_id": topic, "accepted_post_id": post }),
        ));
    }
    let rows = ctx.db.execute(
        "SELECT author_id FROM forum_topics WHERE id = ?1 AND status = 'visible'",
        params![topic],
    )?;
    match rows.first() {
        None => Err(Problem::not_found("no such topic")),
        Some(r) if r.get::<String>("author_id")? != c.sub && !trust::moderator(c.role) => Err(
            Problem::forbidden("only the topic's author or a moderator accepts an answer"),
        ),
        Some(_) => Err(Problem::invalid(
            "post_id",
            "must be the id of a visible reply in this topic",
        )),
    }
}

pub fn unaccept(ctx: &Ctx, topic: &str) -> Reply {
    let c = ctx.principal.user()?;
    let topic = id_or_404(topic, "topic")?;
    if reactions::unaccept(ctx.db, topic, &c.sub, trust::moderator(c.role))? {
        Ok(no_content())
    } else {
        Err(Problem::not_found("no such topic of yours"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchInput {
    level: Option<WatchLevel>,
}

pub fn watch(req: &Request, ctx: &Ctx, topic: &str) -> Reply {
    let c = ctx.principal.user()?;
    let topic = id_or_404(topic, "topic")?;
    let input: WatchInput = body::parse(req)?;
    let level = input
        .level
        .ok_or_else(|| Problem::invalid("level", "is required: watching, normal or muted"))?;
    if !reactions::watch(ctx.db, topic, &c.sub, level)? {
        return Err(Problem::not_found("no such topic"));
    }
    Ok(json(
        StatusCode::OK,
        &json!({ "topic_id": topic, "level": level.as_ref() }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Flags and moderation

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagInput {
    reason: Option<FlagReason>,
    #[serde(default)]
    note: Option<String>,
}

pub fn flag(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    // A writer's account: flags hide posts, so an unconfirmed address does not get to.
    let w = writer(ctx)?;
    let id = id_or_404(id, "post")?;
    let input: FlagInput = body::parse(req)?;
    let reason = input.reason.ok_or_else(|| {
        Problem::invalid(
            "reason",
            "is required: off_topic, inappropriate, spam, misinformation, personal_information or other",
        )
    })?;
    let note = moderation::NOTE
        .clean(input.note.as_deref().unwrap_or(""))
        .map_err(|m| Problem::invalid("note", m))?;
    if reason == FlagReason::Other && note.is_empty() {
        return Err(Problem::invalid(
            "note",
            "is required when the reason is other",
        ));
    }
    let note = (!note.is_empty()).then_some(note);
    let p = &ctx.policy;
    if moderation::flag(ctx.db, p, &w.id, id, reason, note.as_deref(), ctx.now)? {
        Ok(json(
            StatusCode::CREATED,
            &json!({ "post_id": id, "reason": reason.as_ref(), "status": "open" }),
        ))
    } else {
        Err(moderation::why_not_flagged(
            ctx.db,
            &w.id,
            id,
            p.flags_per_hour,
            ctx.now,
        )?)
    }
}

fn seq_cursor(page: &PageRequest) -> Result<Option<i64>, Problem> {
    page.after
        .as_deref()
        .map(|c| {
            c.strip_prefix("s|")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this list issued"))
        })
        .transpose()
}

fn seq_page(items: Vec<Value>, next: Option<i64>) -> Reply {
    Ok(json(
        StatusCode::OK,
        &json!({
            "items": items,
            "next_cursor": next.map(|s| encode_cursor(&format!("s|{s}"))),
        }),
    ))
}

pub fn review_queue(req: &Request, ctx: &Ctx) -> Reply {
    moderator(ctx)?;
    let page = PageRequest::from_query(req)?;
    let (items, next) =
        moderation::queue(ctx.db, seq_cursor(&page)?.unwrap_or(0), page.limit as i64)?;
    seq_page(items, next)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionInput {
    decision: Option<Decision>,
    reason: Option<String>,
    #[serde(default)]
    silence_days: Option<i64>,
}

pub fn decide(req: &Request, ctx: &Ctx, post: &str) -> Reply {
    let m = moderator(ctx)?.sub.clone();
    let post = id_or_404(post, "post")?;
    let input: DecisionInput = body::parse(req)?;
    let decision = input.decision.ok_or_else(|| {
        Problem::invalid(
            "decision",
            "is required: agree_hide, agree_delete, disagree or ignore",
        )
    })?;
    let reason = reason(input.reason.as_deref())?;
    let silence = days("silence_days", input.silence_days)?;
    if silence.is_some() && !matches!(decision, Decision::AgreeHide | Decision::AgreeDelete) {
        return Err(Problem::invalid(
            "silence_days",
            "goes with agree_hide or agree_delete",
        ));
    }
    let until = silence.map(|d| ctx.now + SignedDuration::from_hours(24 * d));
    if moderation::act_on_post(
        ctx.db,
        decision.as_ref(),
        post,
        &m,
        &reason,
        until,
        true,
        ctx.now,
    )? {
        return Ok(json(
            StatusCode::OK,
            &json!({ "post_id": post, "decision": decision.as_ref(), "silenced_until": until.map(crate::stamp) }),
        ));
    }
    match posting::post(ctx.db, post)? {
        None => Err(Problem::not_found("no such post")),
        Some(_) => Err(Problem::conflict(
            "no-open-flags",
            "this post has no open flags",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostModerationInput {
    action: Option<PostAction>,
    reason: Option<String>,
}

pub fn moderate_post(req: &Request, ctx: &Ctx, post: &str) -> Reply {
    let m = moderator(ctx)?.sub.clone();
    let post = id_or_404(post, "post")?;
    let input: PostModerationInput = body::parse(req)?;
    let action = input
        .action
        .ok_or_else(|| Problem::invalid("action", "is required: hide, restore or delete"))?;
    let reason = reason(input.reason.as_deref())?;
    if moderation::act_on_post(
        ctx.db,
        action.as_ref(),
        post,
        &m,
        &reason,
        None,
        false,
        ctx.now,
    )? {
        Ok(json(
            StatusCode::OK,
            &json!({ "post_id": post, "action": action.as_ref() }),
        ))
    } else {
        Err(Problem::not_found("no such post"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberModerationInput {
    action: Option<MemberAction>,
    reason: Option<String>,
    #[serde(default)]
    days: Option<i64>,
}

pub fn moderate_member(req: &Request, ctx: &Ctx, member: &str) -> Reply {
    let m = moderator(ctx)?.sub.clone();
    let member = id_or_404(member, "member")?;
    let input: MemberModerationInput = body::parse(req)?;
    let action = input.action.ok_or_else(|| {
        Problem::invalid(
            "action",
            "is required: silence, unsilence, trust or untrust",
        )
    })?;
    let reason = reason(input.reason.as_deref())?;
    let d = days("days", input.days)?;
    let until = match (action, d) {
        (MemberAction::Silence, Some(d)) => Some(ctx.now + SignedDuration::from_hours(24 * d)),
        (MemberAction::Silence, None) => {
            return Err(Problem::invalid("days", "is required to silence: 1 to 365"))
        }
        (_, Some(_)) => return Err(Problem::invalid("days", "goes with silence only")),
        (_, None) => None,
    };
    moderation::act_on_member(ctx.db, action, member, &m, &reason, until, ctx.now)?;
    member_view(ctx, member)
}

pub fn actions(req: &Request, ctx: &Ctx) -> Reply {
    moderator(ctx)?;
    let page = PageRequest::from_query(req)?;
    let (items, next) = moderation::log(ctx.db, None, seq_cursor(&page)?, page.limit as i64)?;
    seq_page(items, next)
}

pub fn my_actions(req: &Request, ctx: &Ctx) -> Reply {
    let c = ctx.principal.user()?;
    let page = PageRequest::from_query(req)?;
    let (items, next) =
        moderation::log(ctx.db, Some(&c.sub), seq_cursor(&page)?, page.limit as i64)?;
    seq_page(items, next)
}

// ---------------------------------------------------------------------------------------------
// Members

fn standing_view(
    ctx: &Ctx,
    user: &str,
    role: Option<service_kit::token::Role>,
) -> Result<Value, Problem> {
    let s = posting::standing(ctx.db, user)?;
    let name: Option<String> = ctx
        .db
        .execute(
            "SELECT display_name FROM forum_members WHERE user_id = ?1",
            params![user],
        )?
        .first()
        .map(|r| r.get("display_name"))
        .transpose()?
        .flatten();
    let level = role.map(|r| s.level(r, &ctx.policy, ctx.now));
    Ok(json!({
        "id": user,
        "display_name": crate::display_name(name.clone(), user),
        "chosen_name": name,
        "level": level.map(|l| l.as_ref().to_string()),
        "limits": level.map(|l| limits(l, &ctx.policy)),
        "posts": s.posts,
        "first_posted_at": s.first_posted_at.map(crate::stamp),
        "trusted": s.trusted_by.is_some(),
        "silenced_until": s.silenced_until.filter(|t| *t > ctx.now).map(crate::stamp),
        "silence_reason": if s.silenced(ctx.now) { s.silence_reason } else { None },
    }))
}

fn member_view(ctx: &Ctx, member: &str) -> Reply {
    Ok(json(StatusCode::OK, &standing_view(ctx, member, None)?))
}

pub fn me(ctx: &Ctx) -> Reply {
    let c = ctx.principal.user()?;
    let mut v = standing_view(ctx, &c.sub, Some(c.role))?;
    v["role"] = json!(c.role.as_str());
    Ok(json(StatusCode::OK, &v))
}

pub fn member(ctx: &Ctx, id: &str) -> Reply {
    moderator(ctx)?;
    let id = id_or_404(id, "member")?;
    member_view(ctx, id)
}

pub fn update_me(req: &Request, ctx: &Ctx) -> Reply {
    let c = ctx.principal.user()?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MeInput {
        display_name: Option<String>,
    }
    let input: MeInput = body::parse(req)?;
    let name = DISPLAY_NAME
        .clean(input.display_name.as_deref().unwrap_or(""))
        .map_err(|m| Problem::invalid("display_name", m))?;
    ctx.db.execute(
        "INSERT INTO forum_members (user_id, display_name) VALUES (?1, ?2) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name",
        params![c.sub.as_str(), name],
    )?;
    me(ctx)
}
