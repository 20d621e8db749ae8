//! The wire format: request bodies as sent, parsed once into domain types that cannot hold
//! invalid values (a bad field becomes a 4xx naming it here), and the response shapes.

use crate::password::Password;
use serde::{Deserialize, Serialize};
use service_kit::token::Role;
use service_kit::{FieldError, Problem};

/// An email address: trimmed, lower-cased, at most 254 characters (RFC 5321's path limit), and
/// syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err("is required".into());
        }
        if normalised.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if !email_address::EmailAddress::is_valid(&normalised) || !normalised.contains('.') {
            return Err("is not a valid email address".into());
        }
        Ok(Email(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name shown to other people: one line of 1–100 characters under the app's one text rule
/// (`service_kit::text`: NFC, no control, format or private-use characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    const RULE: service_kit::text::TextRule = service_kit::text::TextRule::line(1, 100);

    pub fn parse(raw: &str) -> Result<DisplayName, String> {
        Self::RULE.clean(raw).map(DisplayName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Collects field errors so one answer names every bad field.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.0.push(FieldError::new(field, m))).ok()
    }

    fn finish(self) -> Result<(), Problem> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(self.0))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// `POST /api/auth/verify-email`: the token of a mailed verification link.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    pub token: String,
}

/// `POST /api/auth/password-reset`: whose password to reset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`: the mailed link's token and the new password.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

/// A validated new account.
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
    pub role: Role,
}

impl NewUser {
    pub fn parse(email: &str, name: &str, password: &str, role: Role) -> Result<NewUser, Problem> {
        let mut errors = Errors::default();
        let email = errors.take("email", Email::parse(email));
        let display_name = errors.take("display_name", DisplayName::parse(name));
        let password = errors.take(
            "password",
            Password::new(password, &[email_str(&email), name]),
        );
        errors.finish()?;
        Ok(NewUser {
            email: email.expect("checked"),
            display_name: display_name.expect("checked"),
            password: password.expect("checked"),
            role,
        })
    }
}

fn email_str(e: &Option<Email>) -> &str {
    e.as_ref().map(Email::as_str).unwrap_or("")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// Put the refresh token in an `HttpOnly` cookie instead of the body (the portal does).
    #[serde(default)]
    pub refresh_cookie: bool,
}

impl LoginBody {
    /// Sign-in checks only the shape: a malformed email simply matches no account. Lengths are
    /// bounded so hostile input costs nothing.
    pub fn validate(&self) -> Result<(), Problem> {
        let mut errors = Errors::default();
        errors.take("email", bounded(&self.email, 254));
        errors.take(
            "password",
            bounded(&self.password, crate::password::MAX_CHARS * 4),
        );
        errors.finish()
    }
}

fn bounded(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() {
        Err("is required".into())
    } else if s.len() > max {
        Err(format!("must be at most {max} bytes"))
    } else {
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// Absent when the browser's cookie carries it ([`crate::cookie`]).
    pub refresh_token: Option<String>,
}

/// Where a refresh token came from, and so where its successor goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Body,
    Cookie,
}

impl RefreshBody {
    /// The token presented, from the body or else the cookie; bounded either way.
    pub fn presented<'a>(&'a self, cookie: Option<&'a str>) -> Result<(&'a str, Carrier), Problem> {
        let (token, carrier) = match (&self.refresh_token, cookie) {
            (Some(t), _) => (t.as_str(), Carrier::Body),
            (None, Some(c)) => (c, Carrier::Cookie),
            (None, None) => {
                return Err(Problem::invalid(
                    "refresh_token",
                    "is required: in the body, or in the healthe_refresh cookie",
                ))
            }
        };
        let mut errors = Errors::default();
        errors.take("refresh_token", bounded(token, 128));
        errors.finish()?;
        Ok((token, carrier))
    }
}

/// `PATCH /api/auth/users/{id}`: every field optional, at least one present.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    pub display_name: Option<String>,
}

pub struct UserUpdate {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
    pub display_name: Option<DisplayName>,
}

impl UpdateUserBody {
    pub fn parse(self) -> Result<UserUpdate, Problem> {
        let mut errors = Errors::default();
        let display_name = match &self.display_name {
            Some(n) => errors.take("display_name", DisplayName::parse(n)),
            None => None,
        };
        if self.disabled.is_none() && self.role.is_none() && self.display_name.is_none() {
            errors.0.push(FieldError::new(
                "body",
                "name at least one of disabled, role, display_name",
            ));
        }
        errors.finish()?;
        Ok(UserUpdate {
            disabled: self.disabled,
            role: self.role,
            display_name,
        })
    }
}

/// A user as the API shows it. Never the password hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    /// Whether the account has confirmed its address (a sign-up, by the mailed link).
    pub email_verified: bool,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Absent when it went into the cookie instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub refresh_expires_in: i64,
    pub user: User,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_bounded() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM ").unwrap().as_str(),
            "jane.doe@example.com"
        );
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(10_000))).is_err());
        assert!(Email::parse("").is_err());
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn new_user_names_every_bad_field() {
        let p = NewUser::parse("nope", "", "short", Role::Patient)
            .err()
            .unwrap();
        let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "display_name", "password"]);
        assert_eq!(p.status, 422);
    }
}
