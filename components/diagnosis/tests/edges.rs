//! Property tests at the edges of numbers: whatever a reading holds — ±1e308, -0, the largest
//! integers, fractions where whole numbers belong, strings — an assessment answers 201 or a
//! named 4xx, never a 5xx or a silent extrapolation.

use diagnosis::engine::Linked;
use diagnosis::Ctx;
use proptest::prelude::*;
use serde_json::{json, Value};
use service_kit::db::SqliteDb;
use service_kit::principal::Principal;
use service_kit::token::Role;

fn me() -> Principal {
    Principal::signed_in("p-1", Role::Patient)
}

fn post(db: &SqliteDb, path: &str, body: &Value) -> (u16, Value) {
    let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let principal = me();
    let audit = service_kit::audit::Recorder::for_principal("diagnosis", now, &principal);
    let ctx = Ctx {
        db,
        engine: &Linked,
        principal,
        now,
        care: None,
        audit,
    };
    let req = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    let resp = diagnosis::handle(&req, &ctx);
    let body = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), body)
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!("55")),
        Just(json!(null)),
        (0i64..130).prop_map(Value::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn readings_at_the_edges_are_answered_or_named(
        age in number(), tc in number(), hdl in number(), sbp in number(), bmi in number()
    ) {
        let db = SqliteDb::open_in_memory();
        let body = json!({"age": age, "sex": "female", "race": "white_or_other",
            "total_cholesterol": tc, "hdl_cholesterol": hdl, "sbp": sbp, "bmi": bmi,
            "bp_treated": false, "smoker": false, "diabetes": false});
        for path in ["/api/diagnosis/heart", "/api/diagnosis/stroke", "/api/diagnosis/diabetes"] {
            let (s, b) = post(&db, path, &body);
            prop_assert!(s < 500, "{path} {body}: {s} {b}");
            if s >= 400 {
                prop_assert!(b["errors"].is_array() || b["detail"].is_string(), "{b}");
            }
        }
    }
}
