//! Wire types: request bodies, parsed once into checked domain values; a bad field is named.

use crate::doctors::{DatedException, Profile, WeeklyInterval};
use jiff::tz::TimeZone;
use serde::Deserialize;
use service_kit::Problem;

/// A free-text field under the app's one text rule (`service_kit::text`); newlines allowed.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, Problem> {
    service_kit::text::TextRule::paragraphs(min, max)
        .clean(value)
        .map_err(|m| Problem::invalid(field, m))
}

/// A one-line text field (names, places) under the same rule.
pub fn line(field: &str, value: &str, min: usize, max: usize) -> Result<String, Problem> {
    service_kit::text::TextRule::line(min, max)
        .clean(value)
        .map_err(|m| Problem::invalid(field, m))
}

/// 1 to `max` visible ASCII characters: a token that can be stored and compared as it came.
fn is_token(value: &str, max: usize) -> bool {
    !value.is_empty() && value.len() <= max && value.bytes().all(|b| b.is_ascii_graphic())
}

/// A user id as another service issued it (a UUID today): 1 to 64 visible ASCII characters.
pub fn user_id(field: &str, value: &str) -> Result<String, Problem> {
    if !is_token(value, 64) {
        return Err(Problem::invalid(field, "is not a user id"));
    }
    Ok(value.to_string())
}

/// A client's `Idempotency-Key`: 1 to 200 visible ASCII characters (RFC 9110 token-ish), so it
/// can be stored and compared as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";

    /// The request's key, if it sent one; a malformed one is refused, never ignored.
    pub fn from_request(req: &service_kit::http::Request) -> Result<Option<Self>, Problem> {
        match service_kit::http::header_str(req, Self::HEADER) {
            None if !req.headers().contains_key(Self::HEADER) => Ok(None),
            Some(k) if is_token(k, 200) => Ok(Some(IdempotencyKey(k.to_string()))),
            _ => Err(Problem::invalid(
                "Idempotency-Key",
                "must be 1 to 200 visible ASCII characters",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA zone name (`service_kit::time::zone`), as a problem naming `field`.
pub fn zone(field: &str, name: &str) -> Result<TimeZone, Problem> {
    service_kit::time::zone(field, name).map_err(|e| Problem::validation(vec![e]))
}

pub use service_kit::time::instant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    pub name: String,
    pub specialty: String,
    pub city: String,
    pub state: String,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub bio: String,
    pub time_zone: String,
    pub visit_minutes: i64,
}

impl ProfileBody {
    pub fn check(self) -> Result<Profile, Problem> {
        if !(10..=120).contains(&self.visit_minutes) {
            return Err(Problem::invalid("visit_minutes", "must be from 10 to 120"));
        }
        if self.languages.len() > 20 {
            return Err(Problem::invalid("languages", "at most 20"));
        }
        let languages = self
            .languages
            .iter()
            .enumerate()
            .map(|(n, l)| line(&format!("languages[{n}]"), l, 1, 35))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Profile {
            name: line("name", &self.name, 1, 200)?,
            specialty: line("specialty", &self.specialty, 1, 100)?,
            city: line("city", &self.city, 1, 100)?,
            region: line("state", &self.state, 1, 100)?,
            languages,
            bio: text("bio", &self.bio, 0, 2000)?,
            zone: zone("time_zone", &self.time_zone)?,
            visit_minutes: self.visit_minutes as u16,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    pub weekly: Vec<WeeklyInterval>,
    #[serde(default)]
    pub exceptions: Vec<DatedException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentBody {
    pub doctor_id: String,
    pub starts_at: String,
    pub reason: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    pub starts_at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub rating: i64,
    #[serde(default)]
    pub text: String,
}
