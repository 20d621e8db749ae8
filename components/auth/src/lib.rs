//! auth: accounts, roles, sign-in, refresh-token rotation, and the only signing key for access
//! tokens, published as JWKS for every other service to verify with.
//!
//! This file is the route table and the Spin entry point; the rules live in the modules.

pub mod accounts;
pub mod api;
pub mod cookie;
mod handlers;
pub mod keys;
pub mod links;
pub mod outbox;
pub mod password;
pub mod refusal;
pub mod reset;
pub mod security;
pub mod sessions;
pub mod signup;
pub mod throttle;

use service_kit::db::Db;
use service_kit::migrate::{self, Migration};
use service_kit::router::{Routes, Service};
use service_kit::token::Expectations;
use service_kit::vars::Vars;
use service_kit::Problem;

/// auth's schema, from `migrations/auth/`.
pub const MIGRATIONS: &[Migration] = service_kit::migrations!(
    "auth",
    "0001_accounts.sql",
    "0002_attempts.sql",
    "0003_revocations.sql",
    "0004_email_links.sql"
);

/// auth's settings, read from Spin variables here and nowhere else.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The first admin, created on first request if no admin exists (`admin_email`,
    /// `admin_password`).
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// `token_signing_key`: set, the key is the clinic's (rotated in the variables); unset, auth
    /// generates and keeps one.
    pub signing_key: Option<String>,
    /// `token_previous_signing_key`: still published after a rotation in the variables.
    pub previous_signing_key: Option<String>,
    /// `token_issuer` and `token_audience`, as every verifier reads them.
    pub expect: Expectations,
    /// `public_url`: the origin the discovery document names; unset, the request's own.
    pub public_url: Option<String>,
    /// `auth_registrations_per_hour`: sign-ups accepted from one client address in an hour.
    pub registrations_per_hour: i64,
    /// Whether booking asks for a verified address (`service_kit::vars::verified_email_required`),
    /// reported by the health route so the portal can say so.
    pub verified_email_required: bool,
}

impl Settings {
    /// The origin mailed links start with: `public_url`, never the request's Host header (a
    /// reset link built from it would go wherever the requester said: reset poisoning).
    pub fn links_base(&self) -> String {
        match self.public_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u.trim_end_matches('/').to_string(),
            _ => service_kit::vars::DEFAULT_PUBLIC_ORIGIN.into(),
        }
    }
}

impl Settings {
    pub fn from_vars(vars: &dyn Vars) -> Self {
        Settings {
            admin_email: vars.get("admin_email"),
            admin_password: vars.get("admin_password"),
            signing_key: vars.get("token_signing_key"),
            previous_signing_key: vars.get("token_previous_signing_key"),
            expect: Expectations::from_vars(vars),
            public_url: vars.get("public_url"),
            registrations_per_hour: vars
                .get("auth_registrations_per_hour")
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(throttle::REGISTER_PER_HOUR),
            verified_email_required: service_kit::vars::verified_email_required(vars),
        }
    }
}

/// What a request runs against: its database, auth's settings, and the time it arrived.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub settings: Settings,
    pub now: jiff::Timestamp,
    /// Whether the request came from another component of the app (`service_kit::internal`):
    /// only they may read an account's address.
    pub internal: bool,
}

impl Ctx<'_> {
    pub fn unix(&self) -> i64 {
        self.now.as_second()
    }
}

pub const REGISTER: &str = "/api/auth/register";
pub const VERIFY: &str = "/api/auth/verify-email";
pub const RESEND: &str = "/api/auth/verify-email/resend";
pub const RESET: &str = "/api/auth/password-reset";
pub const LOGIN: &str = "/api/auth/login";

/// The routes after whose success auth relays its outbox ([`outbox`]): those that queue mail,
/// and sign-in, so that what a relay left while mail was down leaves with the next sign-in
/// rather than the next sign-up (one read of an empty table, usually).
#[cfg(target_arch = "wasm32")]
const RELAYS_MAIL: [&str; 4] = [REGISTER, RESEND, RESET, LOGIN];

