//! The handlers: each checks who is asking, parses its input, runs one rule, and answers.

use crate::api::{IntakeBody, MarkBody};
use crate::{notifications, outbox, unsubscribe, Ctx};
use http::StatusCode;
use serde::Serialize;
use service_kit::audit::Outcome as Audited;
use service_kit::html;
use service_kit::http::{json, query_param, Reply, Request};
use service_kit::page::{Page, PageRequest};
use service_kit::token::Role;
use service_kit::Problem;

/// Intake bodies are small: fifty messages of a few fields each.
const INTAKE_LIMIT: usize = 256 * 1024;

#[derive(Serialize)]
struct Accepted {
    id: String,
    /// False when the key was seen before: this is the message stored then.
    created: bool,
}

/// `POST /api/mail/outbox`: another service hands in messages (internal only).
pub fn intake(req: &Request, ctx: &Ctx) -> Reply {
    if !ctx.internal {
        return Err(service_kit::internal::refused());
    }
    let body: IntakeBody = service_kit::json::parse_limited(req, INTAKE_LIMIT)?;
    let mut messages = body.messages(&ctx.settings.branding)?;
    // Optional mail to an account offers the way out, in its body and its headers.
    let mut key = None;
    for m in messages.iter_mut() {
        if let (false, outbox::Recipient::User(user)) = (m.template.essential(), &m.to) {
            let key = match &key {
                Some(k) => k,
                None => key.insert(service_kit::signed::key(ctx.db, "mail")?),
            };
            let url = unsubscribe::url(&ctx.settings.origin, key, user);
            unsubscribe::add_footer(&mut m.rendered, m.template.why_optional(), &url);
            m.unsubscribe = Some(url);
        }
    }
    let mut accepted = Vec::with_capacity(messages.len());
    for m in &messages {
        let (id, created) = outbox::submit(ctx.db, m, ctx.now)?;
        accepted.push(Accepted { id, created });
    }
    Ok(json(
        StatusCode::ACCEPTED,
        &serde_json::json!({ "messages": accepted }),
    ))
}

/// `GET /api/mail/messages`: the outbox and its delivery log, for admins.
pub fn list_messages(req: &Request, ctx: &Ctx) -> Reply {
    ctx.principal.require_role(&[Role::Admin])?;
    let page = PageRequest::from_query(req)?;
    let status = query_param(req, "status");
    if let Some(s) = &status {
        if !outbox::STATUSES.contains(&s.as_str()) {
            return Err(Problem::invalid(
                "status",
                format!("must be one of {}", outbox::STATUSES.join(", ")),
            ));
        }
    }
    let items = outbox::list(
        ctx.db,
        status.as_deref(),
        page.after.as_deref(),
        page.fetch_limit(),
    )?;
    ctx.audit
        .record(ctx.db, "list", "mail_messages", None, Audited::Allowed)?;
    Ok(json(
        StatusCode::OK,
        &Page::from_fetched(items, &page, |m| m.id.clone()),
    ))
}

/// `GET /api/mail/messages/{id}`: one message, its bodies and every attempt.
pub fn message(ctx: &Ctx, id: &str) -> Reply {
    ctx.principal.require_role(&[Role::Admin])?;
    let not_found = || Problem::not_found("no such message");
    if !service_kit::could_be_id(id) {
        return Err(not_found());
    }
    let mut d = outbox::detail(ctx.db, id)?.ok_or_else(not_found)?;
    let secret = d
        .message
        .template
        .parse::<crate::templates::Template>()
        .is_ok_and(|t| t.carries_secret());
    if secret {
        let withheld =
            "(withheld: this message carries a one-time link to its recipient's account)";
        d.text_body = withheld.into();
        d.html_body = withheld.into();
    }
    ctx.audit.record(
        ctx.db,
        "read",
        "mail_message",
        d.message.to_user.as_deref(),
        Audited::Allowed,
    )?;
    Ok(json(StatusCode::OK, &d))
}

/// `POST /api/mail/messages/{id}/resend`: queue a dead or delivered message again.
pub fn resend(ctx: &Ctx, id: &str) -> Reply {
    ctx.principal.require_role(&[Role::Admin])?;
    let not_found = || Problem::not_found("no such message");
    if !service_kit::could_be_id(id) {
        return Err(not_found());
    }
    match outbox::resend(ctx.db, id, ctx.now)? {
        None => Err(not_found()),
        Some(false) => Err(Problem::conflict(
            "already-queued",
            "the message is already waiting to be delivered",
        )),
        Some(true) => Ok(json(
            StatusCode::ACCEPTED,
            &serde_json::json!({"id": id, "status": "queued"}),
        )),
    }
}

/// `POST /api/mail/dispatch`: what the round run for this request did (an external timer's
/// call; the round itself ran while the context was gathered, being I/O).
pub fn dispatch(ctx: &Ctx) -> Reply {
    let report = ctx
        .dispatched
        .as_ref()
        .ok_or_else(|| Problem::internal("dispatch ran without a delivery round"))?;
    Ok(json(StatusCode::OK, report))
}

