//! prescriptions: what a doctor prescribes (allergy-checked against the chart, versioned, never
//! changed once issued), what the patient holds (a code, its QR, refills to ask for), and what a
//! pharmacist hands over — never more than was prescribed.
//!
//! This file is the route table and the context; the rules live in the modules.

pub mod access;
pub mod allergy;
pub mod code;
pub mod dispense;
pub mod fhir;
mod handlers;
pub mod medication;
pub mod outbox;
pub mod prescription;
pub mod refills;

use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::db::Db;
use service_kit::http::Request;
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] =
    service_kit::migrations!("prescriptions", "0001_prescriptions.sql");

/// What a request runs against. Everything asynchronous (the caller's token, booking's and
/// records' answers) is gathered before the rules run.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub principal: Principal,
    pub now: jiff::Timestamp,
    pub audit: service_kit::audit::Recorder,
    /// For a doctor: whether booking says they treat the patient the request concerns.
    pub care: Option<Care>,
    /// For a doctor issuing a prescription: the allergies in the patient's chart as records
    /// has them, or why records could not say. `None` when the route needs none.
    pub allergies: Option<Result<Vec<allergy::Allergy>, String>>,
    /// For a pharmacist dispensing: their pharmacy as locator has it ("Adler-Apotheke,
    /// Invalidenstraße 10, 10115 Berlin"), when staff assigned one.
    pub pharmacy: Option<String>,
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

/// Where the QR code of a prescription's code is drawn.
pub const QR: &str = "/api/prescriptions/{id}/qr.svg";

/// prescriptions as a service: its name, context and route table.
pub struct Prescriptions;

impl Service for Prescriptions {
    const NAME: &'static str = "prescriptions";
    type Ctx<'a> = Ctx<'a>;

    /// Every route prescriptions answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/prescriptions/health")
            .get("/api/prescriptions/patients/{id}", |r, c, p| {
                h::list_for_patient(r, c, p.get("id"))
            })
            .get("/api/prescriptions/patients/{id}/export", |_, c, p| {
                h::export(c, p.get("id"))
            })
            .post("/api/prescriptions", |r, c, _| h::create(r, c))
            .get("/api/prescriptions/{id}", |r, c, p| {
                h::get(r, c, p.get("id"))
            })
            .put("/api/prescriptions/{id}", |r, c, p| {
                h::update(r, c, p.get("id"))
            })
            .delete("/api/prescriptions/{id}", |_, c, p| {
                h::delete(c, p.get("id"))
            })
            .post("/api/prescriptions/{id}/issue", |r, c, p| {
                h::issue(r, c, p.get("id"))
            })
            .post("/api/prescriptions/{id}/cancel", |r, c, p| {
                h::cancel(r, c, p.get("id"))
            })
            .post("/api/prescriptions/{id}/hold", |r, c, p| {
                h::hold(r, c, p.get("id"))
            })
            .post("/api/prescriptions/{id}/resume", |_, c, p| {
                h::resume(c, p.get("id"))
            })
            .get("/api/prescriptions/{id}/versions", |_, c, p| {
                h::versions(c, p.get("id"))
            })
            .get("/api/prescriptions/{id}/dispenses", |r, c, p| {
                h::dispenses(r, c, p.get("id"))
            })
            .get(QR, |_, c, p| h::qr(c, p.get("id")))
            .post("/api/prescriptions/{id}/refill-requests", |r, c, p| {
                h::request_refill(r, c, p.get("id"))
            })
            .get("/api/prescriptions/refill-requests", |r, c, _| {
                h::list_refills(r, c)
            })
            .post(
                "/api/prescriptions/refill-requests/{id}/approve",
                |r, c, p| h::approve_refill(r, c, p.get("id")),
            )
            .post(
                "/api/prescriptions/refill-requests/{id}/decline",
                |r, c, p| h::decline_refill(r, c, p.get("id")),
            )
            .get("/api/prescriptions/by-code/{code}", |_, c, p| {
                h::lookup(c, p.get("code"))
            })
            .post("/api/prescriptions/by-code/{code}/dispenses", |r, c, p| {
                h::dispense(r, c, p.get("code"))
            })
            .get("/api/prescriptions/access-log", |r, c, _| {
                access_log(r, c.db, "prescriptions", &c.principal)
            })
            .get("/api/prescriptions/access-log/verify", |_, c, _| {
                verify_log(c.db, "prescriptions", &c.principal)
            })
    }

    /// Signed-in users only, everywhere.
    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        ctx.principal.user()?;
        Ok(migrate::apply(ctx.db, "prescriptions", MIGRATIONS)?)
    }
}

/// The path's segments after `/api/prescriptions/`.
fn segments(req: &Request) -> Vec<&str> {
    req.uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .skip(2)
        .collect()
}

/// The patient a request concerns, for asking booking whether a doctor treats them: named in
/// the path or the body, or by the prescription or refill request the path names.
pub fn patient_concerned(db: &dyn Db, req: &Request) -> Result<Option<String>, Problem> {
    let segs = segments(req);
    let id = segs.get(1).copied().unwrap_or("");
    Ok(match (segs.first().copied(), segs.len()) {
        (Some("patients"), n) if n >= 2 => Some(id.to_string()),
        (None, _) if req.method() == http::Method::POST => {
            let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap_or_default();
            body["patient_id"].as_str().map(str::to_string)
        }
        (Some("refill-requests"), 3) => {
            migrate::apply(db, "prescriptions", MIGRATIONS)?;
            refills::get(db, id)?.map(|r| r.patient_id)
        }
        (Some(first), _) if !matches!(first, "by-code" | "refill-requests" | "access-log") => {
            migrate::apply(db, "prescriptions", MIGRATIONS)?;
            prescription::patient_of(db, first)?
        }
        _ => None,
    })
}

/// Whether the request dispenses (so the context brings the pharmacist's pharmacy).
pub fn dispenses(req: &Request) -> bool {
    req.method() == http::Method::POST
        && matches!(segments(req).as_slice(), ["by-code", _, "dispenses"])
}

/// Whether the request issues a prescription, so the context brings the chart's allergies:
/// a create (unless it saves a draft) or a draft's issue.
pub fn issues(req: &Request) -> bool {
    if req.method() != http::Method::POST {
        return false;
    }
    match segments(req).as_slice() {
        [] => {
            let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap_or_default();
            body["status"].as_str() != Some("draft")
        }
        [_, "issue"] => true,
        _ => false,
    }
}

#[cfg(target_arch = "wasm32")]
mod spin_entry;

service_kit::component!(Prescriptions);
