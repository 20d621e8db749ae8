//! When a pharmacy is open: its OpenStreetMap `opening_hours` value, evaluated by the
//! `opening-hours` crate in the pharmacy's own IANA zone (so a daylight-saving night is as long
//! as the clock on the wall says), its country's public holidays for `PH`, and the dated
//! exceptions staff add on top (a holiday closure, an on-duty night).
//!
//! Exceptions are written into the expression as dated rules after the pharmacy's own, which is
//! how the syntax says "this day is different": `; 2026 Dec 24 off` replaces the day,
//! `, 2026 Dec 31 20:00-24:00` adds to it. One evaluator then answers everything, including
//! "when does it next open" across an exception.

use chrono::{Datelike, NaiveDateTime, Timelike};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use opening_hours::localization::Localize;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};
use serde::{Deserialize, Serialize};
use service_kit::{FieldError, Problem};
use std::ops::Add;

/// The longest value accepted: OSM's own limit on a tag's value.
pub const MAX_LEN: usize = 255;

/// A pharmacy's zone, as the evaluator needs it: it evaluates in naive local time and asks the
/// zone to place those times on the timeline.
#[derive(Clone, Debug)]
pub struct Zone(pub TimeZone);

/// A time in a pharmacy's zone.
#[derive(Clone, Debug)]
pub struct Local(pub Zoned);

impl Add<chrono::Duration> for Local {
    type Output = Local;
    fn add(self, d: chrono::Duration) -> Local {
        let span = jiff::SignedDuration::new(d.num_seconds(), d.subsec_nanos());
        match self.0.checked_add(span) {
            Ok(z) => Local(z),
            Err(_) => Local(end_of_time(self.0.time_zone())),
        }
    }
}

/// The evaluator's "never" (the year 10000) lies past jiff's range: it becomes the last
/// representable instant, which [`Schedule::status`] reads as no change.
fn end_of_time(tz: &TimeZone) -> Zoned {
    Timestamp::MAX.to_zoned(tz.clone())
}

impl Localize for Zone {
    type DateTime = Local;

    fn naive(&self, dt: Local) -> NaiveDateTime {
        let d = dt.0.datetime();
        chrono::NaiveDate::from_ymd_opt(d.year().into(), d.month() as u32, d.day() as u32)
            .and_then(|n| n.and_hms_opt(d.hour() as u32, d.minute() as u32, d.second() as u32))
            .unwrap_or(NaiveDateTime::MAX)
    }

    /// A local time the clock skips (spring forward) moves on by the gap (02:30 becomes 03:30);
    /// one it shows twice (fall back) is the first: the "compatible" rule of RFC 5545 and
    /// Temporal.
    fn datetime(&self, naive: NaiveDateTime) -> Local {
        let civil = i16::try_from(naive.year()).ok().and_then(|y| {
            DateTime::new(
                y,
                naive.month() as i8,
                naive.day() as i8,
                naive.hour() as i8,
                naive.minute() as i8,
                naive.second() as i8,
                0,
            )
            .ok()
        });
        match civil.and_then(|c| self.0.to_ambiguous_zoned(c).compatible().ok()) {
            Some(z) => Local(z),
            None => Local(end_of_time(&self.0)),
        }
    }
}

/// Checks an `opening_hours` value: a refusal names `field` and the character where the parser
/// stopped, with what it expected there.
pub fn check(field: &str, value: &str) -> Result<OpeningHours, Problem> {
    parse(value).map_err(|e| Problem::validation(vec![e.into_field(field)]))
}

/// Why a value was refused, and where (in characters, from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub message: String,
    pub position: Option<u64>,
}

impl Refusal {
    pub fn into_field(self, field: &str) -> FieldError {
        let e = FieldError::new(field, self.message);
        match self.position {
            Some(p) => e.at(p),
            None => e,
        }
    }
}

