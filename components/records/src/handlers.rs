//! One function per endpoint: parse, authorize (access), act (the modules), record, answer.

use crate::access::{self, Basis, Intent, Pass, Scope};
use crate::chart::{self, Author, Item};
use crate::kinds::{self, Kind};
use crate::{fhir, files, grants, reports, Ctx};
use http::StatusCode;
use serde::Deserialize;
use service_kit::fhir::{reply as fhir_reply, wanted as wants_fhir};
use service_kit::http::{header_str, json, query_param, set_header, with_body, Reply, Request};
use service_kit::page::{Page, PageRequest};
use service_kit::token::{Claims, Role};
use service_kit::{json as body, Problem};

fn me<'c>(ctx: &'c Ctx) -> Result<&'c Claims, Problem> {
    ctx.principal.user()
}

fn author<'c>(c: &'c Claims) -> Author<'c> {
    Author {
        id: &c.sub,
        role: c.role.as_str(),
    }
}

/// A patient id from the path: anything that can't be one names nobody.
fn patient_path(id: &str) -> Result<&str, Problem> {
    if service_kit::could_be_id(id) {
        Ok(id)
    } else {
        Err(Problem::not_found("no such patient"))
    }
}

fn created<T: serde::Serialize>(location: String, value: &T) -> Reply {
    Ok(set_header(
        json(StatusCode::CREATED, value),
        "location",
        &location,
    ))
}

/// The reason a delete gives: `reason` in a JSON body or the query.
fn withdrawal_reason(req: &Request) -> Result<String, Problem> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Why {
        reason: String,
    }
    let raw = if req.body().is_empty() {
        query_param(req, "reason").unwrap_or_default()
    } else {
        body::parse::<Why>(req)?.reason
    };
    access::REASON.clean(&raw).map_err(|m| {
        Problem::invalid(
            "reason",
            if raw.trim().is_empty() {
                "is required: say why it was entered in error".into()
            } else {
                m
            },
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The chart

/// How many of each kind the chart shows; the rest are a list away.
const CHART_PAGE: i64 = 50;

pub fn chart(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let pass = access::authorize(ctx, patient, Intent::Read, Scope::Chart, "read", "chart")?;
    if wants_fhir(req) {
        let bundle = everything(ctx, patient, &pass)?;
        pass.record(ctx, "read", "chart")?;
        return fhir_reply(&bundle);
    }
    let kind = |k| chart::list(ctx.db, patient, k, None, CHART_PAGE);
    let drafts_of = drafts_of(ctx, &pass);
    let body = serde_json::json!({
        "patient_id": patient,
        "problems": kind(Kind::Problem)?,
        "allergies": kind(Kind::Allergy)?,
        "observations": kind(Kind::Observation)?,
        "entries": kind(Kind::Entry)?,
        "reports": reports::list(ctx.db, patient, drafts_of, None, CHART_PAGE)?,
        "files": files::list(ctx.db, patient, None, CHART_PAGE)?,
        "access": basis_json(&pass.basis),
    });
    pass.record(ctx, "read", "chart")?;
    Ok(json(StatusCode::OK, &body))
}

/// On what grounds the caller sees it (the portal says so, and until when).
fn basis_json(b: &Basis) -> serde_json::Value {
    match b {
        Basis::Owner => serde_json::json!({ "basis": "owner" }),
        Basis::Treating => serde_json::json!({ "basis": "treating" }),
        Basis::Granted { until } => serde_json::json!({ "basis": "grant", "until": until }),
        Basis::BreakGlass => serde_json::json!({ "basis": "break_glass" }),
    }
}

/// The doctor whose drafts are shown beside signed reports: the caller, when they treat.
fn drafts_of<'c>(ctx: &'c Ctx, pass: &Pass) -> Option<&'c str> {
    match (&pass.basis, ctx.principal.user()) {
        (Basis::Treating, Ok(c)) => Some(c.sub.as_str()),
        _ => None,
    }
}

pub fn list_items(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let kind: Kind = match query_param(req, "kind") {
        None => {
            return Err(Problem::invalid(
                "kind",
                "is required: problem, allergy, observation or entry",
            ))
        }
        Some(k) => k.parse().map_err(|_| {
            Problem::invalid("kind", "is one of problem, allergy, observation, entry")
        })?,
    };
    let page = PageRequest::from_query(req)?;
    let pass = access::authorize(ctx, patient, Intent::Read, Scope::Chart, "list", "entries")?;
    let items = chart::list(
        ctx.db,
        patient,
        kind,
        page.after.as_deref(),
        page.fetch_limit(),
    )?;
    let found = Page::from_fetched(items, &page, chart::cursor);
    pass.record(ctx, "list", &format!("entries?kind={}", kind.as_str()))?;
    Ok(json(StatusCode::OK, &found))
}

/// A chart item's body: `kind` (on create), `patient_id` (on `POST /entries`), `version` (on
/// update), and the kind's fields — at the top level or under `data`.
struct ItemBody {
    kind: Option<Kind>,
    patient_id: Option<String>,
    version: Option<i64>,
    fields: serde_json::Map<String, serde_json::Value>,
}

fn item_body(req: &Request) -> Result<ItemBody, Problem> {
    let mut map: serde_json::Map<String, serde_json::Value> = body::parse(req)?;
    let kind = match map.remove("kind") {
        None => None,
        Some(serde_json::Value::String(k)) => Some(k.parse().map_err(|_| {
            Problem::invalid("kind", "is one of problem, allergy, observation, entry")
        })?),
        Some(_) => return Err(Problem::invalid("kind", "must be a string")),
    };
    let patient_id = match map.remove("patient_id") {
        None => None,
        Some(serde_json::Value::String(p)) => Some(p),
        Some(_) => return Err(Problem::invalid("patient_id", "must be a user id")),
    };
    let version = match map.remove("version") {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|v| *v >= 1)
                .ok_or_else(|| Problem::invalid("version", "must be a version number"))?,
        ),
    };
    let fields = match map.remove("data") {
        Some(serde_json::Value::Object(data)) if map.is_empty() => data,
        Some(serde_json::Value::Object(_)) => {
            return Err(Problem::invalid(
                "data",
                "send the fields under `data` or beside `kind`, not both",
            ))
        }
        Some(_) => return Err(Problem::invalid("data", "must be an object")),
        None => map,
    };
    Ok(ItemBody {
        kind,
        patient_id,
        version,
        fields,
    })
}

