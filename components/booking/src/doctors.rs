//! Doctor profiles and their hours.

use crate::schedule::{format_hhmm, weekday_name, Exception, Interval, Schedule};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use service_kit::db::{Db, Row};
use service_kit::{params, Problem};

/// One weekly interval as stored and as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WeeklyInterval {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// One dated exception as stored and as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DatedException {
    pub date: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A checked profile, ready to store.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub specialty: String,
    pub city: String,
    pub region: String,
    pub languages: Vec<String>,
    pub bio: String,
    pub zone: TimeZone,
    pub visit_minutes: u16,
}

/// A doctor as read back.
#[derive(Debug, Clone, Serialize)]
pub struct Doctor {
    pub id: String,
    pub name: String,
    pub specialty: String,
    pub city: String,
    pub state: String,
    pub languages: Vec<String>,
    pub bio: String,
    pub time_zone: String,
    /// `time_zone`, looked up once when the row is read.
    #[serde(skip)]
    pub zone: TimeZone,
    pub visit_minutes: u16,
    pub rating: Rating,
    #[serde(skip)]
    pub weekly: Vec<(i8, Interval)>,
    #[serde(skip)]
    pub exceptions: Vec<Exception>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    /// Mean of the ratings, two decimals; absent until the first review.
    pub average: Option<f64>,
    pub count: i64,
}

pub const COLUMNS: &str = "id, name, specialty, city, region, languages, bio, time_zone, \
     visit_minutes, rating_count, rating_sum, weekly_hours, exceptions";

impl Doctor {
    pub fn from_row(row: Row<'_>) -> Result<Self, Problem> {
        let count: i64 = row.get("rating_count")?;
        let sum: i64 = row.get("rating_sum")?;
        let weekly: Vec<WeeklyInterval> =
            serde_json::from_str(&row.get::<String>("weekly_hours")?).map_err(Problem::internal)?;
        let exceptions: Vec<DatedException> =
            serde_json::from_str(&row.get::<String>("exceptions")?).map_err(Problem::internal)?;
        let time_zone: String = row.get("time_zone")?;
        let zone = TimeZone::get(&time_zone).map_err(Problem::internal)?;
        Ok(Doctor {
            id: row.get("id")?,
            name: row.get("name")?,
            specialty: row.get("specialty")?,
            city: row.get("city")?,
            state: row.get("region")?,
            languages: serde_json::from_str(&row.get::<String>("languages")?)
                .map_err(Problem::internal)?,
            bio: row.get("bio")?,
            time_zone,
            zone,
            visit_minutes: row.get::<i64>("visit_minutes")? as u16,
            rating: Rating {
                average: (count > 0).then(|| (sum as f64 / count as f64 * 100.0).round() / 100.0),
                count,
            },
            weekly: parse_weekly(&weekly).map_err(|p| Problem::internal(p.detail))?,
            exceptions: parse_exceptions(&exceptions).map_err(|p| Problem::internal(p.detail))?,
        })
    }

    pub fn schedule(&self) -> Schedule {
        Schedule {
            zone: self.zone.clone(),
            visit_minutes: self.visit_minutes,
            weekly: self.weekly.clone(),
            exceptions: self.exceptions.clone(),
        }
    }

    pub fn weekly_view(&self) -> Vec<WeeklyInterval> {
        weekly_view(&self.weekly)
    }

    pub fn exceptions_view(&self) -> Vec<DatedException> {
        exceptions_view(&self.exceptions)
    }
}

pub fn weekly_view(weekly: &[(i8, Interval)]) -> Vec<WeeklyInterval> {
    weekly
        .iter()
        .map(|(d, i)| WeeklyInterval {
            weekday: weekday_name(*d).into(),
            start: format_hhmm(i.start()),
            end: format_hhmm(i.end()),
        })
        .collect()
}

pub fn exceptions_view(exceptions: &[Exception]) -> Vec<DatedException> {
    exceptions
        .iter()
        .map(|e| match e {
            Exception::DayOff(d) => DatedException {
                date: d.to_string(),
                off: true,
                start: None,
                end: None,
            },
            Exception::Extra(d, i) => DatedException {
                date: d.to_string(),
                off: false,
                start: Some(format_hhmm(i.start())),
                end: Some(format_hhmm(i.end())),
            },
        })
        .collect()
}

