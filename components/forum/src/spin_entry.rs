//! forum on Spin: who is calling (nobody need be, to read a public category), the clinic's
//! limits, and the news relayed to mail after the answer.

use crate::{trust::Policy, Ctx, Forum, MIGRATIONS};
use service_kit::http::Request;
use service_kit::migrate;
use service_kit::spin::{send_to_mail, Kit};
use service_kit::Problem;

impl service_kit::spin::SpinService for Forum {
    async fn context<'a>(
        req: &Request,
        route: &'static str,
        kit: &'a Kit,
    ) -> Result<Ctx<'a>, Problem> {
        let principal = kit.caller(req, crate::public(req.method(), route)).await?;
        let writes = req.method() != http::Method::GET;
        Ok(Ctx {
            db: kit.db()?,
            principal,
            now: kit.now,
            // The variables are read only where a rule needs them: writes, and the member's own
            // standing (their level and limits).
            policy: if writes || route.starts_with("/api/forum/me") {
                Policy::from_vars(kit.vars())
            } else {
                Policy::default()
            },
            verified_email_required: writes
                && service_kit::vars::verified_email_required(kit.vars()),
        })
    }

    /// After a reply or an accepted answer — the changes that queue news — tells the people
    /// following (and whatever a failed relay left). Likes, flags and edits queue none, so
    /// they spend no statement on it.
    async fn after(req: &Request, route: &'static str, status: http::StatusCode, kit: &Kit) {
        if req.method() == http::Method::GET || !status.is_success() || !crate::queues_news(route) {
            return;
        }
        if let Err(p) = relay_to_mail(kit).await {
            eprintln!("forum: relaying to mail: {}", p.detail);
        }
    }
}

async fn relay_to_mail(kit: &Kit) -> Result<(), Problem> {
    let db = kit.db()?;
    migrate::apply(db, "forum", MIGRATIONS)?;
    let messages = crate::outbox::claim(db, kit.now, 20)?;
    if messages.is_empty() {
        return Ok(());
    }
    send_to_mail(&messages).await?;
    let keys: Vec<String> = messages.into_iter().map(|m| m.idempotency_key).collect();
    crate::outbox::sent(db, &keys)
}
