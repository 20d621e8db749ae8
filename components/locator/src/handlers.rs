//! One function per endpoint: parse, authorize, act (the modules), answer.

use crate::geo::Position;
use crate::hours::{Exception, ExceptionKind};
use crate::import::{self, Defaults, Format};
use crate::pharmacy::{self, Draft, Input, Missed, Pharmacy, Services};
use crate::search::{self, After, Calendars, Query};
use crate::{people, views, Ctx};
use http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::fhir::{reply as fhir_reply, wanted as wants_fhir};
use service_kit::http::{
    header_str, json, no_content, query_param, set_header, version_seen, with_body, Reply, Request,
};
use service_kit::page::{encode_cursor, PageRequest};
use service_kit::text::TextRule;
use service_kit::token::{Claims, Role};
use service_kit::{json as body, Problem};

const Q: TextRule = TextRule::line(1, 100);
const NOTE: TextRule = TextRule::line(0, 200);
/// Days the week table covers.
const WEEK_DAYS: i64 = 7;

fn staff<'c>(ctx: &'c Ctx) -> Result<&'c Claims, Problem> {
    ctx.principal.require_role(&[Role::Staff, Role::Admin])
}

fn id_path(id: &str) -> Result<&str, Problem> {
    if service_kit::could_be_id(id) {
        Ok(id)
    } else {
        Err(Problem::not_found("no such pharmacy"))
    }
}

fn found(ctx: &Ctx, id: &str) -> Result<Pharmacy, Problem> {
    pharmacy::get(ctx.db, id_path(id)?)?.ok_or_else(|| Problem::not_found("no such pharmacy"))
}

fn located(status: StatusCode, v: &Value, id: &str) -> Reply {
    Ok(set_header(
        json(status, v),
        "location",
        &format!("/api/locator/pharmacies/{id}"),
    ))
}

/// The full view of one pharmacy: its state now and its local week.
fn full_view(ctx: &Ctx, p: &Pharmacy, now: Timestamp) -> Value {
    let mut cal = Calendars::new(ctx.db);
    let status = search::status(p, now, &mut cal);
    let week = search::schedule(p, now, &mut cal)
        .map(|s| s.week(now, WEEK_DAYS))
        .unwrap_or_default();
    views::pharmacy(p, Some(&status), None, Some(&week))
}

fn stale(missed: Missed) -> Problem {
    match missed {
        Missed::NotFound => Problem::not_found("no such pharmacy"),
        Missed::Stale(v) => Problem::conflict(
            "stale-version",
            format!("this pharmacy is at version {v}: reload it"),
        ),
    }
}

fn draft(input: Input) -> Result<Draft, Problem> {
    input
        .validate(&|f| f.to_string())
        .map_err(Problem::validation)
}

// ---------------------------------------------------------------------------------------------
// Finding

/// The map's tile server, as the clinic configured it (the portal draws its map with it).
pub fn map(ctx: &Ctx) -> Reply {
    Ok(json(StatusCode::OK, &ctx.map))
}

/// The instant a search evaluates at: `open_at`, else now.
fn instant(req: &Request, now: Timestamp) -> Result<Timestamp, Problem> {
    match query_param(req, "open_at") {
        None => Ok(now),
        Some(s) => service_kit::time::instant("open_at", &s),
    }
}

fn flag(req: &Request, name: &str) -> Result<bool, Problem> {
    match query_param(req, name).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(Problem::invalid(name, "must be true or false")),
    }
}