pub fn parse(value: &str) -> Result<OpeningHours, Refusal> {
    if value.trim().is_empty() {
        return Err(Refusal {
            message: "is required (OpenStreetMap opening_hours, e.g. Mo-Fr 08:00-19:00)".into(),
            position: None,
        });
    }
    if value.chars().count() > MAX_LEN {
        return Err(Refusal {
            message: format!("must be at most {MAX_LEN} characters"),
            position: Some(MAX_LEN as u64 + 1),
        });
    }
    if let Some(i) = value.chars().position(char::is_control) {
        return Err(Refusal {
            message: "must be one line without control characters".into(),
            position: Some(i as u64 + 1),
        });
    }
    OpeningHours::parse(value).map_err(|e| match e {
        opening_hours_syntax::Error::Parser(p) => {
            let column = match p.line_col {
                pest::error::LineColLocation::Pos((_, c)) => c,
                pest::error::LineColLocation::Span((_, c), _) => c,
            };
            Refusal {
                message: format!(
                    "is not a valid opening_hours value: {} at character {column}",
                    p.variant.message()
                ),
                position: Some(column as u64),
            }
        }
        other => Refusal {
            message: format!("is not a valid opening_hours value: {other}"),
            position: None,
        },
    })
}

/// What staff say about one day, on top of the usual hours.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ExceptionKind {
    /// Closed all day (a holiday closure, a stocktake).
    Closed,
    /// These hours instead of the usual ones.
    Hours,
    /// These hours as well as the usual ones (an on-duty night).
    Extra,
}

/// A dated exception, as stored in the pharmacy's row (a JSON object keyed by the date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub date: Date,
    pub kind: ExceptionKind,
    /// OSM time spans ("08:00-12:00,14:00-18:00"); none for `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Exception {
    /// The exception as a rule of the syntax: `; 2026 Dec 24 off`, `; 2026 Dec 24 10:00-14:00`,
    /// `, 2026 Dec 31 20:00-24:00`.
    fn rule(&self) -> String {
        let day = format!(
            "{} {} {:02}",
            self.date.year(),
            MONTHS[self.date.month() as usize - 1],
            self.date.day()
        );
        let hours = self.hours.as_deref().unwrap_or("");
        match self.kind {
            ExceptionKind::Closed => format!("; {day} off"),
            ExceptionKind::Hours => format!("; {day} {hours}"),
            ExceptionKind::Extra => format!(", {day} {hours}"),
        }
    }

    /// Checks the hours of an exception (`field` names them): required unless the day is
    /// closed, plain time spans, nothing else.
    pub fn validate(&self, field: &str) -> Result<(), Problem> {
        match (&self.kind, self.hours.as_deref()) {
            (ExceptionKind::Closed, None) => return Ok(()),
            (ExceptionKind::Closed, Some(_)) => {
                return Err(Problem::invalid(field, "a closed day has no hours"))
            }
            (_, None) => {
                return Err(Problem::invalid(
                    field,
                    "is required: time spans such as 20:00-24:00",
                ))
            }
            (_, Some(h)) => {
                let plain = !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, ':' | '-' | ',' | '+' | ' '));
                if !plain {
                    return Err(Problem::invalid(
                        field,
                        "must be time spans such as 08:00-12:00,14:00-18:00",
                    ));
                }
                parse(h).map_err(|e| Problem::validation(vec![e.into_field(field)]))?;
            }
        }
        Ok(())
    }
}

/// The expression evaluated: the pharmacy's own value, then its exceptions from the day before
/// `today` on (a night that runs past midnight still counts), replacements before additions.
pub fn compose(base: &str, exceptions: &[Exception], today: Date) -> String {
    let from = today.yesterday().unwrap_or(today);
    let mut current: Vec<&Exception> = exceptions.iter().filter(|e| e.date >= from).collect();
    if current.is_empty() {
        return base.to_string();
    }
    current.sort_by_key(|e| (e.kind == ExceptionKind::Extra, e.date));
    let mut expr = base.trim_end().trim_end_matches(';').to_string();
    for e in current {
        expr.push_str(&e.rule());
    }
    expr
}