#[derive(Serialize)]
struct NotificationPage {
    items: Vec<notifications::Notification>,
    next_cursor: Option<String>,
    unread: i64,
}

/// `GET /api/mail/notifications`: the caller's own, newest first, with the unread count.
pub fn list_notifications(req: &Request, ctx: &Ctx) -> Reply {
    let me = ctx.principal.user()?;
    let page = PageRequest::from_query(req)?;
    let before = match &page.after {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| Problem::invalid("cursor", "is not a cursor this API issued"))?,
        ),
    };
    let items = notifications::list(ctx.db, &me.sub, before, page.fetch_limit())?;
    let (unread, _) = notifications::summary(ctx.db, &me.sub)?;
    let page = Page::from_fetched(items, &page, |n| n.seq.to_string());
    Ok(json(
        StatusCode::OK,
        &NotificationPage {
            items: page.items,
            next_cursor: page.next_cursor,
            unread,
        },
    ))
}

/// `GET /api/mail/notifications/unread`: the badge: how many unread, and the newest's number.
pub fn unread(ctx: &Ctx) -> Reply {
    let me = ctx.principal.user()?;
    let (unread, latest) = notifications::summary(ctx.db, &me.sub)?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"unread": unread, "latest": latest}),
    ))
}

/// `POST /api/mail/notifications/read`: marks the caller's own notifications read.
pub fn mark_read(req: &Request, ctx: &Ctx) -> Reply {
    let me = ctx.principal.user()?;
    let mark = service_kit::json::parse::<MarkBody>(req)?.mark()?;
    let unread = notifications::mark_read(ctx.db, &me.sub, &mark, &ctx.now.to_string())?;
    Ok(json(StatusCode::OK, &serde_json::json!({"unread": unread})))
}

/// `GET /api/mail/notifications/stream`: the head of a Server-Sent Events stream (the body is
/// written after it by `spin_io::stream`): checks the caller and the resume point.
pub fn stream_head(req: &Request, ctx: &Ctx) -> Reply {
    ctx.principal.user()?;
    crate::stream::resume_point(req)?;
    Ok(head("text/event-stream"))
}

/// `GET /api/mail/notifications/poll`: the long-poll fallback's head (its body is written when
/// there is news or the wait ends: `spin_io::poll`). Its input is checked here, before the 200.
pub fn poll_head(req: &Request, ctx: &Ctx) -> Reply {
    ctx.principal.user()?;
    crate::stream::resume_point(req)?;
    crate::stream::poll_wait(req)?;
    Ok(head("application/json"))
}

fn head(content_type: &'static str) -> service_kit::http::Response {
    let mut r = http::Response::new(Vec::new());
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    r
}

/// `GET /api/mail/unsubscribe?token=`: what the link will do, and a button (a mail scanner
/// fetching the link changes nothing).
pub fn unsubscribe_page(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let key = service_kit::signed::key(ctx.db, "mail")?;
    Ok(match unsubscribe::user_of(&key, &token) {
        Some(_) => {
            let action = format!("{}?token={token}", unsubscribe::PATH);
            html::page(
                StatusCode::OK,
                "Stop reminder emails",
                &["You will still get mail about your requests and visits, and your reminders stay in the portal."],
                Some(html::Form {
                    action: &action,
                    button: "Stop reminder emails",
                }),
            )
        }
        None => not_our_link(),
    })
}

/// `POST /api/mail/unsubscribe?token=`: the opt-out, as a mail client's one-click button
/// (RFC 8058: `List-Unsubscribe=One-Click` in the body) or the page's button sends it.
pub fn unsubscribe(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let key = service_kit::signed::key(ctx.db, "mail")?;
    let Some(user) = unsubscribe::user_of(&key, &token) else {
        return Ok(not_our_link());
    };
    unsubscribe::suppress(ctx.db, &user, &ctx.now.to_string())?;
    Ok(html::page(
        StatusCode::OK,
        "Reminder emails stopped",
        &["You will get no more reminder emails. You can turn them back on in the portal, under your notifications."],
        None,
    ))
}

fn not_our_link() -> service_kit::http::Response {
    html::page(
        StatusCode::NOT_FOUND,
        "This link does not work",
        &["It is not an unsubscribe link from one of our emails. You can choose which emails you get in the portal."],
        None,
    )
}

/// `GET /api/mail/preferences`: which optional mail the caller gets.
pub fn preferences(ctx: &Ctx) -> Reply {
    let me = ctx.principal.user()?;
    let off = unsubscribe::suppressed(ctx.db, &me.sub)?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "reminder_emails": !off }),
    ))
}

/// `PUT /api/mail/preferences`: `{"reminder_emails": bool}`.
pub fn set_preferences(req: &Request, ctx: &Ctx) -> Reply {
    let me = ctx.principal.user()?;
    let b: crate::api::PreferencesBody = service_kit::json::parse(req)?;
    if b.reminder_emails {
        unsubscribe::resume(ctx.db, &me.sub)?;
    } else {
        unsubscribe::suppress(ctx.db, &me.sub, &ctx.now.to_string())?;
    }
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "reminder_emails": b.reminder_emails }),
    ))
}