pub fn create_item(req: &Request, ctx: &Ctx, path_patient: Option<&str>) -> Reply {
    let b = item_body(req)?;
    let patient = match (path_patient, b.patient_id.as_deref()) {
        (Some(p), None) => patient_path(p)?.to_string(),
        (Some(p), Some(q)) if p == q => patient_path(p)?.to_string(),
        (Some(_), Some(_)) => {
            return Err(Problem::invalid(
                "patient_id",
                "is not the patient of the path",
            ))
        }
        (None, Some(q)) if service_kit::could_be_id(q) => q.to_string(),
        (None, _) => return Err(Problem::invalid("patient_id", "must be a user id")),
    };
    let kind = b.kind.ok_or_else(|| {
        Problem::invalid(
            "kind",
            "is required: problem, allergy, observation or entry",
        )
    })?;
    let pass = access::authorize(
        ctx,
        &patient,
        Intent::Write,
        Scope::Chart,
        "create",
        "entry",
    )?;
    let data = kinds::parse(kind, b.fields, ctx.now)?;
    let c = me(ctx)?;
    let item = chart::create(ctx.db, ctx.now, &patient, &data, &author(c))?;
    pass.record(ctx, "create", &format!("entry/{}", item.id))?;
    let resp = created(format!("/api/records/entries/{}", item.id), &item)?;
    Ok(with_etag(resp, &item))
}

fn with_etag(resp: http::Response<Vec<u8>>, item: &Item) -> http::Response<Vec<u8>> {
    set_header(resp, "etag", &format!("\"{}\"", item.version))
}