/// Whether a place is open, closed, or its data does not say (`unknown`, or a comment only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    Closed,
    Unknown,
}

impl From<RuleKind> for State {
    fn from(k: RuleKind) -> State {
        match k {
            RuleKind::Open => State::Open,
            RuleKind::Closed => State::Closed,
            RuleKind::Unknown => State::Unknown,
        }
    }
}

/// The state at an instant and its next change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub state: State,
    /// The next change and what it changes to; none when nothing changes within a year.
    pub next_change: Option<Change>,
    /// The comment the data gives for this time ("by appointment"), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// "closes 19:00", "opens tomorrow 08:00", "open 24/7", in the pharmacy's local time.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub at: Timestamp,
    /// The wall-clock time there ("2026-12-03T19:00").
    pub local: String,
    pub to: State,
}

/// One stretch of time in the local week table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    pub from: String,
    pub to: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A pharmacy's hours, ready to evaluate.
pub struct Schedule {
    hours: OpeningHours<Zone>,
    zone: TimeZone,
}

/// Whether an expression asks about public (`PH`) or school (`SH`) holidays (a comment that
/// says "PH" costs only a calendar read).
pub fn mentions_holidays(expr: &str) -> bool {
    expr.contains("PH") || expr.contains("SH")
}

/// How far ahead a next change is looked for: past it, "no change".
const HORIZON_DAYS: i64 = 366;

impl Schedule {
    /// `expr` as [`compose`] made it, in `zone`; `holidays` is asked for the calendars only
    /// when the expression mentions public or school holidays.
    pub fn new(
        expr: &str,
        zone: TimeZone,
        holidays: impl FnOnce() -> Option<ContextHolidays>,
    ) -> Result<Schedule, Refusal> {
        let parsed = parse(expr)?;
        let mut ctx = Context::default();
        if mentions_holidays(expr) {
            if let Some(h) = holidays() {
                ctx = ctx.with_holidays(h);
            }
        }
        Ok(Schedule {
            hours: parsed.with_context(ctx.with_locale(Zone(zone.clone()))),
            zone,
        })
    }

    fn local(&self, at: Timestamp) -> Local {
        Local(at.to_zoned(self.zone.clone()))
    }

    pub fn status(&self, at: Timestamp) -> Status {
        let now = self.local(at);
        let horizon = at + jiff::SignedDuration::from_hours(24 * HORIZON_DAYS);
        let mut ranges = self.hours.iter_from(now.clone());
        let (state, end, comment) = match ranges.next() {
            Some(r) => (
                State::from(r.kind),
                r.range.end,
                r.comments.iter().next().map(|c| c.to_string()),
            ),
            None => (State::Closed, Local(end_of_time(&self.zone)), None),
        };
        let mut next_change = None;
        if end.0.timestamp() < horizon {
            // The first later range whose state differs (ranges also split on comments).
            let mut at_end = end;
            for r in ranges.take(64) {
                let to = State::from(r.kind);
                if to != state {
                    next_change = Some(Change {
                        at: at_end.0.timestamp(),
                        local: at_end.0.datetime().strftime("%Y-%m-%dT%H:%M").to_string(),
                        to,
                    });
                    break;
                }
                if r.range.end.0.timestamp() >= horizon {
                    break;
                }
                at_end = r.range.end;
            }
        }
        let text = describe(state, next_change.as_ref(), &now.0);
        Status {
            state,
            next_change,
            comment,
            text,
        }
    }

