//! Password policy and hashing.
//!
//! Policy (NIST SP 800-63B §5.1.1.2): at least 12 characters, at most 128, not on a list of
//! ~100,000 passwords common in breaches (the `passwords` crate's list, compared case-insensitively),
//! not one character or a handful repeated, and not built from the user's own email or name.
//! No composition rules.
//!
//! Hashing: argon2id with OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use service_kit::random_bytes;

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

/// A password that passed the policy. Can only be made by [`Password::new`].
pub struct Password(String);

/// Never prints the password itself, so it cannot end up in a log.
impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Checks the policy; `context` holds the user's own data (email, name), which must not make
    /// the password guessable.
    pub fn new(raw: &str, context: &[&str]) -> Result<Password, String> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(format!("must be at least {MIN_CHARS} characters"));
        }
        if chars > MAX_CHARS {
            return Err(format!("must be at most {MAX_CHARS} characters"));
        }
        let lower = raw.to_lowercase();
        let too_common = passwords::analyzer::is_common_password(raw)
            || passwords::analyzer::is_common_password(&lower);
        let distinct = lower
            .chars()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let personal = context
            .iter()
            .flat_map(|c| {
                c.to_lowercase()
                    .split(['@', ' ', '.'])
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .any(|word| word.chars().count() >= 4 && lower.contains(&word));
        if too_common || distinct < 5 {
            return Err(
                "is too common or easy to guess; a few unrelated words make a strong one".into(),
            );
        }
        if personal {
            return Err("must not contain your email address or name".into());
        }
        Ok(Password(raw.to_string()))
    }

    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash(raw: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(raw.as_bytes(), &salt)
        .expect("argon2id hashing does not fail for bounded inputs")
        .to_string()
}

/// Checks `raw` against a stored PHC hash. Parameters come from the hash itself, so hashes made
/// with older parameters keep working.
pub fn verify(raw: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    argon2().verify_password(raw.as_bytes(), &parsed).is_ok()
}

/// Burns the same time as a real check, for sign-ins to unknown emails: the answer's timing must
/// not tell whether an account exists.
pub fn verify_dummy(raw: &str) {
    // A hash of a random password with the production parameters; nothing can match it.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W2dn5gy4cy1TxCxrPm2Eq0PBg7GBWJkRIPZAvmzrDP8";
    let _ = verify(raw, DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_long_and_common_passwords() {
        assert!(Password::new("short", &[])
            .unwrap_err()
            .contains("at least 12"));
        assert!(Password::new(&"x".repeat(129), &[])
            .unwrap_err()
            .contains("at most 128"));
        for common in [
            "password1234",
            "123456789012",
            "qwertyuiop123",
            "aaaaaaaaaaaa",
            "iloveyou1234",
        ] {
            assert!(
                Password::new(common, &[]).is_err(),
                "{common} should be refused"
            );
        }
        // The user's own email does not make a password.
        assert!(Password::new("jane.doe@example.com", &["jane.doe@example.com"]).is_err());
        assert!(Password::new(
            "my name is Ferdinand!",
            &["x@example.com", "Ferdinand Magellan"]
        )
        .is_err());
    }

    #[test]
    fn accepts_a_passphrase_and_verifies_it() {
        let p = Password::new("violet tractor humming seven", &[]).unwrap();
        let h = p.hash();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("violet tractor humming seven", &h));
        assert!(!verify("violet tractor humming eight", &h));
        assert!(!verify("anything", "not a hash"));
    }
}
