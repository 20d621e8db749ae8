//! Password reset by a mailed, single-use, one-hour link.
//!
//! Asking answers 202 whatever the address, so it tells nobody which addresses have accounts;
//! only an address with an enabled account is mailed. Setting the new password spends the link
//! (and every other reset link of the account), signs the account out everywhere and voids its
//! access tokens.

use crate::api::Email;
use crate::links::{self, NewLink, Purpose};
use crate::password::Password;
use crate::{accounts, outbox, security, sessions, throttle, Ctx};
use service_kit::audit::Outcome;
use service_kit::mail::Message;
use service_kit::{FieldError, Problem};

/// Reset mails to one address an hour, and requests from one client address.
const PER_ADDRESS_HOUR: i64 = 3;
const PER_CLIENT_HOUR: i64 = 30;

/// Queues a reset link for the account of `email`, if there is an enabled one.
pub fn request(ctx: &Ctx, email: &str, client_ip: Option<&str>) -> Result<(), Problem> {
    let email = Email::parse(email).map_err(|m| Problem::invalid("email", m))?;
    let hour = |max_attempts| throttle::Limit {
        max_attempts,
        window_secs: 3600,
    };
    let mut keys = vec![(format!("reset:{}", email.as_str()), hour(PER_ADDRESS_HOUR))];
    if let Some(ip) = client_ip {
        keys.push((format!("reset-client:{ip}"), hour(PER_CLIENT_HOUR)));
    }
    throttle::reserve(ctx, &keys)?;
    let Some((user, _)) = accounts::find_credentials(ctx, email.as_str())? else {
        return Ok(());
    };
    if user.disabled {
        return Ok(());
    }
    let link = NewLink::new(ctx, &user.id, Purpose::Reset);
    let message = Message::to_user(
        "password_reset",
        &user.id,
        serde_json::json!({ "link": link.url(ctx), "display_name": user.display_name }),
        format!("auth:reset:{}", link.hash),
    );
    outbox::queue(ctx, &message, Some(&link))?;
    security::event(
        ctx,
        "password-reset-requested",
        None,
        Some(&user.id),
        Outcome::Allowed,
    )
}

/// Sets `password` for the account the live link `token` belongs to.
pub fn confirm(ctx: &Ctx, token: &str, password: &str) -> Result<(), Problem> {
    let id = links::holder(ctx, Purpose::Reset, token)?.ok_or_else(|| links::dead("token"))?;
    let user = accounts::get(ctx, &id)?.ok_or_else(|| links::dead("token"))?;
    // Checked against the account's own words, as at sign-up, before anything is spent.
    let password = Password::new(password, &[&user.email, &user.display_name])
        .map_err(|m| Problem::validation(vec![FieldError::new("password", m)]))?;
    let hash = password.hash();
    // Of two confirmations of one link, one spends it; the other is refused here.
    links::spend(ctx, Purpose::Reset, token)?.ok_or_else(|| links::dead("token"))?;
    accounts::set_password(ctx, &id, &hash)?;
    sessions::revoke_all(ctx, &id, "password-reset")?;
    security::event(
        ctx,
        "password-reset",
        Some((&id, user.role)),
        Some(&id),
        Outcome::Allowed,
    )
}
