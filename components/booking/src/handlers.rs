//! One function per endpoint: parse, authorise, call the rules, shape the answer.

use crate::api::{
    self, AppointmentBody, HoursBody, NoteBody, ProfileBody, RescheduleBody, ReviewBody,
};
use crate::appointments::{self, Action, Actor, ListFilter, NewRequest, Owner, Requested, Status};
use crate::search::{self, Query, Sort};
use crate::{calendar, care, doctors, events, reminders, reviews, Ctx};
use http::StatusCode;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use service_kit::audit::Outcome;
use service_kit::html;
use service_kit::http::{json, no_content, query_param, with_body, Reply, Request};
use service_kit::page::{encode_cursor, Page, PageRequest};
use service_kit::principal::Principal;
use service_kit::token::Role;
use service_kit::{json as body, Problem};
use sha2::{Digest, Sha256};

/// The longest range `slots` answers for.
const MAX_RANGE_DAYS: i64 = 31;

fn actor(ctx: &Ctx) -> Result<Actor, Problem> {
    let claims = ctx.principal.user()?;
    Ok(Actor {
        id: claims.sub.clone(),
        role: claims.role,
    })
}

fn optional_text(req: &Request, name: &str, max: usize) -> Result<Option<String>, Problem> {
    match query_param(req, name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => api::text(name, &v, 1, max).map(Some),
    }
}

/// An optional user-id query parameter, checked whether or not the caller's role uses it.
fn optional_id(req: &Request, name: &str) -> Result<Option<String>, Problem> {
    query_param(req, name)
        .map(|v| api::user_id(name, &v))
        .transpose()
}

/// How far ahead `available_on` may ask: slots exist only where hours do, and a date at the
/// edge of the calendar's range has no tomorrow to end it.
const AVAILABLE_ON_MAX_DAYS: i64 = 366;

/// A doctor as the public may see them: 404 for an unknown or disabled account.
fn visible_doctor(ctx: &Ctx, id: &str) -> Result<doctors::Doctor, Problem> {
    if ctx.revocations.is_disabled(id) {
        return Err(Problem::not_found("no such doctor"));
    }
    doctors::get(ctx.db, id)
}

pub fn search(req: &Request, ctx: &Ctx) -> Reply {
    let page = PageRequest::from_query(req)?;
    let available_on = match query_param(req, "available_on") {
        None => None,
        Some(d) => {
            let date = d
                .parse::<Date>()
                .map_err(|_| Problem::invalid("available_on", "must be a date, YYYY-MM-DD"))?;
            let today = ctx.now.to_zoned(jiff::tz::TimeZone::UTC).date();
            let days = (date - today).get_days() as i64;
            // A day behind UTC still has today somewhere in the world.
            if !(-1..=AVAILABLE_ON_MAX_DAYS).contains(&days) {
                return Err(Problem::invalid(
                    "available_on",
                    format!("must be a date from today to {AVAILABLE_ON_MAX_DAYS} days ahead"),
                ));
            }
            Some(date)
        }
    };
    let sort = match query_param(req, "sort").as_deref() {
        None | Some("name") => Sort::Name,
        Some("rating") => Sort::Rating,
        Some(_) => return Err(Problem::invalid("sort", "must be name or rating")),
    };
    let q = Query {
        specialty: optional_text(req, "specialty", 100)?,
        city: optional_text(req, "city", 100)?,
        state: optional_text(req, "state", 100)?,
        text: optional_text(req, "q", 100)?,
        available_on,
        sort: Some(sort),
        hidden: ctx.revocations.disabled_json(),
    };
    Ok(json(
        StatusCode::OK,
        &search::search(ctx.db, ctx.now, &q, &page)?,
    ))
}

fn doctor_view(d: &doctors::Doctor) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    v["weekly_hours"] = serde_json::to_value(d.weekly_view()).unwrap_or_default();
    v["exceptions"] = serde_json::to_value(d.exceptions_view()).unwrap_or_default();
    v
}

pub fn doctor(ctx: &Ctx, id: &str) -> Reply {
    let d = visible_doctor(ctx, id)?;
    Ok(json(StatusCode::OK, &doctor_view(&d)))
}

