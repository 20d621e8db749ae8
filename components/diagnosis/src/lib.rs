//! diagnosis: heart-attack, stroke and diabetes risk from validated published models, run by the
//! risk engine composed into this component; owns the assessment history.
//!
//! This file is the route table and the Spin entry point; the rules live in the modules.

pub mod assess;
pub mod engine;
pub mod fhir;
mod handlers;
pub mod inputs;

use engine::RiskEngine;
use service_kit::audit::endpoints::{access_log, verify_log};
use service_kit::db::Db;
use service_kit::http::{Method, Request};
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::token::Role;
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] = service_kit::migrations!("diagnosis", "0001_assessments.sql");

/// What a request runs against. The caller is authenticated before (the key fetch is async in wasm).
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    pub engine: &'a dyn RiskEngine,
    pub principal: Principal,
    pub now: jiff::Timestamp,
    /// This request's access-log writer.
    pub audit: service_kit::audit::Recorder,
    /// Booking's answer, asked before the request is handled (the call is async in wasm):
    /// whether the caller treats the `patient_id` the body names.
    pub care: Option<Care>,
}

/// Whether the caller treats `patient_id` now, as booking says.
#[derive(Debug, Clone, PartialEq)]
pub struct Care {
    pub patient_id: String,
    pub treating: bool,
}

/// The `patient_id` a doctor's request body names for someone other than the doctor, if any:
/// the only case a care relationship must be asked about (nobody else may assess another).
pub fn patient_named(req: &Request, principal: &Principal) -> Option<String> {
    if req.method() != Method::POST {
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(req.body()).ok()?;
    let patient = body.get("patient_id")?.as_str()?.to_string();
    match principal {
        Principal::User(c) if c.sub != patient && c.role == Role::Doctor => Some(patient),
        _ => None,
    }
}

/// diagnosis as a service: its name, context and route table.
pub struct Diagnosis;

impl Service for Diagnosis {
    const NAME: &'static str = "diagnosis";
    type Ctx<'a> = Ctx<'a>;

    /// Every route diagnosis answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use assess::Kind::*;
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/diagnosis/health")
            .get("/api/diagnosis/models", |_, c, _| h::models(c))
            .get("/api/diagnosis/models/{id}", |_, c, p| {
                h::model(c, p.get("id"))
            })
            .post("/api/diagnosis/heart", |r, c, _| h::predict(r, c, Heart))
            .post("/api/diagnosis/stroke", |r, c, _| h::predict(r, c, Stroke))
            .post("/api/diagnosis/diabetes", |r, c, _| {
                h::predict(r, c, Diabetes)
            })
            .post("/api/diagnosis/assessments", |r, c, _| h::explicit(r, c))
            .get("/api/diagnosis/assessments", |r, c, _| h::list(r, c))
            .get("/api/diagnosis/assessments/{id}", |r, c, p| {
                h::get(r, c, p.get("id"))
            })
            .get("/api/diagnosis/access-log", |r, c, _| {
                access_log(r, c.db, "diagnosis", &c.principal)
            })
            .get("/api/diagnosis/access-log/verify", |_, c, _| {
                verify_log(c.db, "diagnosis", &c.principal)
            })
    }

    /// Signed-in users only, everywhere: even the model list is clinical material.
    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        ctx.principal.user()?;
        Ok(migrate::apply(ctx.db, "diagnosis", MIGRATIONS)?)
    }
}

#[cfg(target_arch = "wasm32")]
impl service_kit::spin::SpinService for Diagnosis {
    async fn context<'a>(
        req: &Request,
        _route: &'static str,
        kit: &'a service_kit::spin::Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let (principal, _) = kit.authenticate(req).await?;
        // Booking is asked only when a doctor names someone else's `patient_id`.
        let care = match patient_named(req, &principal) {
            None => None,
            Some(patient_id) => Some(Care {
                treating: service_kit::spin::is_treating(req, &patient_id).await?,
                patient_id,
            }),
        };
        Ok(Ctx {
            db: kit.db()?,
            engine: &engine::composed::Composed,
            audit: kit.recorder(&principal),
            principal,
            now: kit.now,
            care,
        })
    }
}

service_kit::component!(Diagnosis);
