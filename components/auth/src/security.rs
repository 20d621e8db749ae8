//! Security events (OWASP ASVS 5.0 V16): sign-ins that succeed, fail or are throttled, refresh
//! tokens replayed, accounts created, roles and status changed, signing keys made and rotated —
//! rows of the same append-only, hash-chained log every service writes (`service_kit::audit`),
//! under the service name `auth`. Admins read them at `GET /api/auth/audit`.

use crate::Ctx;
use service_kit::audit::{Outcome, Recorder};
use service_kit::token::Role;
use service_kit::Problem;

/// Records one event: who did it (if known), which account it concerns, and whether it was
/// allowed. Never a password, a token or an email.
pub fn event(
    ctx: &Ctx,
    action: &str,
    actor: Option<(&str, Role)>,
    subject: Option<&str>,
    outcome: Outcome,
) -> Result<(), Problem> {
    let actor = actor.map(|(id, role)| (id.to_string(), role.as_str().to_string()));
    Recorder::new("auth", ctx.now, actor).record(ctx.db, action, "account", subject, outcome)
}
