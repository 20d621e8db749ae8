//! The nearest pharmacies to a point, nearest first, with whether each is open and when that
//! changes: the grid narrows the table to a few cells, the haversine distance orders what they
//! hold, and only the nearest are evaluated until the page is full.
//!
//! The circle grows from a small one until it holds a page (or reaches the radius asked for),
//! each time as far as the density it found says the page needs, so a search in a city reads a
//! few cells and one in the countryside reads more of them: the work follows the page, not the
//! size of the table.

use crate::geo::{self, Position};
use crate::hours::{self, Schedule, State, Status};
use crate::pharmacy::{self, Pharmacy, Services};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use opening_hours::ContextHolidays;
use service_kit::db::Db;
use service_kit::Problem;
use std::collections::HashMap;

/// The widest search: beyond it "nearest" stops meaning "where can I go".
pub const MAX_RADIUS_KM: f64 = 500.0;
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
/// The first circle tried.
const FIRST_KM: f64 = 2.0;

/// Where the last page ended: its last hit's distance (in millimetres, so the key is exact)
/// and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct After {
    pub millimetres: u64,
    pub id: String,
}

pub struct Query {
    pub near: Position,
    pub radius_km: f64,
    /// Only pharmacies open at `at`.
    pub open_now: bool,
    pub at: Timestamp,
    pub services: Services,
    pub q: Option<String>,
    pub limit: usize,
    pub after: Option<After>,
}

pub struct Hit {
    pub pharmacy: Pharmacy,
    pub distance_km: f64,
    pub status: Status,
}

impl Hit {
    pub fn key(&self) -> After {
        After {
            millimetres: millimetres(self.distance_km),
            id: self.pharmacy.id.clone(),
        }
    }
}

fn millimetres(km: f64) -> u64 {
    (km * 1e6).round() as u64
}

/// What evaluating hours needs beyond the expression, looked up once per request however many
/// pharmacies share it: zones, and holiday calendars (from `loc_holidays`).
pub struct Calendars<'a> {
    db: &'a dyn Db,
    zones: HashMap<String, TimeZone>,
    holidays: HashMap<String, Option<ContextHolidays>>,
    /// Statuses already worked out, by what decides them: many pharmacies share their hours
    /// word for word ("Mo-Fr 08:00-18:30; Sa 09:00-13:00"), and parsing is most of the cost.
    statuses: HashMap<(String, String, Option<String>, Timestamp), Status>,
}

impl<'a> Calendars<'a> {
    pub fn new(db: &'a dyn Db) -> Self {
        Calendars {
            db,
            zones: HashMap::new(),
            holidays: HashMap::new(),
            statuses: HashMap::new(),
        }
    }

    fn zone(&mut self, name: &str) -> TimeZone {
        self.zones
            .entry(name.to_string())
            .or_insert_with(|| TimeZone::get(name).unwrap_or(TimeZone::UTC))
            .clone()
    }

    fn holidays(&mut self, country: Option<&str>) -> Option<ContextHolidays> {
        let country = country?;
        if let Some(h) = self.holidays.get(country) {
            return h.clone();
        }
        // A calendar that cannot be read leaves `PH` unmatched rather than failing the search.
        let h = crate::holidays::of(self.db, country).unwrap_or_else(|p| {
            eprintln!("locator: holidays for {country}: {}", p.detail);
            None
        });
        self.holidays.insert(country.to_string(), h.clone());
        h
    }
}

/// Whether `p` is open at `at`, and when that changes, with its exceptions applied.
pub fn status(p: &Pharmacy, at: Timestamp, cal: &mut Calendars) -> Status {
    let zone = cal.zone(&p.time_zone);
    let today = at.to_zoned(zone.clone()).date();
    let expr = hours::compose(&p.opening_hours, &p.exceptions, today);
    let key = (expr, p.time_zone.clone(), p.address.country.clone(), at);
    if let Some(s) = cal.statuses.get(&key) {
        return s.clone();
    }
    let country = p.address.country.as_deref();
    let status = Schedule::new(&key.0, zone, || cal.holidays(country))
        .map(|s| s.status(at))
        .unwrap_or_else(|_| Status {
            state: State::Unknown,
            next_change: None,
            comment: None,
            text: "hours unknown".into(),
        });
    cal.statuses.insert(key, status.clone());
    status
}