/// The item and the caller's pass to it, the refusal logged.
fn reach_item(ctx: &Ctx, id: &str, intent: Intent, action: &str) -> Result<(Item, Pass), Problem> {
    let item = chart::get(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such entry"))?;
    let resource = format!("entry/{}", item.id);
    let pass = access::authorize(
        ctx,
        &item.patient_id,
        intent,
        Scope::Chart,
        action,
        &resource,
    )?;
    Ok((item, pass))
}

/// Who may change an item: whoever wrote it, or a doctor treating the patient when a
/// clinician wrote it. A patient does not rewrite their doctor's diagnosis, nor a doctor the
/// patient's own notes.
fn may_change(ctx: &Ctx, item: &Item, pass: &Pass, action: &str) -> Result<(), Problem> {
    let c = me(ctx)?;
    let clinician_wrote = item.author_role == Role::Doctor.as_str();
    if c.sub == item.author_id || (pass.basis == Basis::Treating && clinician_wrote) {
        return Ok(());
    }
    ctx.audit.record(
        ctx.db,
        action,
        &format!("entry/{}", item.id),
        Some(&item.patient_id),
        service_kit::audit::Outcome::Denied,
    )?;
    Err(Problem::forbidden(
        "an entry is changed by whoever wrote it, or by a treating doctor when a clinician wrote it",
    ))
}

pub fn get_item(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (item, pass) = reach_item(ctx, id, Intent::Read, "read")?;
    pass.record(ctx, "read", &format!("entry/{}", item.id))?;
    if wants_fhir(req) {
        return fhir_reply(&fhir::item(&item));
    }
    Ok(with_etag(json(StatusCode::OK, &item), &item))
}

pub fn update_item(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let b = item_body(req)?;
    let (item, pass) = reach_item(ctx, id, Intent::Write, "update")?;
    may_change(ctx, &item, &pass, "update")?;
    if b.kind.is_some_and(|k| k != item.kind) {
        return Err(Problem::invalid("kind", "an entry keeps its kind"));
    }
    if b.patient_id
        .as_deref()
        .is_some_and(|p| p != item.patient_id)
    {
        return Err(Problem::invalid("patient_id", "an entry keeps its patient"));
    }
    let expected = service_kit::http::version_seen(req, b.version)?;
    let data = kinds::parse(item.kind, b.fields, ctx.now)?;
    let updated = chart::update(
        ctx.db,
        ctx.now,
        &item.id,
        expected,
        &data,
        &author(me(ctx)?),
    )?;
    pass.record(ctx, "update", &format!("entry/{}", item.id))?;
    Ok(with_etag(json(StatusCode::OK, &updated), &updated))
}

pub fn delete_item(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (item, pass) = reach_item(ctx, id, Intent::Write, "delete")?;
    may_change(ctx, &item, &pass, "delete")?;
    let reason = withdrawal_reason(req)?;
    let marked = chart::mark_in_error(ctx.db, ctx.now, &item.id, &reason, &author(me(ctx)?))?;
    pass.record(ctx, "delete", &format!("entry/{}", item.id))?;
    Ok(with_etag(json(StatusCode::OK, &marked), &marked))
}

pub fn item_history(ctx: &Ctx, id: &str) -> Reply {
    let (item, pass) = reach_item(ctx, id, Intent::Read, "read")?;
    let versions = chart::history(ctx.db, &item)?;
    pass.record(ctx, "read", &format!("entry/{}/history", item.id))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "id": item.id, "kind": item.kind, "versions": versions }),
    ))
}