/// Staff and admins edit any profile; a doctor edits their own.
fn may_edit(ctx: &Ctx, id: &str) -> Result<(), Problem> {
    let me = actor(ctx)?;
    if me.is_staff() || (me.role == Role::Doctor && me.id == id) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "only staff, or the doctor themself, may edit this profile",
        ))
    }
}

pub fn put_doctor(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    may_edit(ctx, id)?;
    api::user_id("id", id)?;
    let profile = body::parse::<ProfileBody>(req)?.check()?;
    let created = doctors::upsert(ctx.db, id, &profile, &appointments::instant_text(ctx.now))?;
    let d = doctors::get(ctx.db, id)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &doctor_view(&d)))
}

pub fn put_hours(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    may_edit(ctx, id)?;
    let b: HoursBody = body::parse(req)?;
    let weekly = doctors::parse_weekly(&b.weekly)?;
    let exceptions = doctors::parse_exceptions(&b.exceptions)?;
    doctors::set_hours(
        ctx.db,
        id,
        &weekly,
        &exceptions,
        &appointments::instant_text(ctx.now),
    )?;
    let d = doctors::get(ctx.db, id)?;
    Ok(json(StatusCode::OK, &doctor_view(&d)))
}

/// `from`/`to` as RFC 3339 instants, or as dates (local midnight in the doctor's zone).
fn bound(
    req: &Request,
    name: &str,
    zone: &jiff::tz::TimeZone,
) -> Result<Option<Timestamp>, Problem> {
    let Some(v) = query_param(req, name) else {
        return Ok(None);
    };
    if let Ok(d) = v.parse::<Date>() {
        return d
            .to_zoned(zone.clone())
            .map(|z| Some(z.timestamp()))
            .map_err(|_| Problem::invalid(name, "is out of range"));
    }
    api::instant(name, &v).map(Some)
}

