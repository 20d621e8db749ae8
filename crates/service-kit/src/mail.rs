//! Handing messages to mail, for every service that tells people something (DESIGN §6).
//!
//! A producer keeps its own outbox rows, written with the change they describe, and relays them
//! after answering its request ([`crate::spin::SpinService::after`]): a message is never lost
//! while mail is down (the rows wait for the next relay), and never sent twice (mail stores a
//! message once per `idempotency_key`). This module is the message's shape; the call itself is
//! [`crate::spin::send_to_mail`].

use serde::{Deserialize, Serialize};

/// Intake's path on mail.
pub const INTAKE: &str = "/api/mail/outbox";

/// One message as mail's intake takes it: a template, one recipient (an account, or a bare
/// address for mail to someone without one), the template's data, and the producer's key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub template: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_address: Option<String>,
    pub data: serde_json::Value,
    pub idempotency_key: String,
}

impl Message {
    /// A message to an account.
    pub fn to_user(
        template: &str,
        user: &str,
        data: serde_json::Value,
        idempotency_key: String,
    ) -> Self {
        Message {
            template: template.to_string(),
            to_user: Some(user.to_string()),
            to_address: None,
            data,
            idempotency_key,
        }
    }
}
