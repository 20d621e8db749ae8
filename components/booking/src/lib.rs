//! booking: the doctors' directory, weekly hours and exceptions, slots, appointments and their
//! lifecycle, reviews, the event feed and calendar feeds.
//!
//! This file is the settings, the route table and the Spin entry point; the rules live in the
//! modules.

pub mod api;
pub mod appointments;
pub mod calendar;
pub mod care;
pub mod conflict;
pub mod doctors;
pub mod events;
mod handlers;
pub mod relay;
pub mod reminders;
pub mod reviews;
pub mod schedule;
pub mod search;

use appointments::{Action, Policy};
use jiff::SignedDuration;
use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::db::Db;
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::revocation::Revocations;
use service_kit::router::{Routes, Service};
use service_kit::vars::Vars;
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] = service_kit::migrations!(
    "booking",
    "0001_booking.sql",
    "0002_care.sql",
    "0003_list_order.sql",
    "0004_mail_relay.sql",
    "0005_reminders.sql",
    "0006_relay_claim.sql"
);

/// What a request runs against. The caller is authenticated before (the key fetch is async in wasm).
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub principal: Principal,
    /// What auth says of accounts (disabled, changed): a disabled doctor's profile, slots and
    /// feeds are not served, and a disabled account's calendar feed stops.
    pub revocations: Revocations,
    pub now: jiff::Timestamp,
    pub settings: Settings,
    /// This request's access-log writer (who is acting, the request's id).
    pub audit: service_kit::audit::Recorder,
    /// Whether a timer presented the dispatch key (`POST /api/booking/reminders`).
    pub timer: bool,
}

/// booking's settings, read from Spin variables here and nowhere else; unset or unusable values
/// take the defaults.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub policy: Policy,
    /// The app's public origin (`public_url`), for calendar feed URLs; empty: relative paths.
    pub app_url: String,
    /// Whether a patient must have confirmed their address to book
    /// (`service_kit::vars::verified_email_required`).
    pub verified_email_required: bool,
    /// How long before a confirmed visit its reminder goes out (`booking_reminder_hours`).
    pub reminder_lead: SignedDuration,
    /// What a timer presents to `POST /api/booking/reminders` (`mail_dispatch_key`, the same
    /// key mail's dispatch takes); unset: admins only.
    pub dispatch_key: Option<String>,
}

impl Settings {
    pub fn from_vars(vars: &dyn Vars) -> Self {
        let number = |name: &str, range: std::ops::RangeInclusive<i64>| {
            vars.get(name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| range.contains(n))
        };
        let minutes = |name: &str, default: SignedDuration| {
            number(name, 0..=60 * 24 * 365)
                .map(SignedDuration::from_mins)
                .unwrap_or(default)
        };
        let d = Policy::default();
        Settings {
            policy: Policy {
                request_ttl: minutes("booking_request_ttl_minutes", d.request_ttl),
                cancel_cutoff: minutes("booking_cancel_cutoff_minutes", d.cancel_cutoff),
                care_window: number("booking_care_window_days", 1..=3650)
                    .map(|days| SignedDuration::from_hours(24 * days))
                    .unwrap_or(d.care_window),
            },
            app_url: vars.get("public_url").unwrap_or_default(),
            verified_email_required: service_kit::vars::verified_email_required(vars),
            reminder_lead: number("booking_reminder_hours", 1..=24 * 14)
                .map(SignedDuration::from_hours)
                .unwrap_or(SignedDuration::from_hours(24)),
            dispatch_key: vars.get("mail_dispatch_key"),
        }
    }
}

/// booking as a service: its name, context and route table.
pub struct Booking;

impl Service for Booking {
    const NAME: &'static str = "booking";
    type Ctx<'a> = Ctx<'a>;

    /// Every route booking answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        use Action::*;
        Routes::new(Self::NAME)
            .health("/api/booking/health")
            .get("/api/booking/doctors", |r, c, _| h::search(r, c))
            .post(REMINDERS, |_, c, _| h::send_reminders(c))
            .get(ANSWER, |r, c, _| h::reminder_page(r, c))
            .post(ANSWER, |r, c, _| h::answer_reminder(r, c))
            .get("/api/booking/doctors/{id}", |_, c, p| {
                h::doctor(c, p.get("id"))
            })
            .put("/api/booking/doctors/{id}", |r, c, p| {
                h::put_doctor(r, c, p.get("id"))
            })
            .put("/api/booking/doctors/{id}/hours", |r, c, p| {
                h::put_hours(r, c, p.get("id"))
            })
            .get("/api/booking/doctors/{id}/slots", |r, c, p| {
                h::slots(r, c, p.get("id"))
            })
            .get("/api/booking/doctors/{id}/reviews", |_, c, p| {
                h::doctor_reviews(c, p.get("id"))
            })
            .post("/api/booking/appointments", |r, c, _| {
                h::create_appointment(r, c)
            })
            .get("/api/booking/appointments", |r, c, _| {
                h::list_appointments(r, c)
            })
            .get("/api/booking/appointments/{id}", |_, c, p| {
                h::get_appointment(c, p.get("id"))
            })
            .post("/api/booking/appointments/{id}/confirm", |r, c, p| {
                h::act(r, c, p.get("id"), Confirm)
            })
            .post("/api/booking/appointments/{id}/decline", |r, c, p| {
                h::act(r, c, p.get("id"), Decline)
            })
            .post("/api/booking/appointments/{id}/cancel", |r, c, p| {
                h::act(r, c, p.get("id"), Cancel)
            })
            .post("/api/booking/appointments/{id}/complete", |r, c, p| {
                h::act(r, c, p.get("id"), Complete)
            })
            .post("/api/booking/appointments/{id}/no_show", |r, c, p| {
                h::act(r, c, p.get("id"), NoShow)
            })
            .post("/api/booking/appointments/{id}/reschedule", |r, c, p| {
                h::reschedule(r, c, p.get("id"))
            })
            .post("/api/booking/appointments/{id}/review", |r, c, p| {
                h::review(r, c, p.get("id"))
            })
            .get("/api/booking/events", |r, c, _| h::events(r, c))
            .get("/api/booking/care/{patient}", |r, c, p| {
                h::care(r, c, p.get("patient"))
            })
            .get("/api/booking/access-log", |r, c, _| {
                access_log(r, c.db, "booking", &c.principal)
            })
            .get("/api/booking/access-log/verify", |_, c, _| {
                verify_log(c.db, "booking", &c.principal)
            })
            .post("/api/booking/calendar/feeds", |_, c, _| h::create_feed(c))
            .delete("/api/booking/calendar/feeds", |_, c, _| h::revoke_feeds(c))
            .get("/api/booking/calendar.ics", |r, c, _| {
                h::calendar_feed(r, c)
            })
    }

    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        Ok(migrate::apply(ctx.db, "booking", MIGRATIONS)?)
    }
}

