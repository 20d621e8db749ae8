//! booking over HTTP: the real booking.wasm, with tokens from the real auth.wasm. Everything
//! here uses the clock of the app under test (dates are chosen relative to today), so it runs
//! unchanged against `spin up` through HEALTHE_URL.

use blackbox::booking::*;
use blackbox::*;
use serde_json::{json, Value};

#[test]
fn profiles_and_hours_refuse_bad_input_and_the_wrong_people() {
    let d = new_user("doctor");
    let path = format!("/api/booking/doctors/{}", d.id);
    let good = json!({"name": "Dr. Who", "specialty": "cardiology", "city": "Berlin", "state": "BE",
                      "time_zone": "Europe/Berlin", "visit_minutes": 20});
    let mut bad = good.clone();
    bad["time_zone"] = json!("Mars/Olympus_Mons");
    assert_eq!(
        put(&path, &bad, Some(&d.access)).problem(422),
        ["time_zone"]
    );
    bad["time_zone"] = json!("+02:00");
    assert_eq!(
        put(&path, &bad, Some(&d.access)).problem(422),
        ["time_zone"]
    );
    let mut bad = good.clone();
    bad["visit_minutes"] = json!(5);
    assert_eq!(
        put(&path, &bad, Some(&d.access)).problem(422),
        ["visit_minutes"]
    );
    bad["visit_minutes"] = json!("thirty");
    assert!(put(&path, &bad, Some(&d.access))
        .problem(422)
        .contains(&"visit_minutes".to_string()));
    // Not signed in; a patient; another doctor.
    put(&path, &good, None).problem(401);
    put(&path, &good, Some(&new_patient().access)).problem(403);
    put(&path, &good, Some(&new_user("doctor").access)).problem(403);
    assert_eq!(put(&path, &good, Some(&d.access)).status, 201);
    assert_eq!(put(&path, &good, Some(&d.access)).status, 200, "an edit");
    // Hours: end before start, a made-up weekday, an exception that is neither.
    let hours = format!("{path}/hours");
    let r = put(
        &hours,
        &json!({"weekly": [{"weekday": "monday", "start": "17:00", "end": "09:00"}]}),
        Some(&d.access),
    );
    assert_eq!(r.problem(422), ["weekly[0].end"]);
    let r = put(
        &hours,
        &json!({"weekly": [{"weekday": "someday", "start": "09:00", "end": "10:00"}]}),
        Some(&d.access),
    );
    assert_eq!(r.problem(422), ["weekly[0].weekday"]);
    let r = put(
        &hours,
        &json!({"weekly": [], "exceptions": [{"date": "2027-02-30", "off": true}]}),
        Some(&d.access),
    );
    assert_eq!(r.problem(422), ["exceptions[0].date"]);
    // Staff may edit anyone's.
    let staff = new_user("staff");
    assert_eq!(
        put(
            &hours,
            &json!({"weekly": every_day("09:00", "12:00")}),
            Some(&staff.access)
        )
        .status,
        200
    );
    let shown = get(&path, None).json();
    assert_eq!(shown["weekly_hours"].as_array().unwrap().len(), 7);
    assert_eq!(shown["time_zone"], "Europe/Berlin");
}

#[test]
fn slots_keep_daylight_saving_days_whole() {
    // New York: spring forward 2027-03-14, fall back 2027-11-07, both at 02:00.
    let office = doctor_with_hours(
        "America/New_York",
        every_day("09:00", "17:00"),
        "dst-office",
    );
    for day in ["2027-03-13", "2027-03-14", "2027-11-06", "2027-11-07"] {
        let next = match day {
            "2027-03-13" => "2027-03-14",
            "2027-03-14" => "2027-03-15",
            "2027-11-06" => "2027-11-07",
            _ => "2027-11-08",
        };
        let slots = free_slots(&office.id, day, next);
        assert_eq!(slots.len(), 16, "{day}");
        assert_eq!(slots[0]["local_start"], format!("{day}T09:00"));
    }
    assert_eq!(
        free_slots(&office.id, "2027-03-14", "2027-03-15")[0]["starts_at"],
        "2027-03-14T13:00:00Z"
    );
    assert_eq!(
        free_slots(&office.id, "2027-11-07", "2027-11-08")[0]["starts_at"],
        "2027-11-07T14:00:00Z"
    );

    let night = doctor_with_hours("America/New_York", every_day("00:00", "04:00"), "dst-night");
    let spring = free_slots(&night.id, "2027-03-14", "2027-03-15");
    let walls: Vec<&str> = spring
        .iter()
        .map(|s| s["local_start"].as_str().unwrap())
        .collect();
    assert_eq!(
        walls,
        [
            "2027-03-14T00:00",
            "2027-03-14T00:30",
            "2027-03-14T01:00",
            "2027-03-14T01:30",
            "2027-03-14T03:00",
            "2027-03-14T03:30"
        ]
    );
    let fall = free_slots(&night.id, "2027-11-07", "2027-11-08");
    assert_eq!(fall.len(), 10, "five hours worked that night");
    let twice: Vec<&str> = fall
        .iter()
        .filter(|s| s["local_start"] == "2027-11-07T01:00")
        .map(|s| s["utc_offset"].as_str().unwrap())
        .collect();
    assert_eq!(twice, ["-04:00", "-05:00"]);
}

