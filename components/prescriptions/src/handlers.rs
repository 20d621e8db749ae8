//! One function per endpoint: parse, authorize (access), act (the modules), record, answer.

use crate::access::{self, Intent};
use crate::allergy::{self, Conflict};
use crate::dispense::{self, Refusal};
use crate::medication::{self, Medication};
use crate::prescription::{self as rx, Content, Decided, Prescription, Status};
use crate::refills::{self, Whose};
use crate::{code, fhir, Ctx};
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{json, Value};
use service_kit::fhir::{bundle, reply as fhir_reply, wanted as wants_fhir};
use service_kit::http::{json, no_content, query_param, set_header, with_body, Reply, Request};
use service_kit::page::{Page, PageRequest};
use service_kit::text::TextRule;
use service_kit::token::{Claims, Role};
use service_kit::{json as body, Problem};

const NOTE: TextRule = TextRule::paragraphs(1, 2000);
/// A reason someone can later be asked about: cancelling, holding, overriding an allergy.
const REASON: TextRule = TextRule::paragraphs(5, 1000);
/// How long a prescription is valid when the doctor does not say; the most it may be.
const DEFAULT_VALIDITY: SignedDuration = SignedDuration::from_hours(90 * 24);
const MAX_VALIDITY: SignedDuration = SignedDuration::from_hours(366 * 24);

fn me<'c>(ctx: &'c Ctx) -> Result<&'c Claims, Problem> {
    ctx.principal.user()
}

fn id_path(id: &str) -> Result<&str, Problem> {
    if service_kit::could_be_id(id) {
        Ok(id)
    } else {
        Err(Problem::not_found("no such prescription"))
    }
}

fn found(ctx: &Ctx, id: &str) -> Result<Prescription, Problem> {
    rx::get(ctx.db, id_path(id)?, ctx.now)?
        .ok_or_else(|| Problem::not_found("no such prescription"))
}

/// Prescription `id`, if the caller may `intent` it (a refusal is logged as `action`): with
/// the access-log resource for it (`part` names what of it, such as `/versions`) and the pass.
fn reach(
    ctx: &Ctx,
    id: &str,
    intent: Intent,
    action: &str,
    part: &str,
) -> Result<(Prescription, String, access::Pass), Problem> {
    let p = found(ctx, id)?;
    let resource = format!("prescription/{}{part}", p.id);
    let pass = access::authorize(
        ctx,
        &p.patient_id,
        Some(&p.doctor_id),
        intent,
        action,
        &resource,
    )?;
    Ok((p, resource, pass))
}

fn reason(field: &str, raw: Option<String>, rule: TextRule) -> Result<String, Problem> {
    let raw = raw.unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(Problem::invalid(field, "is required"));
    }
    rule.clean(&raw).map_err(|m| Problem::invalid(field, m))
}

/// A prescription as its reader sees it: each line with what is left of it; the code for
/// whoever may show or use it.
fn view(p: &Prescription) -> Value {
    let lines: Vec<Value> = p
        .medications
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            v["line"] = json!(i + 1);
            if let Some(l) = p.lines.get(i) {
                v["fills_allowed"] = json!(l.fills_allowed);
                v["fills_used"] = json!(l.fills_used);
                v["refills_left"] = json!(l.refills_left());
                v["dispensed"] = json!(l.dispensed);
                v["open_fill_left"] = json!(l.open_fill_left());
                v["dispensable_now"] = json!(l.dispensable_now());
            }
            v
        })
        .collect();
    json!({
        "id": p.id,
        "patient_id": p.patient_id,
        "doctor_id": p.doctor_id,
        "code": code::display(&p.code),
        "status": p.status,
        "medications": lines,
        "note": p.note,
        "valid_from": p.valid_from,
        "valid_until": p.valid_until,
        "allergy_override": p.allergy_override,
        "replaces": p.replaces,
        "status_reason": p.status_reason,
        "version": p.version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "issued_at": p.issued_at,
    })
}