/// The newest reading of each measure, in the units the risk calculators take, under the
/// names their inputs have (`sbp`, `total_cholesterol`, `bmi`, …), with when each was taken.
pub fn latest_readings(ctx: &Ctx, id: &str) -> Reply {
    use kinds::{Data, Measure, Reading};
    let patient = patient_path(id)?;
    let pass = access::authorize(
        ctx,
        patient,
        Intent::Read,
        Scope::Chart,
        "read",
        "observations/latest",
    )?;
    let latest = chart::latest_observations(ctx.db, patient)?;
    let mut inputs = serde_json::Map::new();
    for item in &latest {
        let Data::Observation(o) = &item.data else {
            continue;
        };
        let taken = o.taken_at.to_string();
        let mut put = |name: &str, v: f64| {
            let v = (v * 100.0).round() / 100.0;
            inputs.insert(
                name.into(),
                serde_json::json!({ "value": v, "taken_at": taken, "entry_id": item.id }),
            );
        };
        match (o.measure, o.canonical()) {
            (
                Measure::BloodPressure,
                Reading::Pressure {
                    systolic,
                    diastolic,
                },
            ) => {
                put("sbp", systolic);
                put("dbp", diastolic);
            }
            (m, Reading::Value(v)) => {
                let name = match m {
                    Measure::FastingGlucose => "fasting_glucose",
                    other => other.as_str(),
                };
                put(name, v);
            }
            _ => {}
        }
    }
    pass.record(ctx, "read", "observations/latest")?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "patient_id": patient, "readings": inputs }),
    ))
}

/// Every item, file and visible report of the patient's, as FHIR resources.
fn everything(ctx: &Ctx, patient: &str, pass: &Pass) -> Result<serde_json::Value, Problem> {
    const BATCH: i64 = 500;
    let mut resources = Vec::new();
    for kind in [Kind::Problem, Kind::Allergy, Kind::Observation, Kind::Entry] {
        let mut after: Option<String> = None;
        loop {
            let items = chart::list(ctx.db, patient, kind, after.as_deref(), BATCH)?;
            resources.extend(items.iter().map(fhir::item));
            match items.last() {
                Some(last) if items.len() as i64 == BATCH => after = Some(chart::cursor(last)),
                _ => break,
            }
        }
    }
    let mut before: Option<String> = None;
    loop {
        let batch = files::list(ctx.db, patient, before.as_deref(), BATCH)?;
        resources.extend(batch.iter().map(fhir::file));
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => before = Some(last.id.clone()),
            _ => break,
        }
    }
    let drafts = drafts_of(ctx, pass);
    let mut before: Option<String> = None;
    loop {
        let batch = reports::list(ctx.db, patient, drafts, before.as_deref(), BATCH)?;
        for r in &batch {
            // The list leaves addenda out; the export carries them.
            let full = reports::get(ctx.db, &r.id)?.unwrap_or_else(|| r.clone());
            resources.push(fhir::report(&full));
        }
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => before = Some(last.id.clone()),
            _ => break,
        }
    }
    Ok(fhir::bundle(&ctx.now.to_string(), resources))
}

pub fn export(ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let pass = access::authorize(ctx, patient, Intent::Read, Scope::Chart, "export", "chart")?;
    let mut bundle = everything(ctx, patient, &pass)?;
    // The medication history, as prescriptions showed it to the same caller.
    if let (Some(entries), Some(more)) = (bundle["entry"].as_array_mut(), &ctx.medications) {
        entries.extend(more.iter().cloned().map(service_kit::fhir::entry));
    }
    pass.record(ctx, "export", "chart")?;
    let bytes = serde_json::to_vec(&bundle).map_err(Problem::internal)?;
    let resp = with_body(StatusCode::OK, fhir::MEDIA_TYPE, bytes);
    Ok(set_header(
        resp,
        "content-disposition",
        &format!("attachment; filename=\"healthe-record-{patient}.json\""),
    ))
}

// ---------------------------------------------------------------------------------------------
// Files

pub fn list_files(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let page = PageRequest::from_query(req)?;
    let pass = access::authorize(ctx, patient, Intent::Read, Scope::Chart, "list", "files")?;
    let found = files::list(ctx.db, patient, page.after.as_deref(), page.fetch_limit())?;
    pass.record(ctx, "list", "files")?;
    Ok(json(
        StatusCode::OK,
        &Page::from_fetched(found, &page, |f| f.id.clone()),
    ))
}

