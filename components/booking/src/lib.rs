//! booking: the doctors' directory, weekly hours and exceptions, slots, appointments and their
//! lifecycle, reviews, the event feed and calendar feeds.
//!
//! This file is the route table and the Spin entry point; the rules live in the modules.

pub mod api;
pub mod appointments;
pub mod calendar;
pub mod care;
pub mod doctors;
pub mod events;
mod handlers;
pub mod reviews;
pub mod schedule;
pub mod search;

use appointments::{Action, Policy};
use jiff::SignedDuration;
use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::db::Db;
use service_kit::http::{finish, segments, Method, Reply, Request, Response};
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::revocation::Revocations;
use service_kit::vars::Vars;
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] =
    service_kit::migrations!("booking", "0001_booking.sql", "0002_care.sql");

/// What a request runs against. The caller is authenticated before (the key fetch is async in wasm).
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub principal: Principal,
    /// What auth says of accounts (disabled, changed): a disabled doctor's profile, slots and
    /// feeds are not served, and a disabled account's calendar feed stops.
    pub revocations: Revocations,
    pub now: jiff::Timestamp,
    pub policy: Policy,
    /// The app's public origin, for calendar feed URLs (may be empty: then paths are relative).
    pub app_url: String,
    /// This request's access-log writer (who is acting, the request's id).
    pub audit: service_kit::audit::Recorder,
}

/// The clinic's settings, from variables (minutes); unset or unusable values take the defaults.
pub fn policy_from(vars: &dyn Vars) -> Policy {
    let minutes = |name: &str, default: SignedDuration| {
        vars.get(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|m| (0..=60 * 24 * 365).contains(m))
            .map(SignedDuration::from_mins)
            .unwrap_or(default)
    };
    let d = Policy::default();
    Policy {
        request_ttl: minutes("booking_request_ttl_minutes", d.request_ttl),
        cancel_cutoff: minutes("booking_cancel_cutoff_minutes", d.cancel_cutoff),
        care_window: vars
            .get("booking_care_window_days")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|d| (1..=3650).contains(d))
            .map(|d| SignedDuration::from_hours(24 * d))
            .unwrap_or(d.care_window),
    }
}

pub fn handle(req: &Request, ctx: &Ctx) -> Response {
    finish(route(req, ctx))
}

/// The liveness route: no database, no token — the benchmark's baseline.
pub fn is_health(req: &Request) -> bool {
    req.method() == Method::GET && segments(req).as_slice() == ["api", "booking", "health"]
}

pub fn health() -> Response {
    service_kit::http::json(
        http::StatusCode::OK,
        &serde_json::json!({"status": "ok", "service": "booking"}),
    )
}

fn route(req: &Request, ctx: &Ctx) -> Reply {
    migrate::apply(ctx.db, "booking", MIGRATIONS)?;
    use handlers as h;
    use Method as M;
    let path = segments(req);
    match (req.method(), path.as_slice()) {
        (&M::GET, ["api", "booking", "doctors"]) => h::search(req, ctx),
        (&M::GET, ["api", "booking", "doctors", id]) => h::doctor(ctx, id),
        (&M::PUT, ["api", "booking", "doctors", id]) => h::put_doctor(req, ctx, id),
        (&M::PUT, ["api", "booking", "doctors", id, "hours"]) => h::put_hours(req, ctx, id),
        (&M::GET, ["api", "booking", "doctors", id, "slots"]) => h::slots(req, ctx, id),
        (&M::GET, ["api", "booking", "doctors", id, "reviews"]) => h::doctor_reviews(ctx, id),
        (&M::POST, ["api", "booking", "appointments"]) => h::create_appointment(req, ctx),
        (&M::GET, ["api", "booking", "appointments"]) => h::list_appointments(req, ctx),
        (&M::GET, ["api", "booking", "appointments", id]) => h::get_appointment(ctx, id),
        (&M::POST, ["api", "booking", "appointments", id, "reschedule"]) => {
            h::reschedule(req, ctx, id)
        }
        (&M::POST, ["api", "booking", "appointments", id, "review"]) => h::review(req, ctx, id),
        (&M::POST, ["api", "booking", "appointments", id, action]) => match Action::parse(action) {
            Some(a) => h::act(req, ctx, id, a),
            None => Err(Problem::not_found("no such appointment action")),
        },
        (&M::GET, ["api", "booking", "events"]) => h::events(req, ctx),
        (&M::GET, ["api", "booking", "care", patient]) => h::care(req, ctx, patient),
        (&M::GET, ["api", "booking", "access-log"]) => {
            access_log(req, ctx.db, "booking", &ctx.principal)
        }
        (&M::GET, ["api", "booking", "access-log", "verify"]) => {
            verify_log(ctx.db, "booking", &ctx.principal)
        }
        (&M::POST, ["api", "booking", "calendar", "feeds"]) => h::create_feed(ctx),
        (&M::DELETE, ["api", "booking", "calendar", "feeds"]) => h::revoke_feeds(ctx),
        (&M::GET, ["api", "booking", "calendar.ics"]) => h::calendar_feed(req, ctx),
        (_, ["api", "booking", "doctors" | "appointments" | "events" | "calendar.ics"])
        | (_, ["api", "booking", "doctors" | "appointments", _])
        | (_, ["api", "booking", "doctors", _, "hours" | "slots" | "reviews"])
        | (_, ["api", "booking", "appointments", _, _])
        | (_, ["api", "booking", "calendar", "feeds"])
        | (_, ["api", "booking", "care", _])
        | (_, ["api", "booking", "access-log"])
        | (_, ["api", "booking", "access-log", "verify"]) => Err(Problem::method_not_allowed()),
        _ => Err(Problem::not_found("no such booking resource")),
    }
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
async fn spin_entry(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    use service_kit::http::problem_response;
    use service_kit::spin::{request_context, serve, RequestContext, SpinVars};
    serve(
        req,
        out,
        service_kit::json::DEFAULT_BODY_LIMIT,
        |req| async move {
            if is_health(&req) {
                return health();
            }
            let RequestContext {
                now,
                principal,
                revocations,
                db,
            } = match request_context(&req, "booking").await {
                Ok(c) => c,
                Err(p) => return problem_response(&p),
            };
            let audit = service_kit::audit::Recorder::for_principal("booking", now, &principal);
            let ctx = Ctx {
                db: &db,
                principal,
                audit,
                revocations,
                now,
                policy: policy_from(&SpinVars),
                app_url: SpinVars.get("public_url").unwrap_or_default(),
            };
            handle(&req, &ctx)
        },
    )
    .await
}
