//! A service remembers, in its own key-value store, the schema version its database reached,
//! so a request on an up-to-date database spends no statement on checking (service-kit's
//! `SpinDb`). A database replaced under that memory — deleted, or restored from an older copy —
//! must heal: the first statement that finds a table missing runs the migrations after all.
//!
//! Its own test binary, so its own app: deleting a database file would pull it from under any
//! other test. It needs the app's files (`HEALTHE_STATE_DIR` under `HEALTHE_URL`).

use blackbox::*;
use serde_json::json;

#[test]
fn a_database_deleted_under_the_remembered_schema_is_migrated_again() {
    let staff = new_user("staff");
    let Some(state) = state_dir() else {
        eprintln!("skipped: the app's files are not at hand (set HEALTHE_STATE_DIR)");
        return;
    };
    let category = |slug: &str| {
        post(
            "/api/forum/categories",
            &json!({"name": format!("Category {slug}"), "slug": slug, "who_posts": "signed_in", "public": true}),
            Some(&staff.access),
        )
    };
    let first = format!("first-{}", unique());
    assert_eq!(category(&first).status, 201);
    // Read again: the store now remembers the schema; the check is skipped.
    let listed = get("/api/forum/categories", None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(listed.text.contains(&first));
    // The database goes (with its write-ahead log); the store still remembers the schema.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(state.join(format!(".spin/forum.db{suffix}")));
    }
    let listed = get("/api/forum/categories", None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json()["items"], json!([]), "a new, empty forum");
    let second = format!("second-{}", unique());
    assert_eq!(category(&second).status, 201);
    assert!(get("/api/forum/categories", None).text.contains(&second));
}