pub fn slots(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let d = visible_doctor(ctx, id)?;
    let schedule = d.schedule();
    let from = bound(req, "from", &schedule.zone)?.unwrap_or(ctx.now);
    let to = match bound(req, "to", &schedule.zone)? {
        Some(t) => t,
        None => from
            .checked_add(SignedDuration::from_hours(24 * 7))
            .map_err(|_| Problem::invalid("from", "is out of range"))?,
    };
    if to <= from {
        return Err(Problem::invalid("to", "must be after from"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * MAX_RANGE_DAYS) {
        return Err(Problem::invalid(
            "to",
            format!("the range may be at most {MAX_RANGE_DAYS} days"),
        ));
    }
    let free = search::free_slots(ctx.db, ctx.now, &d, from, to)?;
    let items: Vec<_> = free
        .iter()
        .map(|s| {
            json!({
                "starts_at": appointments::instant_text(s.start),
                "ends_at": appointments::instant_text(s.end),
                "local_start": s.local_start.strftime("%Y-%m-%dT%H:%M").to_string(),
                "utc_offset": s.offset,
            })
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({
            "doctor_id": d.id,
            "time_zone": d.time_zone,
            "visit_minutes": d.visit_minutes,
            "from": appointments::instant_text(from),
            "to": appointments::instant_text(to),
            "items": items,
        }),
    ))
}

pub fn doctor_reviews(ctx: &Ctx, id: &str) -> Reply {
    let d = visible_doctor(ctx, id)?;
    let items = reviews::for_doctor(ctx.db, id, 50)?;
    Ok(json(
        StatusCode::OK,
        &json!({ "doctor_id": id, "rating": d.rating, "items": items }),
    ))
}

pub fn create_appointment(req: &Request, ctx: &Ctx) -> Reply {
    let claims = ctx.principal.require_role(&[Role::Patient])?;
    ctx.principal
        .require_verified(ctx.settings.verified_email_required, "booking")?;
    let me = Actor {
        id: claims.sub.clone(),
        role: claims.role,
    };
    let key = api::IdempotencyKey::from_request(req)?;
    let b: AppointmentBody = body::parse(req)?;
    let starts_at = api::instant("starts_at", &b.starts_at)?;
    if ctx.revocations.is_disabled(&b.doctor_id) {
        return Err(Problem::invalid("doctor_id", "no such doctor"));
    }
    let reason = api::text("reason", &b.reason, 1, 2000)?;
    let hash = {
        let digest = Sha256::digest(
            format!(
                "{}\u{1f}{}\u{1f}{}",
                b.doctor_id,
                appointments::instant_text(starts_at),
                reason
            )
            .as_bytes(),
        );
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let outcome = appointments::request(
        ctx.db,
        &ctx.settings.policy,
        ctx.now,
        &me,
        &NewRequest {
            doctor_id: &b.doctor_id,
            starts_at,
            reason: &reason,
            idempotency: key.as_ref().map(|k| (k.as_str(), hash.as_str())),
        },
    )?;
    let a = match &outcome {
        Requested::Created(a) | Requested::Replayed(a) => a,
    };
    ctx.audit.record(
        ctx.db,
        "create",
        &format!("appointment/{}", a.id),
        Some(&me.id),
        Outcome::Allowed,
    )?;
    Ok(match outcome {
        Requested::Created(a) => json(StatusCode::CREATED, &a),
        Requested::Replayed(a) => service_kit::http::set_header(
            json(StatusCode::CREATED, &a),
            "idempotent-replayed",
            "true",
        ),
    })
}

pub fn list_appointments(req: &Request, ctx: &Ctx) -> Reply {
    let me = actor(ctx)?;
    let page = PageRequest::from_query(req)?;
    let status = match query_param(req, "status") {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| {
            Problem::invalid(
                "status",
                "must be requested, confirmed, declined, cancelled, completed, no_show or expired",
            )
        })?),
    };
    let instant_or_date = |name: &str| -> Result<Option<Timestamp>, Problem> {
        match query_param(req, name) {
            None => Ok(None),
            Some(v) => match v.parse::<Date>() {
                Ok(d) => d
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .map(|z| Some(z.timestamp()))
                    .map_err(|_| Problem::invalid(name, "is out of range")),
                Err(_) => api::instant(name, &v).map(Some),
            },
        }
    };
    // Whose list: a patient's own; a doctor's agenda; staff name the doctor or the patient.
    let asked = (
        optional_id(req, "doctor_id")?,
        optional_id(req, "patient_id")?,
    );
    let owner = match me.role {
        Role::Patient => Owner::Patient(me.id.clone()),
        Role::Doctor => Owner::Doctor(me.id.clone()),
        _ if me.is_staff() => match asked {
            (Some(d), None) => Owner::Doctor(d),
            (None, Some(p)) => Owner::Patient(p),
            _ => {
                return Err(Problem::invalid(
                    "doctor_id",
                    "staff name either doctor_id or patient_id",
                ))
            }
        },
        _ => {
            return Err(Problem::forbidden(
                "patients, doctors and staff have appointments",
            ))
        }
    };
    // `day` or `week` (seven days from the date given): local dates in the doctor's zone for an
    // agenda, UTC otherwise.
    let (from, to) = match (query_param(req, "day"), query_param(req, "week")) {
        (None, None) => (instant_or_date("from")?, instant_or_date("to")?),
        (Some(_), Some(_)) => return Err(Problem::invalid("week", "give day or week, not both")),
        (day, week) => {
            if query_param(req, "from").is_some() || query_param(req, "to").is_some() {
                return Err(Problem::invalid(
                    "from",
                    "give from/to, or day/week, not both",
                ));
            }
            let (field, value, days) = match (day, week) {
                (Some(d), _) => ("day", d, 1),
                (_, Some(w)) => ("week", w, 7),
                _ => unreachable!("one of them is given"),
            };
            let date = value
                .parse::<Date>()
                .map_err(|_| Problem::invalid(field, "must be a date, YYYY-MM-DD"))?;
            let zone = match &owner {
                Owner::Doctor(id) => doctors::find(ctx.db, id)?
                    .map(|d| d.zone)
                    .unwrap_or(jiff::tz::TimeZone::UTC),
                Owner::Patient(_) => jiff::tz::TimeZone::UTC,
            };
            let start = date.to_zoned(zone.clone());
            let end = date
                .checked_add(jiff::Span::new().days(days))
                .and_then(|d| d.to_zoned(zone));
            match (start, end) {
                (Ok(s), Ok(e)) => (Some(s.timestamp()), Some(e.timestamp())),
                _ => return Err(Problem::invalid(field, "is out of range")),
            }
        }
    };
    let filter = ListFilter { status, from, to };
    let after = match &page.after {
        None => None,
        Some(k) => Some(
            k.split_once('\u{1f}')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this API issued"))?,
        ),
    };
    let items = appointments::list(ctx.db, ctx.now, &owner, &filter, after, page.fetch_limit())?;
    let found = Page::from_fetched(items, &page, |a| {
        format!("{}\u{1f}{}", appointments::instant_text(a.starts_at), a.id)
    });
    audited_list(
        ctx,
        &ctx.audit,
        "appointments",
        found.items.iter().map(|a| a.patient_id.as_str()),
    )?;
    Ok(json(StatusCode::OK, &found))
}

/// Is the caller (a doctor) treating `patient` now? Staff ask for a doctor by `doctor_id`.
/// Answers `treating` and the appointment it rests on; other services ask this with the
/// doctor's own token, so a service learns only what that doctor may know.
pub fn care(req: &Request, ctx: &Ctx, patient: &str) -> Reply {
    let me = actor(ctx)?;
    let patient = api::user_id("patient", patient)?;
    let patient = patient.as_str();
    let asked_doctor = optional_id(req, "doctor_id")?;
    let doctor = match me.role {
        Role::Doctor => me.id.clone(),
        _ if me.is_staff() => {
            asked_doctor.ok_or_else(|| Problem::invalid("doctor_id", "staff name the doctor"))?
        }
        _ => {
            return Err(Problem::forbidden(
                "care relationships are asked by doctors and staff",
            ))
        }
    };
    let basis = care::basis(
        ctx.db,
        ctx.now,
        ctx.settings.policy.care_window,
        &doctor,
        patient,
    )?;
    ctx.audit.record(
        ctx.db,
        "read",
        &format!("care/{doctor}"),
        Some(patient),
        Outcome::Allowed,
    )?;
    Ok(json(
        StatusCode::OK,
        &json!({
            "doctor_id": doctor,
            "patient_id": patient,
            "treating": basis.is_some(),
            "basis": basis,
        }),
    ))
}

/// Records an access to one appointment in the access log: allowed, with its patient; or,
/// when the caller was refused (404 to them, 403), denied against the patient it was aimed at.
fn audited(
    ctx: &Ctx,
    action: &str,
    id: &str,
    result: Result<appointments::Appointment, Problem>,
) -> Result<appointments::Appointment, Problem> {
    let resource = format!("appointment/{id}");
    match &result {
        Ok(a) => ctx.audit.record(
            ctx.db,
            action,
            &resource,
            Some(&a.patient_id),
            Outcome::Allowed,
        )?,
        Err(p) if matches!(p.status, 403 | 404) => {
            if let Some(patient) = appointments::patient_of(ctx.db, id)? {
                ctx.audit
                    .record(ctx.db, action, &resource, Some(&patient), Outcome::Denied)?;
            }
        }
        Err(_) => {}
    }
    result
}

/// One access-log row per distinct patient whose data a list showed.
fn audited_list<'a>(
    ctx: &Ctx,
    audit: &service_kit::audit::Recorder,
    resource: &str,
    patients: impl Iterator<Item = &'a str>,
) -> Result<(), Problem> {
    let mut seen = std::collections::BTreeSet::new();
    for p in patients {
        if seen.insert(p) {
            audit.record(ctx.db, "list", resource, Some(p), Outcome::Allowed)?;
        }
    }
    Ok(())
}