fn located(status: StatusCode, p: &Prescription) -> Reply {
    Ok(set_header(
        json(status, &view(p)),
        "location",
        &format!("/api/prescriptions/{}", p.id),
    ))
}

// ---------------------------------------------------------------------------------------------
// Reading

pub fn list_for_patient(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = id_path(id)?;
    let page = PageRequest::from_query(req)?;
    let pass = access::authorize(ctx, patient, None, Intent::Read, "list", "prescriptions")?;
    let found = rx::list(
        ctx.db,
        patient,
        page.after.as_deref(),
        page.fetch_limit(),
        ctx.now,
    )?;
    pass.record(ctx, "list", "prescriptions")?;
    if wants_fhir(req) {
        let mut page = Page::from_fetched(found, &page, rx::cursor);
        let resources = page
            .items
            .drain(..)
            .flat_map(|p| fhir::requests(&p))
            .collect();
        return fhir_reply(&bundle(&ctx.now.to_string(), resources));
    }
    let page = Page::from_fetched(found, &page, rx::cursor);
    Ok(json(
        StatusCode::OK,
        &json!({ "items": page.items.iter().map(view).collect::<Vec<_>>(),
                 "next_cursor": page.next_cursor }),
    ))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Read, "read", "")?;
    if wants_fhir(req) {
        let mut resources = fhir::requests(&p);
        resources.extend(
            dispense::list(ctx.db, &p.id)?
                .iter()
                .map(|d| fhir::dispense(&p, d)),
        );
        pass.record(ctx, "read", &resource)?;
        return fhir_reply(&bundle(&ctx.now.to_string(), resources));
    }
    pass.record(ctx, "read", &resource)?;
    Ok(json(StatusCode::OK, &view(&p)))
}

pub fn versions(ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Read, "read", "/versions")?;
    let list = rx::versions(ctx.db, &p.id)?;
    pass.record(ctx, "read", &resource)?;
    Ok(json(StatusCode::OK, &json!({ "items": list })))
}

pub fn dispenses(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Read, "list", "/dispenses")?;
    let list = dispense::list(ctx.db, &p.id)?;
    pass.record(ctx, "list", &resource)?;
    if wants_fhir(req) {
        let resources = list.iter().map(|d| fhir::dispense(&p, d)).collect();
        return fhir_reply(&bundle(&ctx.now.to_string(), resources));
    }
    Ok(json(StatusCode::OK, &json!({ "items": list })))
}

/// The code as a QR code (SVG) for the patient to show at the counter.
pub fn qr(ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Read, "read", "/code")?;
    if p.decided == Decided::Draft {
        return Err(Problem::conflict(
            "draft",
            "a draft has no code to show yet: issue it first",
        ));
    }
    let qr = qrcode::QrCode::new(code::display(&p.code).as_bytes()).map_err(Problem::internal)?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    pass.record(ctx, "read", &resource)?;
    Ok(set_header(
        with_body(StatusCode::OK, "image/svg+xml", svg.into_bytes()),
        "cache-control",
        "private, no-store",
    ))
}

/// The patient's whole medication history as FHIR: every prescription's requests and what
/// was dispensed of each.
pub fn export(ctx: &Ctx, id: &str) -> Reply {
    let patient = id_path(id)?;
    let pass = access::authorize(ctx, patient, None, Intent::Read, "export", "prescriptions")?;
    let mut resources = Vec::new();
    let mut after: Option<String> = None;
    // A patient's lifetime of prescriptions, a page at a time (bounded: 50 pages of 100).
    for _ in 0..50 {
        let batch = rx::list(ctx.db, patient, after.as_deref(), 100, ctx.now)?;
        for p in &batch {
            resources.extend(fhir::requests(p));
            resources.extend(
                dispense::list(ctx.db, &p.id)?
                    .iter()
                    .map(|d| fhir::dispense(p, d)),
            );
        }
        if batch.len() < 100 {
            break;
        }
        after = batch.last().map(rx::cursor);
    }
    pass.record(ctx, "export", "prescriptions")?;
    fhir_reply(&bundle(&ctx.now.to_string(), resources))
}