/// The name a client gave: `?name=`, else `Content-Disposition`'s filename.
fn upload_name(req: &Request) -> Option<String> {
    if let Some(n) = query_param(req, "name") {
        return Some(n);
    }
    let d = header_str(req, "content-disposition")?;
    let (_, rest) = d.split_once("filename=")?;
    Some(rest.split(';').next()?.trim().trim_matches('"').to_string())
}

/// An upload let in: the writer its bytes go to. The body is not read here: on Spin it is
/// still arriving (`spin_entry::receive`), natively it is whole ([`upload`]).
pub(crate) fn begin_upload<'c>(
    req: &Request,
    ctx: &'c Ctx,
    id: &'c str,
) -> Result<(files::Writer<'c>, Pass), Problem> {
    let patient = patient_path(id)?;
    let pass = access::authorize(ctx, patient, Intent::Write, Scope::Chart, "create", "file")?;
    let appointment_id = query_param(req, "appointment_id").filter(|a| !a.is_empty());
    let appointment_id = match appointment_id {
        None => None,
        Some(a) => match &ctx.appointment {
            Some(appt) if appt.id == a && appt.patient_id == patient => Some(appt.id.as_str()),
            _ => {
                return Err(Problem::invalid(
                    "appointment_id",
                    "is not an appointment of this patient's that you can see",
                ))
            }
        },
    };
    let c = me(ctx)?;
    let writer = files::Writer::new(
        ctx.now,
        files::Upload {
            patient_id: patient,
            appointment_id,
            name: files::clean_name(upload_name(req).as_deref())?,
            by_id: &c.sub,
            by_role: c.role.as_str(),
        },
    );
    Ok((writer, pass))
}

/// The upload's last chunk written and the file made current.
pub(crate) fn end_upload(ctx: &Ctx, writer: files::Writer, pass: Pass) -> Reply {
    let meta = writer.finish(ctx.db)?;
    pass.record(ctx, "create", &format!("file/{}", meta.id))?;
    created(format!("/api/records/files/{}", meta.id), &meta)
}

/// An upload whose body is here whole (natively; on Spin the body is streamed in).
pub fn upload(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (mut writer, pass) = begin_upload(req, ctx, id)?;
    writer.push(ctx.db, req.body())?;
    end_upload(ctx, writer, pass)
}

/// The file and the caller's pass to it.
fn reach_file(
    ctx: &Ctx,
    id: &str,
    intent: Intent,
    action: &str,
) -> Result<(files::FileMeta, Pass), Problem> {
    let f = files::get(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such file"))?;
    let resource = format!("file/{}", f.id);
    let pass = access::authorize(
        ctx,
        &f.patient_id,
        intent,
        Scope::File(&f.id),
        action,
        &resource,
    )?;
    Ok((f, pass))
}

fn media_type(stored: &str) -> &'static str {
    match stored {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "application/dicom" => "application/dicom",
        _ => "application/octet-stream",
    }
}

/// The head and first chunk of a download; the rest is streamed after (`spin_entry`).
/// Always an attachment, never sniffed, never rendered in the app's origin.
pub fn download(ctx: &Ctx, id: &str) -> Reply {
    let (f, pass) = reach_file(ctx, id, Intent::Read, "read")?;
    if f.status != "current" {
        return Err(Problem::new(
            StatusCode::GONE,
            "entered-in-error",
            "Withdrawn",
            "this file was marked entered-in-error and is no longer served",
        ));
    }
    let first = files::chunk(ctx.db, &f.id, 0)?;
    pass.record(ctx, "read", &format!("file/{}", f.id))?;
    // Natively (tests) there is no stream after the head: the whole file goes in the body.
    let body = if cfg!(target_arch = "wasm32") {
        first
    } else {
        files::read_all(ctx.db, &f)?
    };
    let mut resp = with_body(StatusCode::OK, media_type(&f.media_type), body);
    for (name, value) in [
        ("content-disposition", files::disposition(&f.name)),
        ("content-length", f.size.to_string()),
        (
            "content-security-policy",
            "default-src 'none'; sandbox".to_string(),
        ),
        ("cache-control", "private, no-store".to_string()),
        ("etag", format!("\"{}\"", f.sha256)),
    ] {
        resp = set_header(resp, name, &value);
    }
    Ok(resp)
}