    /// The open (and unknown) stretches of the `days` local days from `at`'s date, in local
    /// wall-clock time: the week table.
    pub fn week(&self, at: Timestamp, days: i64) -> Vec<Interval> {
        let start_date = at.to_zoned(self.zone.clone()).date();
        let Ok(start) = start_date.to_zoned(self.zone.clone()) else {
            return vec![];
        };
        let Ok(end) = start_date
            .checked_add(jiff::Span::new().days(days))
            .and_then(|d| d.to_zoned(self.zone.clone()))
        else {
            return vec![];
        };
        self.hours
            .iter_range(Local(start), Local(end))
            .filter(|r| r.kind != RuleKind::Closed)
            .map(|r| Interval {
                from: r
                    .range
                    .start
                    .0
                    .datetime()
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string(),
                to: r
                    .range
                    .end
                    .0
                    .datetime()
                    .strftime("%Y-%m-%dT%H:%M")
                    .to_string(),
                state: r.kind.into(),
                comment: r.comments.iter().next().map(|c| c.to_string()),
            })
            .collect()
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "closes 19:00", "closes 24:00", "opens tomorrow 08:00", "opens Mon 08:00", "opens 4 Jan
/// 08:00", "open 24/7", "closed", in the place's wall-clock time as seen at `now`.
fn describe(state: State, next: Option<&Change>, now: &Zoned) -> String {
    let Some(change) = next else {
        return match state {
            State::Open => "open 24/7".into(),
            State::Closed => "closed".into(),
            State::Unknown => "hours unknown".into(),
        };
    };
    let verb = match change.to {
        State::Open => "opens",
        State::Closed => "closes",
        State::Unknown => "then unknown from",
    };
    let when = change.at.to_zoned(now.time_zone().clone());
    let today = now.date();
    let mut day = when.date();
    let mut time = when.time().strftime("%H:%M").to_string();
    // A change at midnight is the end of the day before: "closes 24:00", not "tomorrow 00:00".
    if time == "00:00" && day > today {
        day = day.yesterday().unwrap_or(day);
        time = "24:00".into();
    }
    let days_ahead = (day - today).get_days();
    let on = match days_ahead {
        0 => String::new(),
        1 => "tomorrow ".into(),
        2..=6 => format!(
            "{} ",
            WEEKDAYS[day.weekday().to_monday_zero_offset() as usize]
        ),
        _ => format!("{} {} ", day.day(), MONTHS[day.month() as usize - 1]),
    };
    format!("{verb} {on}{time}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use opening_hours::localization::Country;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn in_country(expr: &str, country: Country) -> Schedule {
        Schedule::new(expr, berlin(), || Some(country.holidays())).unwrap()
    }

    fn schedule(expr: &str) -> Schedule {
        in_country(expr, Country::DE)
    }

    #[test]
    fn a_refused_value_names_where_and_what() {
        let e = parse("Mo-Fr 08:00-19:0x").unwrap_err();
        assert_eq!(e.position, Some(16));
        assert!(e.message.contains("at character 16"), "{}", e.message);
        let p = check("opening_hours", "Mo-Fr 25:00-26:00; nonsense").unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].field, "opening_hours");
        assert!(p.errors[0].position.is_some());
        assert!(parse("").is_err());
        assert!(parse("Mo-Fr 08:00-19:00\n").is_err());
        assert!(parse(&"Mo ".repeat(100)).is_err());
    }

    #[test]
    fn open_and_next_change_in_the_local_zone() {
        let s = schedule("Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off");
        // Thursday 3 December 2026, 10:00 in Berlin (09:00 UTC).
        let st = s.status(at("2026-12-03T09:00:00Z"));
        assert_eq!(st.state, State::Open);
        assert_eq!(st.text, "closes 19:00");
        assert_eq!(
            st.next_change.as_ref().unwrap().at,
            at("2026-12-03T18:00:00Z")
        );
        // Saturday 14:00: closed until Monday.
        let st = s.status(at("2026-12-05T13:00:00Z"));
        assert_eq!(st.state, State::Closed);
        assert_eq!(st.text, "opens Mon 08:00");
        // Friday evening: tomorrow's Saturday hours.
        assert_eq!(
            s.status(at("2026-12-04T19:30:00Z")).text,
            "opens tomorrow 09:00"
        );
    }

