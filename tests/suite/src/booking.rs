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
