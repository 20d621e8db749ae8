//! The public doctor search: filters in SQL, availability and the next free slot computed from
//! each doctor's hours in their own zone, keyset-paged by name or by rating.

use crate::appointments;
use crate::doctors::{Doctor, COLUMNS};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use service_kit::db::{Db, Value};
use service_kit::page::{encode_cursor, Page, PageRequest};
use service_kit::Problem;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Rating,
}

#[derive(Debug, Default, Clone)]
pub struct Query {
    pub specialty: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub text: Option<String>,
    pub available_on: Option<Date>,
    pub sort: Option<Sort>,
    /// Doctors not to list (disabled accounts), as a JSON array of ids.
    pub hidden: String,
}

#[derive(Debug, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub doctor: Doctor,
    pub next_free_slot: Option<String>,
}

/// How far ahead "next free slot" looks.
const LOOKAHEAD_DAYS: i64 = 31;
/// Rows examined per search at most, however selective `available_on` is.
const SCAN_LIMIT: usize = 1000;

const RATING: &str =
    "(CASE WHEN rating_count = 0 THEN -1 ELSE rating_sum * 1000 / rating_count END)";

fn like_pattern(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// What is taken, by doctor: active start instants (RFC 3339 text, as stored).
type Taken = HashMap<String, HashSet<String>>;

/// `slots` less those `taken`.
fn without(
    mut slots: Vec<crate::schedule::Slot>,
    taken: Option<&HashSet<String>>,
) -> Vec<crate::schedule::Slot> {
    if let Some(taken) = taken {
        slots.retain(|s| !taken.contains(&appointments::instant_text(s.start)));
    }
    slots
}

/// The free slots of `doctor` in `[from, to)`: one query for what is taken, none when the
/// hours have no slot there.
pub fn free_slots(
    db: &dyn Db,
    now: Timestamp,
    doctor: &Doctor,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<crate::schedule::Slot>, Problem> {
    let from = from.max(now);
    let slots = doctor.schedule().slots(from, to);
    if slots.is_empty() {
        return Ok(slots);
    }
    let taken = appointments::taken(db, now, &[doctor.id.as_str()], from, to)?;
    Ok(without(slots, taken.get(&doctor.id)))
}

/// The first free slot of `doctor` from `now` to `horizon`, given what is taken: the hours
/// walked a day at a time, stopping at the first free slot.
fn first_free(
    now: Timestamp,
    doctor: &Doctor,
    horizon: Timestamp,
    taken: Option<&HashSet<String>>,
) -> Option<Timestamp> {
    let schedule = doctor.schedule();
    if schedule.weekly.is_empty()
        && !schedule
            .exceptions
            .iter()
            .any(|e| matches!(e, crate::schedule::Exception::Extra(..)))
    {
        return None;
    }
    let is_taken =
        |t: Timestamp| taken.is_some_and(|set| set.contains(&appointments::instant_text(t)));
    let day = SignedDuration::from_hours(24);
    let mut from = now;
    while from < horizon {
        let to = (from + day).min(horizon);
        if let Some((start, _)) = schedule
            .spans(from, to)
            .into_iter()
            .find(|(start, _)| !is_taken(*start))
        {
            return Some(start);
        }
        from = to;
    }
    None
}

/// `day` in the doctor's own zone, as instants `[start, end)`.
fn local_day(doctor: &Doctor, day: Date) -> Result<(Timestamp, Timestamp), Problem> {
    let out_of_range = |_| Problem::invalid("available_on", "is out of range");
    let start = day
        .to_zoned(doctor.zone.clone())
        .map_err(out_of_range)?
        .timestamp();
    let end = day
        .tomorrow()
        .and_then(|d| d.to_zoned(doctor.zone.clone()))
        .map_err(out_of_range)?
        .timestamp();
    Ok((start, end))
}

/// Every zone's `day` lies inside this UTC window (UTC offsets are within -12 to +14 hours; 26
/// hours either side leaves room), so one query covers a whole batch of doctors.
fn any_zone_day(day: Date) -> Result<(Timestamp, Timestamp), Problem> {
    let utc = |d: Date| {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| Problem::invalid("available_on", "is out of range"))
    };
    let start = utc(day)? - SignedDuration::from_hours(26);
    let end = utc(day)? + SignedDuration::from_hours(24 + 26);
    Ok((start, end))
}

pub fn search(
    db: &dyn Db,
    now: Timestamp,
    q: &Query,
    page: &PageRequest,
) -> Result<Page<Found>, Problem> {
    let sort = q.sort.unwrap_or(Sort::Name);
    let mut sql = format!(
        "SELECT {COLUMNS}, {RATING} AS rating_key FROM booking_doctors \
         WHERE id NOT IN (SELECT value FROM json_each(?))"
    );
    let hidden = if q.hidden.is_empty() { "[]" } else { &q.hidden };
    let mut values: Vec<Value> = vec![hidden.into()];
    for (column, value) in [
        ("specialty", &q.specialty),
        ("city", &q.city),
        ("region", &q.state),
    ] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {column} = ? COLLATE NOCASE"));
            values.push(v.as_str().into());
        }
    }
    if let Some(t) = &q.text {
        sql.push_str(" AND (name LIKE ? ESCAPE '\\' OR bio LIKE ? ESCAPE '\\')");
        let p = like_pattern(t);
        values.push(p.as_str().into());
        values.push(p.into());
    }
    let mut after = page.after.clone();
    let order = match sort {
        Sort::Name => " ORDER BY name, id",
        Sort::Rating => " ORDER BY rating_key DESC, id",
    };
    let mut found = Vec::new();
    let mut scanned = 0;
    let batch = (page.limit as i64 + 1).max(50);
    loop {
        let mut sql = sql.clone();
        let mut values = values.clone();
        if let Some(key) = &after {
            let (k, id) = key
                .split_once('\u{1f}')
                .ok_or_else(|| Problem::invalid("cursor", "is not a cursor this API issued"))?;
            match sort {
                Sort::Name => {
                    sql.push_str(" AND (name, id) > (?, ?)");
                    values.push(k.into());
                }
                Sort::Rating => {
                    let k: i64 = k.parse().map_err(|_| {
                        Problem::invalid("cursor", "is not a cursor this API issued")
                    })?;
                    sql.push_str(&format!(" AND ({RATING} < ? OR ({RATING} = ? AND id > ?))"));
                    values.push(k.into());
                    values.push(k.into());
                }
            }
            values.push(id.into());
        }
        sql.push_str(order);
        sql.push_str(" LIMIT ?");
        values.push(batch.into());
        let rows = db.execute(&sql, &values)?;
        let exhausted = (rows.len() as i64) < batch;
        let mut candidates = Vec::with_capacity(rows.len());
        for row in rows.iter() {
            let key = match sort {
                Sort::Name => row.get::<String>("name")?,
                Sort::Rating => row.get::<i64>("rating_key")?.to_string(),
            };
            let doctor = Doctor::from_row(row)?;
            candidates.push((format!("{key}\u{1f}{}", doctor.id), doctor));
        }
        // What the batch's doctors have taken that day: one query for the whole batch.
        let taken = match q.available_on {
            Some(day) if !candidates.is_empty() => {
                let (from, to) = any_zone_day(day)?;
                let ids: Vec<&str> = candidates.iter().map(|(_, d)| d.id.as_str()).collect();
                appointments::taken(db, now, &ids, from, to)?
            }
            _ => Taken::new(),
        };
        for (key, doctor) in candidates {
            scanned += 1;
            after = Some(key.clone());
            if let Some(day) = q.available_on {
                let (start, end) = local_day(&doctor, day)?;
                let slots = doctor.schedule().slots(start.max(now), end);
                if without(slots, taken.get(&doctor.id)).is_empty() {
                    continue;
                }
            }
            found.push((key, doctor));
            if found.len() > page.limit as usize {
                break;
            }
        }
        if found.len() > page.limit as usize || exhausted || scanned >= SCAN_LIMIT {
            break;
        }
    }
    let more = found.len() > page.limit as usize;
    found.truncate(page.limit as usize);
    let next_cursor = if more {
        found.last().map(|(k, _)| encode_cursor(k))
    } else if scanned >= SCAN_LIMIT {
        // Stopped scanning early: hand back where we got to, so the client can go on.
        after.as_deref().map(encode_cursor)
    } else {
        None
    };
    // Every result's next free slot from one query for what they have taken.
    let horizon = now + SignedDuration::from_hours(24 * LOOKAHEAD_DAYS);
    let ids: Vec<&str> = found.iter().map(|(_, d)| d.id.as_str()).collect();
    let taken = if ids.is_empty() {
        Taken::new()
    } else {
        appointments::taken(db, now, &ids, now, horizon)?
    };
    let items = found
        .into_iter()
        .map(|(_, doctor)| {
            let next_free_slot = first_free(now, &doctor, horizon, taken.get(&doctor.id))
                .map(appointments::instant_text);
            Found {
                doctor,
                next_free_slot,
            }
        })
        .collect();
    Ok(Page { items, next_cursor })
}
