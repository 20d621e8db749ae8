//! Who is calling: anonymous, or a user proven by a verified access token.
//! A missing token on a protected route is 401; a valid token without the role is 403.

use crate::http::{header_str, Request};
use crate::problem::Problem;
use crate::token::{self, Claims, Expectations, KeySet, Role};

#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Anonymous,
    User(Claims),
}

impl Principal {
    /// A signed-in caller as a verified token would make them (issuer and audience the
    /// defaults, never expiring), for native tests of the rules, which run after
    /// verification.
    #[cfg(any(test, feature = "native"))]
    pub fn signed_in(sub: &str, role: Role) -> Principal {
        Principal::User(Claims {
            iss: token::DEFAULT_ISSUER.into(),
            aud: token::Audience::One(token::DEFAULT_AUDIENCE.into()),
            sub: sub.into(),
            role,
            iat: 0,
            nbf: 0,
            exp: i64::MAX,
            jti: "test".into(),
            email_verified: true,
        })
    }
}

/// The bearer token of a request, if it sent one. `Err` when the header is there but unusable.
pub fn bearer_token(req: &Request) -> Result<Option<&str>, Problem> {
    let Some(value) = req.headers().get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Problem::unauthorized(
            "the Authorization header must be `Bearer <access token>`",
        ));
    }
    Ok(Some(token.trim()))
}

impl Principal {
    /// Authenticates a request. A token that is present but fails verification is a 401, never
    /// a silent downgrade to anonymous.
    pub fn from_request(
        req: &Request,
        keys: &KeySet,
        expect: &Expectations,
        now: i64,
    ) -> Result<Principal, Problem> {
        match bearer_token(req)? {
            None => Ok(Principal::Anonymous),
            Some(t) => token::verify(t, keys, expect, now)
                .map(Principal::User)
                .map_err(|e| Problem::unauthorized(e.to_string())),
        }
    }

    /// Whether the request carries a token at all (used to decide if fetching keys is worth it).
    pub fn has_token(req: &Request) -> bool {
        header_str(req, "authorization").is_some()
    }

    pub fn user(&self) -> Result<&Claims, Problem> {
        match self {
            Principal::User(c) => Ok(c),
            Principal::Anonymous => Err(Problem::unauthorized("sign in first")),
        }
    }

    /// The caller, with a confirmed email address where the clinic requires one (`required`,
    /// from `vars::verified_email_required`) before `doing` ("booking", "posting"): a 403
    /// `email-unverified` that says how to confirm it.
    pub fn require_verified(&self, required: bool, doing: &str) -> Result<&Claims, Problem> {
        let claims = self.user()?;
        if required && !claims.email_verified {
            return Err(Problem::new(
                http::StatusCode::FORBIDDEN,
                "email-unverified",
                "Forbidden",
                format!(
                    "confirm your email address before {doing}: follow the link we mailed you, \
                     or ask for a new one (POST /api/auth/verify-email/resend), then refresh \
                     your session"
                ),
            ));
        }
        Ok(claims)
    }

    pub fn require_role(&self, allowed: &[Role]) -> Result<&Claims, Problem> {
        let claims = self.user()?;
        if allowed.contains(&claims.role) {
            Ok(claims)
        } else {
            Err(Problem::forbidden(format!(
                "this needs one of the roles: {}",
                allowed
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    }
}