    #[test]
    fn public_holidays_are_the_pharmacy_countrys() {
        let s = schedule("Mo-Fr 08:00-19:00; PH off");
        // Friday 25 December 2026 (Christmas Day) and Saturday 26 are holidays in Germany.
        let st = s.status(at("2026-12-25T10:00:00Z"));
        assert_eq!(st.state, State::Closed);
        assert_eq!(st.text, "opens Mon 08:00");
        // The same hours where Christmas is no public holiday (China).
        let cn = in_country("Mo-Fr 08:00-19:00; PH off", Country::CN);
        assert_eq!(cn.status(at("2026-12-25T10:00:00Z")).state, State::Open);
    }

    #[test]
    fn a_night_past_midnight_belongs_to_the_day_it_starts() {
        let s = schedule("Fr 22:00-02:00");
        // Friday 4 December 23:30 Berlin: open, closes at 02:00 on Saturday.
        let st = s.status(at("2026-12-04T22:30:00Z"));
        assert_eq!(st.state, State::Open);
        assert_eq!(st.text, "closes tomorrow 02:00");
        // Saturday 01:30 still open; Saturday 02:30 closed until next Friday.
        assert_eq!(s.status(at("2026-12-05T00:30:00Z")).state, State::Open);
        let st = s.status(at("2026-12-05T01:30:00Z"));
        assert_eq!(st.state, State::Closed);
        assert_eq!(st.text, "opens Fri 22:00");
        // Thursday night is not Friday night.
        assert_eq!(s.status(at("2026-12-04T00:30:00Z")).state, State::Closed);
    }

    #[test]
    fn daylight_saving_days_are_as_long_as_the_wall_clock_says() {
        // Europe/Berlin springs forward on Sunday 29 March 2026 (02:00 -> 03:00) and falls back
        // on Sunday 25 October 2026 (03:00 -> 02:00).
        let s = schedule("Su 01:00-05:00");
        // Spring: 01:00 CET is 00:00Z; 05:00 CEST is 03:00Z. Three hours of opening.
        let st = s.status(at("2026-03-29T00:30:00Z"));
        assert_eq!(st.state, State::Open);
        assert_eq!(st.next_change.unwrap().at, at("2026-03-29T03:00:00Z"));
        // Autumn: 01:00 CEST is 23:00Z the day before; 05:00 CET is 04:00Z. Five hours.
        let st = s.status(at("2026-10-24T23:30:00Z"));
        assert_eq!(st.state, State::Open);
        assert_eq!(st.next_change.unwrap().at, at("2026-10-25T04:00:00Z"));
        // Ordinary opening across the change: the same wall-clock hours on both sides.
        let s = schedule("Mo-Sa 08:00-19:00");
        assert_eq!(
            s.status(at("2026-03-28T07:30:00Z")).next_change.unwrap().at, // Sat, CET
            at("2026-03-28T18:00:00Z")
        );
        assert_eq!(
            s.status(at("2026-03-30T06:30:00Z")).next_change.unwrap().at, // Mon, CEST
            at("2026-03-30T17:00:00Z")
        );
        // An opening inside the skipped hour moves on by the gap, as RFC 5545 and every
        // calendar move such a time: 02:30 becomes 03:30 CEST.
        let s = schedule("Su 02:30-04:00");
        let st = s.status(at("2026-03-28T23:00:00Z"));
        assert_eq!(st.next_change.unwrap().at, at("2026-03-29T01:30:00Z"));
        // More than a week ahead, the date is named.
        let s = schedule("2026 Dec 24 08:00-12:00");
        assert_eq!(
            s.status(at("2026-12-03T09:00:00Z")).text,
            "opens 24 Dec 08:00"
        );
    }

