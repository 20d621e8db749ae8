//! mail: the outbox other services hand messages to, their templates and delivery (SMTP, a
//! provider's HTTP API, or the log), the delivery log admins read, and in-app notifications.
//!
//! This file is the settings, the route table and the Spin entry point; the rules live in the
//! modules.

pub mod api;
pub mod delivery;
mod handlers;
pub mod mime;
pub mod notifications;
pub mod outbox;
pub mod smtp;
#[cfg(target_arch = "wasm32")]
mod spin_io;
pub mod stream;
pub mod templates;
pub mod unsubscribe;

use delivery::{Plan, Report, Transport};
use jiff::SignedDuration;
use outbox::Retry;
use service_kit::db::Db;
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::vars::Vars;
use service_kit::Problem;
use templates::Branding;

pub const MIGRATIONS: &[Migration] =
    service_kit::migrations!("mail", "0001_mail.sql", "0002_unsubscribe.sql");

/// What a request runs against.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub principal: Principal,
    /// Whether the request came from another component of the app (`service_kit::internal`).
    pub internal: bool,
    pub now: jiff::Timestamp,
    pub settings: Settings,
    pub audit: service_kit::audit::Recorder,
    /// The delivery round a dispatch request ran.
    pub dispatched: Option<Report>,
}

/// The relay mail speaks SMTP to.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// An IP address: Spin checks a TCP connection against `allowed_outbound_hosts` by the
    /// address it goes to, so a name there never matches (docs/mail.md).
    pub host: String,
    pub port: u16,
    pub helo: String,
    pub credentials: Option<(String, String)>,
}

/// The provider's HTTP API.
#[derive(Debug, Clone)]
pub struct Api {
    pub url: String,
    pub key: String,
    pub timeout: std::time::Duration,
}

/// mail's settings, read from Spin variables here and nowhere else; unset or unusable values
/// take the defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub branding: Branding,
    pub plan: Plan,
    pub smtp: Smtp,
    pub api: Api,
    /// What an external timer presents to `POST /api/mail/dispatch`; empty: admins only.
    pub dispatch_key: Option<String>,
    /// The app's public origin, for the unsubscribe links mail makes.
    pub origin: String,
}

impl Settings {
    pub fn from_vars(vars: &dyn Vars) -> Self {
        let number = |name: &str, range: std::ops::RangeInclusive<i64>, default: i64| {
            vars.get(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| range.contains(n))
                .unwrap_or(default)
        };
        let text = |name: &str, default: &str| vars.get(name).unwrap_or_else(|| default.into());
        Settings {
            branding: Branding {
                clinic_name: text("mail_clinic_name", "Healthe"),
                footer: text("mail_footer", ""),
                app_url: text("public_url", ""),
            },
            plan: Plan {
                transport: vars
                    .get("mail_transport")
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(Transport::Log),
                from: text("mail_from", "Healthe <healthe@localhost>"),
                retry: Retry {
                    base: SignedDuration::from_secs(number(
                        "mail_retry_base_seconds",
                        1..=3600,
                        30,
                    )),
                    max_attempts: number("mail_max_attempts", 1..=50, 8),
                },
                batch: number("mail_batch", 1..=100, 10),
            },
            smtp: Smtp {
                host: text("mail_smtp_host", "127.0.0.1"),
                port: number("mail_smtp_port", 1..=65535, 25) as u16,
                helo: text("mail_smtp_helo", "healthe.localhost"),
                credentials: vars
                    .get("mail_smtp_username")
                    .map(|u| (u, vars.get("mail_smtp_password").unwrap_or_default())),
            },
            api: Api {
                url: text("mail_api_url", "https://api.resend.com")
                    .trim_end_matches('/')
                    .to_string(),
                key: text("mail_api_key", ""),
                timeout: std::time::Duration::from_secs(number(
                    "mail_api_timeout_seconds",
                    1..=25,
                    10,
                ) as u64),
            },
            dispatch_key: vars.get("mail_dispatch_key"),
            origin: service_kit::vars::public_origin(vars),
        }
    }
}

pub const INTAKE: &str = "/api/mail/outbox";
pub const DISPATCH: &str = "/api/mail/dispatch";
pub const STREAM: &str = "/api/mail/notifications/stream";
pub const POLL: &str = "/api/mail/notifications/poll";

