//! A doctor's working time and the slots it produces.
//!
//! Hours are wall-clock intervals in the doctor's IANA zone. Each interval is turned into two
//! instants (its start and end on that local date) and slots are laid end to end in real
//! elapsed time between them. So on a daylight-saving day a slot is never placed at a wall time
//! that does not exist, never placed twice at a wall time that happens twice, and the number of
//! slots is the time actually worked divided by the visit length: no slot is created or lost by
//! the change. A wall time that falls in a gap resolves to the instant after it (RFC 5545's
//! rule, jiff's "compatible").

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// A wall-clock interval within one day: start < end, both in minutes after local midnight,
/// end at most 24:00. The constructor is the only way in, so every value is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    start: u16,
    end: u16,
}

impl Interval {
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < end && end <= MINUTES_PER_DAY).then_some(Self { start, end })
    }

    /// Parses "HH:MM" pairs; "24:00" is accepted as an end.
    pub fn parse(start: &str, end: &str) -> Option<Self> {
        Self::new(parse_hhmm(start)?, parse_hhmm(end)?)
    }

    pub fn start(self) -> u16 {
        self.start
    }

    pub fn end(self) -> u16 {
        self.end
    }
}

pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A dated change to the weekly pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exception {
    /// No hours at all that day.
    DayOff(Date),
    /// Hours in addition to the weekly ones.
    Extra(Date, Interval),
}

/// Everything slot generation needs.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub zone: TimeZone,
    pub visit_minutes: u16,
    /// (ISO weekday 1 = Monday .. 7 = Sunday, interval)
    pub weekly: Vec<(i8, Interval)>,
    pub exceptions: Vec<Exception>,
}

/// A bookable slot: its instants and its wall time in the doctor's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub local_start: DateTime,
    /// The zone's offset at the start, e.g. "-05:00": needed to tell the two 01:30s of a
    /// fall-back night apart.
    pub offset: String,
}

impl Schedule {
    /// The intervals worked on a local date, merged where they touch or overlap.
    fn intervals_on(&self, date: Date) -> Vec<Interval> {
        if self.exceptions.contains(&Exception::DayOff(date)) {
            return Vec::new();
        }
        let weekday = date.weekday().to_monday_one_offset();
        let mut all: Vec<Interval> = self
            .weekly
            .iter()
            .filter(|(d, _)| *d == weekday)
            .map(|(_, i)| *i)
            .chain(self.exceptions.iter().filter_map(|e| match e {
                Exception::Extra(d, i) if *d == date => Some(*i),
                _ => None,
            }))
            .collect();
        all.sort();
        let mut merged: Vec<Interval> = Vec::with_capacity(all.len());
        for i in all {
            match merged.last_mut() {
                Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
                _ => merged.push(i),
            }
        }
        merged
    }

    /// The instant a wall time on `date` names in the doctor's zone (24:00 is the next midnight).
    fn instant(&self, date: Date, minutes: u16) -> Option<Timestamp> {
        let (date, minutes) = if minutes == MINUTES_PER_DAY {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minutes)
        };
        let wall = date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        self.zone
            .to_ambiguous_zoned(wall)
            .compatible()
            .ok()
            .map(|z| z.timestamp())
    }

    /// Every slot starting in `[from, to)`, in order, with its wall time.
    pub fn slots(&self, from: Timestamp, to: Timestamp) -> Vec<Slot> {
        self.spans(from, to)
            .into_iter()
            .map(|(start, end)| {
                let zoned = start.to_zoned(self.zone.clone());
                Slot {
                    start,
                    end,
                    local_start: zoned.datetime(),
                    offset: format_offset(zoned.offset()),
                }
            })
            .collect()
    }

    /// Every slot starting in `[from, to)` as (start, end) instants, in order: [`Self::slots`]
    /// without the wall-time conversion, for callers that only compare instants.
    pub fn spans(&self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        if to <= from || self.visit_minutes == 0 {
            return out;
        }
        let visit = SignedDuration::from_mins(self.visit_minutes as i64);
        // Local dates that can hold a slot starting in range: one either side covers any offset.
        let Ok(first) = self.zone.to_datetime(from).date().yesterday() else {
            return out;
        };
        let last = self.zone.to_datetime(to).date();
        let mut date = first;
        while date <= last {
            for interval in self.intervals_on(date) {
                let (Some(start), Some(end)) = (
                    self.instant(date, interval.start),
                    self.instant(date, interval.end),
                ) else {
                    continue;
                };
                let mut t = start;
                while let Ok(slot_end) = t.checked_add(visit) {
                    if slot_end > end {
                        break;
                    }
                    if t >= from && t < to {
                        out.push((t, slot_end));
                    }
                    t = slot_end;
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        out.sort();
        out.dedup_by_key(|s| s.0);
        out
    }

    /// The slot starting exactly at `start`, if the hours produce one.
    pub fn slot_at(&self, start: Timestamp) -> Option<Slot> {
        let to = start.checked_add(SignedDuration::from_secs(1)).ok()?;
        self.slots(start, to).into_iter().find(|s| s.start == start)
    }
}

/// ISO weekday number (1 = Monday) from an English name or abbreviation.
pub fn weekday_number(name: &str) -> Option<i8> {
    let w = match name.to_ascii_lowercase().as_str() {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    };
    Some(w.to_monday_one_offset())
}

pub fn weekday_name(number: i8) -> &'static str {
    match number {
        1 => "monday",
        2 => "tuesday",
        3 => "wednesday",
        4 => "thursday",
        5 => "friday",
        6 => "saturday",
        _ => "sunday",
    }
}

/// An offset as RFC 3339 writes it: "+01:00", "-05:00".
pub fn format_offset(offset: jiff::tz::Offset) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let secs = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}
