//! Slot generation, daylight-saving days included (America/New_York: spring forward on
//! 2026-03-08 at 02:00, fall back on 2026-11-01 at 02:00).

use booking::schedule::{Exception, Interval, Schedule};
use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn new_york(weekly: Vec<(i8, Interval)>) -> Schedule {
    Schedule {
        zone: TimeZone::get("America/New_York").unwrap(),
        visit_minutes: 30,
        weekly,
        exceptions: vec![],
    }
}

fn every_day(start: &str, end: &str) -> Vec<(i8, Interval)> {
    (1..=7)
        .map(|d| (d, Interval::parse(start, end).unwrap()))
        .collect()
}

/// The slots starting on one local date.
fn day(s: &Schedule, y: i16, m: i8, d: i8) -> Vec<booking::schedule::Slot> {
    let zone = s.zone.clone();
    let from = date(y, m, d).to_zoned(zone.clone()).unwrap().timestamp();
    let to = date(y, m, d)
        .tomorrow()
        .unwrap()
        .to_zoned(zone)
        .unwrap()
        .timestamp();
    s.slots(from, to)
}

#[test]
fn office_hours_keep_their_wall_time_and_count_across_both_changes() {
    let s = new_york(every_day("09:00", "17:00"));
    for (y, m, d, first_utc) in [
        (2026, 3, 7, "2026-03-07T14:00:00Z"),   // EST, the day before
        (2026, 3, 8, "2026-03-08T13:00:00Z"),   // EDT from 02:00 that morning
        (2026, 10, 31, "2026-10-31T13:00:00Z"), // EDT
        (2026, 11, 1, "2026-11-01T14:00:00Z"),  // EST from 02:00 that morning
    ] {
        let slots = day(&s, y, m, d);
        assert_eq!(slots.len(), 16, "{y}-{m}-{d}");
        assert_eq!(slots[0].start, ts(first_utc), "{y}-{m}-{d}");
        assert_eq!(slots[0].local_start.time().hour(), 9);
        assert_eq!(slots[15].local_start.time().to_string(), "16:30:00");
    }
}

#[test]
fn spring_forward_night_has_no_slot_in_the_gap_and_loses_none_of_the_time_worked() {
    // 00:00 EST (05:00Z) to 04:00 EDT (08:00Z): three hours actually worked.
    let s = new_york(every_day("00:00", "04:00"));
    let slots = day(&s, 2026, 3, 8);
    let walls: Vec<String> = slots
        .iter()
        .map(|s| s.local_start.time().to_string()[..5].to_string())
        .collect();
    assert_eq!(
        walls,
        ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    );
    assert_eq!(slots.first().unwrap().start, ts("2026-03-08T05:00:00Z"));
    assert_eq!(slots.last().unwrap().end, ts("2026-03-08T08:00:00Z"));
    // Back to back: each slot ends where the next begins.
    assert!(slots.windows(2).all(|w| w[0].end == w[1].start));
}

#[test]
fn fall_back_night_books_the_repeated_hour_twice_told_apart_by_offset() {
    // 00:00 EDT (04:00Z) to 04:00 EST (09:00Z): five hours actually worked.
    let s = new_york(every_day("00:00", "04:00"));
    let slots = day(&s, 2026, 11, 1);
    assert_eq!(slots.len(), 10);
    assert!(slots.windows(2).all(|w| w[0].end == w[1].start));
    let one_am: Vec<&str> = slots
        .iter()
        .filter(|s| s.local_start.time().hour() == 1 && s.local_start.time().minute() == 0)
        .map(|s| s.offset.as_str())
        .collect();
    assert_eq!(one_am, ["-04:00", "-05:00"]);
    // Every instant distinct: nothing double-counted.
    let mut starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    starts.dedup();
    assert_eq!(starts.len(), 10);
}

#[test]
fn exceptions_take_days_off_and_add_hours() {
    let mut s = new_york(vec![(3, Interval::parse("09:00", "12:00").unwrap())]); // Wednesdays
    assert_eq!(day(&s, 2026, 12, 2).len(), 6);
    assert_eq!(day(&s, 2026, 12, 3).len(), 0, "a Thursday");
    s.exceptions.push(Exception::DayOff(date(2026, 12, 2)));
    s.exceptions.push(Exception::Extra(
        date(2026, 12, 3),
        Interval::parse("14:00", "15:00").unwrap(),
    ));
    assert_eq!(day(&s, 2026, 12, 2).len(), 0);
    assert_eq!(day(&s, 2026, 12, 3).len(), 2);
}

#[test]
fn overlapping_intervals_merge_and_a_visit_never_runs_past_the_end() {
    let mut s = new_york(vec![
        (1, Interval::parse("09:00", "10:00").unwrap()),
        (1, Interval::parse("09:30", "10:50").unwrap()),
    ]);
    s.visit_minutes = 30;
    // 09:00–10:50 merged: 09:00, 09:30, 10:00; 10:30 would end at 11:00.
    assert_eq!(day(&s, 2026, 11, 30).len(), 3);
    assert!(s.slot_at(ts("2026-11-30T14:30:00Z")).is_some());
    assert!(
        s.slot_at(ts("2026-11-30T14:31:00Z")).is_none(),
        "not on the grid"
    );
    assert!(
        s.slot_at(ts("2026-11-30T15:30:00Z")).is_none(),
        "would run past 10:50"
    );
}

#[test]
fn intervals_and_wall_times_are_checked() {
    assert!(Interval::parse("17:00", "09:00").is_none());
    assert!(Interval::parse("09:00", "09:00").is_none());
    assert!(Interval::parse("25:00", "26:00").is_none());
    assert!(Interval::parse("9:00", "10:00").is_none());
    assert!(Interval::parse("22:00", "24:00").is_some());
}