pub fn get_appointment(ctx: &Ctx, id: &str) -> Reply {
    let me = actor(ctx)?;
    let a = audited(ctx, "read", id, appointments::get(ctx.db, ctx.now, &me, id))?;
    Ok(json(StatusCode::OK, &a))
}

pub fn act(req: &Request, ctx: &Ctx, id: &str, action: Action) -> Reply {
    let me = actor(ctx)?;
    let note: NoteBody = if req.body().is_empty() {
        NoteBody::default()
    } else {
        body::parse(req)?
    };
    let note = match note.reason {
        None => None,
        Some(r) => Some(api::text("reason", &r, 0, 2000)?),
    };
    let a = audited(
        ctx,
        "update",
        id,
        appointments::transition(
            ctx.db,
            &ctx.settings.policy,
            ctx.now,
            &me,
            id,
            action,
            note.as_deref(),
        ),
    )?;
    Ok(json(StatusCode::OK, &a))
}

pub fn reschedule(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let me = actor(ctx)?;
    let b: RescheduleBody = body::parse(req)?;
    let starts_at = api::instant("starts_at", &b.starts_at)?;
    let a = audited(
        ctx,
        "update",
        id,
        appointments::reschedule(ctx.db, &ctx.settings.policy, ctx.now, &me, id, starts_at),
    )?;
    Ok(json(StatusCode::OK, &a))
}

