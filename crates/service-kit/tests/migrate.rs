//! Migrations on real SQLite files, with several connections as Spin's local backend opens them.

use service_kit::db::{Db, SqliteDb};
use service_kit::migrate::{apply, apply_now, Migration};

const MIGRATIONS: &[Migration] = &[
    Migration::from_file(
        "0001_things.sql",
        "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE things_log (thing_id INTEGER, at TEXT);
         CREATE TRIGGER things_logged AFTER INSERT ON things BEGIN
           INSERT INTO things_log VALUES (NEW.id, 'now');
         END;",
    ),
    Migration::from_file(
        "0002_more.sql",
        "ALTER TABLE things ADD COLUMN size INTEGER;",
    ),
];

fn count(db: &SqliteDb, sql: &str) -> i64 {
    db.execute(sql, &[])
        .unwrap()
        .first()
        .unwrap()
        .get::<i64>("n")
        .unwrap()
}

#[test]
fn applies_in_order_once_and_records_versions() {
    let dir = std::env::temp_dir().join(format!("migrate-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = SqliteDb::open(&dir.join("a.db"));
    apply(&db, "svc", &MIGRATIONS[..1]).unwrap();
    apply(&db, "svc", MIGRATIONS).unwrap();
    apply(&db, "svc", MIGRATIONS).unwrap();
    db.execute("INSERT INTO things (name, size) VALUES ('x', 1)", &[])
        .unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM things_log"),
        1,
        "the trigger came through whole"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM schema_migrations WHERE service = 'svc'"
        ),
        2
    );
    // Another service's migrations on the same database are recorded separately.
    apply_now(
        &db,
        "other",
        &[Migration::from_file(
            "0001_x.sql",
            "CREATE TABLE other_x (a);",
        )],
    )
    .unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM schema_migrations"), 3);
    // A new database is switched to write-ahead logging, which persists in the file: a second
    // connection sees it without being told.
    let again = SqliteDb::open(&dir.join("a.db"));
    let mode = again.execute("PRAGMA journal_mode", &[]).unwrap();
    assert_eq!(
        mode.first().unwrap().get::<String>("journal_mode").unwrap(),
        "wal"
    );
}

#[test]
fn concurrent_first_requests_apply_each_migration_once() {
    let dir = std::env::temp_dir().join(format!("migrate-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("race.db");
    let _ = std::fs::remove_file(&path);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || apply(&SqliteDb::open(&path), "svc", MIGRATIONS))
        })
        .collect();
    for h in handles {
        h.join().unwrap().expect("every first request succeeds");
    }
    let db = SqliteDb::open(&path);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM schema_migrations WHERE service = 'svc'"
        ),
        2
    );
}

#[test]
fn a_failing_migration_leaves_nothing_half_applied() {
    let db = SqliteDb::open_in_memory();
    let bad = [Migration::from_file(
        "0001_bad.sql",
        "CREATE TABLE ok_table (a); CREATE TABLE broken (;",
    )];
    assert!(apply_now(&db, "svc", &bad).is_err());
    assert!(
        db.execute("SELECT * FROM ok_table", &[]).is_err(),
        "the first statement was rolled back"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM schema_migrations"), 0);
}
