//! auth: accounts, roles, sign-in, refresh-token rotation, and the only signing key for access
//! tokens, published as JWKS for every other service to verify with.
//!
//! This file is the route table and the Spin entry point; the rules live in the modules.

pub mod accounts;
pub mod api;
mod handlers;
pub mod keys;
pub mod password;
pub mod security;
pub mod sessions;
pub mod throttle;

use service_kit::db::Db;
use service_kit::http::{finish, segments, Method, Reply, Request, Response};
use service_kit::migrate::{self, Migration};
use service_kit::vars::Vars;
use service_kit::Problem;

/// auth's schema, from `migrations/auth/`.
pub const MIGRATIONS: &[Migration] = service_kit::migrations!(
    "auth",
    "0001_accounts.sql",
    "0002_attempts.sql",
    "0003_revocations.sql"
);

/// What a request runs against: its database, the app's variables, and the time it arrived.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub vars: &'a dyn Vars,
    pub now: jiff::Timestamp,
}

impl Ctx<'_> {
    pub fn unix(&self) -> i64 {
        self.now.as_second()
    }
}

/// Handles one request.
pub fn handle(req: &Request, ctx: &Ctx) -> Response {
    finish(route(req, ctx))
}

fn route(req: &Request, ctx: &Ctx) -> Reply {
    migrate::apply(ctx.db, "auth", MIGRATIONS)?;
    accounts::bootstrap_admin(ctx)?;

    use handlers as h;
    let path = segments(req);
    match (req.method(), path.as_slice()) {
        (&Method::GET, ["api", "auth", "health"]) => h::health(ctx),
        (&Method::POST, ["api", "auth", "register"]) => h::register(req, ctx),
        (&Method::POST, ["api", "auth", "login"]) => h::login(req, ctx),
        (&Method::POST, ["api", "auth", "refresh"]) => h::refresh(req, ctx),
        (&Method::POST, ["api", "auth", "logout"]) => h::logout(req, ctx),
        (&Method::GET, ["api", "auth", "me"]) => h::me(req, ctx),
        (&Method::POST, ["api", "auth", "users"]) => h::create_user(req, ctx),
        (&Method::GET, ["api", "auth", "users"]) => h::list_users(req, ctx),
        (&Method::GET, ["api", "auth", "users", id]) => h::get_user(req, ctx, id),
        (&Method::PATCH, ["api", "auth", "users", id]) => h::update_user(req, ctx, id),
        // Under auth's own route, never at the root: a root `/.well-known/...` route beside the
        // portal's `/...` is ranked by Spin's router in insertion order (docs/operations.md).
        (&Method::GET, ["api", "auth", "audit"]) => h::audit(req, ctx),
        (&Method::GET, ["api", "auth", "audit", "verify"]) => h::audit_verify(req, ctx),
        (&Method::GET, ["api", "auth", "jwks.json"]) => h::jwks(ctx),
        (&Method::GET, ["api", "auth", "verification"]) => h::verification(ctx),
        (&Method::POST, ["api", "auth", "keys", "rotate"]) => h::rotate_key(req, ctx),
        (&Method::GET, ["api", "auth", ".well-known", "openid-configuration"]) => {
            h::discovery(req, ctx)
        }
        (_, p) if is_known(p) => Err(Problem::method_not_allowed()),
        _ => Err(Problem::not_found("no such auth resource")),
    }
}

fn is_known(path: &[&str]) -> bool {
    matches!(
        path,
        [
            "api",
            "auth",
            "health"
                | "register"
                | "login"
                | "refresh"
                | "logout"
                | "me"
                | "users"
                | "jwks.json"
                | "verification"
                | "audit"
        ] | ["api", "auth", "users", _]
            | ["api", "auth", "keys", "rotate"]
            | ["api", "auth", "audit", "verify"]
            | ["api", "auth", ".well-known", "openid-configuration"]
    )
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
async fn spin_entry(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    use service_kit::spin::{serve, SpinDb, SpinVars};
    serve(
        req,
        out,
        service_kit::json::DEFAULT_BODY_LIMIT,
        |req| async move {
            let db = match SpinDb::open("auth") {
                Ok(db) => db,
                Err(p) => return service_kit::http::problem_response(&p),
            };
            let ctx = Ctx {
                db: &db,
                vars: &SpinVars,
                now: jiff::Timestamp::now(),
            };
            handle(&req, &ctx)
        },
    )
    .await
}