/// mail as a service: its name, context and route table.
pub struct Mail;

impl Service for Mail {
    const NAME: &'static str = "mail";
    type Ctx<'a> = Ctx<'a>;

    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/mail/health")
            .post(INTAKE, |r, c, _| h::intake(r, c))
            .post(DISPATCH, |_, c, _| h::dispatch(c))
            .get("/api/mail/messages", |r, c, _| h::list_messages(r, c))
            .get("/api/mail/messages/{id}", |_, c, p| {
                h::message(c, p.get("id"))
            })
            .post("/api/mail/messages/{id}/resend", |_, c, p| {
                h::resend(c, p.get("id"))
            })
            .get("/api/mail/notifications", |r, c, _| {
                h::list_notifications(r, c)
            })
            .get("/api/mail/notifications/unread", |_, c, _| h::unread(c))
            .get(STREAM, |r, c, _| h::stream_head(r, c))
            .get(POLL, |r, c, _| h::poll_head(r, c))
            .post("/api/mail/notifications/read", |r, c, _| h::mark_read(r, c))
            .get(unsubscribe::PATH, |r, c, _| h::unsubscribe_page(r, c))
            .post(unsubscribe::PATH, |r, c, _| h::unsubscribe(r, c))
            .get("/api/mail/preferences", |_, c, _| h::preferences(c))
            .put("/api/mail/preferences", |r, c, _| h::set_preferences(r, c))
    }

    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        Ok(migrate::apply(ctx.db, "mail", MIGRATIONS)?)
    }
}

#[cfg(target_arch = "wasm32")]
impl service_kit::spin::SpinService for Mail {
    async fn context<'a>(
        req: &service_kit::http::Request,
        route: &'static str,
        kit: &'a service_kit::spin::Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let settings = Settings::from_vars(kit.vars());
        let internal = service_kit::internal::is_internal(req, kit.vars());
        // A cron job's call: the dispatch key instead of a user token.
        let keyed = route == DISPATCH
            && service_kit::internal::presents_bearer_key(req, settings.dispatch_key.as_deref());
        let principal = if route == INTAKE || keyed {
            // Services and the timer carry no user token.
            Principal::Anonymous
        } else {
            kit.authenticate(req).await?.0
        };
        let db = kit.db()?;
        let dispatched = if route == DISPATCH {
            if !keyed {
                if matches!(principal, Principal::Anonymous) {
                    return Err(Problem::unauthorized(
                        "sign in as an admin, or present the dispatch key",
                    ));
                }
                principal.require_role(&[service_kit::token::Role::Admin])?;
            }
            migrate::apply(db, "mail", MIGRATIONS)?;
            Some(spin_io::deliver(db, &settings, kit.vars()).await?)
        } else {
            None
        };
        Ok(Ctx {
            db,
            audit: kit.recorder(&principal),
            principal,
            internal,
            now: kit.now,
            settings,
            dispatched,
        })
    }

    fn streams(route: &'static str) -> bool {
        route == STREAM || route == POLL
    }

    async fn stream(
        req: &service_kit::http::Request,
        route: &'static str,
        kit: &service_kit::spin::Kit,
        body: &mut service_kit::spin::BodyWriter,
    ) {
        let done = if route == POLL {
            spin_io::poll(req, kit, body).await
        } else {
            spin_io::stream(req, kit, body).await
        };
        if let Err(p) = done {
            eprintln!("mail: notification {route}: {}", p.detail);
        }
    }

    /// Every request but dispatch (which delivered already) delivers a bounded round after
    /// answering: Spin has no scheduler, so mail moves when people use it.
    async fn after(
        _req: &service_kit::http::Request,
        route: &'static str,
        _status: http::StatusCode,
        kit: &service_kit::spin::Kit,
    ) {
        if route == DISPATCH {
            return;
        }
        let settings = Settings::from_vars(kit.vars());
        let round = async {
            let db = kit.db()?;
            migrate::apply(db, "mail", MIGRATIONS)?;
            spin_io::deliver(db, &settings, kit.vars()).await
        };
        if let Err(p) = round.await {
            eprintln!("mail: delivery round failed: {}", p.detail);
        }
    }
}

service_kit::component!(Mail);
