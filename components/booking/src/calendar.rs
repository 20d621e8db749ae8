//! Personal iCalendar feeds (RFC 5545). Calendar apps send no bearer token, so a feed is reached
//! by a secret URL: 32 random bytes, of which only the SHA-256 is stored; revoking a feed marks it
//! and every later fetch of that URL is a 404.
//!
//! The feed is read by third parties (calendar services fetch it on the user's behalf), so it
//! carries no health data: no reason for the visit, no patient name — the time, the status and
//! the doctor's name, with a link back to the app.

use crate::appointments::{instant_text, Appointment, Status};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jiff::Timestamp;
use service_kit::db::Db;
use service_kit::token::Role;
use service_kit::{params, Problem};
use sha2::{Digest, Sha256};

fn hash(token: &str) -> String {
    B64.encode(Sha256::digest(token.as_bytes()))
}

/// Makes a new feed secret for a user; returns the secret (shown once).
pub fn create(db: &dyn Db, now: Timestamp, user_id: &str, role: Role) -> Result<String, Problem> {
    let token = B64.encode(service_kit::random_bytes::<32>());
    db.execute(
        "INSERT INTO booking_calendar_feeds (token_hash, user_id, role, created_at) VALUES (?, ?, ?, ?)",
        params![hash(&token), user_id, role.as_str(), instant_text(now)],
    )?;
    Ok(token)
}

/// Revokes every feed of a user; returns how many were live.
pub fn revoke_all(db: &dyn Db, now: Timestamp, user_id: &str) -> Result<usize, Problem> {
    let rows = db.execute(
        "UPDATE booking_calendar_feeds SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL \
         RETURNING token_hash",
        params![instant_text(now), user_id],
    )?;
    Ok(rows.len())
}

/// Whose feed a secret opens, if it is live.
pub fn owner(db: &dyn Db, token: &str) -> Result<Option<(String, Role)>, Problem> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let rows = db.execute(
        "SELECT user_id, role FROM booking_calendar_feeds WHERE token_hash = ? AND revoked_at IS NULL",
        params![hash(token)],
    )?;
    match rows.first() {
        None => Ok(None),
        Some(r) => {
            let role: String = r.get("role")?;
            Ok(Role::parse(&role)
                .map(|role| (r.get::<String>("user_id").unwrap_or_default(), role)))
        }
    }
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 sequence (§3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn ical_time(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// One calendar of `appointments`; `doctor_names` gives each doctor's display name.
pub fn render(
    now: Timestamp,
    appointments: &[Appointment],
    doctor_name: impl Fn(&str) -> String,
    app_url: &str,
) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Healthe//Booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Healthe appointments",
    ] {
        fold(line, &mut out);
    }
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    for a in appointments {
        let status = match a.status {
            Status::Requested => "TENTATIVE",
            Status::Confirmed | Status::Completed | Status::NoShow => "CONFIRMED",
            Status::Declined | Status::Cancelled | Status::Expired => "CANCELLED",
        };
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}@healthe", a.id), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(&format!("DTSTART:{}", ical_time(a.starts_at)), &mut out);
        fold(&format!("DTEND:{}", ical_time(a.ends_at)), &mut out);
        fold(&format!("STATUS:{status}"), &mut out);
        fold(
            &format!(
                "SUMMARY:{}",
                escape(&format!(
                    "Appointment with {} ({})",
                    doctor_name(&a.doctor_id),
                    a.status.as_str().replace('_', " ")
                ))
            ),
            &mut out,
        );
        if !app_url.is_empty() {
            fold(
                &format!(
                    "URL:{}/#/appointments/{}",
                    app_url.trim_end_matches('/'),
                    a.id
                ),
                &mut out,
            );
        }
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_at_75_octets() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        fold(&long, &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }
}
