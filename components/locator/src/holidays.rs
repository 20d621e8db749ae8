//! Public and school holidays by country, for `PH` and `SH`: the opening-hours crate's calendar,
//! decompressed once per installation and kept in `loc_holidays`, rather than once per request.
//!
//! The crate holds every country's calendar in one compressed blob; the first `holidays()` call
//! in an instance decompresses all of it (about 4 ms natively, several times that in wasm), and
//! every Spin request is a fresh instance. A cached row is a few kilobytes and one indexed read.

use compact_calendar::CompactCalendar;
use opening_hours::localization::Country;
use opening_hours::ContextHolidays;
use service_kit::db::{Db, Value};
use service_kit::{params, Problem};
use std::sync::Arc;

/// Which data the cached calendars came from: a crate with newer holidays replaces them.
const SOURCE: &str = "opening-hours 1.4";

fn key(country: Country) -> String {
    format!("{country:?} {SOURCE}")
}

fn blob(c: &CompactCalendar) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    c.serialize(&mut out).map_err(Problem::internal)?;
    Ok(out)
}

/// `country`'s calendars (`None`: a code the crate has no calendar for).
pub fn of(db: &dyn Db, country: &str) -> Result<Option<ContextHolidays>, Problem> {
    let Ok(country) = country.parse::<Country>() else {
        return Ok(None);
    };
    let rows = db.execute(
        "SELECT public, school FROM loc_holidays WHERE key = ?1",
        params![key(country)],
    )?;
    if let Some(r) = rows.first() {
        let public: Vec<u8> = r.get("public")?;
        let school: Vec<u8> = r.get("school")?;
        if let (Ok(p), Ok(s)) = (
            CompactCalendar::deserialize(public.as_slice()),
            CompactCalendar::deserialize(school.as_slice()),
        ) {
            return Ok(Some(ContextHolidays::new(Arc::new(p), Arc::new(s))));
        }
    }
    // First use here: decompress (the slow path) and keep this country's part. Two requests
    // doing it at once write the same bytes; the second is ignored.
    let holidays = country.holidays();
    db.execute(
        "INSERT OR IGNORE INTO loc_holidays (key, public, school, made_at) \
         VALUES (?1, ?2, ?3, datetime('now'))",
        &[
            Value::Text(key(country)),
            Value::Blob(blob(holidays.get_public())?),
            Value::Blob(blob(holidays.get_school())?),
        ],
    )?;
    Ok(Some(holidays))
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_kit::db::SqliteDb;

    #[test]
    fn a_cached_calendar_is_the_crates_own() {
        let db = SqliteDb::open_in_memory();
        service_kit::migrate::apply(&db, "locator", crate::MIGRATIONS).unwrap();
        let made = of(&db, "DE").unwrap().unwrap();
        let cached = of(&db, "DE").unwrap().unwrap();
        assert_eq!(made, cached);
        let christmas = chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        assert!(cached.get_public().contains(christmas));
        assert!(of(&db, "XX").unwrap().is_none());
        assert_eq!(
            db.execute("SELECT count(*) AS n FROM loc_holidays", &[])
                .unwrap()
                .first()
                .unwrap()
                .get::<i64>("n")
                .unwrap(),
            1
        );
    }
}