/// `near` as `lat,lon`, or FHIR's `lat|lon|distance|unit` (km, m, mi): the point, and the
/// distance when it gives one.
fn near(raw: &str) -> Result<(Position, Option<f64>), Problem> {
    let position = Position::parse("near", raw)?;
    let parts: Vec<&str> = raw.split('|').map(str::trim).collect();
    let distance = match parts.get(2) {
        None | Some(&"") => None,
        Some(d) => {
            let d: f64 = d.parse().map_err(|_| {
                Problem::invalid("near", "the distance (third part) must be a number")
            })?;
            let factor = match parts.get(3).copied().unwrap_or("km") {
                "km" | "" => 1.0,
                "m" => 0.001,
                "mi" | "[mi_i]" | "[mi_us]" => 1.609344,
                _ => {
                    return Err(Problem::invalid(
                        "near",
                        "the unit (fourth part) must be km, m or mi",
                    ))
                }
            };
            Some(within("near", d * factor)?)
        }
    };
    Ok((position, distance))
}

/// A search radius within what a search may cover, or a problem naming `field`.
fn within(field: &str, km: f64) -> Result<f64, Problem> {
    if km > 0.0 && km <= search::MAX_RADIUS_KM {
        Ok(km)
    } else {
        Err(Problem::invalid(
            field,
            format!(
                "must be more than 0 and at most {} km",
                search::MAX_RADIUS_KM
            ),
        ))
    }
}

/// `radius_km`, when given.
fn radius(req: &Request) -> Result<Option<f64>, Problem> {
    query_param(req, "radius_km")
        .map(|r| {
            let km = r
                .parse::<f64>()
                .map_err(|_| Problem::invalid("radius_km", "must be a number of kilometres"))?;
            within("radius_km", km)
        })
        .transpose()
}

/// `GET /api/locator/pharmacies`: near a point, nearest first (`near`), or the directory by
/// name without one; JSON, FHIR searchset or GeoJSON by `Accept`.
pub fn search(req: &Request, ctx: &Ctx) -> Reply {
    let page = PageRequest::from_query(req)?;
    let services = match query_param(req, "service") {
        Some(s) => {
            Services::parse("service", s.split(',')).map_err(|e| Problem::validation(vec![e]))?
        }
        None => Services::default(),
    };
    let q = match query_param(req, "q") {
        None => None,
        Some(q) => Some(Q.clean(&q).map_err(|m| Problem::invalid("q", m))?),
    };
    let open_now = flag(req, "open_now")?;
    let at = instant(req, ctx.now)?;
    // Checked whether or not `near` comes with it: a bad value is never silently ignored.
    let radius_asked = radius(req)?;
    let Some(near_raw) = query_param(req, "near") else {
        if open_now {
            return Err(Problem::invalid("near", "is required with open_now"));
        }
        return directory(req, ctx, &page, services, q.as_deref(), at);
    };
    let (center, from_near) = near(&near_raw)?;
    let radius_km = radius_asked
        .or(from_near)
        .unwrap_or(search::DEFAULT_RADIUS_KM);
    // The cursor carries the instant its first page was evaluated at, so paging on does not
    // drift with the clock.
    let (after, at) = match page.after.as_deref() {
        None => (None, at),
        Some(c) => {
            let bad = || Problem::invalid("cursor", "is not a cursor this search issued");
            let mut parts = c.splitn(4, '|');
            if parts.next() != Some("d") {
                return Err(bad());
            }
            let mm = parts.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
            let at = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
            let id = parts.next().ok_or_else(bad)?.to_string();
            (
                Some(After {
                    millimetres: mm,
                    id,
                }),
                at,
            )
        }
    };
    let query = Query {
        near: center,
        radius_km,
        open_now,
        at,
        services,
        q,
        limit: page.limit as usize,
        after,
    };
    let (hits, more) = search::nearest(ctx.db, &query)?;
    let next_cursor = more.then(|| {
        hits.last().map(|h| {
            let k = h.key();
            encode_cursor(&format!("d|{}|{}|{}", k.millimetres, at, k.id))
        })
    });
    let next_cursor = next_cursor.flatten();
    if wants_fhir(req) {
        let mut cal = Calendars::new(ctx.db);
        let entries: Vec<Value> = hits
            .iter()
            .map(|h| {
                let week = search::schedule(&h.pharmacy, at, &mut cal)
                    .map(|s| s.week(at, WEEK_DAYS))
                    .unwrap_or_default();
                views::search_entry(views::location(&h.pharmacy, &week), h.distance_km)
            })
            .collect();
        return searchset(req, ctx, entries, next_cursor.as_deref());
    }
    if wants_geojson(req) {
        let features: Vec<Value> = hits
            .iter()
            .map(|h| views::feature(&h.pharmacy, Some(&h.status), Some(h.distance_km)))
            .collect();
        return geojson(&json!({
            "type": "FeatureCollection",
            "features": features,
            "next_cursor": next_cursor,
        }));
    }
    let items: Vec<Value> = hits
        .iter()
        .map(|h| views::pharmacy(&h.pharmacy, Some(&h.status), Some(h.distance_km), None))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "items": items, "next_cursor": next_cursor, "at": at }),
    ))
}

