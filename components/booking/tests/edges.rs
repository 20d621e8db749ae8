//! Property tests at the edges of dates and numbers: whatever a query string holds — years
//! ±9999, day 31 of February, limits past u32, offsets far out — booking answers a 2xx or a
//! named 4xx, never a 5xx. (`available_on=9999-12-31` was a 500 once: the day has no tomorrow.)

use booking::Ctx;
use proptest::prelude::*;
use service_kit::db::SqliteDb;
use service_kit::principal::Principal;
use service_kit::revocation::Revocations;
use service_kit::token::Role;

fn as_patient() -> Principal {
    Principal::signed_in("p-1", Role::Patient)
}

fn status(db: &SqliteDb, principal: Principal, path: &str) -> u16 {
    let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let audit = service_kit::audit::Recorder::for_principal("booking", now, &principal);
    let ctx = Ctx {
        db,
        principal,
        revocations: Revocations::default(),
        now,
        settings: Default::default(),
        audit,
        timer: false,
    };
    let req = http::Request::builder().uri(path).body(vec![]).unwrap();
    booking::handle(&req, &ctx).status().as_u16()
}

/// A database with one doctor, `doc-1`, working every day in Auckland (far from UTC).
fn db() -> SqliteDb {
    use booking::doctors::{self, Profile};
    use booking::schedule::Interval;
    let db = SqliteDb::open_in_memory();
    service_kit::migrate::apply(&db, "booking", booking::MIGRATIONS).unwrap();
    let profile = Profile {
        name: "Dr. Edge".into(),
        specialty: "general".into(),
        city: "Auckland".into(),
        region: "AUK".into(),
        languages: vec!["en".into()],
        bio: String::new(),
        zone: jiff::tz::TimeZone::get("Pacific/Auckland").unwrap(),
        visit_minutes: 30,
    };
    doctors::upsert(&db, "doc-1", &profile, "2026-11-01T00:00:00Z").unwrap();
    let weekly: Vec<_> = (1..=7)
        .map(|d| (d, Interval::parse("08:00", "18:00").unwrap()))
        .collect();
    doctors::set_hours(&db, "doc-1", &weekly, &[], "2026-11-01T00:00:00Z").unwrap();
    db
}

/// Dates that parse, and many that almost do, across the whole range of the type.
fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (-9999i32..=9999, 0u8..=13, 0u8..=32).prop_map(|(y, m, d)| format!(
            "{}{:04}-{m:02}-{d:02}",
            if y < 0 { "-00" } else { "" },
            y.abs()
        )),
        Just("9999-12-31".to_string()),
        Just("-009999-01-01".to_string()),
        "[0-9-]{1,14}",
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// Numbers at and past the edges of every integer type, and not numbers at all.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        Just("1e309".to_string()),
        Just("-0".to_string()),
        Just("NaN".to_string()),
        "[0-9]{20,40}",
    ]
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn search_never_fails_on_dates_or_numbers(d in date_text(), n in number_text()) {
        let db = db();
        for path in [
            format!("/api/booking/doctors?available_on={}", enc(&d)),
            format!("/api/booking/doctors?limit={}", enc(&n)),
            format!("/api/booking/doctors?available_on={}&sort=rating&limit={}", enc(&d), enc(&n)),
        ] {
            let s = status(&db, Principal::Anonymous, &path);
            prop_assert!(s < 500, "{path}: {s}");
        }
    }

    #[test]
    fn lists_and_slots_never_fail_on_dates(a in date_text(), b in date_text(), n in number_text()) {
        let db = db();
        for path in [
            format!("/api/booking/appointments?from={}&to={}", enc(&a), enc(&b)),
            format!("/api/booking/appointments?day={}", enc(&a)),
            format!("/api/booking/appointments?week={}&limit={}", enc(&a), enc(&n)),
            format!("/api/booking/doctors/doc-1/slots?from={}&to={}", enc(&a), enc(&b)),
            format!("/api/booking/doctors/doc-1/slots?from={}", enc(&a)),
            format!("/api/booking/events?after={}", enc(&n)),
        ] {
            let s = status(&db, as_patient(), &path);
            prop_assert!(s < 500, "{path}: {s}");
        }
    }
}