#[test]
fn slot_queries_refuse_bad_ranges_and_unknown_doctors() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "ranges");
    let base = format!("/api/booking/doctors/{}/slots", d.id);
    let r = get(
        &format!("{base}?from={}&to={}", date_in(1), date_in(40)),
        None,
    );
    assert_eq!(r.problem(422), ["to"]);
    let r = get(
        &format!("{base}?from={}&to={}", date_in(5), date_in(2)),
        None,
    );
    assert_eq!(r.problem(422), ["to"]);
    let r = get(&format!("{base}?from=tomorrow"), None);
    assert_eq!(r.problem(422), ["from"]);
    get("/api/booking/doctors/nobody/slots", None).problem(404);
    // A range in the past has no free slots.
    assert!(free_slots(&d.id, "2020-01-01", "2020-01-10").is_empty());
}

#[test]
fn the_whole_lifecycle_by_role_and_every_invalid_transition() {
    let d = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "lifecycle");
    let alice = new_patient();
    let at = a_slot(&d.id, 0);
    let r = book(&alice, &d.id, &at);
    assert_eq!(r.status, 201, "{}", r.text);
    let a = r.json();
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["status"], "requested");
    // The slot is no longer offered.
    assert!(!free_slots(&d.id, &date_in(3), &date_in(5))
        .iter()
        .any(|s| s["starts_at"] == at.as_str()));

    // Who sees it: the patient, the doctor, staff. Anyone else: 404.
    let path = format!("/api/booking/appointments/{id}");
    assert_eq!(get(&path, Some(&alice.access)).status, 200);
    assert_eq!(get(&path, Some(&d.access)).status, 200);
    assert_eq!(get(&path, Some(&new_user("staff").access)).status, 200);
    get(&path, Some(&new_patient().access)).problem(404);
    get(&path, Some(&new_user("doctor").access)).problem(404);
    get(&path, None).problem(401);
    act(&new_patient(), id, "cancel", Some("not mine")).problem(404);

    // The patient cannot answer their own request.
    act(&alice, id, "confirm", None).problem(403);
    // Not confirmed yet: cannot complete or mark no-show.
    for action in ["complete", "no_show"] {
        let r = act(&d, id, action, None);
        r.problem(409);
        assert!(r.json()["detail"].as_str().unwrap().contains("requested"));
    }
    let r = act(&d, id, "confirm", None);
    assert_eq!(r.json()["status"], "confirmed", "{}", r.text);
    for action in ["confirm", "decline"] {
        let r = act(&d, id, action, None);
        r.problem(409);
        assert!(r.json()["detail"].as_str().unwrap().contains("confirmed"));
    }
    // Before the start it cannot be completed.
    let r = act(&d, id, "complete", None);
    r.problem(409);
    assert!(r.json()["type"].as_str().unwrap().ends_with("not-started"));
    act(&d, id, "teleport", None).problem(404);

    // In the doctor's agenda and the patient's list.
    let agenda = get(
        &format!(
            "/api/booking/appointments?status=confirmed&from={}&to={}",
            date_in(3),
            date_in(6)
        ),
        Some(&d.access),
    );
    assert!(
        agenda.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id),
        "{}",
        agenda.text
    );
    let mine = get("/api/booking/appointments", Some(&alice.access)).json();
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id));
    get(
        "/api/booking/appointments?status=maybe",
        Some(&alice.access),
    )
    .problem(422);

    // A cancellation needs a reason; then it is final and the slot is free again.
    assert_eq!(act(&alice, id, "cancel", None).problem(422), ["reason"]);
    let r = act(&alice, id, "cancel", Some("feeling better"));
    assert_eq!(r.json()["status"], "cancelled", "{}", r.text);
    for action in ["confirm", "decline", "cancel", "complete", "no_show"] {
        let r = act(&d, id, action, Some("x"));
        r.problem(409);
        assert!(r.json()["detail"].as_str().unwrap().contains("cancelled"));
    }
    assert_eq!(
        book(&new_patient(), &d.id, &at).status,
        201,
        "the slot was freed"
    );

    // Declined is final too.
    let b = book(&alice, &d.id, &a_slot(&d.id, 1)).json();
    let bid = b["id"].as_str().unwrap();
    assert_eq!(
        act(&d, bid, "decline", Some("fully booked")).json()["status"],
        "declined"
    );
    act(&alice, bid, "cancel", Some("x")).problem(409);
}

