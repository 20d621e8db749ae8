//! The authorization matrix: every route that touches a patient's data, asked by every kind of
//! caller — anonymous, the patient, another patient, the treating doctor, a doctor who is not,
//! a pharmacist, staff, an admin, a disabled account — with the status each must get. Nobody
//! reads another patient's data.

use blackbox::booking::*;
use blackbox::*;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Owner,
    OtherPatient,
    TreatingDoctor,
    OtherDoctor,
    Pharmacist,
    Staff,
    Admin,
    Disabled,
}

use Who::*;

const EVERYONE: [Who; 9] = [
    Anonymous,
    Owner,
    OtherPatient,
    TreatingDoctor,
    OtherDoctor,
    Pharmacist,
    Staff,
    Admin,
    Disabled,
];

/// The patient's own data, or staff and admins overseeing everyone's.
const OWNER_OR_OVERSEERS: [(Who, u16); 9] = [
    (Anonymous, 401),
    (Owner, 200),
    (OtherPatient, 403),
    (TreatingDoctor, 403),
    (OtherDoctor, 403),
    (Pharmacist, 403),
    (Staff, 200),
    (Admin, 200),
    (Disabled, 401),
];

/// Staff and admins only.
const OVERSEERS_ONLY: [(Who, u16); 9] = [
    (Anonymous, 401),
    (Owner, 403),
    (OtherPatient, 403),
    (TreatingDoctor, 403),
    (OtherDoctor, 403),
    (Pharmacist, 403),
    (Staff, 200),
    (Admin, 200),
    (Disabled, 401),
];

struct World {
    owner: User,
    other: User,
    treating: User,
    other_doctor: User,
    pharmacist: User,
    staff: User,
    admin: User,
    disabled: User,
    appointment: String,
    assessment: String,
}

impl World {
    fn token(&self, who: Who) -> Option<&str> {
        let u = match who {
            Anonymous => return None,
            Owner => &self.owner,
            OtherPatient => &self.other,
            TreatingDoctor => &self.treating,
            OtherDoctor => &self.other_doctor,
            Pharmacist => &self.pharmacist,
            Staff => &self.staff,
            Admin => &self.admin,
            Disabled => &self.disabled,
        };
        Some(&u.access)
    }
}

fn classic() -> Value {
    json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213,
           "hdl_cholesterol": 50, "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false})
}