/// `p`'s hours as evaluated on `at`'s local date (exceptions from the day before on).
pub fn schedule(
    p: &Pharmacy,
    at: Timestamp,
    cal: &mut Calendars,
) -> Result<Schedule, hours::Refusal> {
    let zone = cal.zone(&p.time_zone);
    let today = at.to_zoned(zone.clone()).date();
    let expr = hours::compose(&p.opening_hours, &p.exceptions, today);
    Schedule::new(&expr, zone, || cal.holidays(p.address.country.as_deref()))
}

/// The page: up to `limit` hits after the cursor, and whether more lie within the radius.
pub fn nearest(db: &dyn Db, q: &Query) -> Result<(Vec<Hit>, bool), Problem> {
    let mut cal = Calendars::new(db);
    let after = q.after.clone();
    // What has been evaluated, kept across the growing circles.
    let mut statuses: HashMap<String, Status> = HashMap::new();
    let start = after
        .as_ref()
        .map(|a| a.millimetres as f64 / 1e6)
        .unwrap_or(0.0);
    let mut radius = (start + FIRST_KM).min(q.radius_km);
    loop {
        let ranges = geo::cell_ranges(&q.near, radius);
        let rows = pharmacy::in_cells(db, &ranges, q.services, q.q.as_deref())?;
        // Measured from the position alone; the rest of a row is decoded only if it is reached.
        let mut measured: Vec<(u64, String, service_kit::db::Row)> = Vec::new();
        for row in rows.iter() {
            let (lat, lon): (f64, f64) = (row.get("lat")?, row.get("lon")?);
            let Ok(at) = Position::new("position", lat, lon) else {
                continue;
            };
            let d = q.near.distance_km(&at);
            if d > radius {
                continue;
            }
            let key = (millimetres(d), row.get::<String>("id")?);
            if after
                .as_ref()
                .is_some_and(|a| (key.0, key.1.as_str()) <= (a.millimetres, a.id.as_str()))
            {
                continue;
            }
            measured.push((key.0, key.1, row));
        }
        measured.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut hits = Vec::new();
        for (mm, id, row) in measured {
            // Decoded once: to evaluate it (the first circle that reaches it), or as a hit.
            let mut decoded = None;
            let st = match statuses.get(&id) {
                Some(st) => st.clone(),
                None => {
                    let p = pharmacy::from_row(&row)?;
                    let st = status(&p, q.at, &mut cal);
                    statuses.insert(id, st.clone());
                    decoded = Some(p);
                    st
                }
            };
            if q.open_now && st.state != State::Open {
                continue;
            }
            let pharmacy = match decoded {
                Some(p) => p,
                None => pharmacy::from_row(&row)?,
            };
            hits.push(Hit {
                pharmacy,
                distance_km: mm as f64 / 1e6,
                status: st,
            });
            if hits.len() > q.limit {
                break;
            }
        }
        if hits.len() > q.limit || radius >= q.radius_km {
            let more = hits.len() > q.limit;
            hits.truncate(q.limit);
            return Ok((hits, more));
        }
        // The next circle from the density this one showed: wide enough for the page if the
        // hits go on as they did (a quarter more, for luck), at least half again as wide,
        // four times as wide when there was nothing. Usually one more round, where doubling
        // from 2 km took up to eight in a sparse region.
        let wanted = (q.limit + 1) as f64;
        let grown = match hits.len() {
            0 => radius * 4.0,
            n => radius * (wanted / n as f64).sqrt() * 1.25,
        };
        radius = grown.max(radius * 1.5).min(q.radius_km);
    }
}
