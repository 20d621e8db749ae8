//! records: the patient's chart (problems, allergies, observations, entries, each versioned),
//! visit reports (drafts, signed, addenda), files in chunks, and the patient's grants.
//!
//! This file is the route table and the Spin entry point; the rules live in the modules.

pub mod access;
pub mod chart;
pub mod fhir;
pub mod files;
pub mod grants;
mod handlers;
pub mod kinds;
pub mod reports;

use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::db::Db;
use service_kit::http::Request;
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::token::Role;
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] = service_kit::migrations!("records", "0001_records.sql");

/// What a request runs against. Everything asynchronous (the caller's token, booking's answers)
/// is gathered before the rules run.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub principal: Principal,
    pub now: jiff::Timestamp,
    /// This request's access-log writer.
    pub audit: service_kit::audit::Recorder,
    /// For a doctor: whether booking says they treat the patient the request concerns.
    pub care: Option<Care>,
    /// Staff's stated reason for reaching a record (break the glass), cleaned.
    pub reason: Option<String>,
    /// The appointment the request names (a report's, an upload's), as booking showed it to
    /// the caller; `None` when it names none, or booking would not show it.
    pub appointment: Option<reports::Appointment>,
    /// For the whole-record export: the patient's prescriptions and dispenses as prescriptions
    /// showed them to the caller (FHIR resources); `None` when it was not asked or would not say.
    pub medications: Option<Vec<serde_json::Value>>,
}

/// Whether the calling doctor treats `patient_id` now, as booking says.
#[derive(Debug, Clone, PartialEq)]
pub struct Care {
    pub patient_id: String,
    pub treating: bool,
}

impl Ctx<'_> {
    pub fn treats(&self, patient: &str) -> bool {
        self.care
            .as_ref()
            .is_some_and(|c| c.treating && c.patient_id == patient)
    }
}

/// Where a file's bytes are downloaded: a streamed route.
pub const FILE: &str = "/api/records/files/{id}";
/// The whole record as one FHIR Bundle: it carries the prescriptions' too.
pub const EXPORT: &str = "/api/records/patients/{id}/export";
/// Where files are uploaded: the one route whose body may reach 8 MiB.
pub const UPLOAD: &str = "/api/records/patients/{id}/files";

/// records as a service: its name, context and route table.
pub struct Records;

impl Service for Records {
    const NAME: &'static str = "records";
    type Ctx<'a> = Ctx<'a>;

    /// Every route records answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/records/health")
            .get("/api/records/patients/{id}", |r, c, p| {
                h::chart(r, c, p.get("id"))
            })
            .get("/api/records/patients/{id}/entries", |r, c, p| {
                h::list_items(r, c, p.get("id"))
            })
            .post("/api/records/patients/{id}/entries", |r, c, p| {
                h::create_item(r, c, Some(p.get("id")))
            })
            .post("/api/records/entries", |r, c, _| h::create_item(r, c, None))
            .get("/api/records/entries/{id}", |r, c, p| {
                h::get_item(r, c, p.get("id"))
            })
            .put("/api/records/entries/{id}", |r, c, p| {
                h::update_item(r, c, p.get("id"))
            })
            .delete("/api/records/entries/{id}", |r, c, p| {
                h::delete_item(r, c, p.get("id"))
            })
            .get("/api/records/entries/{id}/history", |_, c, p| {
                h::item_history(c, p.get("id"))
            })
            .get(
                "/api/records/patients/{id}/observations/latest",
                |_, c, p| h::latest_readings(c, p.get("id")),
            )
            .get(EXPORT, |_, c, p| h::export(c, p.get("id")))
            .get(UPLOAD, |r, c, p| h::list_files(r, c, p.get("id")))
            .post(UPLOAD, |r, c, p| h::upload(r, c, p.get("id")))
            .get(FILE, |_, c, p| h::download(c, p.get("id")))
            .delete(FILE, |r, c, p| h::delete_file(r, c, p.get("id")))
            .get("/api/records/files/{id}/meta", |r, c, p| {
                h::file_meta(r, c, p.get("id"))
            })
            .get("/api/records/patients/{id}/reports", |r, c, p| {
                h::list_reports(r, c, p.get("id"))
            })
            .post("/api/records/reports", |r, c, _| h::create_report(r, c))
            .get("/api/records/reports/{id}", |r, c, p| {
                h::get_report(r, c, p.get("id"))
            })
            .put("/api/records/reports/{id}", |r, c, p| {
                h::save_report(r, c, p.get("id"))
            })
            .post("/api/records/reports/{id}/sign", |_, c, p| {
                h::sign_report(c, p.get("id"))
            })
            .post("/api/records/reports/{id}/addenda", |r, c, p| {
                h::add_addendum(r, c, p.get("id"))
            })
            .get("/api/records/grants", |r, c, _| h::list_grants(r, c))
            .post("/api/records/grants", |r, c, _| h::create_grant(r, c))
            .delete("/api/records/grants/{id}", |_, c, p| {
                h::revoke_grant(c, p.get("id"))
            })
            .get("/api/records/patients/{id}/break-glass", |r, c, p| {
                h::break_glass(r, c, p.get("id"))
            })
            .get("/api/records/access-log", |r, c, _| {
                access_log(r, c.db, "records", &c.principal)
            })
            .get("/api/records/access-log/verify", |_, c, _| {
                verify_log(c.db, "records", &c.principal)
            })
    }

    /// Signed-in users only, everywhere.
    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        ctx.principal.user()?;
        Ok(migrate::apply(ctx.db, "records", MIGRATIONS)?)
    }
}

