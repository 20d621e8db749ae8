//! Appointments on real SQLite with the real migration: the lifecycle and its invalid
//! transitions, idempotency, expiry, rescheduling, the invariant under concurrent writers, the
//! event feed, and reviews.

use booking::appointments::{self, Action, Actor, NewRequest, Policy, Requested, Status};
use booking::doctors::{self, Profile};
use booking::schedule::Interval;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use service_kit::db::{Db, SqliteDb};
use service_kit::token::Role;
use std::path::PathBuf;

const DOCTOR: &str = "doc-1";

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("booking-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("booking.db")
}

/// A database with one doctor in Berlin working 09:00–17:00 every day, 30-minute visits.
fn setup(name: &str) -> (PathBuf, SqliteDb) {
    let path = temp_db(name);
    let db = SqliteDb::open(&path);
    service_kit::migrate::apply(&db, "booking", booking::MIGRATIONS).unwrap();
    let profile = Profile {
        name: "Dr. Ada Weiss".into(),
        specialty: "cardiology".into(),
        city: "Berlin".into(),
        region: "BE".into(),
        languages: vec!["de".into(), "en".into()],
        bio: "Heart rhythm.".into(),
        zone: TimeZone::get("Europe/Berlin").unwrap(),
        visit_minutes: 30,
    };
    assert!(doctors::upsert(&db, DOCTOR, &profile, "2026-11-01T00:00:00Z").unwrap());
    let weekly: Vec<_> = (1..=7)
        .map(|d| (d, Interval::parse("09:00", "17:00").unwrap()))
        .collect();
    doctors::set_hours(&db, DOCTOR, &weekly, &[], "2026-11-01T00:00:00Z").unwrap();
    (path, db)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn now() -> Timestamp {
    ts("2026-12-01T08:00:00Z")
}

fn patient(id: &str) -> Actor {
    Actor {
        id: id.into(),
        role: Role::Patient,
    }
}

fn doctor() -> Actor {
    Actor {
        id: DOCTOR.into(),
        role: Role::Doctor,
    }
}

/// 10:00 Berlin on 2026-12-03 (CET, UTC+1).
const SLOT: &str = "2026-12-03T09:00:00Z";

fn book(
    db: &dyn Db,
    who: &Actor,
    at: &str,
) -> Result<appointments::Appointment, service_kit::Problem> {
    appointments::request(
        db,
        &Policy::default(),
        now(),
        who,
        &NewRequest {
            doctor_id: DOCTOR,
            starts_at: ts(at),
            reason: "palpitations",
            idempotency: None,
        },
    )
    .map(|r| match r {
        Requested::Created(a) | Requested::Replayed(a) => a,
    })
}

fn act(
    db: &dyn Db,
    who: &Actor,
    id: &str,
    action: Action,
    at: Timestamp,
) -> Result<appointments::Appointment, service_kit::Problem> {
    appointments::transition(
        db,
        &Policy::default(),
        at,
        who,
        id,
        action,
        Some("a reason"),
    )
}

#[test]
fn the_whole_lifecycle_and_every_invalid_transition() {
    let (_p, db) = setup("lifecycle");
    let alice = patient("alice");
    let a = book(&db, &alice, SLOT).unwrap();
    assert_eq!(a.status, Status::Requested);

    // A patient cannot confirm; a stranger cannot even see it.
    let p = act(&db, &alice, &a.id, Action::Confirm, now()).unwrap_err();
    assert_eq!(p.status, 403);
    let p = act(&db, &patient("mallory"), &a.id, Action::Cancel, now()).unwrap_err();
    assert_eq!(p.status, 404);
    // Not started: cannot be completed or marked no-show; not confirmed either.
    for action in [Action::Complete, Action::NoShow] {
        let p = act(&db, &doctor(), &a.id, action, now()).unwrap_err();
        assert_eq!(p.status, 409);
        assert!(p.detail.contains("requested"), "{}", p.detail);
    }

    let a = act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
    assert_eq!(a.status, Status::Confirmed);
    for action in [Action::Confirm, Action::Decline] {
        let p = act(&db, &doctor(), &a.id, action, now()).unwrap_err();
        assert_eq!(p.status, 409, "{action:?}");
        assert!(p.detail.contains("confirmed"), "{}", p.detail);
    }
    // Before the start it cannot be completed.
    let p = act(&db, &doctor(), &a.id, Action::Complete, now()).unwrap_err();
    assert_eq!(p.kind, "not-started");
    // After it, it can.
    let later = ts(SLOT) + SignedDuration::from_mins(5);
    let a = act(&db, &doctor(), &a.id, Action::Complete, later).unwrap();
    assert_eq!(a.status, Status::Completed);
    for action in [
        Action::Confirm,
        Action::Decline,
        Action::Cancel,
        Action::Complete,
        Action::NoShow,
    ] {
        let p = act(&db, &doctor(), &a.id, action, later).unwrap_err();
        assert_eq!(p.status, 409, "{action:?}");
        assert!(p.detail.contains("completed"));
    }

    // Declined and cancelled are final too, and free the slot.
    let b = book(&db, &alice, "2026-12-03T10:00:00Z").unwrap();
    let b = act(&db, &doctor(), &b.id, Action::Decline, now()).unwrap();
    assert_eq!(b.status, Status::Declined);
    assert_eq!(
        act(&db, &alice, &b.id, Action::Cancel, now())
            .unwrap_err()
            .status,
        409
    );
    let c = book(&db, &patient("bob"), "2026-12-03T10:00:00Z").unwrap();
    let c = act(&db, &patient("bob"), &c.id, Action::Cancel, now()).unwrap();
    assert_eq!(c.status, Status::Cancelled);
    assert_eq!(c.note.as_deref(), Some("a reason"));
}

#[test]
fn a_cancellation_needs_a_reason_and_patients_respect_the_cutoff() {
    let (_p, db) = setup("cutoff");
    let alice = patient("alice");
    let a = book(&db, &alice, SLOT).unwrap();
    let p = appointments::transition(
        &db,
        &Policy::default(),
        now(),
        &alice,
        &a.id,
        Action::Cancel,
        Some("  "),
    )
    .unwrap_err();
    assert_eq!(p.status, 422);
    // Two hours before the start is inside the 24-hour cut-off for the patient...
    let late = ts(SLOT) - SignedDuration::from_hours(2);
    let p = act(&db, &alice, &a.id, Action::Cancel, late).unwrap_err();
    assert_eq!(p.kind, "too-late-to-cancel");
    // ...but not for the doctor.
    assert_eq!(
        act(&db, &doctor(), &a.id, Action::Cancel, late)
            .unwrap()
            .status,
        Status::Cancelled
    );
}

#[test]
fn slots_are_checked_and_never_double_booked() {
    let (_p, db) = setup("slots");
    let p = book(&db, &patient("a"), "2026-11-30T09:00:00Z").unwrap_err();
    assert_eq!(
        (p.status, p.errors[0].field.as_str()),
        (422, "starts_at"),
        "past"
    );
    let p = book(&db, &patient("a"), "2026-12-03T09:10:00Z").unwrap_err();
    assert_eq!(
        (p.status, p.errors[0].field.as_str()),
        (422, "starts_at"),
        "off the grid"
    );
    let p = book(&db, &patient("a"), "2026-12-03T03:00:00Z").unwrap_err();
    assert_eq!(p.status, 422, "outside hours");

    book(&db, &patient("a"), SLOT).unwrap();
    let p = book(&db, &patient("b"), SLOT).unwrap_err();
    assert_eq!((p.status, p.kind), (409, "slot-taken"));
    // The same patient cannot hold two appointments at one instant, even with two doctors.
    let profile = Profile {
        name: "Dr. B".into(),
        specialty: "gp".into(),
        city: "Berlin".into(),
        region: "BE".into(),
        languages: vec![],
        bio: String::new(),
        zone: TimeZone::get("Europe/Berlin").unwrap(),
        visit_minutes: 30,
    };
    doctors::upsert(&db, "doc-2", &profile, "2026-11-01T00:00:00Z").unwrap();
    let weekly = vec![(4, Interval::parse("09:00", "17:00").unwrap())];
    doctors::set_hours(&db, "doc-2", &weekly, &[], "2026-11-01T00:00:00Z").unwrap();
    let p = appointments::request(
        &db,
        &Policy::default(),
        now(),
        &patient("a"),
        &NewRequest {
            doctor_id: "doc-2",
            starts_at: ts(SLOT),
            reason: "x",
            idempotency: None,
        },
    )
    .err()
    .unwrap();
    assert_eq!((p.status, p.kind), (409, "patient-busy"));
}

#[test]
fn concurrent_requests_for_one_slot_make_exactly_one_appointment() {
    let (path, _db) = setup("race");
    let results: Vec<Result<_, service_kit::Problem>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|n| {
                let path = path.clone();
                s.spawn(move || {
                    // Each writer its own connection, as Spin gives each request.
                    let db = SqliteDb::open(&path);
                    db.execute("PRAGMA busy_timeout = 5000", &[]).unwrap();
                    book(&db, &patient(&format!("p{n}")), SLOT)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(p) if p.kind == "slot-taken"))
        .count();
    assert_eq!((ok, conflicts), (1, 15), "{results:?}");
}

#[test]
fn a_retried_request_with_the_same_key_returns_the_first_appointment() {
    let (_p, db) = setup("idempotency");
    let alice = patient("alice");
    let req = |hash: &'static str, at: &'static str| NewRequest {
        doctor_id: DOCTOR,
        starts_at: ts(at),
        reason: "follow-up",
        idempotency: Some(("key-1", hash)),
    };
    let first =
        match appointments::request(&db, &Policy::default(), now(), &alice, &req("h1", SLOT))
            .unwrap()
        {
            Requested::Created(a) => a,
            Requested::Replayed(_) => panic!("first is created"),
        };
    let again =
        match appointments::request(&db, &Policy::default(), now(), &alice, &req("h1", SLOT))
            .unwrap()
        {
            Requested::Replayed(a) => a,
            Requested::Created(_) => panic!("a second appointment"),
        };
    assert_eq!(first.id, again.id);
    // The same key with another body is refused, not silently replayed.
    let p = appointments::request(
        &db,
        &Policy::default(),
        now(),
        &alice,
        &req("h2", "2026-12-03T11:00:00Z"),
    )
    .err()
    .unwrap();
    assert_eq!(
        (p.status, p.errors[0].field.as_str()),
        (422, "Idempotency-Key")
    );
    // Another patient's same key is theirs alone.
    assert!(matches!(
        appointments::request(
            &db,
            &Policy::default(),
            now(),
            &patient("bob"),
            &NewRequest {
                doctor_id: DOCTOR,
                starts_at: ts("2026-12-03T12:00:00Z"),
                reason: "x",
                idempotency: Some(("key-1", "h1"))
            }
        )
        .unwrap(),
        Requested::Created(_)
    ));
}

#[test]
fn an_unanswered_request_expires_and_frees_its_slot() {
    let (_p, db) = setup("expiry");
    let a = book(&db, &patient("a"), SLOT).unwrap();
    // The default policy lets a request lapse after 48 hours, or at its start if sooner.
    assert_eq!(a.expires_at, ts("2026-12-03T08:00:00Z"));
    let after = ts("2026-12-03T08:00:01Z");
    let p = act(&db, &doctor(), &a.id, Action::Confirm, after).unwrap_err();
    assert!(p.detail.contains("expired"), "{}", p.detail);
    // A short time-to-live frees the slot for someone else before the start.
    let policy = Policy {
        request_ttl: SignedDuration::from_hours(1),
        ..Policy::default()
    };
    let b = appointments::request(
        &db,
        &policy,
        now(),
        &patient("b"),
        &NewRequest {
            doctor_id: DOCTOR,
            starts_at: ts("2026-12-04T09:00:00Z"),
            reason: "x",
            idempotency: None,
        },
    )
    .ok()
    .unwrap();
    let two_hours_later = now() + SignedDuration::from_hours(2);
    let c = appointments::request(
        &db,
        &policy,
        two_hours_later,
        &patient("c"),
        &NewRequest {
            doctor_id: DOCTOR,
            starts_at: ts("2026-12-04T09:00:00Z"),
            reason: "x",
            idempotency: None,
        },
    );
    assert!(c.is_ok(), "the lapsed request freed the slot");
    let b = match b {
        Requested::Created(b) => b,
        Requested::Replayed(b) => b,
    };
    assert_eq!(
        appointments::get(&db, two_hours_later, &patient("b"), &b.id)
            .unwrap()
            .status,
        Status::Expired
    );
}

#[test]
fn reschedule_moves_in_one_step_and_respects_the_invariant() {
    let (_p, db) = setup("reschedule");
    let a = book(&db, &patient("a"), SLOT).unwrap();
    let a = act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
    book(&db, &patient("b"), "2026-12-03T10:00:00Z").unwrap();
    let p = appointments::reschedule(
        &db,
        &Policy::default(),
        now(),
        &patient("a"),
        &a.id,
        ts("2026-12-03T10:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(p.kind, "slot-taken");
    let p = appointments::reschedule(
        &db,
        &Policy::default(),
        now(),
        &patient("a"),
        &a.id,
        ts("2026-12-03T10:05:00Z"),
    )
    .unwrap_err();
    assert_eq!(p.status, 422);
    let moved = appointments::reschedule(
        &db,
        &Policy::default(),
        now(),
        &patient("a"),
        &a.id,
        ts("2026-12-03T11:00:00Z"),
    )
    .unwrap();
    assert_eq!(moved.starts_at, ts("2026-12-03T11:00:00Z"));
    assert_eq!(
        moved.status,
        Status::Requested,
        "a patient's move goes back to the doctor"
    );
    // The old slot is free again.
    book(&db, &patient("c"), SLOT).unwrap();
    // The feed saw every change, in order.
    let kinds: Vec<String> = booking::events::after(&db, 0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.appointment_id == a.id)
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["requested", "confirmed", "rescheduled", "requested"]
    );
}

#[test]
fn reviews_one_per_completed_visit_and_the_average_stays_right_under_concurrency() {
    let (path, db) = setup("reviews");
    let mut ids = Vec::new();
    for n in 0..8 {
        let at = format!("2026-12-03T{:02}:00:00Z", 8 + n);
        let a = book(&db, &patient(&format!("p{n}")), &at).unwrap();
        act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
        let after = ts(&at) + SignedDuration::from_mins(40);
        act(&db, &doctor(), &a.id, Action::Complete, after).unwrap();
        ids.push((n, a.id));
    }
    let later = ts("2026-12-05T00:00:00Z");
    std::thread::scope(|s| {
        for (n, id) in &ids {
            let path = path.clone();
            s.spawn(move || {
                let db = SqliteDb::open(&path);
                db.execute("PRAGMA busy_timeout = 5000", &[]).unwrap();
                booking::reviews::add(
                    &db,
                    later,
                    &patient(&format!("p{n}")),
                    id,
                    (n % 5 + 1) as i64,
                    "thanks",
                )
                .unwrap();
            });
        }
    });
    let d = doctors::get(&db, DOCTOR).unwrap();
    // Ratings 1,2,3,4,5,1,2,3: 21 / 8.
    assert_eq!(d.rating.count, 8);
    assert_eq!(d.rating.average, Some(2.63));
    let (n, id) = &ids[0];
    let p =
        booking::reviews::add(&db, later, &patient(&format!("p{n}")), id, 5, "again").unwrap_err();
    assert_eq!(p.kind, "already-reviewed");
    let p = booking::reviews::add(&db, later, &patient("p1"), id, 5, "not mine").unwrap_err();
    assert_eq!(p.status, 404);
    let p = booking::reviews::add(&db, later, &patient("p1"), &ids[1].1, 6, "").unwrap_err();
    assert_eq!(p.errors[0].field, "rating");
    let long = "x".repeat(2001);
    let p = booking::reviews::add(&db, later, &patient("p1"), &ids[1].1, 4, &long).unwrap_err();
    assert_eq!(p.errors[0].field, "text");
    // Not completed: no review.
    let open = book(&db, &patient("q"), "2026-12-04T09:00:00Z").unwrap();
    let p = booking::reviews::add(&db, later, &patient("q"), &open.id, 4, "").unwrap_err();
    assert_eq!(p.status, 409);
}

#[test]
fn one_patient_cannot_hold_more_than_ten_upcoming_appointments() {
    let (_p, db) = setup("squat");
    let greedy = patient("greedy");
    for n in 0..10 {
        let at = format!("2026-12-03T{:02}:{:02}:00Z", 8 + n / 2, n % 2 * 30);
        book(&db, &greedy, &at).unwrap();
    }
    let p = book(&db, &greedy, "2026-12-04T09:00:00Z").unwrap_err();
    assert_eq!((p.status, p.kind), (409, "too-many-appointments"));
    // Cancelling one makes room.
    let first = appointments::list(
        &db,
        now(),
        &appointments::Owner::Patient("greedy".into()),
        &Default::default(),
        None,
        1,
    )
    .unwrap()
    .remove(0);
    act(&db, &greedy, &first.id, Action::Cancel, now()).unwrap();
    book(&db, &greedy, "2026-12-04T09:00:00Z").unwrap();
}

#[test]
fn a_doctor_treats_a_patient_from_confirmation_until_the_window_after_the_visit() {
    let (_p, db) = setup("care");
    let window = Policy::default().care_window;
    let basis = |at: Timestamp, patient: &str| {
        booking::care::basis(&db, at, window, DOCTOR, patient).unwrap()
    };
    let a = book(&db, &patient("p1"), SLOT).unwrap();
    assert!(basis(now(), "p1").is_none(), "a request is not care yet");
    act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
    let b = basis(now(), "p1").unwrap();
    assert_eq!(
        (b.appointment_id.as_str(), b.status.as_str()),
        (a.id.as_str(), "confirmed")
    );
    assert!(basis(now(), "p2").is_none(), "another patient");
    let after = ts("2026-12-03T10:00:00Z");
    appointments::transition(
        &db,
        &Policy::default(),
        after,
        &doctor(),
        &a.id,
        Action::Complete,
        None,
    )
    .unwrap();
    assert_eq!(basis(after, "p1").unwrap().status, "completed");
    // A year and a day after the visit, the relationship has lapsed.
    let lapsed = after + window + SignedDuration::from_hours(24);
    assert!(basis(lapsed, "p1").is_none());
    // A demoted doctor keeps the id but not the role: booking's actions check the role.
    let demoted = Actor {
        id: DOCTOR.into(),
        role: Role::Patient,
    };
    let b2 = book(&db, &patient("p3"), "2026-12-03T11:00:00Z").unwrap();
    assert!(appointments::get(&db, now(), &demoted, &b2.id).is_err());
}

/// A booking's doctor read also asks whether any request has lapsed, each by its own index.
#[test]
fn the_doctor_and_lapse_probe_is_two_index_lookups() {
    let (_p, db) = setup("plan-lapse");
    let sql = appointments::doctor_and_lapsed_query();
    let values = [
        service_kit::db::Value::from("2026-12-01T00:00:00Z"),
        service_kit::db::Value::from("d"),
    ];
    let plan = service_kit::db::query_plan(&db, &sql, &values).unwrap();
    let joined = plan.join(" | ");
    assert!(
        joined.contains("SEARCH booking_doctors USING INDEX sqlite_autoindex_booking_doctors_1")
            || joined.contains("SEARCH booking_doctors USING PRIMARY KEY"),
        "{joined}"
    );
    assert!(
        joined.contains("USING COVERING INDEX booking_appointments_expiring")
            || joined.contains("USING INDEX booking_appointments_expiring"),
        "{joined}"
    );
    assert!(!joined.contains("SCAN"), "{joined}");
}

/// Every shape of an appointment list — a patient's or a doctor's, with or without status and
/// range, first page or later — is one walk of the owner's `(…, starts_at, id)` index: no scan,
/// no sort (EXPLAIN QUERY PLAN on the migrated database).
#[test]
fn an_appointment_page_is_one_index_walk() {
    use appointments::{list_query, ListFilter, Owner};
    let (_p, db) = setup("plans");
    let filters = [
        ListFilter::default(),
        ListFilter {
            status: Some(Status::Confirmed),
            from: Some(ts("2026-12-01T00:00:00Z")),
            to: Some(ts("2026-12-08T00:00:00Z")),
        },
    ];
    for owner in [Owner::Patient("p".into()), Owner::Doctor("d".into())] {
        let index = match owner {
            Owner::Patient(_) => "booking_appointments_by_patient",
            Owner::Doctor(_) => "booking_appointments_by_doctor",
        };
        for filter in &filters {
            for after in [None, Some(("2026-12-02T09:00:00Z".into(), "x".into()))] {
                let (sql, values) = list_query(&owner, filter, after, 21);
                let plan = service_kit::db::query_plan(&db, &sql, &values).unwrap();
                assert_eq!(plan.len(), 1, "{sql}: {plan:#?}");
                assert!(
                    plan[0]
                        .starts_with(&format!("SEARCH booking_appointments USING INDEX {index}")),
                    "{sql}: {plan:#?}"
                );
            }
        }
    }
}

#[test]
fn a_confirmed_visit_is_reminded_once_within_the_lead_and_its_links_answer_once() {
    use booking::reminders::{self, Answer, Refused};
    let (_p, db) = setup("reminders");
    let alice = patient("alice");
    let a = book(&db, &alice, SLOT).unwrap();
    let lead = SignedDuration::from_hours(24);
    // Only confirmed visits are reminded, and only within the lead.
    assert_eq!(reminders::sweep(&db, now(), lead).unwrap(), 0);
    act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
    assert_eq!(reminders::sweep(&db, now(), lead).unwrap(), 0, "49 h ahead");
    let day_before = ts("2026-12-02T09:30:00Z");
    assert_eq!(reminders::sweep(&db, day_before, lead).unwrap(), 1);
    assert_eq!(reminders::sweep(&db, day_before, lead).unwrap(), 0, "once");
    let kinds: Vec<String> = db
        .execute(
            "SELECT kind FROM booking_events WHERE appointment_id = ? ORDER BY seq",
            &[a.id.as_str().into()],
        )
        .unwrap()
        .iter()
        .map(|r| r.get("kind").unwrap())
        .collect();
    assert_eq!(kinds, ["requested", "confirmed", "reminder"]);

    let key = service_kit::signed::key(&db, "booking").unwrap();
    let token = |answer| {
        reminders::link(&key, &a.id, answer, ts(SLOT))
            .split("token=")
            .nth(1)
            .unwrap()
            .to_string()
    };
    let policy = Policy {
        cancel_cutoff: SignedDuration::from_hours(2),
        ..Policy::default()
    };
    let attend = token(Answer::Attend);
    let (_, done) = reminders::answer(&db, &policy, &key, &attend, day_before).unwrap();
    assert!(done.attendance_confirmed_at.is_some());
    assert_eq!(
        reminders::answer(&db, &policy, &key, &attend, day_before).unwrap_err(),
        Refused::Spent
    );
    assert_eq!(
        reminders::answer(&db, &policy, &key, "forged.token", day_before).unwrap_err(),
        Refused::Invalid
    );
    // The cut-off holds for a cancellation by link as for any by the patient.
    let cancel = token(Answer::Cancel);
    let late = ts("2026-12-03T08:00:00Z");
    match reminders::answer(&db, &policy, &key, &cancel, late).unwrap_err() {
        Refused::Rule(p) => assert_eq!(p.status, 409),
        other => panic!("{other:?}"),
    }
    let (_, done) = reminders::answer(&db, &policy, &key, &cancel, day_before).unwrap();
    assert_eq!(done.status, Status::Cancelled);
    assert_eq!(
        done.note.as_deref(),
        Some("cancelled by the patient from the reminder")
    );
    // Past its start, no link does anything.
    assert_eq!(
        reminders::open(&db, &key, &attend, ts(SLOT)).unwrap_err(),
        Refused::Spent
    );
}

#[test]
fn a_moved_visit_is_reminded_again_and_its_old_links_die() {
    use booking::reminders::{self, Answer, Refused};
    let (_p, db) = setup("reminders-move");
    let alice = patient("alice");
    let a = book(&db, &alice, SLOT).unwrap();
    act(&db, &doctor(), &a.id, Action::Confirm, now()).unwrap();
    let lead = SignedDuration::from_hours(72);
    assert_eq!(reminders::sweep(&db, now(), lead).unwrap(), 1);
    let key = service_kit::signed::key(&db, "booking").unwrap();
    let old = reminders::link(&key, &a.id, Answer::Attend, ts(SLOT));
    let old = old.split("token=").nth(1).unwrap();
    let moved = appointments::reschedule(
        &db,
        &Policy::default(),
        now(),
        &doctor(),
        &a.id,
        ts("2026-12-03T10:00:00Z"),
    )
    .unwrap();
    assert_eq!(moved.status, Status::Confirmed);
    assert_eq!(
        reminders::open(&db, &key, old, now()).unwrap_err(),
        Refused::Spent
    );
    assert_eq!(
        reminders::sweep(&db, now(), lead).unwrap(),
        1,
        "the new time"
    );
}
