//! Self sign-up and the address check that follows it.
//!
//! A sign-up answers the same whether or not its address is taken — the same status, the same
//! shape, the same cost (the password is hashed either way) — so it cannot be used to learn who
//! is a patient of the clinic. A new account is mailed a verification link; the owner of a taken
//! address is mailed a notice instead (at most one an hour, so a sign-up can't be used to flood
//! them), pointing at the password reset.

use crate::accounts::{self, Created};
use crate::api::{NewUser, User};
use crate::links::{self, NewLink, Purpose};
use crate::{outbox, security, throttle, Ctx};
use service_kit::audit::Outcome;
use service_kit::mail::Message;
use service_kit::token::Role;
use service_kit::{new_id, Problem};

/// Notices to one address's owner about attempts on it, an hour.
const NOTICES_PER_HOUR: i64 = 1;

/// Verification links one account may ask for again in an hour.
pub const RESENDS_PER_HOUR: i64 = 5;

/// Registers `new` as a patient; the answer is an account, real or not.
pub fn register(ctx: &Ctx, new: &NewUser) -> Result<User, Problem> {
    match accounts::insert(ctx, new, false)? {
        Created::New(user) => {
            mail_verification(ctx, &user)?;
            Ok(user)
        }
        Created::Taken { owner } => {
            notify_owner(ctx, new, &owner)?;
            // What a new account would have been: an id that names nothing.
            Ok(User {
                id: new_id(ctx.now),
                email: new.email.as_str().to_string(),
                display_name: new.display_name.as_str().to_string(),
                role: Role::Patient,
                disabled: false,
                created_at: ctx.now.to_string(),
                email_verified: false,
            })
        }
    }
}

/// Queues a verification link for `user`.
pub fn mail_verification(ctx: &Ctx, user: &User) -> Result<(), Problem> {
    let link = NewLink::new(ctx, &user.id, Purpose::Verify);
    let message = Message::to_user(
        "account_verification",
        &user.id,
        serde_json::json!({ "link": link.url(ctx), "display_name": user.display_name }),
        format!("auth:verify:{}", link.hash),
    );
    outbox::queue(ctx, &message, Some(&link))
}

/// Tells the owner of a taken address that someone tried it, unless they were told this hour.
fn notify_owner(ctx: &Ctx, new: &NewUser, owner: &str) -> Result<(), Problem> {
    let key = throttle::Limit {
        max_attempts: NOTICES_PER_HOUR,
        window_secs: 3600,
    };
    let told = format!("notice:{}", new.email.as_str());
    if throttle::reserve(ctx, &[(told, key)]).is_err() {
        return Ok(());
    }
    let message = Message::to_user(
        "registration_attempt",
        owner,
        serde_json::json!({ "link": format!("{}/#/reset-password", ctx.settings.links_base()) }),
        format!("auth:attempt:{}", new_id(ctx.now)),
    );
    outbox::queue(ctx, &message, None)
}

/// Spends a verification link: the account is verified from now on.
pub fn verify(ctx: &Ctx, token: &str) -> Result<(), Problem> {
    let id = links::spend(ctx, Purpose::Verify, token)?.ok_or_else(|| links::dead("token"))?;
    security::event(ctx, "email-verified", None, Some(&id), Outcome::Allowed)
}

/// A new verification link for a signed-in account that has not verified yet.
pub fn resend(ctx: &Ctx, user: &User) -> Result<(), Problem> {
    if user.email_verified {
        return Err(Problem::conflict(
            "already-verified",
            "this account's address is already confirmed",
        ));
    }
    let limit = throttle::Limit {
        max_attempts: RESENDS_PER_HOUR,
        window_secs: 3600,
    };
    throttle::reserve(ctx, &[(format!("resend:{}", user.id), limit)])?;
    mail_verification(ctx, user)
}