#[test]
fn reschedule_moves_in_one_step() {
    let d = doctor_with_hours("Europe/Berlin", every_day("08:00", "18:00"), "reschedule");
    let p = new_patient();
    let first = a_slot(&d.id, 0);
    let id = book(&p, &d.id, &first).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = a_slot(&d.id, 1);
    book(&new_patient(), &d.id, &other);
    let path = format!("/api/booking/appointments/{id}/reschedule");
    let r = post(&path, &json!({"starts_at": other}), Some(&p.access));
    assert!(
        r.json()["type"].as_str().unwrap().ends_with("slot-taken"),
        "{}",
        r.text
    );
    r.problem(409);
    let target = a_slot(&d.id, 2);
    let r = post(&path, &json!({"starts_at": target}), Some(&p.access));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["starts_at"], target.as_str());
    assert_eq!(
        book(&new_patient(), &d.id, &first).status,
        201,
        "the old slot is free"
    );
    assert_eq!(
        post(&path, &json!({"starts_at": "soon"}), Some(&p.access)).problem(422),
        ["starts_at"]
    );
}

#[test]
fn bad_appointment_requests_are_named_problems() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "bad-input");
    let p = new_patient();
    let at = a_slot(&d.id, 0);
    let post_body = |b: Value| post("/api/booking/appointments", &b, Some(&p.access));
    // Off the grid, outside hours, in the past, not an instant.
    let off_grid = at
        .replace(":00:00Z", ":07:00Z")
        .replace(":30:00Z", ":37:00Z");
    assert_eq!(
        post_body(json!({"doctor_id": d.id, "starts_at": off_grid, "reason": "x"})).problem(422),
        ["starts_at"]
    );
    assert_eq!(post_body(json!({"doctor_id": d.id, "starts_at": format!("{}T02:00:00Z", date_in(3)), "reason": "x"})).problem(422), ["starts_at"]);
    assert_eq!(
        post_body(json!({"doctor_id": d.id, "starts_at": "2020-01-06T09:00:00Z", "reason": "x"}))
            .problem(422),
        ["starts_at"]
    );
    assert_eq!(
        post_body(json!({"doctor_id": d.id, "starts_at": "next tuesday", "reason": "x"}))
            .problem(422),
        ["starts_at"]
    );
    // Wrong types and missing fields.
    assert!(
        post_body(json!({"doctor_id": 42, "starts_at": at, "reason": "x"}))
            .problem(422)
            .contains(&"doctor_id".to_string())
    );
    assert!(post_body(json!({"doctor_id": d.id, "starts_at": at}))
        .problem(422)
        .contains(&"reason".to_string()));
    assert_eq!(
        post_body(json!({"doctor_id": d.id, "starts_at": at, "reason": "  "})).problem(422),
        ["reason"]
    );
    assert_eq!(
        post_body(json!({"doctor_id": "nobody", "starts_at": at, "reason": "x"})).problem(422),
        ["doctor_id"]
    );
    send(
        "POST",
        "/api/booking/appointments",
        Some(&p.access),
        Some("application/json"),
        Some(b"{not json".to_vec()),
    )
    .problem(400);
    // Only patients request appointments.
    post(
        "/api/booking/appointments",
        &json!({"doctor_id": d.id, "starts_at": at, "reason": "x"}),
        Some(&d.access),
    )
    .problem(403);
    post(
        "/api/booking/appointments",
        &json!({"doctor_id": d.id, "starts_at": at, "reason": "x"}),
        None,
    )
    .problem(401);
    // Nothing was written by any of that.
    assert!(free_slots(&d.id, &date_in(3), &date_in(5))
        .iter()
        .any(|s| s["starts_at"] == at.as_str()));
    // Search input.
    get("/api/booking/doctors?available_on=someday", None).problem(422);
    get("/api/booking/doctors?sort=price", None).problem(422);
    get("/api/booking/doctors?limit=1000", None).problem(422);
}