/// A FHIR searchset of `entries`, linking to itself and to the next page.
fn searchset(req: &Request, ctx: &Ctx, entries: Vec<Value>, next_cursor: Option<&str>) -> Reply {
    let self_url = format!(
        "/api/locator/pharmacies?{}",
        req.uri().query().unwrap_or("")
    );
    let mut links = vec![json!({ "relation": "self", "url": self_url })];
    if let Some(c) = next_cursor {
        links.push(json!({ "relation": "next", "url": next_url(req, c) }));
    }
    fhir_reply(&json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": ctx.now.to_string(),
        "link": links,
        "entry": entries,
    }))
}

fn next_url(req: &Request, cursor: &str) -> String {
    let mut q = form_url(req, "cursor");
    q.append_pair("cursor", cursor);
    format!("/api/locator/pharmacies?{}", q.finish())
}

/// The request's query without `drop`, to add to.
fn form_url(req: &Request, drop: &str) -> form_urlencoded::Serializer<'static, String> {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in service_kit::http::query_pairs(req) {
        if k != drop {
            s.append_pair(&k, &v);
        }
    }
    s
}

fn wants_geojson(req: &Request) -> bool {
    header_str(req, "accept").is_some_and(|a| a.contains(views::GEOJSON))
}

fn geojson(v: &Value) -> Reply {
    let bytes = serde_json::to_vec(v).map_err(Problem::internal)?;
    Ok(with_body(StatusCode::OK, views::GEOJSON, bytes))
}

/// The directory without a point: by name, keyset-paged.
fn directory(
    req: &Request,
    ctx: &Ctx,
    page: &PageRequest,
    services: Services,
    q: Option<&str>,
    at: Timestamp,
) -> Reply {
    let after =
        match page.after.as_deref() {
            None => None,
            Some(c) => {
                let rest = c.strip_prefix("n|").ok_or_else(|| {
                    Problem::invalid("cursor", "is not a cursor this listing issued")
                })?;
                Some(rest.rsplit_once('|').ok_or_else(|| {
                    Problem::invalid("cursor", "is not a cursor this listing issued")
                })?)
            }
        };
    let mut found = pharmacy::by_name(ctx.db, q, services, after, page.fetch_limit())?;
    let more = found.len() > page.limit as usize;
    found.truncate(page.limit as usize);
    let next_cursor = if more {
        found
            .last()
            .map(|p| encode_cursor(&format!("n|{}|{}", pharmacy::fold(&p.name), p.id)))
    } else {
        None
    };
    let mut cal = Calendars::new(ctx.db);
    if wants_fhir(req) {
        let entries: Vec<Value> = found
            .iter()
            .map(|p| {
                let week = search::schedule(p, at, &mut cal)
                    .map(|s| s.week(at, WEEK_DAYS))
                    .unwrap_or_default();
                let mut entry = service_kit::fhir::entry(views::location(p, &week));
                entry["search"] = json!({ "mode": "match" });
                entry
            })
            .collect();
        return searchset(req, ctx, entries, next_cursor.as_deref());
    }
    if wants_geojson(req) {
        let features: Vec<Value> = found
            .iter()
            .map(|p| views::feature(p, Some(&search::status(p, at, &mut cal)), None))
            .collect();
        return geojson(&json!({
            "type": "FeatureCollection",
            "features": features,
            "next_cursor": next_cursor,
        }));
    }
    let items: Vec<Value> = found
        .iter()
        .map(|p| views::pharmacy(p, Some(&search::status(p, at, &mut cal)), None, None))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "items": items, "next_cursor": next_cursor, "at": at }),
    ))
}

