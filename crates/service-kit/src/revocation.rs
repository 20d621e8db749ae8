//! What auth tells every verifier besides its keys: accounts whose tokens must stop working
//! before they expire. An access token lives 15 minutes; when an admin disables an account or
//! changes its role, every token it already holds dies at once everywhere — not in 15 minutes —
//! and a disabled doctor's profile and calendar feeds stop being served.
//!
//! auth lists each account that is disabled, or whose role or status changed within a token's
//! lifetime, with the instant before which its tokens are void. A token's issue instant is read
//! to the millisecond from its `jti` (a UUIDv7, which auth mints at signing), so a sign-in that
//! follows a change — even in the same second — is not caught by it.

use crate::problem::Problem;
use crate::token::Claims;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokedAccount {
    pub id: String,
    /// Tokens issued before this instant (Unix milliseconds) are void.
    pub not_before_ms: i64,
    pub disabled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Revocations {
    pub accounts: Vec<RevokedAccount>,
}

/// When a token was issued, in Unix milliseconds: the UUIDv7 timestamp of its `jti`, else `iat`.
pub fn issued_ms(claims: &Claims) -> i64 {
    uuid::Uuid::parse_str(&claims.jti)
        .ok()
        .filter(|u| u.get_version_num() == 7)
        .and_then(|u| u.get_timestamp())
        .map(|ts| {
            let (secs, nanos) = ts.to_unix();
            secs as i64 * 1000 + i64::from(nanos / 1_000_000)
        })
        .unwrap_or(claims.iat.saturating_mul(1000))
}

impl Revocations {
    fn find(&self, id: &str) -> Option<&RevokedAccount> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// 401 if the token's account is disabled or changed after the token was issued.
    pub fn check(&self, claims: &Claims) -> Result<(), Problem> {
        match self.find(&claims.sub) {
            Some(a) if a.disabled => Err(Problem::unauthorized("this account is disabled")),
            Some(a) if issued_ms(claims) < a.not_before_ms => Err(Problem::unauthorized(
                "this account changed after the token was issued; sign in again",
            )),
            _ => Ok(()),
        }
    }

    pub fn is_disabled(&self, id: &str) -> bool {
        self.find(id).is_some_and(|a| a.disabled)
    }

    /// The disabled accounts' ids as a JSON array, for `NOT IN (SELECT value FROM json_each(?))`.
    pub fn disabled_json(&self) -> String {
        let ids: Vec<&str> = self
            .accounts
            .iter()
            .filter(|a| a.disabled)
            .map(|a| a.id.as_str())
            .collect();
        serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Audience, Role};

    fn claims(sub: &str, at: jiff::Timestamp) -> Claims {
        Claims {
            iss: "i".into(),
            aud: Audience::One("a".into()),
            sub: sub.into(),
            role: Role::Doctor,
            iat: at.as_second(),
            nbf: at.as_second(),
            exp: at.as_second() + 900,
            jti: crate::new_id(at),
            email_verified: true,
        }
    }

    #[test]
    fn tokens_issued_before_a_change_are_void_and_later_ones_are_not() {
        let change: jiff::Timestamp = "2026-12-01T10:00:00.500Z".parse().unwrap();
        let r = Revocations {
            accounts: vec![RevokedAccount {
                id: "d".into(),
                not_before_ms: change.as_millisecond(),
                disabled: false,
            }],
        };
        // Same second, 100 ms before and after.
        let before = change - jiff::SignedDuration::from_millis(100);
        let after = change + jiff::SignedDuration::from_millis(100);
        assert!(r.check(&claims("d", before)).is_err());
        assert!(r.check(&claims("d", after)).is_ok());
        assert!(r.check(&claims("someone-else", before)).is_ok());
        assert_eq!(issued_ms(&claims("d", after)), after.as_millisecond());
    }

    #[test]
    fn a_disabled_account_has_no_valid_token() {
        let r = Revocations {
            accounts: vec![RevokedAccount {
                id: "p".into(),
                not_before_ms: 0,
                disabled: true,
            }],
        };
        let now = jiff::Timestamp::now();
        assert!(r.check(&claims("p", now)).is_err());
        assert!(r.is_disabled("p"));
        assert_eq!(r.disabled_json(), r#"["p"]"#);
    }
}