// ---------------------------------------------------------------------------------------------
// Prescribing

/// What a doctor sends to write a prescription.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    #[serde(default)]
    patient_id: Option<String>,
    medications: Vec<Medication>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    valid_from: Option<Timestamp>,
    #[serde(default)]
    valid_until: Option<Timestamp>,
    /// `draft` saves it unissued; `active` (the default) issues it.
    #[serde(default)]
    status: Option<String>,
    /// Why to prescribe despite a matching allergy in the chart.
    #[serde(default)]
    allergy_override_reason: Option<String>,
    /// The cancelled prescription this one takes the place of.
    #[serde(default)]
    replaces: Option<String>,
    /// On update: the version the writer saw (or `If-Match`).
    #[serde(default)]
    version: Option<i64>,
}

fn content(ctx: &Ctx, w: &Written, patient: &str) -> Result<Content, Problem> {
    let medications = medication::checked_list(w.medications.clone())?;
    let valid_from = w.valid_from.unwrap_or(ctx.now);
    if valid_from < ctx.now - SignedDuration::from_hours(24) {
        return Err(Problem::invalid(
            "valid_from",
            "a prescription starts today or later",
        ));
    }
    let valid_until = w.valid_until.unwrap_or(valid_from + DEFAULT_VALIDITY);
    if valid_until <= valid_from || valid_until <= ctx.now {
        return Err(Problem::invalid(
            "valid_until",
            "must be after valid_from and in the future",
        ));
    }
    if valid_until.duration_since(valid_from) > MAX_VALIDITY {
        return Err(Problem::invalid(
            "valid_until",
            "a prescription is valid for at most a year",
        ));
    }
    let note = match &w.note {
        Some(n) if !n.trim().is_empty() => {
            Some(NOTE.clean(n).map_err(|m| Problem::invalid("note", m))?)
        }
        _ => None,
    };
    if let Some(old) = &w.replaces {
        let replaced = rx::get(ctx.db, old, ctx.now)?
            .filter(|o| o.patient_id == patient)
            .ok_or_else(|| Problem::invalid("replaces", "is not a prescription of this patient"))?;
        if replaced.decided != Decided::Cancelled {
            return Err(Problem::invalid(
                "replaces",
                "cancel the prescription being replaced first (with a reason)",
            ));
        }
    }
    Ok(Content {
        medications,
        note,
        valid_from,
        valid_until,
        allergy_override: None,
        replaces: w.replaces.clone(),
    })
}

/// The allergy check at issue: none matches, or the doctor overrode them with a reason (what
/// is kept on the prescription), or a 409 that names each match.
fn allergy_check(
    ctx: &Ctx,
    medications: &[Medication],
    override_reason: Option<&String>,
) -> Result<Option<Value>, Problem> {
    let allergies = match &ctx.allergies {
        Some(Ok(a)) => a,
        Some(Err(why)) => {
            return Err(Problem::unavailable(
                format!("the patient's allergies could not be checked: {why}"),
                5,
            ))
        }
        None => {
            return Err(Problem::unavailable(
                "the patient's allergies could not be checked",
                5,
            ))
        }
    };
    let conflicts = allergy::conflicts(medications, allergies);
    if conflicts.is_empty() {
        return Ok(None);
    }
    let Some(raw) = override_reason.filter(|r| !r.trim().is_empty()) else {
        return Err(allergy_warning(&conflicts));
    };
    let why = REASON
        .clean(raw)
        .map_err(|m| Problem::invalid("allergy_override_reason", m))?;
    Ok(Some(json!({
        "reason": why,
        "by": me(ctx)?.sub,
        "at": ctx.now.to_string(),
        "conflicts": conflicts,
    })))
}

