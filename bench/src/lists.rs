//! `lists`: whether a list costs a page or the whole history. Three patients with 10, 10,000 and
//! 100,000 assessments (and as many access-log rows each), written straight into diagnosis's
//! SQLite file — through HTTP, 100,000 would take minutes and measure the writes instead — then
//! the first page and a page deep in the history, of `GET /api/diagnosis/assessments` and
//! `GET /api/diagnosis/access-log`, for each. Flat figures down a column are the point.

use crate::{clients, measure, mint, Figures};
use blackbox::get;
use service_kit::token::Role;

const SIZES: [usize; 3] = [10, 10_000, 100_000];

/// Writes `n` assessments and `n` access-log rows for `subject`, newest id last.
fn fill(db: &rusqlite::Connection, model: &str, subject: &str, n: usize, tag: usize) {
    let tx = db.unchecked_transaction().unwrap();
    {
        let mut a = tx
            .prepare(
                // A copy of the one made through the API, under another id and subject.
                "INSERT INTO diagnosis_assessments (id, subject_id, requested_by, requester_role, kind,
                   model_id, model_version, inputs, outputs, created_at)
                 SELECT ?1, ?2, ?2, requester_role, kind, model_id, model_version, inputs, outputs, created_at
                 FROM diagnosis_assessments WHERE subject_id = ?3",
            )
            .unwrap();
        let mut log = tx
            .prepare(
                "INSERT INTO kit_access_log (service, seq, at, actor_id, actor_role, subject_id, action,
                   resource, outcome, request_id, prev_hash, hash)
                 VALUES ('diagnosis', (SELECT COALESCE(MAX(seq), 0) + 1 FROM kit_access_log WHERE service = 'diagnosis'),
                   '2026-12-01T12:00:00Z', ?1, 'patient', ?1, 'read', 'assessment/x', 'allowed', 'bench', '', '')",
            )
            .unwrap();
        for i in 0..n {
            // UUIDv7-shaped and increasing, as the service's own ids are.
            a.execute((
                format!("00000000-{tag:04x}-7000-8000-{i:012x}"),
                subject,
                model,
            ))
            .unwrap();
            log.execute([subject]).unwrap();
        }
    }
    tx.commit().unwrap();
}

pub fn run() {
    let Some(state) = blackbox::state_dir() else {
        eprintln!("bench: lists skipped: set HEALTHE_STATE_DIR to the app's working directory");
        return;
    };
    let run = blackbox::unique();
    let tokens: Vec<(usize, String)> = SIZES
        .iter()
        .map(|n| (*n, mint(&format!("bench-list-{run}-{n}"), Role::Patient)))
        .collect();
    // One assessment through the API first, so diagnosis has made its tables (the access log's
    // among them).
    let pce = serde_json::json!({"age": 55, "sex": "female", "race": "white_or_other", "total_cholesterol": 213,
        "hdl_cholesterol": 50, "sbp": 120, "bp_treated": false, "smoker": false, "diabetes": false});
    let r = blackbox::post(
        "/api/diagnosis/heart",
        &pce,
        Some(&mint(&format!("bench-list-{run}-model"), Role::Patient)),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let db = rusqlite::Connection::open(state.join(".spin/diagnosis.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let model = format!("bench-list-{run}-model");
    for (tag, (n, _)) in tokens.iter().enumerate() {
        fill(&db, &model, &format!("bench-list-{run}-{n}"), *n, tag);
    }
    drop(db);

    let threads = clients();
    let mut rows: Vec<Figures> = Vec::new();
    for (n, token) in &tokens {
        for (what, path) in [
            ("history", "/api/diagnosis/assessments?limit=20"),
            ("access log", "/api/diagnosis/access-log?limit=20"),
        ] {
            // A page deep in the history: follow the cursor of the first page, then five more (at
            // 10 rows there is one page, and the "7th" is the first again).
            let mut cursor = String::new();
            for _ in 0..6 {
                let r = get(&format!("{path}&cursor={cursor}"), Some(token));
                assert_eq!(r.status, 200, "{}", r.text);
                let body = r.json();
                assert!(!body["items"].as_array().unwrap().is_empty(), "{path}");
                match body["next_cursor"].as_str() {
                    Some(c) => cursor = c.to_string(),
                    None => break,
                }
            }
            rows.push(measure(
                &format!("{what}, {n} rows: first page"),
                threads,
                usize::MAX,
                200,
                || get(path, Some(token)).status,
            ));
            let deep = format!("{path}&cursor={cursor}");
            rows.push(measure(
                &format!("{what}, {n} rows: 7th page"),
                threads,
                usize::MAX,
                200,
                || get(&deep, Some(token)).status,
            ));
        }
    }
    println!(
        "\nlists: a patient's pages at 10, 10,000 and 100,000 rows ({threads} clients, {:?} each)",
        crate::seconds()
    );
    crate::print(&rows, &rows[0]);
    // Compared at equal pages: the 10-row patient's page holds 10 items, the others' 20.
    println!("\ntargets (issue 13): every list O(page) up to 100,000 rows (full pages of 20):");
    for (i, what) in [
        "history, first page",
        "history, 7th page",
        "access log, first page",
        "access log, 7th page",
    ]
    .iter()
    .enumerate()
    {
        let small = &rows[4 + i];
        let large = &rows[2 * 4 + i];
        let r = large.per_second / small.per_second;
        crate::target(
            &format!("{what}: req/s at 100,000 rows / at 10,000"),
            r,
            ">= 0.80",
            r >= 0.8,
        );
    }
}