/// Checks weekly hours; a bad entry is named by its index (`weekly[2].end`).
pub fn parse_weekly(items: &[WeeklyInterval]) -> Result<Vec<(i8, Interval)>, Problem> {
    if items.len() > 100 {
        return Err(Problem::invalid("weekly", "at most 100 intervals"));
    }
    items
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let day = crate::schedule::weekday_number(&w.weekday).ok_or_else(|| {
                Problem::invalid(format!("weekly[{n}].weekday"), "must be a weekday name")
            })?;
            let interval = Interval::parse(&w.start, &w.end).ok_or_else(|| {
                Problem::invalid(
                    format!("weekly[{n}].end"),
                    "start and end must be HH:MM with start before end (end may be 24:00)",
                )
            })?;
            Ok((day, interval))
        })
        .collect()
}

pub fn parse_exceptions(items: &[DatedException]) -> Result<Vec<Exception>, Problem> {
    if items.len() > 400 {
        return Err(Problem::invalid(
            "exceptions",
            "at most 400 dated exceptions",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let date: Date = e.date.parse().map_err(|_| {
                Problem::invalid(
                    format!("exceptions[{n}].date"),
                    "must be a date, YYYY-MM-DD",
                )
            })?;
            match (e.off, &e.start, &e.end) {
                (true, None, None) => Ok(Exception::DayOff(date)),
                (false, Some(s), Some(t)) => Interval::parse(s, t)
                    .map(|i| Exception::Extra(date, i))
                    .ok_or_else(|| {
                        Problem::invalid(
                            format!("exceptions[{n}].end"),
                            "start and end must be HH:MM with start before end",
                        )
                    }),
                _ => Err(Problem::invalid(
                    format!("exceptions[{n}]"),
                    "either \"off\": true, or \"start\" and \"end\"",
                )),
            }
        })
        .collect()
}

/// The names of `ids`' doctors, by id: one query however many.
pub fn names(
    db: &dyn Db,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, Problem> {
    let ids = serde_json::to_string(ids).map_err(Problem::internal)?;
    let rows = db.execute(
        "SELECT id, name FROM booking_doctors WHERE id IN (SELECT value FROM json_each(?))",
        params![ids.as_str()],
    )?;
    rows.iter()
        .map(|r| Ok((r.get("id")?, r.get("name")?)))
        .collect()
}

pub fn find(db: &dyn Db, id: &str) -> Result<Option<Doctor>, Problem> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM booking_doctors WHERE id = ?"),
        params![id],
    )?;
    rows.first().map(Doctor::from_row).transpose()
}

pub fn get(db: &dyn Db, id: &str) -> Result<Doctor, Problem> {
    find(db, id)?.ok_or_else(|| Problem::not_found("no such doctor"))
}

/// Creates or replaces a profile (hours and ratings are kept). Returns whether it was created.
/// Each statement is whole on its own: the insert makes the row or does nothing, the update
/// changes it or finds nothing.
pub fn upsert(db: &dyn Db, id: &str, p: &Profile, now: &str) -> Result<bool, Problem> {
    let languages = serde_json::to_string(&p.languages).map_err(Problem::internal)?;
    let zone = p.zone.iana_name().unwrap_or("UTC");
    let inserted = db.execute(
        "INSERT INTO booking_doctors (id, name, specialty, city, region, languages, bio, time_zone, \
         visit_minutes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO NOTHING RETURNING id",
        params![
            id,
            p.name.as_str(),
            p.specialty.as_str(),
            p.city.as_str(),
            p.region.as_str(),
            languages.as_str(),
            p.bio.as_str(),
            zone,
            p.visit_minutes as i64,
            now,
            now
        ],
    )?;
    if !inserted.is_empty() {
        return Ok(true);
    }
    db.execute(
        "UPDATE booking_doctors SET name = ?, specialty = ?, city = ?, region = ?, languages = ?, \
         bio = ?, time_zone = ?, visit_minutes = ?, updated_at = ? WHERE id = ?",
        params![
            p.name.as_str(),
            p.specialty.as_str(),
            p.city.as_str(),
            p.region.as_str(),
            languages,
            p.bio.as_str(),
            zone,
            p.visit_minutes as i64,
            now,
            id
        ],
    )?;
    Ok(false)
}

/// Replaces a doctor's hours in one statement.
pub fn set_hours(
    db: &dyn Db,
    id: &str,
    weekly: &[(i8, Interval)],
    exceptions: &[Exception],
    now: &str,
) -> Result<(), Problem> {
    let weekly = serde_json::to_string(&weekly_view(weekly)).map_err(Problem::internal)?;
    let exceptions =
        serde_json::to_string(&exceptions_view(exceptions)).map_err(Problem::internal)?;
    let rows = db.execute(
        "UPDATE booking_doctors SET weekly_hours = ?, exceptions = ?, updated_at = ? WHERE id = ? \
         RETURNING id",
        params![weekly, exceptions, now, id],
    )?;
    if rows.is_empty() {
        return Err(Problem::not_found("no such doctor"));
    }
    Ok(())
}