fn allergy_warning(conflicts: &[Conflict]) -> Problem {
    let said: Vec<String> = conflicts
        .iter()
        .map(|c| {
            let mut s = format!(
                "{} (line {}) matches the recorded allergy to {} ({}",
                c.medication, c.line, c.substance, c.because
            );
            if let Some(r) = &c.reaction {
                s.push_str(&format!("; reaction: {r}"));
            }
            if !c.severity.is_empty() {
                s.push_str(&format!("; {}", c.severity));
            }
            s.push(')');
            s
        })
        .collect();
    let mut p = Problem::conflict(
        "allergy-warning",
        format!(
            "{}. To prescribe it anyway, send allergy_override_reason; it is kept on the \
             prescription.",
            said.join("; ")
        ),
    );
    for c in conflicts {
        p = p.with_field(
            format!("medications[{}].name", c.line - 1),
            format!("matches the recorded allergy to {}", c.substance),
        );
    }
    p.with_field(
        "allergy_override_reason",
        "is required to prescribe despite a recorded allergy",
    )
}

pub fn create(req: &Request, ctx: &Ctx) -> Reply {
    let w: Written = body::parse(req)?;
    let doctor = me(ctx)?;
    let Some(patient) = w.patient_id.clone() else {
        return Err(Problem::invalid("patient_id", "is required"));
    };
    if !service_kit::could_be_id(&patient) {
        return Err(Problem::invalid("patient_id", "is not a user id"));
    }
    if w.version.is_some() {
        return Err(Problem::invalid(
            "version",
            "is only sent to update a draft",
        ));
    }
    let issue = match w.status.as_deref() {
        None | Some("active") => true,
        Some("draft") => false,
        Some(_) => return Err(Problem::invalid("status", "is draft or active")),
    };
    let pass = access::authorize(
        ctx,
        &patient,
        None,
        Intent::Prescribe,
        "create",
        "prescription",
    )?;
    let mut c = content(ctx, &w, &patient)?;
    if issue {
        c.allergy_override =
            allergy_check(ctx, &c.medications, w.allergy_override_reason.as_ref())?;
    }
    let id = rx::create(ctx.db, &patient, &doctor.sub, &c, issue, ctx.now)?;
    pass.record(
        ctx,
        if issue { "issue" } else { "create" },
        &format!("prescription/{id}"),
    )?;
    let p = found(ctx, &id)?;
    located(StatusCode::CREATED, &p)
}

/// The version a writer saw (`service_kit::http::version_seen`): required here.
fn version_seen(req: &Request, body: Option<i64>) -> Result<i64, Problem> {
    service_kit::http::version_seen(req, body)?.ok_or_else(|| {
        Problem::invalid(
            "version",
            "is required: the version you edited (or send If-Match)",
        )
    })
}

/// Edits a draft; an issued prescription is changed only by cancelling it and issuing a new one.
pub fn update(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Prescribe, "update", "")?;
    if p.decided != Decided::Draft {
        return Err(issued_is_final());
    }
    let w: Written = body::parse(req)?;
    if w.patient_id.as_ref().is_some_and(|x| x != &p.patient_id) {
        return Err(Problem::invalid(
            "patient_id",
            "a prescription keeps its patient",
        ));
    }
    if w.status.is_some() || w.allergy_override_reason.is_some() {
        return Err(Problem::invalid(
            if w.status.is_some() {
                "status"
            } else {
                "allergy_override_reason"
            },
            "a draft is issued with POST /api/prescriptions/{id}/issue",
        ));
    }
    let seen = version_seen(req, w.version)?;
    let c = content(ctx, &w, &p.patient_id)?;
    if !rx::update_draft(ctx.db, &p.id, seen, &c, ctx.now)? {
        let now = found(ctx, &p.id)?;
        if now.decided != Decided::Draft {
            return Err(issued_is_final());
        }
        return Err(Problem::conflict(
            "stale-version",
            format!(
                "this draft is at version {}, not {seen}: reload it",
                now.version
            ),
        ));
    }
    pass.record(ctx, "update", &resource)?;
    located(StatusCode::OK, &found(ctx, &p.id)?)
}

