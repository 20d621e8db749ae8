//! Each service's key-value store lives in its database's file (runtime-config.toml), so that
//! the store's connection, which Spin holds open for as long as it runs, keeps the file's
//! write-ahead log between requests: a request's own connection is then never the last to close,
//! and SQLite neither checkpoints and deletes the log after it nor recreates it at the next one
//! (docs/storage.md). It needs the app's files (`HEALTHE_STATE_DIR` under `HEALTHE_URL`).

use blackbox::*;
use serde_json::json;

#[test]
fn a_services_store_keeps_its_database_open_between_requests() {
    let patient = new_patient();
    let Some(state) = state_dir() else {
        eprintln!("skipped: the app's files are not at hand (set HEALTHE_STATE_DIR)");
        return;
    };
    let pce = json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213,
                     "hdl_cholesterol": 50, "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let r = post("/api/diagnosis/heart", &pce, Some(&patient.access));
    assert_eq!(r.status, 201, "{}", r.text);
    // The requests are over and their connections closed; each file keeps its log, and holds its
    // service's store. (auth's, since signing the patient in.)
    for service in ["diagnosis", "auth"] {
        let db = state.join(format!(".spin/{service}.db"));
        assert!(
            state.join(format!(".spin/{service}.db-wal")).exists(),
            "{service}: the write-ahead log outlives the request"
        );
        let file =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let remembered: i64 = file
            .query_row(
                "SELECT count(*) FROM spin_key_value WHERE store = ?1 AND key = ?2",
                [
                    format!("{service}_cache"),
                    format!("schema-version:{service}"),
                ],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(remembered, 1, "{service}: the store remembers the schema");
    }
}