#[test]
fn a_retried_post_with_the_same_idempotency_key_returns_the_first_answer() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "idempotency");
    let p = new_patient();
    let at = a_slot(&d.id, 0);
    let body = json!({"doctor_id": d.id, "starts_at": at, "reason": "follow-up"});
    let key = format!("retry-{}", unique());
    let send = |b: &Value| {
        send_json_with(
            "POST",
            "/api/booking/appointments",
            b,
            Some(&p.access),
            &[("idempotency-key", &key)],
        )
    };
    let first = send(&body);
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(&body);
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let mine = get("/api/booking/appointments", Some(&p.access)).json();
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        1,
        "never a second appointment"
    );
    let mut other = body.clone();
    other["starts_at"] = json!(a_slot(&d.id, 1));
    assert_eq!(send(&other).problem(422), ["Idempotency-Key"]);
}

#[test]
fn two_hundred_patients_racing_for_one_slot_make_one_appointment() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "race");
    let at = a_slot(&d.id, 0);
    // Sign up the patients first (eight at a time), then release all requests together.
    let patients: Vec<User> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| (0..25).map(|_| new_patient()).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(patients.len(), 200);
    let barrier = std::sync::Barrier::new(patients.len());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = patients
            .iter()
            .map(|p| {
                let (barrier, at, doctor) = (&barrier, &at, &d.id);
                s.spawn(move || {
                    barrier.wait();
                    book(p, doctor, at).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = statuses.iter().filter(|s| **s == 201).count();
    let conflicts = statuses.iter().filter(|s| **s == 409).count();
    let errors: Vec<_> = statuses.iter().filter(|s| **s >= 500).collect();
    assert_eq!(
        (created, conflicts, errors.len()),
        (1, 199, 0),
        "{statuses:?}"
    );
    let agenda = get(
        &format!(
            "/api/booking/appointments?from={}&to={}",
            date_in(3),
            date_in(6)
        ),
        Some(&d.access),
    )
    .json();
    let at_slot = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["starts_at"] == at.as_str())
        .count();
    assert_eq!(at_slot, 1);
}

#[test]
fn search_filters_and_shows_rating_and_next_free_slot() {
    let specialty = format!("spec-{}", unique());
    let open = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), &specialty);
    let _closed = doctor_with_hours("Europe/Berlin", json!([]), &specialty);
    let r = get(&format!("/api/booking/doctors?specialty={specialty}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let found = items.iter().find(|d| d["id"] == open.id.as_str()).unwrap();
    assert_eq!(found["rating"]["count"], 0);
    assert!(found["next_free_slot"].is_string());
    let r = get(
        &format!(
            "/api/booking/doctors?specialty={specialty}&available_on={}",
            date_in(4)
        ),
        None,
    );
    let ids: Vec<&str> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|s| if s == open.id { "open" } else { "other" })
        .collect();
    assert_eq!(ids, ["open"]);
    let r = get(
        &format!("/api/booking/doctors?specialty={specialty}&limit=1&sort=rating"),
        None,
    );
    let b = r.json();
    assert_eq!(b["items"].as_array().unwrap().len(), 1);
    let next = b["next_cursor"].as_str().unwrap();
    let r = get(
        &format!("/api/booking/doctors?specialty={specialty}&limit=1&sort=rating&cursor={next}"),
        None,
    );
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
    assert_ne!(r.json()["items"][0]["id"], b["items"][0]["id"]);
    let r = get("/api/booking/doctors?q=prevention&city=springfield", None);
    assert!(
        !r.json()["items"].as_array().unwrap().is_empty(),
        "{}",
        r.text
    );
}

#[test]
fn calendar_feeds_are_reachable_by_secret_url_until_revoked() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "calendar");
    let p = new_patient();
    let id = book(&p, &d.id, &a_slot(&d.id, 0)).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = post("/api/booking/calendar/feeds", &json!({}), Some(&p.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let path = r.json()["path"].as_str().unwrap().to_string();
    let ics = get(&path, None);
    assert_eq!(ics.status, 200);
    assert!(ics
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert!(ics.text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.text.contains(&format!("UID:{id}@healthe\r\n")));
    assert!(ics.text.contains("STATUS:TENTATIVE"));
    assert!(
        !ics.text.contains("check-up"),
        "no health data in a feed third parties fetch"
    );
    get("/api/booking/calendar.ics?token=guess", None).problem(404);
    assert_eq!(
        send(
            "DELETE",
            "/api/booking/calendar/feeds",
            Some(&p.access),
            None,
            None
        )
        .status,
        204
    );
    get(&path, None).problem(404);
}

#[test]
fn the_event_feed_serves_every_change_to_service_callers() {
    let d = doctor_with_hours("Europe/Berlin", every_day("09:00", "17:00"), "events");
    let p = new_patient();
    let id = book(&p, &d.id, &a_slot(&d.id, 0)).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    act(&d, &id, "confirm", None);
    get("/api/booking/events", Some(&p.access)).problem(403);
    let staff = new_user("staff");
    let mut cursor = String::new();
    let mut kinds = Vec::new();
    loop {
        let r = get(
            &format!("/api/booking/events?limit=100&cursor={cursor}"),
            Some(&staff.access),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        let items = b["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        kinds.extend(
            items
                .iter()
                .filter(|e| e["appointment_id"] == id.as_str())
                .map(|e| e["kind"].as_str().unwrap().to_string()),
        );
        cursor = b["next_cursor"].as_str().unwrap().to_string();
    }
    assert_eq!(kinds, ["requested", "confirmed"]);
}

/// Seconds since the epoch, by this machine's clock.
#[test]
fn after_the_start_visits_complete_or_are_missed_and_completed_ones_get_one_review() {
    // Accounts first (password hashing is the slow part), then the hours, then at once the bookings.
    let (d1, d2) = (new_user("doctor"), new_user("doctor"));
    let (p1, p2) = (new_patient(), new_patient());
    let (zone, weekly, at, start) = a_slot_about_to_start();
    for d in [&d1, &d2] {
        publish(d, zone, weekly.clone(), "now", 10);
    }
    let a1 = book(&p1, &d1.id, &at);
    assert_eq!(a1.status, 201, "{}", a1.text);
    let a1 = a1.json()["id"].as_str().unwrap().to_string();
    let a2 = book(&p2, &d2.id, &at).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(act(&d1, &a1, "confirm", None).status, 200);
    assert_eq!(act(&d2, &a2, "confirm", None).status, 200);
    // Inside the 24-hour cut-off: the patient can no longer cancel.
    let r = act(&p1, &a1, "cancel", Some("changed my mind"));
    r.problem(409);
    assert!(r.json()["type"]
        .as_str()
        .unwrap()
        .ends_with("too-late-to-cancel"));
    // Not reviewable before it happened.
    post(
        &format!("/api/booking/appointments/{a1}/review"),
        &json!({"rating": 5}),
        Some(&p1.access),
    )
    .problem(409);

    wait_until(start);
    assert_eq!(
        act(&d1, &a1, "complete", None).json()["status"],
        "completed"
    );
    assert_eq!(act(&d2, &a2, "no_show", None).json()["status"], "no_show");
    for (d, id) in [(&d1, &a1), (&d2, &a2)] {
        for action in ["confirm", "decline", "cancel", "complete", "no_show"] {
            act(d, id, action, Some("x")).problem(409);
        }
    }

    // One review, by the visit's patient, in range.
    let review = format!("/api/booking/appointments/{a1}/review");
    assert_eq!(
        post(&review, &json!({"rating": 6}), Some(&p1.access)).problem(422),
        ["rating"]
    );
    assert_eq!(
        post(&review, &json!({"rating": "five"}), Some(&p1.access)).problem(422),
        ["rating"]
    );
    assert_eq!(
        post(
            &review,
            &json!({"rating": 4, "text": "x".repeat(2001)}),
            Some(&p1.access)
        )
        .problem(422),
        ["text"]
    );
    post(&review, &json!({"rating": 4}), Some(&p2.access)).problem(404);
    let r = post(
        &review,
        &json!({"rating": 4, "text": "Kind and thorough."}),
        Some(&p1.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    post(&review, &json!({"rating": 5}), Some(&p1.access)).problem(409);
    post(
        &format!("/api/booking/appointments/{a2}/review"),
        &json!({"rating": 1}),
        Some(&p2.access),
    )
    .problem(409);
    let shown = get(&format!("/api/booking/doctors/{}/reviews", d1.id), None).json();
    assert_eq!(shown["rating"]["count"], 1);
    assert_eq!(shown["rating"]["average"], 4.0);
    assert_eq!(shown["items"][0]["text"], "Kind and thorough.");
}
