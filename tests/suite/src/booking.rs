//! Booking helpers the suite's files share: doctors with hours, free slots, booking, actions.

use crate::{date_in, get, new_user, post, put, unique, Reply, User};
use serde_json::{json, Value};

/// A doctor with a profile in `zone` and the given weekly hours, edited by the doctor themself.
pub fn doctor_with_hours(zone: &str, weekly: Value, specialty: &str) -> User {
    let d = new_user("doctor");
    publish(&d, zone, weekly, specialty, 30);
    d
}

/// Gives doctor `d` a profile and weekly hours, as they would themself.
pub fn publish(d: &User, zone: &str, weekly: Value, specialty: &str, visit_minutes: u32) {
    let r = put(
        &format!("/api/booking/doctors/{}", d.id),
        &json!({"name": format!("Dr. {}", unique()), "specialty": specialty, "city": "Springfield",
                "state": "IL", "languages": ["en", "es"], "bio": "Family medicine and prevention.",
                "time_zone": zone, "visit_minutes": visit_minutes}),
        Some(&d.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = put(
        &format!("/api/booking/doctors/{}/hours", d.id),
        &json!({"weekly": weekly}),
        Some(&d.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

pub fn every_day(start: &str, end: &str) -> Value {
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    Value::Array(
        days.iter()
            .map(|d| json!({"weekday": d, "start": start, "end": end}))
            .collect(),
    )
}

pub fn free_slots(doctor: &str, from: &str, to: &str) -> Vec<Value> {
    let r = get(
        &format!("/api/booking/doctors/{doctor}/slots?from={from}&to={to}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["items"].as_array().unwrap().clone()
}

/// A free slot a few days ahead.
pub fn a_slot(doctor: &str, nth: usize) -> String {
    let slots = free_slots(doctor, &date_in(3), &date_in(5));
    slots[nth]["starts_at"].as_str().unwrap().to_string()
}

pub fn book(patient: &User, doctor: &str, at: &str) -> Reply {
    post(
        "/api/booking/appointments",
        &json!({"doctor_id": doctor, "starts_at": at, "reason": "check-up"}),
        Some(&patient.access),
    )
}

pub fn act(user: &User, id: &str, action: &str, reason: Option<&str>) -> Reply {
    let body = match reason {
        Some(r) => json!({"reason": r}),
        None => json!({}),
    };
    post(
        &format!("/api/booking/appointments/{id}/{action}"),
        &body,
        Some(&user.access),
    )
}

pub fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Hours that produce a slot starting at the next whole minute at least 20 s away, in a zone
/// where that minute is not within ten minutes of local midnight (so the interval stays in one
/// day): (zone, weekly hours, the slot's start as RFC 3339, its epoch second).
pub fn a_slot_about_to_start() -> (&'static str, Value, String, i64) {
    let now = epoch_now();
    // 20 s: time to set the hours, book and confirm before the start, on a busy machine.
    let start = (now + 20 + 59) / 60 * 60;
    let utc_minute_of_day = start.rem_euclid(86_400) / 60;
    // Kolkata is UTC+05:30 all year: far from midnight when UTC is near it.
    let (zone, offset) = if !(15..23 * 60 + 45).contains(&utc_minute_of_day) {
        ("Asia/Kolkata", 330)
    } else {
        ("UTC", 0)
    };
    let local = (utc_minute_of_day + offset).rem_euclid(1440);
    // ISO weekday of the local date: 1970-01-01 was a Thursday (4).
    let local_day = (start + offset * 60).div_euclid(86_400);
    let weekday = [
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
    ][local_day.rem_euclid(7) as usize];
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let weekly = json!([{"weekday": weekday, "start": hhmm(local), "end": hhmm(local + 10)}]);
    // The UTC date of `start`, as days from today.
    let date = date_in(start.div_euclid(86_400) - now.div_euclid(86_400));
    let at = format!("{date}T{}:00Z", hhmm(utc_minute_of_day));
    (zone, weekly, at, start)
}

/// Sleeps until two seconds after `epoch_second`.
pub fn wait_until(epoch_second: i64) {
    let wait = epoch_second + 2 - epoch_now();
    if wait > 0 {
        std::thread::sleep(std::time::Duration::from_secs(wait as u64));
    }
}

/// A visit `patient` booked with `doctor` (a few days ahead) and the doctor confirmed: what
/// makes the doctor the patient's treating doctor. Its id.
pub fn confirmed_visit(patient: &User, doctor: &User) -> String {
    let r = book(patient, &doctor.id, &a_slot(&doctor.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let c = act(doctor, &id, "confirm", None);
    assert_eq!(c.status, 200, "{}", c.text);
    id
}