fn issued_is_final() -> Problem {
    Problem::conflict(
        "issued-is-final",
        "an issued prescription is changed only by cancelling it (with a reason) and issuing \
         a new one (`replaces`)",
    )
}

pub fn delete(ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Prescribe, "delete", "")?;
    if !rx::delete_draft(ctx.db, &p.id)? {
        return Err(Problem::conflict(
            "issued-is-final",
            "only a draft is deleted; cancel an issued prescription with a reason",
        ));
    }
    pass.record(ctx, "delete", &resource)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Issue {
    #[serde(default)]
    allergy_override_reason: Option<String>,
}

/// A JSON body, or none at all (`{}` is what a bodiless POST means).
fn optional_body<T: serde::de::DeserializeOwned + Default>(req: &Request) -> Result<T, Problem> {
    if req.body().is_empty() {
        Ok(T::default())
    } else {
        body::parse(req)
    }
}

pub fn issue(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Prescribe, "issue", "")?;
    if p.decided != Decided::Draft {
        return Err(Problem::conflict(
            "already-issued",
            "this prescription is issued already",
        ));
    }
    let i: Issue = optional_body(req)?;
    if p.valid_until.as_str() <= ctx.now.to_string().as_str() {
        return Err(Problem::conflict(
            "expired",
            "this draft's validity has passed: edit it first",
        ));
    }
    let overridden = allergy_check(ctx, &p.medications, i.allergy_override_reason.as_ref())?;
    if !rx::issue(ctx.db, &p.id, overridden.as_ref(), ctx.now)? {
        return Err(Problem::conflict(
            "already-issued",
            "this prescription is issued already",
        ));
    }
    pass.record(ctx, "issue", &resource)?;
    located(StatusCode::OK, &found(ctx, &p.id)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Why {
    #[serde(default)]
    reason: Option<String>,
}

fn transition(
    ctx: &Ctx,
    id: &str,
    action: &str,
    from: &[Decided],
    to: Decided,
    why: Option<String>,
) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Prescribe, action, "")?;
    let not_now = |p: &Prescription| {
        Problem::conflict(
            "not-now",
            format!(
                "a prescription that is {} cannot be {action}",
                p.status.as_ref()
            ),
        )
    };
    if p.decided == Decided::Draft {
        return Err(Problem::conflict(
            "draft",
            "a draft is not issued: delete it instead",
        ));
    }
    if !from.contains(&p.decided) || (to != Decided::Cancelled && p.status == Status::Expired) {
        return Err(not_now(&p));
    }
    if !rx::decide(ctx.db, &p.id, from, to, why.as_deref(), ctx.now)? {
        return Err(not_now(&found(ctx, &p.id)?));
    }
    pass.record(ctx, action, &resource)?;
    located(StatusCode::OK, &found(ctx, &p.id)?)
}

pub fn cancel(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let w: Why = optional_body(req)?;
    let why = reason("reason", w.reason, REASON)?;
    transition(
        ctx,
        id,
        "cancelled",
        &[Decided::Active, Decided::OnHold],
        Decided::Cancelled,
        Some(why),
    )
}

pub fn hold(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let w: Why = optional_body(req)?;
    let why = reason("reason", w.reason, REASON)?;
    transition(
        ctx,
        id,
        "put on hold",
        &[Decided::Active],
        Decided::OnHold,
        Some(why),
    )
}

