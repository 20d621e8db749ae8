//! Key rotation over HTTP, in its own file: while verifiers pick up a new key set, tokens from
//! the new key may be refused for a moment, which must not disturb other tests.

use blackbox::*;
use serde_json::json;

/// A rotation publishes the new key beside the previous one, so tokens signed before it keep
/// working everywhere until they expire.
#[test]
fn a_key_rotation_does_not_cut_off_tokens_in_flight() {
    let patient = new_patient();
    let before = get("/api/auth/jwks.json", None).json()["keys"]
        .as_array()
        .unwrap()
        .len();
    let r = post("/api/auth/keys/rotate", &json!({}), Some(&admin().access));
    if r.status == 409 {
        // The clinic configured token_signing_key: rotation happens in its variables.
        return;
    }
    assert_eq!(r.status, 200, "{}", r.text);
    let keys = get("/api/auth/jwks.json", None).json()["keys"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(keys.len(), 2, "{keys:?} (before: {before})");
    assert_eq!(get("/api/auth/me", Some(&patient.access)).status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    loop {
        // The old token keeps working while verifiers pick up the new key set, and after.
        assert_eq!(get("/api/status/whoami", Some(&patient.access)).status, 200);
        let fresh = new_patient();
        if get("/api/status/whoami", Some(&fresh.access)).status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new key never verified"
        );
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    post("/api/auth/keys/rotate", &json!({}), Some(&patient.access)).problem(403);
}
