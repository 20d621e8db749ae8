//! One function per endpoint.

use crate::assess::{self, Kind};
use crate::{fhir, inputs, Ctx};
use http::StatusCode;
use risk_types::models::{InputSpec, OutputSpec};
use serde::{Deserialize, Serialize};
use service_kit::audit::Outcome;
use service_kit::http::{header_str, json, with_body, Reply, Request};
use service_kit::page::PageRequest;
use service_kit::{json as body, Problem};

pub fn models(ctx: &Ctx) -> Reply {
    #[derive(Serialize)]
    struct Items<'a> {
        items: Vec<Published<'a>>,
    }
    let cards = ctx.engine.cards();
    let items = cards.iter().map(Published::of).collect();
    Ok(json(StatusCode::OK, &Items { items }))
}

pub fn model(ctx: &Ctx, id: &str) -> Reply {
    let card = ctx
        .engine
        .card(id)
        .ok_or_else(|| Problem::not_found("no such model"))?;
    Ok(json(StatusCode::OK, &Published::of(&card)))
}

/// A card as this API publishes it: the engine's, with each input's `other_units` (the units
/// diagnosis converts from, and the validated range in each), so a form needs no table of its
/// own. Serialised straight from the card: the model list is read on every form's load, and
/// going through a `serde_json::Value` copied it twice more.
#[derive(Serialize)]
struct Published<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    outcome: &'a str,
    horizon_years: u32,
    citation: &'a str,
    inputs: Vec<PublishedInput<'a>>,
    outputs: &'a [OutputSpec],
    intended_population: &'a str,
    caveats: &'a [String],
}

#[derive(Serialize)]
struct PublishedInput<'a> {
    #[serde(flatten)]
    spec: &'a InputSpec,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_units: Vec<serde_json::Value>,
}

impl<'a> Published<'a> {
    fn of(card: &'a crate::engine::Card) -> Self {
        // Every field named, no `..`: a field added to the card fails to compile here rather
        // than go unpublished.
        let crate::engine::Card {
            id,
            version,
            title,
            outcome,
            horizon_years,
            citation,
            inputs,
            outputs,
            intended_population,
            caveats,
        } = card;
        Published {
            id,
            version,
            title,
            outcome,
            horizon_years: *horizon_years,
            citation,
            inputs: inputs
                .iter()
                .map(|spec| PublishedInput {
                    spec,
                    other_units: inputs::other_units(&spec.name, spec.unit.as_deref(), spec.range),
                })
                .collect(),
            outputs,
            intended_population,
            caveats,
        }
    }
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

/// Whose assessment it is, the refusal recorded in the access log against the patient named.
fn subject(ctx: &Ctx, patient: Option<&str>) -> Result<String, Problem> {
    let result = assess::subject(ctx, patient);
    if let (Err(p), Some(patient)) = (&result, patient) {
        if p.status == 403 {
            ctx.audit.record(
                ctx.db,
                "create",
                "assessment",
                Some(patient),
                Outcome::Denied,
            )?;
        }
    }
    result
}

/// The new assessment, recorded in the access log.
fn created(ctx: &Ctx, a: &assess::Assessment) -> Reply {
    ctx.audit.record(
        ctx.db,
        "create",
        &format!("assessment/{}", a.id),
        Some(&a.subject_id),
        Outcome::Allowed,
    )?;
    Ok(json(StatusCode::CREATED, a))
}

pub fn predict(req: &Request, ctx: &Ctx, kind: Kind) -> Reply {
    let (patient, map) = readings(req)?;
    let subject = subject(ctx, patient.as_deref())?;
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
    created(ctx, &a)
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
    let subject = subject(ctx, b.patient_id.as_deref())?;
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
    created(ctx, &a)
}

pub fn list(req: &Request, ctx: &Ctx) -> Reply {
    let page = PageRequest::from_query(req)?;
    let found = assess::list(ctx, &page)?;
    let mut seen = std::collections::BTreeSet::new();
    for a in &found.items {
        if seen.insert(a.subject_id.as_str()) {
            ctx.audit.record(
                ctx.db,
                "list",
                "assessments",
                Some(&a.subject_id),
                Outcome::Allowed,
            )?;
        }
    }
    Ok(json(StatusCode::OK, &found))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Reply {
    let resource = format!("assessment/{id}");
    let a = match assess::lookup(ctx, id)? {
        assess::Lookup::Theirs(a) => *a,
        assess::Lookup::Others { subject } => {
            ctx.audit
                .record(ctx.db, "read", &resource, Some(&subject), Outcome::Denied)?;
            return Err(Problem::not_found("no such assessment"));
        }
        assess::Lookup::Missing => return Err(Problem::not_found("no such assessment")),
    };
    ctx.audit.record(
        ctx.db,
        "read",
        &resource,
        Some(&a.subject_id),
        Outcome::Allowed,
    )?;
    let wants_fhir = header_str(req, "accept").is_some_and(|a| a.contains(fhir::MEDIA_TYPE));
    if wants_fhir {
        let bytes = serde_json::to_vec(&fhir::risk_assessment(&a)).map_err(Problem::internal)?;
        return Ok(with_body(StatusCode::OK, fhir::MEDIA_TYPE, bytes));
    }
    Ok(json(StatusCode::OK, &a))
}