/// `GET /api/locator/pharmacies/{id}`: the pharmacy with its state now and its week.
pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let p = found(ctx, id)?;
    let at = instant(req, ctx.now)?;
    if wants_fhir(req) {
        let mut cal = Calendars::new(ctx.db);
        let week = search::schedule(&p, at, &mut cal)
            .map(|s| s.week(at, WEEK_DAYS))
            .unwrap_or_default();
        return fhir_reply(&views::location(&p, &week));
    }
    if wants_geojson(req) {
        let status = search::status(&p, at, &mut Calendars::new(ctx.db));
        return geojson(&views::feature(&p, Some(&status), None));
    }
    Ok(json(StatusCode::OK, &full_view(ctx, &p, at)))
}

// ---------------------------------------------------------------------------------------------
// Staff's changes

pub fn create(req: &Request, ctx: &Ctx) -> Reply {
    staff(ctx)?;
    let input: Input = body::parse(req)?;
    if input.version.is_some() {
        return Err(Problem::invalid("version", "is for updates only"));
    }
    let d = draft(input)?;
    let p = pharmacy::create(ctx.db, &d, ctx.now)?;
    located(StatusCode::CREATED, &full_view(ctx, &p, ctx.now), &p.id)
}

/// Replaces a pharmacy's details (If-Match or `version` says which version was edited).
pub fn update(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    staff(ctx)?;
    let id = id_path(id)?;
    let input: Input = body::parse(req)?;
    let seen = version_seen(req, input.version)?.ok_or_else(|| {
        Problem::invalid(
            "version",
            "is required: the version you edited (or send If-Match)",
        )
    })?;
    let d = draft(input)?;
    match pharmacy::update(ctx.db, id, &d, Some(seen), ctx.now)? {
        Ok(p) => Ok(json(StatusCode::OK, &full_view(ctx, &p, ctx.now))),
        Err(m) => Err(stale(m)),
    }
}