pub fn file_meta(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (f, pass) = reach_file(ctx, id, Intent::Read, "read")?;
    pass.record(ctx, "read", &format!("file/{}/meta", f.id))?;
    if wants_fhir(req) {
        return fhir_reply(&fhir::file(&f));
    }
    Ok(json(StatusCode::OK, &f))
}

pub fn delete_file(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (f, pass) = reach_file(ctx, id, Intent::Write, "delete")?;
    let c = me(ctx)?;
    if c.sub != f.uploaded_by && pass.basis != Basis::Treating {
        return Err(Problem::forbidden(
            "a file is withdrawn by whoever uploaded it, or a doctor treating the patient",
        ));
    }
    let reason = withdrawal_reason(req)?;
    let marked = files::mark_in_error(ctx.db, &f.id, &reason)?;
    pass.record(ctx, "delete", &format!("file/{}", f.id))?;
    Ok(json(StatusCode::OK, &marked))
}

// ---------------------------------------------------------------------------------------------
// Visit reports

pub fn list_reports(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let page = PageRequest::from_query(req)?;
    let pass = access::authorize(ctx, patient, Intent::Read, Scope::Chart, "list", "reports")?;
    let found = reports::list(
        ctx.db,
        patient,
        drafts_of(ctx, &pass),
        page.after.as_deref(),
        page.fetch_limit(),
    )?;
    pass.record(ctx, "list", "reports")?;
    Ok(json(
        StatusCode::OK,
        &Page::from_fetched(found, &page, |r| r.id.clone()),
    ))
}

pub fn create_report(req: &Request, ctx: &Ctx) -> Reply {
    let s: reports::Sections = body::parse(req)?;
    let c = ctx.principal.require_role(&[Role::Doctor])?;
    let named = s
        .appointment_id
        .as_deref()
        .ok_or_else(|| Problem::invalid("appointment_id", "is required"))?;
    let appt = ctx
        .appointment
        .as_ref()
        .filter(|a| a.id == named)
        .ok_or_else(|| Problem::invalid("appointment_id", "is not an appointment of yours"))?;
    let pass = access::authorize(
        ctx,
        &appt.patient_id,
        Intent::Write,
        Scope::Chart,
        "create",
        "report",
    )?;
    let r = reports::create(ctx.db, ctx.now, &c.sub, appt, &s)?;
    pass.record(ctx, "create", &format!("report/{}", r.id))?;
    created(format!("/api/records/reports/{}", r.id), &r)
}

/// The report and the caller's pass to it. A draft is its doctor's alone: to anyone else it
/// does not exist yet.
fn reach_report(
    ctx: &Ctx,
    id: &str,
    intent: Intent,
    action: &str,
) -> Result<(reports::Report, Pass), Problem> {
    let r = reports::get(ctx.db, id)?.ok_or_else(|| Problem::not_found("no such report"))?;
    let resource = format!("report/{}", r.id);
    let pass = access::authorize(
        ctx,
        &r.patient_id,
        intent,
        Scope::Report(&r.id),
        action,
        &resource,
    )?;
    let mine = ctx.principal.user().is_ok_and(|c| c.sub == r.doctor_id);
    if r.status == "draft" && !mine {
        return Err(Problem::not_found("no such report"));
    }
    Ok((r, pass))
}

pub fn get_report(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let (r, pass) = reach_report(ctx, id, Intent::Read, "read")?;
    pass.record(ctx, "read", &format!("report/{}", r.id))?;
    if wants_fhir(req) {
        return fhir_reply(&fhir::report(&r));
    }
    Ok(json(StatusCode::OK, &r))
}

