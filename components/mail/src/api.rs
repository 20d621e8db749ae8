//! Wire types: what producers hand in and what readers send, parsed once into checked values;
//! a bad field is named (`messages[2].to_address`).

use crate::notifications::Mark;
use crate::outbox::{NewMessage, Recipient};
use crate::templates::{self, Branding, Template};
use serde::Deserialize;
use service_kit::Problem;

/// Messages one intake request may carry.
pub const MAX_BATCH: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeBody {
    pub messages: Vec<IntakeMessage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeMessage {
    pub template: String,
    #[serde(default)]
    pub to_user: Option<String>,
    #[serde(default)]
    pub to_address: Option<String>,
    pub data: serde_json::Value,
    pub idempotency_key: String,
}

/// 1 to `max` visible ASCII characters.
fn is_token(v: &str, max: usize) -> bool {
    !v.is_empty() && v.len() <= max && v.bytes().all(|b| b.is_ascii_graphic())
}

/// An address mail can put in an envelope and a header.
pub fn address(field: &str, v: &str) -> Result<String, Problem> {
    let parsed: email_address::EmailAddress = v
        .parse()
        .map_err(|_| Problem::invalid(field, "is not an email address"))?;
    if v.len() > 254 || !v.is_ascii() {
        return Err(Problem::invalid(field, "is not an email address"));
    }
    Ok(parsed.as_str().to_string())
}

impl IntakeBody {
    /// Every message checked and rendered, or the first bad field.
    pub fn messages(self, branding: &Branding) -> Result<Vec<NewMessage>, Problem> {
        if self.messages.is_empty() || self.messages.len() > MAX_BATCH {
            return Err(Problem::invalid(
                "messages",
                format!("must hold 1 to {MAX_BATCH} messages"),
            ));
        }
        self.messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let at = |f: &str| format!("messages[{i}].{f}");
                let template: Template = m
                    .template
                    .parse()
                    .map_err(|_| Problem::invalid(at("template"), "is not a template mail has"))?;
                let to = match (m.to_user, m.to_address) {
                    (Some(u), None) if is_token(&u, 64) => Recipient::User(u),
                    (Some(_), None) => {
                        return Err(Problem::invalid(at("to_user"), "is not a user id"))
                    }
                    (None, Some(a)) => Recipient::Address(address(&at("to_address"), &a)?),
                    _ => {
                        return Err(Problem::invalid(
                            at("to_user"),
                            "give exactly one of to_user and to_address",
                        ))
                    }
                };
                if !is_token(&m.idempotency_key, 200) {
                    return Err(Problem::invalid(
                        at("idempotency_key"),
                        "must be 1 to 200 visible ASCII characters",
                    ));
                }
                let filled = templates::fill(template, m.data).map_err(|p| {
                    // The template's own field names, placed under this message.
                    p.prefixed(&format!("messages[{i}]."))
                })?;
                Ok(NewMessage {
                    idempotency_key: m.idempotency_key,
                    template,
                    to,
                    rendered: filled.render(branding),
                    unsubscribe: None,
                })
            })
            .collect()
    }
}

/// Which notifications to mark read: `{"ids": [...]}` or `{"up_to": seq}`, exactly one of them.
/// A field sent as `null` counts as sent (and is refused), not as absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkBody {
    #[serde(default, deserialize_with = "present")]
    pub ids: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    pub up_to: Option<serde_json::Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

impl MarkBody {
    pub fn mark(self) -> Result<Mark, Problem> {
        match (self.ids, self.up_to) {
            (Some(ids), None) => {
                let ids: Vec<String> = serde_json::from_value(ids)
                    .map_err(|_| Problem::invalid("ids", "must be a list of notification ids"))?;
                if ids.is_empty() || ids.len() > 100 {
                    return Err(Problem::invalid("ids", "must hold 1 to 100 ids"));
                }
                if let Some(i) = ids.iter().position(|id| !is_token(id, 64)) {
                    return Err(Problem::invalid(
                        format!("ids[{i}]"),
                        "is not a notification id",
                    ));
                }
                Ok(Mark::These(ids))
            }
            (None, Some(n)) => n
                .as_i64()
                .filter(|n| *n >= 0)
                .map(Mark::UpTo)
                .ok_or_else(|| Problem::invalid("up_to", "must be a sequence number")),
            _ => Err(Problem::invalid("ids", "give exactly one of ids and up_to")),
        }
    }
}

/// `PUT /api/mail/preferences`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    pub reminder_emails: bool,
}