/// A timer's sweep for reminders (admin, or the dispatch key).
pub const REMINDERS: &str = "/api/booking/reminders";
/// Where a reminder's links land.
pub const ANSWER: &str = "/api/booking/reminder-answer";

#[cfg(target_arch = "wasm32")]
impl service_kit::spin::SpinService for Booking {
    async fn context<'a>(
        req: &service_kit::http::Request,
        route: &'static str,
        kit: &'a service_kit::spin::Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let settings = Settings::from_vars(kit.vars());
        // A timer's call carries the dispatch key, not a user's token.
        let timer = route == REMINDERS
            && service_kit::internal::presents_bearer_key(req, settings.dispatch_key.as_deref());
        let (principal, revocations) = if timer {
            (Principal::Anonymous, Revocations::default())
        } else {
            kit.authenticate(req).await?
        };
        Ok(Ctx {
            db: kit.db()?,
            audit: kit.recorder(&principal),
            principal,
            revocations,
            now: kit.now,
            settings,
            timer,
        })
    }

    /// After every request, reminds the visits now due (one indexed read when none is); after
    /// a change or a reminder, relays the events (and any a failed relay left) to mail.
    async fn after(
        req: &service_kit::http::Request,
        _route: &'static str,
        status: http::StatusCode,
        kit: &service_kit::spin::Kit,
    ) {
        let changed = req.method() != http::Method::GET && status.is_success();
        let reminded = match kit.db().and_then(|db| {
            migrate::apply(db, "booking", MIGRATIONS)?;
            let lead = Settings::from_vars(kit.vars()).reminder_lead;
            reminders::sweep(db, kit.now, lead)
        }) {
            Ok(n) => n,
            Err(p) => {
                eprintln!("booking: sweeping for reminders: {}", p.detail);
                0
            }
        };
        if !changed && reminded == 0 {
            return;
        }
        if let Err(p) = relay_to_mail(kit).await {
            eprintln!("booking: relaying to mail: {}", p.detail);
        }
    }
}

/// Relays what is pending, when no other relay is under way: claim, send, advance (which lets
/// go), and look again — an event written while the claim was held had its own relay step
/// aside, so the holder takes it. Bounded: at most [`relay::ROUNDS`] batches per request.
#[cfg(target_arch = "wasm32")]
async fn relay_to_mail(kit: &service_kit::spin::Kit) -> Result<(), Problem> {
    let db = kit.db()?;
    migrate::apply(db, "booking", MIGRATIONS)?;
    for _ in 0..relay::ROUNDS {
        // A read first: nothing pending is the common answer, and it takes no write lock.
        if relay::pending(db)?.is_empty() || !relay::claim(db, jiff::Timestamp::now())? {
            return Ok(());
        }
        if let Err(p) = relay_batch(kit, db).await {
            // Mail's refusal is what to report; a failed release only waits for the expiry.
            let _ = relay::release(db);
            return Err(p);
        }
    }
    Ok(())
}

/// One batch under the claim: the pending events as messages, handed to mail's intake; the
/// cursor moves, and the claim is let go, once mail accepted them.
#[cfg(target_arch = "wasm32")]
async fn relay_batch(kit: &service_kit::spin::Kit, db: &dyn Db) -> Result<(), Problem> {
    let pending = relay::pending(db)?;
    let Some(last) = pending.last().map(|e| e.seq) else {
        return relay::release(db);
    };
    let key = if relay::needs_links(&pending) {
        service_kit::signed::key(db, "booking")?
    } else {
        Vec::new()
    };
    let base = service_kit::vars::public_origin(kit.vars());
    let links = relay::Links {
        key: &key,
        base: &base,
    };
    let messages: Vec<_> = pending
        .iter()
        .flat_map(|e| relay::messages(e, &links))
        .collect();
    service_kit::spin::send_to_mail(&messages).await?;
    relay::advance(db, last)
}

service_kit::component!(Booking);
