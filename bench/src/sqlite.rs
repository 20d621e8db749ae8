//! `sqlite`: what a request's SQLite work costs under Spin's pattern — a new connection per
//! request, closed when the request ends — for each journal mode and `synchronous` level, on a
//! real file on this machine's disk. This is the measurement behind the choice in
//! `docs/storage.md`: WAL, set once in the file, with `synchronous = NORMAL` issued on every
//! connection that writes.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS items_by_owner ON items (owner, id);";

/// A journal mode and `synchronous` level, and what an acknowledged write survives under it.
struct Mode {
    journal: &'static str,
    synchronous: &'static str,
    survives: &'static str,
}

const MODES: &[Mode] = &[
    Mode {
        journal: "DELETE",
        synchronous: "FULL",
        survives: "process crash, power loss (SQLite's default)",
    },
    Mode {
        journal: "TRUNCATE",
        synchronous: "FULL",
        survives: "process crash, power loss",
    },
    Mode {
        journal: "PERSIST",
        synchronous: "FULL",
        survives: "process crash, power loss",
    },
    Mode {
        journal: "WAL",
        synchronous: "FULL",
        survives: "process crash, power loss",
    },
    Mode {
        journal: "WAL",
        synchronous: "NORMAL",
        survives: "process crash; power loss may drop the last commits, never corrupts",
    },
];

fn fresh(dir: &Path, name: &str, journal: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let c = Connection::open(&path).unwrap();
    c.pragma_update(None, "journal_mode", journal).unwrap();
    c.execute_batch(SCHEMA).unwrap();
    path
}

/// One request's write, as a component makes it: open, set the per-connection level, one
/// autocommit insert, close.
fn write_once(path: &Path, synchronous: &str, n: usize) -> rusqlite::Result<()> {
    let c = Connection::open(path)?;
    if synchronous != "FULL" {
        c.execute_batch(&format!("PRAGMA synchronous = {synchronous}"))?;
    }
    c.execute(
        "INSERT INTO items (id, owner, body) VALUES (?1, ?2, ?3)",
        (
            format!("{n:012}"),
            format!("owner-{}", n % 97),
            "x".repeat(200),
        ),
    )?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `clients` threads writing `total` rows between them: writes/s, latencies sorted, failures
/// (`database is locked` past the 5 s busy timeout, or at once where SQLite sees a deadlock).
fn concurrent(
    path: &Path,
    synchronous: &str,
    clients: usize,
    total: usize,
) -> (f64, Vec<Duration>, usize) {
    let failed = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut all: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= total {
                            break mine;
                        }
                        let t = Instant::now();
                        if write_once(path, synchronous, n).is_err() {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                        mine.push(t.elapsed());
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let rate = total as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all, failed.into_inner())
}

pub fn run() {
    let dir = std::env::temp_dir().join(format!("healthe-bench-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    println!(
        "\nsqlite: one write per request on a fresh connection (as Spin opens one per request)"
    );
    println!(
        "{:<20} {:>12} {:>14} {:>12} {:>10} {:>10} {:>7}  what an acknowledged write survives",
        "journal/synchronous", "alone", "beside a reader", "32 clients/s", "p50", "p99", "failed"
    );
    for m in MODES {
        let path = fresh(
            &dir,
            &format!("{}-{}.db", m.journal, m.synchronous),
            m.journal,
        );
        const N: usize = 1000;
        // Alone: every close is the last one (in WAL, it checkpoints and removes the log).
        let t = Instant::now();
        for n in 0..N {
            write_once(&path, m.synchronous, n).unwrap();
        }
        let alone = t.elapsed() / N as u32;
        // Beside another open connection, as under load: no close is the last.
        let held = Connection::open(&path).unwrap();
        let _: i64 = held
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        let t = Instant::now();
        for n in N..2 * N {
            write_once(&path, m.synchronous, n).unwrap();
        }
        let beside = t.elapsed() / N as u32;
        drop(held);
        // 32 writers at once, each request its own connection, on a file of its own.
        let burst = fresh(
            &dir,
            &format!("{}-{}-burst.db", m.journal, m.synchronous),
            m.journal,
        );
        let (rate, lat, failed) = concurrent(&burst, m.synchronous, 32, 4000);
        println!(
            "{:<20} {:>12.1?} {:>14.1?} {:>12.0} {:>10.1?} {:>10.1?} {:>7}  {}",
            format!("{}/{}", m.journal, m.synchronous),
            alone,
            beside,
            rate,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            failed,
            m.survives
        );
    }

    // Reads: what each statement of a request costs on a connection opened for it — the first
    // one loads the schema, later ones don't — alone (every close the last) and beside another
    // open connection (as under load), in WAL and in a rollback journal.
    println!("\nsqlite reads on a fresh connection per request, a schema of 42 objects:");
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>12}",
        "journal, neighbours", "open+close", "+1 SELECT", "+2", "+4"
    );
    for journal in ["WAL", "DELETE"] {
        let path = fresh(&dir, &format!("reads-{journal}.db"), journal);
        {
            let c = Connection::open(&path).unwrap();
            for i in 0..20 {
                c.execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS t{i} (id TEXT PRIMARY KEY, a TEXT, b TEXT, c INTEGER);
                     CREATE INDEX IF NOT EXISTS t{i}_a ON t{i} (a, id);"
                ))
                .unwrap();
            }
            for n in 0..1000 {
                write_once(&path, "NORMAL", n).unwrap();
            }
        }
        const N: u32 = 2000;
        let time = |statements: usize| {
            let t = Instant::now();
            for n in 0..N {
                let c = Connection::open(&path).unwrap();
                for s in 0..statements {
                    let mut st = c.prepare("SELECT body FROM items WHERE id = ?1").unwrap();
                    let _: Option<String> = st
                        .query_row([format!("{:012}", (n as usize * 7 + s) % 1000)], |r| {
                            r.get(0)
                        })
                        .ok();
                }
            }
            t.elapsed() / N
        };
        for beside in [false, true] {
            let held = beside.then(|| {
                let c = Connection::open(&path).unwrap();
                let _: i64 = c
                    .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
                    .unwrap();
                c
            });
            println!(
                "{:<22} {:>12.1?} {:>12.1?} {:>12.1?} {:>12.1?}",
                format!("{journal}, {}", if beside { "beside one" } else { "alone" }),
                time(0),
                time(1),
                time(2),
                time(4)
            );
            drop(held);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
