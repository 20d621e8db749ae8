//! Who may reach a patient's record, and on what grounds (DESIGN §7):
//!
//! - the patient: everything of theirs, reading and writing;
//! - a doctor treating them (booking's care relationship): reading and writing;
//! - a doctor the patient granted access to: reading what the grant covers, until it ends;
//! - staff and admins: reading, only with a stated reason ("break the glass"), which is kept
//!   and shown to the patient;
//! - pharmacists, other patients, anyone else: nothing.
//!
//! A refusal is written to the access log here; an allowed access is written by the handler
//! once it has done what it was let in for ([`Pass::record`]), so a request refused for bad
//! input leaves no "allowed" row behind.

use crate::grants;
use crate::Ctx;
use service_kit::audit::Outcome;
use service_kit::db::Value;
use service_kit::text::TextRule;
use service_kit::token::Role;
use service_kit::{params, Problem};

/// What is being reached: the whole chart, or one file or report (a grant may cover just that).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope<'a> {
    Chart,
    File(&'a str),
    Report(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Intent {
    Read,
    Write,
}

/// The grounds the caller was let in on.
#[derive(Debug, Clone, PartialEq)]
pub enum Basis {
    Owner,
    Treating,
    /// Within a grant of the patient's, ending then.
    Granted {
        until: String,
    },
    /// Staff or an admin, with the reason they gave.
    BreakGlass,
}

/// An allowed access, to be recorded once it is done.
#[must_use]
pub struct Pass {
    pub basis: Basis,
    patient: String,
}

impl Pass {
    /// Writes the access-log row for what was done.
    pub fn record(&self, ctx: &Ctx, action: &str, resource: &str) -> Result<(), Problem> {
        ctx.audit.record(
            ctx.db,
            action,
            resource,
            Some(&self.patient),
            Outcome::Allowed,
        )
    }
}

/// The rule for a stated reason: a sentence someone can later be asked about.
pub const REASON: TextRule = TextRule::line(5, 500);

/// Decides whether the caller may `intent` `scope` of `patient`'s record. A refusal is logged
/// as `action` on `resource` and returned; staff's reason is kept before they are let in.
pub fn authorize(
    ctx: &Ctx,
    patient: &str,
    intent: Intent,
    scope: Scope,
    action: &str,
    resource: &str,
) -> Result<Pass, Problem> {
    match decide(ctx, patient, intent, scope) {
        Ok(basis) => {
            if basis == Basis::BreakGlass {
                keep_reason(ctx, patient)?;
            }
            Ok(Pass {
                basis,
                patient: patient.to_string(),
            })
        }
        Err(refusal) => {
            if refusal.status == 403 {
                ctx.audit
                    .record(ctx.db, action, resource, Some(patient), Outcome::Denied)?;
            }
            Err(refusal)
        }
    }
}

fn decide(ctx: &Ctx, patient: &str, intent: Intent, scope: Scope) -> Result<Basis, Problem> {
    let me = ctx.principal.user()?;
    match me.role {
        Role::Patient if me.sub == patient => Ok(Basis::Owner),
        Role::Doctor if ctx.treats(patient) => Ok(Basis::Treating),
        Role::Doctor => {
            let grant = grants::covering(ctx.db, ctx.now, &me.sub, patient, scope)?;
            match (grant, intent) {
                (Some(until), Intent::Read) => Ok(Basis::Granted { until }),
                (Some(_), Intent::Write) => Err(Problem::forbidden(
                    "a grant lets you read what was shared; writing needs a care relationship",
                )),
                (None, _) => Err(Problem::forbidden(
                    "you are not treating this patient, and they have not shared this with you",
                )),
            }
        }
        Role::Staff | Role::Admin => match (intent, &ctx.reason) {
            (Intent::Read, Some(_)) => Ok(Basis::BreakGlass),
            (Intent::Read, None) => Err(Problem::forbidden(
                "staff reach a patient's record only with a stated reason (break the glass): \
                 send it as the `reason` query parameter or the `X-Access-Reason` header; the \
                 patient will see it",
            )
            .with_field("reason", "is required")),
            (Intent::Write, _) => Err(Problem::forbidden(
                "the chart is written by the patient and the doctors treating them",
            )),
        },
        Role::Patient => Err(Problem::forbidden("this is another patient's record")),
        Role::Pharmacist => Err(Problem::forbidden(
            "pharmacists see prescriptions, not records",
        )),
    }
}

/// Keeps staff's reason beside this request's access-log rows (once per patient and request).
fn keep_reason(ctx: &Ctx, patient: &str) -> Result<(), Problem> {
    let (Some(reason), Some((actor, role))) = (&ctx.reason, &ctx.audit.actor) else {
        return Ok(());
    };
    ctx.db.execute(
        "INSERT OR IGNORE INTO records_break_glass
           (request_id, patient_id, actor_id, actor_role, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ctx.audit.request_id.as_str(),
            patient,
            actor.as_str(),
            role.as_str(),
            reason.as_str(),
            ctx.now.to_string()
        ],
    )?;
    Ok(())
}

/// One time someone broke the glass on a patient's record.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct Reasoned {
    pub at: String,
    pub actor_id: String,
    pub actor_role: String,
    pub reason: String,
    pub request_id: String,
}

/// The reasons staff gave for reaching `patient`'s record, newest first, before `before`.
pub fn reasons(
    ctx: &Ctx,
    patient: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Reasoned>, Problem> {
    let rows = ctx.db.execute(
        "SELECT at, actor_id, actor_role, reason, request_id FROM records_break_glass
         WHERE patient_id = ?1 AND at < ?2 ORDER BY at DESC LIMIT ?3",
        &[
            Value::from(patient),
            Value::from(before.unwrap_or("9999")),
            Value::Integer(limit),
        ],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Reasoned {
                at: r.get("at")?,
                actor_id: r.get("actor_id")?,
                actor_role: r.get("actor_role")?,
                reason: r.get("reason")?,
                request_id: r.get("request_id")?,
            })
        })
        .collect()
}
