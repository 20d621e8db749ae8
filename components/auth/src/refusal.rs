//! What auth's rules refuse, as typed values: the rules say which, the `From` below says how it
//! reads as a problem (docs/problems.md). Sign-in failures read the same whatever the cause, so
//! an answer never tells whether an email has an account.

use service_kit::Problem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("this account is disabled; contact the clinic")]
    Disabled,
    #[error("the refresh token is invalid, expired or revoked; sign in again")]
    InvalidRefresh,
    #[error("this refresh token was already used; every session from that sign-in is now revoked")]
    RefreshReused,
    #[error("too many attempts; try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("admins cannot disable or demote their own account")]
    SelfLockout,
    #[error("the signing key is set by the token_signing_key variable: rotate it there")]
    KeyConfigured,
    #[error("no such user")]
    NoSuchUser,
}

impl From<Refusal> for Problem {
    fn from(r: Refusal) -> Problem {
        let detail = r.to_string();
        match r {
            Refusal::BadCredentials | Refusal::InvalidRefresh | Refusal::RefreshReused => {
                Problem::unauthorized(detail)
            }
            Refusal::Disabled => Problem::forbidden(detail),
            Refusal::Throttled { retry_after } => Problem::too_many_requests(retry_after),
            Refusal::EmailTaken => Problem::conflict("email-taken", detail)
                .with_field("email", "is already registered"),
            Refusal::SelfLockout => Problem::conflict("self-lockout", detail),
            Refusal::KeyConfigured => Problem::conflict("key-configured", detail),
            Refusal::NoSuchUser => Problem::not_found(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_is_a_documented_problem_type() {
        let doc = include_str!("../../../docs/problems.md");
        for r in [
            Refusal::EmailTaken,
            Refusal::SelfLockout,
            Refusal::KeyConfigured,
        ] {
            let p = Problem::from(r);
            assert!(
                doc.contains(&format!("| `{}` | 409 |", p.kind)),
                "{}",
                p.kind
            );
        }
        assert_eq!(
            Problem::from(Refusal::Throttled { retry_after: 3 }).retry_after,
            Some(3)
        );
    }
}