/// Closes a pharmacy for good: it stays readable (dispenses name it), searches no longer find
/// it, and an update reopens it.
pub fn close(ctx: &Ctx, id: &str) -> Reply {
    staff(ctx)?;
    if pharmacy::close(ctx.db, id_path(id)?, ctx.now)? {
        Ok(no_content())
    } else {
        Err(Problem::not_found("no such pharmacy"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionInput {
    kind: ExceptionKind,
    #[serde(default)]
    hours: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

fn date_path(date: &str) -> Result<jiff::civil::Date, Problem> {
    date.parse::<jiff::civil::Date>()
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| Problem::invalid("date", "must be a date, YYYY-MM-DD"))
}

/// Staff, or a pharmacist of this pharmacy (they know its on-duty nights).
fn may_edit_hours(ctx: &Ctx, pharmacy: &str) -> Result<(), Problem> {
    let me = ctx.principal.user()?;
    match me.role {
        Role::Staff | Role::Admin => Ok(()),
        Role::Pharmacist if people::works_at(ctx.db, &me.sub, pharmacy)? => Ok(()),
        _ => Err(Problem::forbidden(
            "only staff, or a pharmacist of this pharmacy, may change its hours",
        )),
    }
}

/// Sets the exception for one local date: closed, other hours, or extra hours.
pub fn set_exception(req: &Request, ctx: &Ctx, id: &str, date: &str) -> Reply {
    let id = id_path(id)?;
    may_edit_hours(ctx, id)?;
    let date = date_path(date)?;
    let input: ExceptionInput = body::parse(req)?;
    let note = match input.note.as_deref() {
        None => None,
        Some(n) => {
            Some(NOTE.clean(n).map_err(|m| Problem::invalid("note", m))?).filter(|n| !n.is_empty())
        }
    };
    let e = Exception {
        date,
        kind: input.kind,
        hours: input.hours.map(|h| h.trim().to_string()),
        note,
    };
    e.validate("hours")?;
    let seen = version_seen(req, input.version)?;
    match pharmacy::set_exception(ctx.db, id, &e, seen, ctx.now)? {
        Ok(p) => Ok(json(StatusCode::OK, &full_view(ctx, &p, ctx.now))),
        Err(m) => Err(stale(m)),
    }
}

pub fn remove_exception(ctx: &Ctx, id: &str, date: &str) -> Reply {
    let id = id_path(id)?;
    may_edit_hours(ctx, id)?;
    let date = date_path(date)?;
    match pharmacy::remove_exception(ctx.db, id, date, ctx.now)? {
        Some(p) => Ok(json(StatusCode::OK, &full_view(ctx, &p, ctx.now))),
        None => {
            found(ctx, id)?;
            Err(Problem::not_found("no exception on that date"))
        }
    }
}

/// `POST /api/locator/imports`: a CSV file or a GeoJSON FeatureCollection; all rows or none.
pub fn import(req: &Request, ctx: &Ctx) -> Reply {
    staff(ctx)?;
    let content_type = header_str(req, "content-type").unwrap_or("");
    let format = Format::of(content_type)
        .ok_or_else(|| Problem::unsupported_media_type("text/csv or application/geo+json"))?;
    let time_zone = match query_param(req, "time_zone") {
        Some(z) => {
            service_kit::time::zone("time_zone", &z).map_err(|e| Problem::validation(vec![e]))?;
            Some(z)
        }
        None => None,
    };
    let country = match query_param(req, "country") {
        Some(c) if c.len() == 2 && c.chars().all(|c| c.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            return Err(Problem::invalid(
                "country",
                "must be an ISO 3166-1 alpha-2 code such as DE",
            ))
        }
        None => None,
    };
    let defaults = Defaults {
        time_zone,
        country,
        unknown_hours: match query_param(req, "missing_hours").as_deref() {
            None | Some("refuse") => false,
            Some("unknown") => true,
            Some(_) => {
                return Err(Problem::invalid(
                    "missing_hours",
                    "must be refuse or unknown",
                ))
            }
        },
    };
    let parsed = import::parse(format, req.body(), &defaults).map_err(|u| {
        let mut p = Problem::validation(vec![u.0]);
        p.detail = format!("the file cannot be imported: {}", p.detail);
        p
    })?;
    if !parsed.errors.is_empty() {
        let bad_rows = {
            let mut lines: Vec<u64> = parsed.errors.iter().filter_map(|e| e.line).collect();
            lines.dedup();
            lines.len()
        };
        let total = parsed.errors.len();
        let mut errors = parsed.errors;
        errors.truncate(import::MAX_REPORTED);
        let mut p = Problem::validation(errors);
        p.detail = format!(
            "{bad_rows} row(s) are invalid ({total} problem(s){}); nothing was imported",
            if total > import::MAX_REPORTED {
                format!(", the first {} listed", import::MAX_REPORTED)
            } else {
                String::new()
            }
        );
        return Err(p);
    }
    let rows = parsed.drafts.len();
    if rows == 0 {
        return Err(Problem::invalid("body", "has no rows"));
    }
    let (created, updated) = pharmacy::upsert(ctx.db, &parsed.drafts, ctx.now)?;
    let mut answer = import::counts(created, updated, rows);
    answer["ignored_columns"] = json!(parsed.ignored);
    Ok(json(StatusCode::OK, &answer))
}

// ---------------------------------------------------------------------------------------------
// Pharmacists and preferences

/// Who may read which pharmacy a pharmacist works at: staff, the pharmacist, the app's own
/// services.
pub fn pharmacist(ctx: &Ctx, user: &str) -> Reply {
    let user = service_kit::could_be_id(user)
        .then_some(user)
        .ok_or_else(|| Problem::not_found("no such pharmacist"))?;
    if !ctx.internal {
        let me = ctx.principal.user()?;
        if me.sub != user && !matches!(me.role, Role::Staff | Role::Admin) {
            return Err(Problem::forbidden(
                "only staff may see other pharmacists' pharmacies",
            ));
        }
    }
    match people::pharmacy_of(ctx.db, user)? {
        Some(p) => Ok(json(
            StatusCode::OK,
            &json!({ "user_id": user, "pharmacy": views::pharmacy(&p, None, None, None) }),
        )),
        None => Err(Problem::not_found(
            "this account is not assigned to a pharmacy",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PharmacyRef {
    pharmacy_id: String,
}

pub fn assign(req: &Request, ctx: &Ctx, user: &str) -> Reply {
    let me = staff(ctx)?;
    if !service_kit::could_be_id(user) {
        return Err(Problem::not_found("no such account"));
    }
    let r: PharmacyRef = body::parse(req)?;
    if !service_kit::could_be_id(&r.pharmacy_id)
        || !people::assign(ctx.db, user, &r.pharmacy_id, &me.sub, ctx.now)?
    {
        return Err(Problem::invalid("pharmacy_id", "is not a trading pharmacy"));
    }
    pharmacist(ctx, user)
}

pub fn unassign(ctx: &Ctx, user: &str) -> Reply {
    staff(ctx)?;
    if service_kit::could_be_id(user) && people::unassign(ctx.db, user)? {
        Ok(no_content())
    } else {
        Err(Problem::not_found(
            "this account is not assigned to a pharmacy",
        ))
    }
}

/// The patient themself, staff, or the app's own services (a prescription's copy names it).
fn may_see_preference(ctx: &Ctx, patient: &str) -> Result<(), Problem> {
    if ctx.internal {
        return Ok(());
    }
    let me = ctx.principal.user()?;
    if me.sub == patient || matches!(me.role, Role::Staff | Role::Admin) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "only the patient may see their preferred pharmacy",
        ))
    }
}

fn own(ctx: &Ctx, patient: &str) -> Result<(), Problem> {
    let me = ctx.principal.user()?;
    if me.sub == patient {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "only the patient chooses their preferred pharmacy",
        ))
    }
}

pub fn preferred(ctx: &Ctx, patient: &str) -> Reply {
    if !service_kit::could_be_id(patient) {
        return Err(Problem::not_found("no such patient"));
    }
    may_see_preference(ctx, patient)?;
    match people::preferred(ctx.db, patient)? {
        Some(p) => Ok(json(StatusCode::OK, &full_view(ctx, &p, ctx.now))),
        None => Err(Problem::not_found("no preferred pharmacy")),
    }
}

pub fn prefer(req: &Request, ctx: &Ctx, patient: &str) -> Reply {
    if !service_kit::could_be_id(patient) {
        return Err(Problem::not_found("no such patient"));
    }
    own(ctx, patient)?;
    let r: PharmacyRef = body::parse(req)?;
    if !service_kit::could_be_id(&r.pharmacy_id)
        || !people::prefer(ctx.db, patient, &r.pharmacy_id, ctx.now)?
    {
        return Err(Problem::invalid("pharmacy_id", "is not a trading pharmacy"));
    }
    preferred(ctx, patient)
}

pub fn forget(ctx: &Ctx, patient: &str) -> Reply {
    if !service_kit::could_be_id(patient) {
        return Err(Problem::not_found("no such patient"));
    }
    own(ctx, patient)?;
    if people::forget(ctx.db, patient)? {
        Ok(no_content())
    } else {
        Err(Problem::not_found("no preferred pharmacy"))
    }
}