pub fn review(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let me = actor(ctx)?;
    let b: ReviewBody = body::parse(req)?;
    let r = reviews::add(ctx.db, ctx.now, &me, id, b.rating, &b.text)?;
    ctx.audit.record(
        ctx.db,
        "create",
        &format!("review/{id}"),
        Some(&me.id),
        Outcome::Allowed,
    )?;
    Ok(json(StatusCode::CREATED, &r))
}

/// The event feed, for service callers (staff and admin tokens): `after` is the last `seq` seen.
pub fn events(req: &Request, ctx: &Ctx) -> Reply {
    ctx.principal.require_role(&[Role::Staff, Role::Admin])?;
    let page = PageRequest::from_query(req)?;
    let after = match (&page.after, query_param(req, "after")) {
        (Some(c), _) => c
            .parse::<i64>()
            .map_err(|_| Problem::invalid("cursor", "is not a cursor this API issued"))?,
        (None, Some(a)) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Problem::invalid("after", "must be a sequence number"))?,
        (None, None) => 0,
    };
    let items = events::after(ctx.db, after, page.limit as i64)?;
    audited_list(
        ctx,
        &ctx.audit,
        "events",
        items.iter().map(|e| e.patient_id.as_str()),
    )?;
    let last = items.last().map(|e| e.seq).unwrap_or(after);
    Ok(json(
        StatusCode::OK,
        // A feed: there is always a cursor to wait on for what comes next.
        &Page {
            items,
            next_cursor: Some(encode_cursor(&last.to_string())),
        },
    ))
}

pub fn create_feed(ctx: &Ctx) -> Reply {
    let me = actor(ctx)?;
    if !matches!(me.role, Role::Patient | Role::Doctor) {
        return Err(Problem::forbidden(
            "calendar feeds are for patients and doctors",
        ));
    }
    let token = calendar::create(ctx.db, ctx.now, &me.id, me.role)?;
    let path = format!("/api/booking/calendar.ics?token={token}");
    let url = if ctx.settings.app_url.is_empty() {
        path.clone()
    } else {
        format!("{}{path}", ctx.settings.app_url.trim_end_matches('/'))
    };
    Ok(json(
        StatusCode::CREATED,
        &json!({ "url": url, "path": path }),
    ))
}

pub fn revoke_feeds(ctx: &Ctx) -> Reply {
    let me = actor(ctx)?;
    calendar::revoke_all(ctx.db, ctx.now, &me.id)?;
    Ok(no_content())
}

