//! The rules: which model answers which question, evaluation, and the assessment record.

use crate::engine::RiskEngine;
use crate::Ctx;
use risk_types::{EvalError, Input, Value};
use serde::{Deserialize, Serialize};
use service_kit::db::Row;
use service_kit::page::{Page, PageRequest};
use service_kit::token::Role;
use service_kit::{new_id, params, Problem};

/// What every result says, so a clinic can show it as it is.
pub const DISCLAIMER: &str = "Decision support, not a diagnosis: this estimate comes from a published population model and must be interpreted by a clinician together with the whole clinical picture.";

/// The three questions, each answered by the model that fits the readings given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Kind {
    Heart,
    Stroke,
    Diabetes,
    Explicit,
}

impl Kind {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

fn has(inputs: &[Input], name: &str) -> bool {
    inputs.iter().any(|i| i.name == name)
}

/// Picks the model for a question and the output that answers it, adjusting the readings where
/// the choice itself was one of them (atrial fibrillation).
pub fn choose(
    kind: Kind,
    mut inputs: Vec<Input>,
) -> Result<(&'static str, &'static str, Vec<Input>), Problem> {
    Ok(match kind {
        // PREVENT (with BMI and eGFR) is the current AHA equation; the PCE remain for clinics
        // that have only the classic lipid panel and blood pressure.
        Kind::Heart if has(&inputs, "bmi") || has(&inputs, "egfr") => {
            ("prevent-2024", "chd_10y", inputs)
        }
        Kind::Heart => ("pce-2013", "hard_ascvd_10y", inputs),
        Kind::Stroke => {
            let af = inputs.iter().position(|i| i.name == "atrial_fibrillation");
            let af = match af.map(|p| inputs.remove(p).value) {
                None => false,
                Some(Value::Flag(b)) => b,
                Some(_) => {
                    return Err(Problem::invalid(
                        "atrial_fibrillation",
                        "must be true or false",
                    ))
                }
            };
            if af {
                ("cha2ds2-vasc", "stroke_annual", inputs)
            } else {
                ("prevent-2024", "stroke_10y", inputs)
            }
        }
        Kind::Diabetes if has(&inputs, "fasting_glucose") => {
            ("framingham-diabetes-2007", "type2_diabetes_8y", inputs)
        }
        Kind::Diabetes => ("findrisc", "type2_diabetes_10y", inputs),
        Kind::Explicit => unreachable!("explicit assessments name their model"),
    })
}

/// An evaluation error as a 4xx naming the input.
pub fn problem(model: &str, e: EvalError) -> Problem {
    let message = e.to_string();
    match e {
        EvalError::UnknownModel(_) => Problem::invalid("model", message),
        EvalError::MissingInput(i) => Problem::invalid(i, format!("is required by {model}")),
        EvalError::UnknownInput(i) => Problem::invalid(i, format!("is not an input of {model}")),
        EvalError::WrongUnit { input, .. } | EvalError::InvalidValue { input, .. } => {
            Problem::invalid(input, message)
        }
        EvalError::OutOfRange { input, .. } => {
            let mut p = Problem::invalid(input, message);
            p.kind = "out-of-validated-range";
            p.title = "Outside the validated range";
            p
        }
        EvalError::Engine(m) => Problem::internal(m),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reading {
    pub value: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Result_ {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelRef {
    pub id: String,
    pub version: String,
    pub title: String,
    pub citation: String,
    pub horizon_years: u32,
    pub valid_ranges: serde_json::Map<String, serde_json::Value>,
}

/// A stored assessment as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Assessment {
    pub id: String,
    pub kind: Kind,
    pub subject_id: String,
    pub requested_by: String,
    pub requester_role: String,
    pub created_at: String,
    pub model: ModelRef,
    /// The readings as understood, after unit conversion.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub outputs: Vec<Result_>,
    /// The output that answers the question asked.
    pub headline: Option<String>,
    pub disclaimer: String,
}

/// Whose assessment this is: a person assesses themselves; a doctor may assess a patient they
/// are treating now (booking's care relationship, asked before the request was handled).
pub fn subject(ctx: &Ctx, patient_id: Option<&str>) -> Result<String, Problem> {
    let me = ctx.principal.user()?;
    match patient_id {
        None => Ok(me.sub.clone()),
        Some(p) if p == me.sub => Ok(p.to_string()),
        Some(p) => {
            if me.role != Role::Doctor {
                return Err(
                    Problem::forbidden("only a treating doctor may assess another person")
                        .with_field("patient_id", "is not you"),
                );
            }
            if p.is_empty()
                || p.len() > 64
                || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(Problem::invalid("patient_id", "is not a user id"));
            }
            let treating = ctx
                .care
                .as_ref()
                .is_some_and(|c| c.patient_id == p && c.treating);
            if !treating {
                return Err(Problem::forbidden(
                    "you are not treating this patient: a confirmed or recently completed visit makes you their doctor",
                )
                .with_field("patient_id", "is not a patient of yours"));
            }
            Ok(p.to_string())
        }
    }
}

/// Evaluates and records one assessment.
pub fn assess(
    ctx: &Ctx,
    engine: &dyn RiskEngine,
    kind: Kind,
    model_id: &str,
    headline: Option<&str>,
    inputs: Vec<Input>,
    subject_id: String,
) -> Result<Assessment, Problem> {
    let card = engine
        .card(model_id)
        .ok_or_else(|| Problem::invalid("model", format!("no model {model_id}")))?;
    let outputs = engine
        .evaluate(model_id, &inputs)
        .map_err(|e| problem(model_id, e))?;
    let me = ctx.principal.user()?;
    let mut understood = serde_json::Map::new();
    for i in &inputs {
        let unit = card
            .inputs
            .iter()
            .find(|s| s.name == i.name)
            .and_then(|s| s.unit.clone());
        let value = match &i.value {
            Value::Number(n) => serde_json::json!(n),
            Value::Flag(b) => serde_json::json!(b),
            Value::Choice(c) => serde_json::json!(c),
        };
        understood.insert(
            i.name.clone(),
            serde_json::to_value(Reading { value, unit }).unwrap(),
        );
    }
    let valid_ranges = card
        .inputs
        .iter()
        .filter_map(|s| {
            s.range.map(|r| {
                (
                    s.name.clone(),
                    serde_json::json!({"min": r[0], "max": r[1], "unit": s.unit}),
                )
            })
        })
        .collect();
    let assessment = Assessment {
        id: new_id(ctx.now),
        kind,
        subject_id,
        requested_by: me.sub.clone(),
        requester_role: me.role.as_str().to_string(),
        created_at: ctx.now.to_string(),
        model: ModelRef {
            id: card.id.clone(),
            version: card.version.clone(),
            title: card.title.clone(),
            citation: card.citation.clone(),
            horizon_years: card.horizon_years,
            valid_ranges,
        },
        inputs: understood,
        outputs: outputs
            .into_iter()
            .map(|o| Result_ {
                description: card
                    .outputs
                    .iter()
                    .find(|s| s.name == o.name)
                    .map(|s| s.description.clone())
                    .unwrap_or_default(),
                name: o.name,
                value: o.value,
                unit: o.unit,
            })
            .collect(),
        headline: headline.map(str::to_string),
        disclaimer: DISCLAIMER.to_string(),
    };
    ctx.db.execute(
        "INSERT INTO diagnosis_assessments
           (id, subject_id, requested_by, requester_role, kind, model_id, model_version, inputs, outputs, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            assessment.id.as_str(),
            assessment.subject_id.as_str(),
            assessment.requested_by.as_str(),
            assessment.requester_role.as_str(),
            kind.as_str(),
            assessment.model.id.as_str(),
            assessment.model.version.as_str(),
            serde_json::to_string(&serde_json::json!({"readings": assessment.inputs, "model": assessment.model, "headline": assessment.headline})).unwrap(),
            serde_json::to_string(&assessment.outputs).unwrap(),
            assessment.created_at.as_str()
        ],
    )?;
    Ok(assessment)
}

fn from_row(row: Row<'_>) -> Result<Assessment, Problem> {
    let stored: serde_json::Value =
        serde_json::from_str(&row.get::<String>("inputs")?).map_err(Problem::internal)?;
    let kind: String = row.get("kind")?;
    Ok(Assessment {
        id: row.get("id")?,
        kind: serde_json::from_value(serde_json::json!(kind)).map_err(Problem::internal)?,
        subject_id: row.get("subject_id")?,
        requested_by: row.get("requested_by")?,
        requester_role: row.get("requester_role")?,
        created_at: row.get("created_at")?,
        model: serde_json::from_value(stored["model"].clone()).map_err(Problem::internal)?,
        inputs: stored["readings"].as_object().cloned().unwrap_or_default(),
        outputs: serde_json::from_str(&row.get::<String>("outputs")?).map_err(Problem::internal)?,
        headline: stored["headline"].as_str().map(str::to_string),
        disclaimer: DISCLAIMER.to_string(),
    })
}

const COLUMNS: &str = "id, subject_id, requested_by, requester_role, kind, model_id, model_version, inputs, outputs, created_at";

/// What a read of one assessment by id found, for the caller.
#[derive(Debug)]
pub enum Lookup {
    /// The caller is its subject or asked for it.
    Theirs(Box<Assessment>),
    /// It exists and is someone else's: the caller gets 404 (whether it exists is not theirs to
    /// know), and the access log records the refusal against `subject`.
    Others {
        subject: String,
    },
    Missing,
}

/// One assessment by id, and whether it is the caller's: one statement, and none for an id
/// no assessment can have (every id is one `new_id` made).
pub fn lookup(ctx: &Ctx, id: &str) -> Result<Lookup, Problem> {
    let me = ctx.principal.user()?;
    if !service_kit::could_be_id(id) {
        return Ok(Lookup::Missing);
    }
    let rows = ctx.db.execute(
        &format!(
            "SELECT {COLUMNS}, (subject_id = ?2 OR requested_by = ?2) AS theirs \
             FROM diagnosis_assessments WHERE id = ?1"
        ),
        params![id, me.sub.as_str()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(Lookup::Missing);
    };
    if row.get::<bool>("theirs")? {
        Ok(Lookup::Theirs(Box::new(from_row(row)?)))
    } else {
        Ok(Lookup::Others {
            subject: row.get("subject_id")?,
        })
    }
}

/// The caller's assessments (as subject, or as the one who asked), newest first.
/// The ids of one page of a person's history (?1: the person, ?2: the cursor, ?3: how many):
/// theirs, and those they asked for, each from its own index.
pub const HISTORY_PAGE: &str = "\
    SELECT id FROM (SELECT id FROM diagnosis_assessments INDEXED BY diagnosis_assessments_by_subject \
                    WHERE subject_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3) \
    UNION \
    SELECT id FROM (SELECT id FROM diagnosis_assessments INDEXED BY diagnosis_assessments_by_requester \
                    WHERE requested_by = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3)";

pub fn list(ctx: &Ctx, page: &PageRequest) -> Result<Page<Assessment>, Problem> {
    let me = ctx.principal.user()?;
    // O(page) however long the history: each side walks its own index backwards from the
    // cursor and stops after a page; only those (at most two pages of) rows are merged.
    // `(subject_id = ? OR requested_by = ?) ORDER BY id DESC` would read and sort every
    // matching row first. Ids are UUIDv7 text, all below "~" when there is no cursor.
    let rows = ctx.db.execute(&format!("SELECT {COLUMNS} FROM diagnosis_assessments WHERE id IN ({HISTORY_PAGE}) ORDER BY id DESC LIMIT ?3"),
        &[
            service_kit::db::Value::from(me.sub.as_str()),
            service_kit::db::Value::from(page.after.clone().unwrap_or_else(|| "~".into())),
            service_kit::db::Value::Integer(page.fetch_limit()),
        ],
    )?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_fetched(items, page, |a| a.id.clone()))
}