pub fn resume(ctx: &Ctx, id: &str) -> Reply {
    transition(
        ctx,
        id,
        "resumed",
        &[Decided::OnHold],
        Decided::Active,
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// Refills

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Asked {
    #[serde(default)]
    note: Option<String>,
}

pub fn request_refill(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (p, resource, pass) = reach(ctx, id, Intent::Ask, "refill request", "/refill")?;
    let a: Asked = optional_body(req)?;
    let note = match a.note {
        Some(n) if !n.trim().is_empty() => Some(
            refills::NOTE
                .clean(&n)
                .map_err(|m| Problem::invalid("note", m))?,
        ),
        _ => None,
    };
    match p.status {
        Status::Active | Status::Completed => {}
        other => {
            return Err(Problem::conflict(
                "not-refillable",
                format!(
                    "a prescription that is {} is not refilled: ask your doctor for a new one",
                    other.as_ref()
                ),
            ))
        }
    }
    if p.lines.iter().any(|l| l.fills_left() > 0) {
        return Err(Problem::conflict(
            "refills-left",
            "this prescription still has fills left: show its code at the pharmacy",
        ));
    }
    let Some(r) = refills::request(ctx.db, &p, note.as_deref(), ctx.now)? else {
        return Err(Problem::conflict(
            "refill-pending",
            "a refill of this prescription is already waiting for the doctor",
        ));
    };
    pass.record(ctx, "refill request", &resource)?;
    Ok(json(StatusCode::CREATED, &r))
}

pub fn list_refills(req: &Request, ctx: &Ctx) -> Reply {
    let c = me(ctx)?;
    let status = query_param(req, "status").unwrap_or_else(|| "requested".into());
    if !matches!(status.as_str(), "requested" | "approved" | "declined") {
        return Err(Problem::invalid(
            "status",
            "is requested, approved or declined",
        ));
    }
    let limit = match query_param(req, "limit") {
        None => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| Problem::invalid("limit", "must be from 1 to 200"))?,
    };
    let whose = match c.role {
        Role::Doctor => Whose::Doctor(&c.sub),
        Role::Patient => Whose::Patient(&c.sub),
        _ => {
            return Err(Problem::forbidden(
                "refill requests are the patient's and their doctor's",
            ))
        }
    };
    let list = refills::list(ctx.db, whose, &status, limit)?;
    Ok(json(StatusCode::OK, &json!({ "items": list })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Approval {
    #[serde(default)]
    fills: Option<i64>,
}

pub fn approve_refill(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let a: Approval = optional_body(req)?;
    let fills = a.fills.unwrap_or(1);
    if !(1..=12).contains(&fills) {
        return Err(Problem::invalid("fills", "must be from 1 to 12"));
    }
    decide_refill(ctx, id, Some(fills), None)
}

pub fn decline_refill(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let w: Why = optional_body(req)?;
    let why = reason("reason", w.reason, refills::REASON)?;
    decide_refill(ctx, id, None, Some(why))
}

fn decide_refill(ctx: &Ctx, id: &str, fills: Option<i64>, why: Option<String>) -> Reply {
    let r =
        refills::get(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such refill request"))?;
    let action = if fills.is_some() {
        "refill approved"
    } else {
        "refill declined"
    };
    let (p, resource, pass) = reach(
        ctx,
        &r.prescription_id,
        Intent::Prescribe,
        action,
        "/refill",
    )?;
    if r.status != "requested" {
        return Err(Problem::conflict(
            "decided",
            format!("this request was {} already", r.status),
        ));
    }
    if fills.is_some() && !matches!(p.status, Status::Active | Status::Completed) {
        return Err(Problem::conflict(
            "not-refillable",
            format!(
                "the prescription is {}: decline, and write a new one if it is still needed",
                p.status.as_ref()
            ),
        ));
    }
    let Some(done) = refills::decide(ctx.db, &r.id, &me(ctx)?.sub, fills, why.as_deref(), ctx.now)?
    else {
        return Err(Problem::conflict(
            "decided",
            "this request was decided already",
        ));
    };
    pass.record(ctx, action, &resource)?;
    Ok(json(StatusCode::OK, &done))
}

// ---------------------------------------------------------------------------------------------
// The pharmacy counter

fn pharmacist<'c>(ctx: &'c Ctx) -> Result<&'c Claims, Problem> {
    let c = me(ctx)?;
    if c.role != Role::Pharmacist {
        return Err(Problem::forbidden("the counter is the pharmacists'"));
    }
    Ok(c)
}

/// The prescription a typed code names, for a pharmacist; an unknown code is a 404.
fn by_code(ctx: &Ctx, typed: &str) -> Result<Prescription, Problem> {
    let typed = percent_encoding::percent_decode_str(typed).decode_utf8_lossy();
    let code = code::normalize(&typed)
        .ok_or_else(|| Problem::invalid("code", "is 12 letters and digits, as ABCD-EFGH-JKMN"))?;
    rx::by_code(ctx.db, &code, ctx.now)?
        .ok_or_else(|| Problem::not_found("no prescription has this code"))
}

/// What the pharmacist sees: what may be dispensed and the instructions, not the doctor's
/// override reasoning or the prescription's history.
fn counter_view(p: &Prescription, now: Timestamp) -> Value {
    let mut v = view(p);
    if let Some(o) = v.as_object_mut() {
        o.remove("allergy_override");
        o.remove("replaces");
        o.insert("dispensable".into(), json!(p.dispensable(now)));
    }
    v
}

pub fn lookup(ctx: &Ctx, typed: &str) -> Reply {
    pharmacist(ctx)?;
    let p = by_code(ctx, typed)?;
    let resource = format!("prescription/{}", p.id);
    ctx.audit.record(
        ctx.db,
        "looked up by code",
        &resource,
        Some(&p.patient_id),
        service_kit::audit::Outcome::Allowed,
    )?;
    Ok(json(StatusCode::OK, &counter_view(&p, ctx.now)))
}

pub fn dispense(req: &Request, ctx: &Ctx, typed: &str) -> Reply {
    let me = pharmacist(ctx)?;
    let asked: dispense::Request = body::parse(req)?;
    let p = by_code(ctx, typed)?;
    let asked = dispense::checked(asked, p.medications.len() as i64, ctx.pharmacy.as_deref())?;
    let resource = format!("prescription/{}", p.id);
    let refuse = |kind: &'static str, detail: String| -> Reply {
        ctx.audit.record(
            ctx.db,
            "dispense",
            &resource,
            Some(&p.patient_id),
            service_kit::audit::Outcome::Denied,
        )?;
        Err(Problem::conflict(kind, detail))
    };
    match dispense::dispense(ctx.db, &p.id, &me.sub, &asked, ctx.now)? {
        Ok(dispense_id) => {
            ctx.audit.record(
                ctx.db,
                "dispense",
                &resource,
                Some(&p.patient_id),
                service_kit::audit::Outcome::Allowed,
            )?;
            let now = found(ctx, &p.id)?;
            let mut v = counter_view(&now, ctx.now);
            v["dispense_id"] = json!(dispense_id);
            Ok(json(StatusCode::CREATED, &v))
        }
        Err(Refusal::NotDispensable) => {
            let now = found(ctx, &p.id)?;
            refuse(
                "not-dispensable",
                format!(
                    "this prescription is {}: nothing may be dispensed",
                    now.status.as_ref()
                ),
            )
        }
        Err(Refusal::TooMuch) => {
            let now = found(ctx, &p.id)?;
            let left: Vec<String> = now
                .lines
                .iter()
                .map(|l| format!("line {}: {} now", l.line, l.dispensable_now()))
                .collect();
            refuse(
                "nothing-left",
                format!(
                    "more than is left of this prescription (what may be dispensed: {})",
                    left.join(", ")
                ),
            )
        }
    }
}