pub fn calendar_feed(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let (user, role) = calendar::owner(ctx.db, &token)?
        .filter(|(user, _)| !ctx.revocations.is_disabled(user))
        .ok_or_else(|| Problem::not_found("no such calendar feed"))?;
    let owner = if role == Role::Doctor {
        Owner::Doctor(user.clone())
    } else {
        Owner::Patient(user.clone())
    };
    let from = ctx.now - SignedDuration::from_hours(24 * 90);
    let filter = ListFilter {
        from: Some(from),
        ..ListFilter::default()
    };
    let items = appointments::list(ctx.db, ctx.now, &owner, &filter, None, 1000)?;
    // The feed's owner reads it by its secret URL: the rows name them as the actor.
    let owner = service_kit::audit::Recorder::new(
        "booking",
        ctx.now,
        Some((user.clone(), role.as_str().to_string())),
    );
    audited_list(
        ctx,
        &owner,
        "calendar",
        items.iter().map(|a| a.patient_id.as_str()),
    )?;
    let mut ids: Vec<&str> = items.iter().map(|a| a.doctor_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = doctors::names(ctx.db, &ids)?;
    let body = calendar::render(
        ctx.now,
        &items,
        |id| {
            names
                .get(id)
                .cloned()
                .unwrap_or_else(|| "your doctor".into())
        },
        &ctx.settings.app_url,
    );
    let resp = with_body(
        StatusCode::OK,
        "text/calendar; charset=utf-8",
        body.into_bytes(),
    );
    // The URL is the credential: keep it out of caches and referrers.
    let resp = service_kit::http::set_header(resp, "cache-control", "private, no-store");
    Ok(service_kit::http::set_header(
        resp,
        "referrer-policy",
        "no-referrer",
    ))
}

/// `POST /api/booking/reminders`: a timer's sweep (admin, or the dispatch key). The reminders
/// are relayed to mail right after the answer.
pub fn send_reminders(ctx: &Ctx) -> Reply {
    if !ctx.timer {
        if matches!(ctx.principal, Principal::Anonymous) {
            return Err(Problem::unauthorized(
                "sign in as an admin, or present the dispatch key",
            ));
        }
        ctx.principal.require_role(&[Role::Admin])?;
    }
    let n = reminders::sweep(ctx.db, ctx.now, ctx.settings.reminder_lead)?;
    Ok(json(StatusCode::OK, &json!({ "reminded": n })))
}

/// The page a reminder's link opens: what it will do, and a button that does it. Following
/// the link changes nothing (a mail scanner may fetch it first); only the button does.
pub fn reminder_page(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let key = service_kit::signed::key(ctx.db, "booking")?;
    Ok(match reminders::open(ctx.db, &key, &token, ctx.now) {
        Ok((link, a)) => {
            let doctor = doctors::get(ctx.db, &a.doctor_id)?;
            let when = reminder_time(&a, &doctor.time_zone);
            let (title, line, button) = match link.answer {
                reminders::Answer::Attend => (
                    "Confirm your visit",
                    format!(
                        "Your visit with {} is on {when}. Will you come?",
                        doctor.name
                    ),
                    "Yes, I will come",
                ),
                reminders::Answer::Cancel => (
                    "Cancel your visit",
                    format!(
                        "Do you want to cancel your visit with {} on {when}?",
                        doctor.name
                    ),
                    "Cancel the visit",
                ),
            };
            let action = format!("{}?token={token}", crate::ANSWER);
            html::page(
                StatusCode::OK,
                title,
                &[&line],
                Some(html::Form {
                    action: &action,
                    button,
                }),
            )
        }
        Err(refused) => refused_page(refused),
    })
}

/// The button on that page: the answer, as the patient, once.
pub fn answer_reminder(req: &Request, ctx: &Ctx) -> Reply {
    let token = query_param(req, "token").unwrap_or_default();
    let key = service_kit::signed::key(ctx.db, "booking")?;
    Ok(
        match reminders::answer(ctx.db, &ctx.settings.policy, &key, &token, ctx.now) {
            Ok((link, a)) => {
                // By whoever holds the patient's link: logged as that, on the patient's record.
                ctx.audit.record(
                    ctx.db,
                    "update",
                    &format!("appointment/{}", a.id),
                    Some(&a.patient_id),
                    Outcome::Allowed,
                )?;
                let line = match link.answer {
                    reminders::Answer::Attend => "Thank you: the clinic knows you will come.",
                    reminders::Answer::Cancel => {
                        "Your visit is cancelled, and the doctor is told. You can book another time in the portal."
                    }
                };
                html::page(StatusCode::OK, "Done", &[line], None)
            }
            Err(refused) => refused_page(refused),
        },
    )
}

fn refused_page(refused: reminders::Refused) -> service_kit::http::Response {
    match refused {
        reminders::Refused::Invalid => html::page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            &["It is not a link from one of our reminders. Open the portal to see your visits."],
            None,
        ),
        reminders::Refused::Spent => html::page(
            StatusCode::GONE,
            "This link has been used or has expired",
            &["A reminder's links work once, and only until the visit begins or moves. Open the portal to see your visits."],
            None,
        ),
        reminders::Refused::Rule(p) => html::page(
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT),
            "This cannot be done online",
            &[&p.detail, "Please contact the clinic."],
            None,
        ),
    }
}

/// "Tuesday 8 December 2026 at 14:00 (Europe/Berlin)": the visit in its doctor's zone.
fn reminder_time(a: &appointments::Appointment, zone: &str) -> String {
    match jiff::tz::db().get(zone) {
        Ok(tz) => format!(
            "{} ({zone})",
            a.starts_at.to_zoned(tz).strftime("%A %-d %B %Y at %H:%M")
        ),
        Err(_) => appointments::instant_text(a.starts_at),
    }
}