    #[test]
    fn exceptions_replace_or_add_to_a_day() {
        let base = "Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off";
        let today = Date::constant(2026, 12, 3);
        let closed = Exception {
            date: Date::constant(2026, 12, 4),
            kind: ExceptionKind::Closed,
            hours: None,
            note: Some("Stocktake".into()),
        };
        let on_duty = Exception {
            date: Date::constant(2026, 12, 5),
            kind: ExceptionKind::Extra,
            hours: Some("20:00-24:00".into()),
            note: Some("On duty".into()),
        };
        let short = Exception {
            date: Date::constant(2026, 12, 7),
            kind: ExceptionKind::Hours,
            hours: Some("10:00-12:00".into()),
            note: None,
        };
        let old = Exception {
            date: Date::constant(2026, 11, 1),
            ..closed.clone()
        };
        let expr = compose(base, &[on_duty.clone(), closed.clone(), short, old], today);
        assert_eq!(
            expr,
            "Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off; 2026 Dec 04 off; 2026 Dec 07 10:00-12:00, 2026 Dec 05 20:00-24:00"
        );
        let s = schedule(&expr);
        // Friday the 4th closed: opens Saturday at 09:00.
        let st = s.status(at("2026-12-04T09:00:00Z"));
        assert_eq!(st.state, State::Closed);
        assert_eq!(st.text, "opens tomorrow 09:00");
        // Saturday keeps its morning and adds the night.
        assert_eq!(s.status(at("2026-12-05T09:00:00Z")).state, State::Open);
        let st = s.status(at("2026-12-05T15:00:00Z"));
        assert_eq!(st.text, "opens 20:00");
        let st = s.status(at("2026-12-05T20:00:00Z"));
        assert_eq!(st.state, State::Open);
        assert_eq!(st.text, "closes 24:00");
        // Monday the 7th: only 10:00-12:00.
        assert_eq!(s.status(at("2026-12-07T08:00:00Z")).state, State::Closed);
        assert_eq!(s.status(at("2026-12-07T09:30:00Z")).state, State::Open);
        // An on-duty night on a public holiday is added to the holiday's "off".
        let xmas = Exception {
            date: Date::constant(2026, 12, 25),
            ..on_duty
        };
        let s = schedule(&compose(base, &[xmas], today));
        assert_eq!(s.status(at("2026-12-25T10:00:00Z")).text, "opens 20:00");
        // Exception hours are time spans only.
        let bad = Exception {
            hours: Some("Mo 20:00-24:00".into()),
            ..closed.clone()
        };
        assert!(bad.validate("hours").is_err());
        let bad = Exception {
            kind: ExceptionKind::Extra,
            hours: Some("20:00-2x:00".into()),
            ..closed
        };
        assert!(bad.validate("hours").is_err());
    }

    #[test]
    fn always_and_never() {
        let st = schedule("24/7").status(at("2026-12-03T09:00:00Z"));
        assert_eq!((st.state, st.text.as_str()), (State::Open, "open 24/7"));
        assert!(st.next_change.is_none());
        let st = schedule("off").status(at("2026-12-03T09:00:00Z"));
        assert_eq!((st.state, st.text.as_str()), (State::Closed, "closed"));
        let st = schedule("unknown \"call ahead\"").status(at("2026-12-03T09:00:00Z"));
        assert_eq!(st.state, State::Unknown);
    }

    #[test]
    fn the_week_table_is_in_wall_clock_time() {
        let s = schedule("Mo-Fr 08:00-19:00; Sa 09:00-13:00");
        let week = s.week(at("2026-12-03T09:00:00Z"), 7);
        // Thu, Fri, Sat, Mon, Tue, Wed.
        assert_eq!(week.len(), 6);
        assert_eq!(week[0].from, "2026-12-03T08:00");
        assert_eq!(week[2].to, "2026-12-05T13:00");
    }
}