fn world() -> World {
    let treating = doctor_with_hours("America/Denver", every_day("08:00", "18:00"), "internal");
    let other_doctor = new_user("doctor");
    let owner = new_patient();
    let r = book(&owner, &treating.id, &a_slot(&treating.id, 0));
    assert_eq!(r.status, 201, "{}", r.text);
    let appointment = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(act(&treating, &appointment, "confirm", None).status, 200);
    let r = post("/api/diagnosis/heart", &classic(), Some(&owner.access));
    assert_eq!(r.status, 201, "{}", r.text);
    let assessment = r.json()["id"].as_str().unwrap().to_string();
    let disabled = new_patient();
    let admin = admin();
    let r = patch(
        &format!("/api/auth/users/{}", disabled.id),
        &json!({"disabled": true}),
        Some(&admin.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // A patient's token is refused everywhere once verifiers refresh (within seconds): each
    // service keeps its own cached copy, refreshed on its own schedule.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let verifiers = [
        "/api/booking/access-log",
        "/api/diagnosis/access-log",
        "/api/status/whoami",
    ];
    while verifiers
        .iter()
        .any(|path| get(path, Some(&disabled.access)).status != 401)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the disabled token kept working"
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    World {
        other: new_patient(),
        pharmacist: new_user("pharmacist"),
        staff: new_user("staff"),
        owner,
        treating,
        other_doctor,
        admin,
        disabled,
        appointment,
        assessment,
    }
}

/// Asks `method path` as each caller and checks the status against `expect`.
fn check(w: &World, method: &str, path: &str, body: Option<&Value>, expect: &[(Who, u16)]) {
    assert_eq!(
        expect.len(),
        EVERYONE.len(),
        "{method} {path}: every caller"
    );
    for (who, status) in expect {
        let r = match body {
            None => send(method, path, w.token(*who), None, None),
            Some(b) => send(
                method,
                path,
                w.token(*who),
                Some("application/json"),
                Some(b.to_string().into_bytes()),
            ),
        };
        assert_eq!(r.status, *status, "{method} {path} as {who:?}: {}", r.text);
        // A refusal never carries the patient's data.
        if r.status >= 400 {
            assert!(
                !r.text.contains("check-up"),
                "{method} {path} as {who:?}: {}",
                r.text
            );
        }
    }
}

#[test]
fn every_route_by_every_caller() {
    let w = world();
    let appt = format!("/api/booking/appointments/{}", w.appointment);
    check(
        &w,
        "GET",
        &appt,
        None,
        &[
            (Anonymous, 401),
            (Owner, 200),
            (OtherPatient, 404),
            (TreatingDoctor, 200),
            (OtherDoctor, 404),
            (Pharmacist, 404),
            (Staff, 200),
            (Admin, 200),
            (Disabled, 401),
        ],
    );
    // Not started yet: the doctor's own action is refused for time, everyone else by right.
    check(
        &w,
        "POST",
        &format!("{appt}/complete"),
        Some(&json!({})),
        &[
            (Anonymous, 401),
            (Owner, 403),
            (OtherPatient, 404),
            (TreatingDoctor, 409),
            (OtherDoctor, 404),
            (Pharmacist, 404),
            (Staff, 409),
            (Admin, 409),
            (Disabled, 401),
        ],
    );
    check(
        &w,
        "POST",
        &format!("{appt}/reschedule"),
        Some(&json!({"starts_at": "2020-01-01T00:00:00Z"})),
        &[
            (Anonymous, 401),
            (Owner, 422),
            (OtherPatient, 404),
            (TreatingDoctor, 422),
            (OtherDoctor, 404),
            (Pharmacist, 404),
            (Staff, 422),
            (Admin, 422),
            (Disabled, 401),
        ],
    );
    check(
        &w,
        "GET",
        &format!("/api/booking/care/{}", w.owner.id),
        None,
        &[
            (Anonymous, 401),
            (Owner, 403),
            (OtherPatient, 403),
            (TreatingDoctor, 200),
            (OtherDoctor, 200),
            (Pharmacist, 403),
            (Staff, 422),
            (Admin, 422),
            (Disabled, 401),
        ],
    );
    let treating = get(
        &format!("/api/booking/care/{}", w.owner.id),
        w.token(TreatingDoctor),
    );
    assert_eq!(treating.json()["treating"], true);
    let not = get(
        &format!("/api/booking/care/{}", w.owner.id),
        w.token(OtherDoctor),
    );
    assert_eq!(not.json()["treating"], false);
    check(
        &w,
        "GET",
        &format!("/api/diagnosis/assessments/{}", w.assessment),
        None,
        &[
            (Anonymous, 401),
            (Owner, 200),
            (OtherPatient, 404),
            (TreatingDoctor, 404),
            (OtherDoctor, 404),
            (Pharmacist, 404),
            (Staff, 404),
            (Admin, 404),
            (Disabled, 401),
        ],
    );
    let mut for_owner = classic();
    for_owner["patient_id"] = json!(w.owner.id);
    check(
        &w,
        "POST",
        "/api/diagnosis/heart",
        Some(&for_owner),
        &[
            (Anonymous, 401),
            (Owner, 201),
            (OtherPatient, 403),
            (TreatingDoctor, 201),
            (OtherDoctor, 403),
            (Pharmacist, 403),
            (Staff, 403),
            (Admin, 403),
            (Disabled, 401),
        ],
    );
    check(
        &w,
        "GET",
        &format!("/api/booking/access-log?subject_id={}", w.owner.id),
        None,
        &OWNER_OR_OVERSEERS,
    );
    check(
        &w,
        "GET",
        &format!("/api/diagnosis/access-log?subject_id={}", w.owner.id),
        None,
        &OWNER_OR_OVERSEERS,
    );
    check(&w, "GET", "/api/booking/events", None, &OVERSEERS_ONLY);
    check(
        &w,
        "GET",
        &format!("/api/auth/users/{}", w.owner.id),
        None,
        &[
            (Anonymous, 401),
            (Owner, 403),
            (OtherPatient, 403),
            (TreatingDoctor, 403),
            (OtherDoctor, 403),
            (Pharmacist, 403),
            (Staff, 403),
            (Admin, 200),
            (Disabled, 401),
        ],
    );
    check(
        &w,
        "GET",
        "/api/booking/access-log/verify",
        None,
        &OVERSEERS_ONLY,
    );
}

/// Lists show a caller their own rows and nobody else's.
#[test]
fn no_list_shows_another_patients_data() {
    let w = world();
    for who in [OtherPatient, OtherDoctor, Pharmacist] {
        for path in [
            "/api/booking/appointments",
            "/api/diagnosis/assessments",
            "/api/booking/access-log",
            "/api/diagnosis/access-log",
        ] {
            let r = get(path, w.token(who));
            if r.status == 200 {
                assert!(
                    !r.text.contains(&w.owner.id),
                    "{path} as {who:?}: {}",
                    r.text
                );
                assert!(!r.text.contains(&w.appointment), "{path} as {who:?}");
            }
        }
    }
    // The patient's own list has their visit; the treating doctor's agenda too.
    assert!(get("/api/booking/appointments", w.token(Owner))
        .text
        .contains(&w.appointment));
    assert!(get("/api/booking/appointments", w.token(TreatingDoctor))
        .text
        .contains(&w.appointment));
}