/// auth as a service: its name, context and route table.
pub struct Auth;

impl Service for Auth {
    const NAME: &'static str = "auth";
    type Ctx<'a> = Ctx<'a>;

    /// Every route auth answers: one line each. Its JWKS and discovery document live under its
    /// own route, never at the root: a root `/.well-known/...` route beside the portal's `/...`
    /// is ranked by Spin's router in insertion order (docs/operations.md).
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            // Not the kit's bare health: it says whether the first admin exists yet.
            .get("/api/auth/health", |_, c, _| h::health(c))
            .post(REGISTER, |r, c, _| h::register(r, c))
            .get(VERIFY, |r, c, _| h::verify_link(r, c))
            .post(VERIFY, |r, c, _| h::verify(r, c))
            .post(RESEND, |r, c, _| h::resend_verification(r, c))
            .post(RESET, |r, c, _| h::request_reset(r, c))
            .post("/api/auth/password-reset/confirm", |r, c, _| {
                h::confirm_reset(r, c)
            })
            .post(LOGIN, |r, c, _| h::login(r, c))
            .post("/api/auth/refresh", |r, c, _| h::refresh(r, c))
            .delete("/api/auth/refresh", |r, c, _| h::logout(r, c))
            .post("/api/auth/logout", |r, c, _| h::logout(r, c))
            .get("/api/auth/me", |r, c, _| h::me(r, c))
            .post("/api/auth/users", |r, c, _| h::create_user(r, c))
            .get("/api/auth/users", |r, c, _| h::list_users(r, c))
            .get("/api/auth/users/{id}", |r, c, p| {
                h::get_user(r, c, p.get("id"))
            })
            .patch("/api/auth/users/{id}", |r, c, p| {
                h::update_user(r, c, p.get("id"))
            })
            .get("/api/auth/contacts/{id}", |_, c, p| {
                h::contact(c, p.get("id"))
            })
            .get("/api/auth/audit", |r, c, _| h::audit(r, c))
            .get("/api/auth/audit/verify", |r, c, _| h::audit_verify(r, c))
            .get("/api/auth/jwks.json", |_, c, _| h::jwks(c))
            .get("/api/auth/verification", |_, c, _| h::verification(c))
            .post("/api/auth/keys/rotate", |r, c, _| h::rotate_key(r, c))
            .get("/api/auth/.well-known/openid-configuration", |r, c, _| {
                h::discovery(r, c)
            })
    }

    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        migrate::apply(ctx.db, "auth", MIGRATIONS)?;
        accounts::bootstrap_admin(ctx)
    }
}

#[cfg(target_arch = "wasm32")]
impl service_kit::spin::SpinService for Auth {
    /// auth verifies its own tokens with its own keys (handlers), so nothing is fetched here.
    async fn context<'a>(
        req: &service_kit::http::Request,
        _route: &'static str,
        kit: &'a service_kit::spin::Kit,
    ) -> Result<Ctx<'a>, Problem> {
        Ok(Ctx {
            db: kit.db()?,
            settings: Settings::from_vars(kit.vars()),
            now: kit.now,
            internal: service_kit::internal::is_internal(req, kit.vars()),
        })
    }

    /// After a request that queued mail, relays the outbox (and whatever a failed relay left).
    async fn after(
        _req: &service_kit::http::Request,
        route: &'static str,
        status: http::StatusCode,
        kit: &service_kit::spin::Kit,
    ) {
        if !status.is_success() || !RELAYS_MAIL.contains(&route) {
            return;
        }
        let relay = async {
            let db = kit.db()?;
            let (messages, Some(last)) = outbox::pending(db)? else {
                return Ok(());
            };
            service_kit::spin::send_to_mail(&messages).await?;
            outbox::delivered(db, last)
        };
        if let Err(p) = relay.await {
            eprintln!("auth: relaying to mail: {}", p.detail);
        }
    }
}

service_kit::component!(Auth);