/// The path's segments after `/api/records/`.
fn segments(req: &Request) -> Vec<&str> {
    req.uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .skip(2)
        .collect()
}

/// The appointment id a request names: a report's body, or an upload's query.
pub fn appointment_named(req: &Request, route: &str) -> Option<String> {
    match route {
        "/api/records/reports" if req.method() == http::Method::POST => {
            let body: serde_json::Value = serde_json::from_slice(req.body()).ok()?;
            Some(body.get("appointment_id")?.as_str()?.to_string())
        }
        UPLOAD if req.method() == http::Method::POST => {
            service_kit::http::query_param(req, "appointment_id").filter(|a| !a.is_empty())
        }
        _ => None,
    }
    .filter(|a| service_kit::could_be_id(a))
}

/// The patient a request concerns, for asking booking whether a doctor treats them: named in
/// the path, in the body, by the appointment, or by the item, file or report the path names.
pub fn patient_concerned(
    db: &dyn Db,
    req: &Request,
    appointment: Option<&reports::Appointment>,
) -> Result<Option<String>, Problem> {
    let segs = segments(req);
    let id = segs.get(1).copied().unwrap_or("");
    Ok(match (segs.first().copied(), segs.len()) {
        (Some("patients"), n) if n >= 2 => Some(id.to_string()),
        (Some("entries"), 1) => {
            let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap_or_default();
            body["patient_id"].as_str().map(str::to_string)
        }
        (Some("reports"), 1) => appointment.map(|a| a.patient_id.clone()),
        (Some(kind @ ("entries" | "files" | "reports")), _) => {
            migrate::apply(db, "records", MIGRATIONS)?;
            match kind {
                "entries" => chart::patient_of(db, id)?,
                "files" => files::patient_of(db, id)?,
                _ => reports::patient_of(db, id)?,
            }
        }
        _ => None,
    })
}

/// Staff's stated reason, from the `reason` query parameter or the `X-Access-Reason` header.
pub fn stated_reason(req: &Request, principal: &Principal) -> Result<Option<String>, Problem> {
    let Principal::User(c) = principal else {
        return Ok(None);
    };
    if !matches!(c.role, Role::Staff | Role::Admin) {
        return Ok(None);
    }
    let raw = service_kit::http::query_param(req, "reason")
        .or_else(|| service_kit::http::header_str(req, "x-access-reason").map(str::to_string));
    match raw.filter(|r| !r.trim().is_empty()) {
        None => Ok(None),
        Some(r) => access::REASON
            .clean(&r)
            .map(Some)
            .map_err(|m| Problem::invalid("reason", m)),
    }
}

#[cfg(target_arch = "wasm32")]
mod spin_entry;

service_kit::component!(Records);
