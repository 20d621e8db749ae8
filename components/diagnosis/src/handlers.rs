//! One function per endpoint.

use crate::assess::{self, Kind};
use crate::{fhir, inputs, Ctx};
use http::StatusCode;
use serde::Deserialize;
use service_kit::http::{header_str, json, with_body, Reply, Request};
use service_kit::page::PageRequest;
use service_kit::{json as body, Problem};

pub fn models(ctx: &Ctx) -> Reply {
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "items": ctx.engine.cards() }),
    ))
}

pub fn model(ctx: &Ctx, id: &str) -> Reply {
    let card = ctx
        .engine
        .card(id)
        .ok_or_else(|| Problem::not_found("no such model"))?;
    Ok(json(StatusCode::OK, &card))
}

/// Splits the body into the optional `patient_id` and the readings.
fn readings(
    req: &Request,
) -> Result<(Option<String>, serde_json::Map<String, serde_json::Value>), Problem> {
    let mut map: serde_json::Map<String, serde_json::Value> = body::parse(req)?;
    let patient = match map.remove("patient_id") {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => return Err(Problem::invalid("patient_id", "must be a user id")),
    };
    Ok((patient, map))
}

pub fn predict(req: &Request, ctx: &Ctx, kind: Kind) -> Reply {
    let (patient, map) = readings(req)?;
    let subject = assess::subject(ctx, patient.as_deref())?;
    let parsed = inputs::parse_all(&map)?;
    let (model, headline, parsed) = assess::choose(kind, parsed)?;
    let a = assess::assess(
        ctx,
        ctx.engine,
        kind,
        model,
        Some(headline),
        parsed,
        subject,
    )?;
    Ok(json(StatusCode::CREATED, &a))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplicitBody {
    model: String,
    #[serde(default)]
    patient_id: Option<String>,
    inputs: serde_json::Map<String, serde_json::Value>,
}

pub fn explicit(req: &Request, ctx: &Ctx) -> Reply {
    let b: ExplicitBody = body::parse(req)?;
    let subject = assess::subject(ctx, b.patient_id.as_deref())?;
    let parsed = inputs::parse_all(&b.inputs)?;
    let a = assess::assess(
        ctx,
        ctx.engine,
        Kind::Explicit,
        &b.model,
        None,
        parsed,
        subject,
    )?;
    Ok(json(StatusCode::CREATED, &a))
}

pub fn list(req: &Request, ctx: &Ctx) -> Reply {
    let page = PageRequest::from_query(req)?;
    Ok(json(StatusCode::OK, &assess::list(ctx, &page)?))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let a = assess::get(ctx, id)?;
    let wants_fhir = header_str(req, "accept").is_some_and(|a| a.contains(fhir::MEDIA_TYPE));
    if wants_fhir {
        let bytes = serde_json::to_vec(&fhir::risk_assessment(&a)).map_err(Problem::internal)?;
        return Ok(with_body(StatusCode::OK, fhir::MEDIA_TYPE, bytes));
    }
    Ok(json(StatusCode::OK, &a))
}
