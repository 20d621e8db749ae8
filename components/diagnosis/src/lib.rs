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
use service_kit::http::{finish, segments, Method, Reply, Request, Response};
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
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

pub fn handle(req: &Request, ctx: &Ctx) -> Response {
    finish(route(req, ctx))
}

fn route(req: &Request, ctx: &Ctx) -> Reply {
    // Signed-in users only, everywhere: even the model list is clinical material.
    ctx.principal.user()?;
    route_authenticated(req, ctx)
}

/// The liveness route: no database, no engine, no token — the baseline a benchmark compares
/// evaluations against (the same component, instantiated the same way).
pub fn is_health(req: &Request) -> bool {
    req.method() == Method::GET && segments(req).as_slice() == ["api", "diagnosis", "health"]
}

pub fn health() -> Response {
    service_kit::http::json(
        http::StatusCode::OK,
        &serde_json::json!({"status": "ok", "service": "diagnosis"}),
    )
}

fn route_authenticated(req: &Request, ctx: &Ctx) -> Reply {
    migrate::apply(ctx.db, "diagnosis", MIGRATIONS)?;
    use assess::Kind;
    use handlers as h;
    let path = segments(req);
    match (req.method(), path.as_slice()) {
        (&Method::GET, ["api", "diagnosis", "models"]) => h::models(ctx),
        (&Method::GET, ["api", "diagnosis", "models", id]) => h::model(ctx, id),
        (&Method::POST, ["api", "diagnosis", "heart"]) => h::predict(req, ctx, Kind::Heart),
        (&Method::POST, ["api", "diagnosis", "stroke"]) => h::predict(req, ctx, Kind::Stroke),
        (&Method::POST, ["api", "diagnosis", "diabetes"]) => h::predict(req, ctx, Kind::Diabetes),
        (&Method::POST, ["api", "diagnosis", "assessments"]) => h::explicit(req, ctx),
        (&Method::GET, ["api", "diagnosis", "assessments"]) => h::list(req, ctx),
        (&Method::GET, ["api", "diagnosis", "assessments", id]) => h::get(req, ctx, id),
        (&Method::GET, ["api", "diagnosis", "access-log"]) => {
            access_log(req, ctx.db, "diagnosis", &ctx.principal)
        }
        (&Method::GET, ["api", "diagnosis", "access-log", "verify"]) => {
            verify_log(ctx.db, "diagnosis", &ctx.principal)
        }
        (
            _,
            ["api", "diagnosis", "models" | "heart" | "stroke" | "diabetes" | "assessments" | "access-log"],
        )
        | (_, ["api", "diagnosis", "models" | "assessments", _])
        | (_, ["api", "diagnosis", "access-log", "verify"]) => Err(Problem::method_not_allowed()),
        _ => Err(Problem::not_found("no such diagnosis resource")),
    }
}

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
async fn spin_entry(req: spin_sdk::http::IncomingRequest, out: spin_sdk::http::ResponseOutparam) {
    use service_kit::http::problem_response;
    use service_kit::spin::{request_context, serve, RequestContext};
    serve(
        req,
        out,
        service_kit::json::DEFAULT_BODY_LIMIT,
        |req| async move {
            if is_health(&req) {
                return health();
            }
            let RequestContext {
                now, principal, db, ..
            } = match request_context(&req, "diagnosis").await {
                Ok(c) => c,
                Err(p) => return problem_response(&p),
            };
            let care = match patient_named(&req, &principal) {
                None => None,
                Some(patient_id) => match service_kit::spin::is_treating(&req, &patient_id).await {
                    Ok(treating) => Some(Care {
                        patient_id,
                        treating,
                    }),
                    Err(p) => return problem_response(&p),
                },
            };
            let audit = service_kit::audit::Recorder::for_principal("diagnosis", now, &principal);
            let ctx = Ctx {
                db: &db,
                engine: &engine::composed::Composed,
                principal,
                now,
                care,
                audit,
            };
            handle(&req, &ctx)
        },
    )
    .await
}
