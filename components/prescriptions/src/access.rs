//! Who may reach a prescription, and on what grounds (DESIGN §7):
//!
//! - the patient: reading theirs, and asking for refills;
//! - a doctor treating them (booking's care relationship): reading, prescribing, deciding;
//! - the doctor who wrote a prescription: reading it, holding or cancelling it, deciding its
//!   refills, even once the visits are over;
//! - a pharmacist: one prescription at a time, by the code the patient shows (`lookup`),
//!   nothing listable;
//! - staff, admins, other patients, other doctors: nothing.
//!
//! A refusal is written to the access log here; an allowed access is written by the handler
//! once it has done what it was let in for ([`Pass::record`]).

use crate::Ctx;
use service_kit::audit::Outcome;
use service_kit::token::Role;
use service_kit::Problem;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Intent {
    /// Seeing a prescription or a list of them.
    Read,
    /// Writing, issuing, holding, cancelling, deciding a refill.
    Prescribe,
    /// The patient's own asking (a refill).
    Ask,
}

/// The grounds the caller was let in on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Basis {
    Owner,
    Treating,
    Prescriber,
}

/// An allowed access, to be recorded once it is done.
#[must_use]
pub struct Pass {
    pub basis: Basis,
    patient: String,
}

impl Pass {
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

/// Decides whether the caller may `intent` `patient`'s prescriptions — one written by
/// `prescriber`, when the request is about one. A refusal is logged as `action` on
/// `resource` and returned.
pub fn authorize(
    ctx: &Ctx,
    patient: &str,
    prescriber: Option<&str>,
    intent: Intent,
    action: &str,
    resource: &str,
) -> Result<Pass, Problem> {
    match decide(ctx, patient, prescriber, intent) {
        Ok(basis) => Ok(Pass {
            basis,
            patient: patient.to_string(),
        }),
        Err(refusal) => {
            if refusal.status == 403 {
                ctx.audit
                    .record(ctx.db, action, resource, Some(patient), Outcome::Denied)?;
            }
            Err(refusal)
        }
    }
}

fn decide(
    ctx: &Ctx,
    patient: &str,
    prescriber: Option<&str>,
    intent: Intent,
) -> Result<Basis, Problem> {
    let me = ctx.principal.user()?;
    match (me.role, intent) {
        (Role::Patient, Intent::Read | Intent::Ask) if me.sub == patient => Ok(Basis::Owner),
        (Role::Patient, Intent::Prescribe) if me.sub == patient => {
            Err(Problem::forbidden("prescriptions are written by doctors"))
        }
        (Role::Patient, _) => Err(Problem::forbidden("this is another patient's prescription")),
        (Role::Doctor, Intent::Ask) => {
            Err(Problem::forbidden("refills are asked for by the patient"))
        }
        (Role::Doctor, _) if ctx.treats(patient) => Ok(Basis::Treating),
        (Role::Doctor, _) if prescriber == Some(me.sub.as_str()) => Ok(Basis::Prescriber),
        (Role::Doctor, _) => Err(Problem::forbidden(
            "you are not treating this patient (booking knows no visit of theirs with you)",
        )),
        (Role::Pharmacist, _) => Err(Problem::forbidden(
            "a pharmacist reaches a prescription by the code the patient shows: \
             GET /api/prescriptions/by-code/{code}",
        )),
        (Role::Staff | Role::Admin, _) => Err(Problem::forbidden(
            "prescriptions are between the patient, their doctors and the pharmacy",
        )),
    }
}