pub fn save_report(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let s: reports::Sections = body::parse(req)?;
    let (r, pass) = reach_report(ctx, id, Intent::Write, "update")?;
    let saved = reports::save_draft(ctx.db, ctx.now, &me(ctx)?.sub, &r, &s)?;
    pass.record(ctx, "update", &format!("report/{}", r.id))?;
    Ok(json(StatusCode::OK, &saved))
}

pub fn sign_report(ctx: &Ctx, id: &str) -> Reply {
    let (r, pass) = reach_report(ctx, id, Intent::Write, "sign")?;
    let signed = reports::sign(ctx.db, ctx.now, &me(ctx)?.sub, &r)?;
    pass.record(ctx, "sign", &format!("report/{}", r.id))?;
    Ok(json(StatusCode::OK, &signed))
}

pub fn add_addendum(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Text {
        text: String,
    }
    let t: Text = body::parse(req)?;
    let (r, pass) = reach_report(ctx, id, Intent::Write, "update")?;
    if me(ctx)?.role != Role::Doctor {
        return Err(Problem::forbidden(
            "addenda are written by the patient's doctors",
        ));
    }
    let a = reports::add_addendum(ctx.db, ctx.now, &me(ctx)?.sub, &r, &t.text)?;
    pass.record(ctx, "update", &format!("report/{}/addenda", r.id))?;
    created(format!("/api/records/reports/{}", r.id), &a)
}

// ---------------------------------------------------------------------------------------------
// Sharing

pub fn create_grant(req: &Request, ctx: &Ctx) -> Reply {
    let g: grants::NewGrant = body::parse(req)?;
    let c = ctx.principal.require_role(&[Role::Patient])?;
    let grant = grants::create(ctx.db, ctx.now, &c.sub, g)?;
    ctx.audit.record(
        ctx.db,
        "create",
        &format!("grant/{}", grant.id),
        Some(&c.sub),
        service_kit::audit::Outcome::Allowed,
    )?;
    created(format!("/api/records/grants/{}", grant.id), &grant)
}

/// A patient's grants (given), or a doctor's (received, still running).
pub fn list_grants(req: &Request, ctx: &Ctx) -> Reply {
    let c = me(ctx)?;
    let page = PageRequest::from_query(req)?;
    let who = match c.role {
        Role::Patient => grants::Listing::Given(&c.sub),
        Role::Doctor => grants::Listing::Received(&c.sub),
        _ => {
            return Err(Problem::forbidden(
                "grants are between patients and doctors",
            ))
        }
    };
    let found = grants::list(
        ctx.db,
        ctx.now,
        who,
        page.after.as_deref(),
        page.fetch_limit(),
    )?;
    Ok(json(
        StatusCode::OK,
        &Page::from_fetched(found, &page, |g| g.id.clone()),
    ))
}

pub fn revoke_grant(ctx: &Ctx, id: &str) -> Reply {
    let c = ctx.principal.require_role(&[Role::Patient])?;
    match grants::get(ctx.db, ctx.now, id)? {
        Some(g) if g.patient_id == c.sub => {}
        _ => return Err(Problem::not_found("no such grant of yours")),
    }
    let g = grants::revoke(ctx.db, ctx.now, &c.sub, id)?;
    ctx.audit.record(
        ctx.db,
        "delete",
        &format!("grant/{}", g.id),
        Some(&c.sub),
        service_kit::audit::Outcome::Allowed,
    )?;
    Ok(json(StatusCode::OK, &g))
}

/// The reasons staff gave for reaching the patient's record: the patient's to read.
pub fn break_glass(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let patient = patient_path(id)?;
    let c = me(ctx)?;
    if !(c.role == Role::Patient && c.sub == patient) {
        return Err(Problem::forbidden("the reasons are the patient's to read"));
    }
    let page = PageRequest::from_query(req)?;
    let found = access::reasons(ctx, patient, page.after.as_deref(), page.fetch_limit())?;
    Ok(json(
        StatusCode::OK,
        &Page::from_fetched(found, &page, |r| r.at.clone()),
    ))
}
