//! `forum`: a topic page and full-text search with 100,000 posts, beside forum's plain route.
//! 2,000 topics of 50 posts each (written straight into forum's SQLite file, through the
//! migration's own triggers — the opening posts, the counters and the FTS5 index are made as the
//! API makes them; through HTTP, 100,000 posts would take minutes and measure the writes), then
//! the latest topics, a topic's first page (anonymous and signed in), and a search for a common
//! phrase and for a rare word.

use crate::{clients, measure, mint, XorShift};
use blackbox::get;
use service_kit::token::Role;
use std::sync::Mutex;

const TOPICS: usize = 2_000;
const POSTS_PER_TOPIC: usize = 50;
const AUTHORS: usize = 500;
/// A word in one post of 10,000.
const RARE: &str = "zebrafish";

/// The words posts are made of, most frequent first: function words, then health words, then
/// made-up words to a vocabulary of about 3,000, drawn with Zipf-like frequencies (a word's
/// chance falls with its rank), as words are in real text — so a common phrase matches a few
/// per cent of the posts, not half of them.
const WORDS: &[&str] = &[
    "the",
    "and",
    "my",
    "is",
    "it",
    "was",
    "to",
    "with",
    "after",
    "before",
    "since",
    "again",
    "doctor",
    "week",
    "day",
    "morning",
    "evening",
    "better",
    "worse",
    "started",
    "stopped",
    "pain",
    "tired",
    "sleep",
    "walking",
    "diet",
    "heart",
    "tablets",
    "dose",
    "blood",
    "pressure",
    "statins",
    "cholesterol",
    "sugar",
    "diabetes",
    "insulin",
    "salt",
    "coffee",
    "exercise",
    "weight",
    "chest",
    "breath",
    "dizzy",
    "family",
    "history",
    "test",
    "results",
    "visit",
    "clinic",
    "question",
    "answer",
    "thanks",
    "helpful",
    "normal",
    "high",
    "low",
    "reading",
    "monitor",
    "cuff",
    "arm",
    "rest",
    "minutes",
    "hours",
    "years",
    "running",
    "stress",
    "pharmacist",
    "month",
];
const VOCABULARY: usize = 3_000;

fn word(rank: usize) -> String {
    match WORDS.get(rank) {
        Some(w) => w.to_string(),
        None => {
            // A made-up word per rank: its digits in base 8, as syllables.
            const SYLLABLES: [&str; 8] = ["ka", "lo", "mi", "ta", "re", "su", "no", "vi"];
            let (mut n, mut w) = (rank, String::new());
            while n > 0 {
                w.push_str(SYLLABLES[n % 8]);
                n /= 8;
            }
            w
        }
    }
}

fn text(rng: &mut XorShift, words: usize, rare: bool) -> String {
    let mut out: Vec<String> = (0..words)
        .map(|_| {
            // Log-uniform ranks: P(rank) falls as 1/rank.
            let u = rng.below(1_000_000) as f64 / 1e6;
            word(((VOCABULARY as f64).powf(u) as usize).saturating_sub(1))
        })
        .collect();
    if rare {
        out.insert(words / 2, RARE.to_string());
    }
    out.join(" ")
}

/// Writes the topics and their posts in one transaction; returns the topic ids.
fn seed(db: &rusqlite::Connection, category: &str, run: &str) -> Vec<String> {
    let mut rng = XorShift(0x5eed_f0c0);
    // This run's ids are its own, should the bench run twice against one app.
    let tag = run
        .bytes()
        .fold(0u16, |h, b| h.wrapping_mul(31).wrapping_add(b as u16));
    let tx = db.unchecked_transaction().unwrap();
    let mut ids = Vec::with_capacity(TOPICS);
    {
        let mut topic = tx
            .prepare(
                "INSERT INTO forum_topics (id, category_id, author_id, title, created_at, last_posted_at, \
                   opening_md, opening_html, opening_text, opening_role) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, '<p>' || ?6 || '</p>', ?6, 'patient')",
            )
            .unwrap();
        let mut reply = tx
            .prepare(
                "INSERT INTO forum_posts (id, topic_id, number, author_id, author_role, body_md, \
                   body_html, body_text, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, '<p>' || ?6 || '</p>', ?6, ?7)",
            )
            .unwrap();
        let mut n = 0usize;
        for t in 0..TOPICS {
            // UUIDv7-shaped and increasing, as the service's own ids are.
            let id = format!("01930000-{tag:04x}-7000-8000-{t:012x}");
            let at = |i: usize| {
                format!(
                    "2026-0{}-{:02}T{:02}:{:02}:00Z",
                    1 + t % 9,
                    1 + t % 28,
                    i % 24,
                    t % 60
                )
            };
            let title = text(&mut rng, 6, false);
            let body = text(&mut rng, 30, n.is_multiple_of(10_000));
            n += 1;
            topic
                .execute((
                    &id,
                    category,
                    format!("bench-member-{}", rng.below(AUTHORS)),
                    &title,
                    at(0),
                    &body,
                ))
                .unwrap();
            for i in 2..=POSTS_PER_TOPIC {
                let words = 20 + rng.below(40);
                let body = text(&mut rng, words, n.is_multiple_of(10_000));
                n += 1;
                let clinician = rng.below(10) == 0;
                reply
                    .execute((
                        format!("01930001-{tag:04x}-7{i:03x}-8000-{t:012x}"),
                        &id,
                        i as i64,
                        format!("bench-member-{}", rng.below(AUTHORS)),
                        if clinician { "doctor" } else { "patient" },
                        &body,
                        at(i),
                    ))
                    .unwrap();
            }
            ids.push(id);
        }
    }
    // Nobody is to be told of these replies.
    tx.execute(
        "DELETE FROM forum_outbox WHERE topic_id IN (SELECT id FROM forum_topics WHERE category_id = ?1)",
        [category],
    )
    .unwrap();
    tx.commit().unwrap();
    ids
}

pub fn run() {
    let Some(state) = blackbox::state_dir() else {
        eprintln!("bench: forum skipped: set HEALTHE_STATE_DIR to the app's working directory");
        return;
    };
    let run = blackbox::unique();
    let staff = mint(&format!("bench-staff-{run}"), Role::Staff);
    let reader = mint(&format!("bench-reader-{run}"), Role::Patient);
    let slug = format!("bench-{run}");
    let r = blackbox::post(
        "/api/forum/categories",
        &serde_json::json!({"name": format!("Bench {run}"), "slug": slug, "who_posts": "signed_in", "public": true}),
        Some(&staff),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let category = r.json()["id"].as_str().unwrap().to_string();
    let db = rusqlite::Connection::open(state.join(".spin/forum.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let t = std::time::Instant::now();
    let topics = seed(&db, &category, &run);
    let posts: i64 = db
        .query_row("SELECT count(*) FROM forum_posts", [], |r| r.get(0))
        .unwrap();
    let phrase: i64 = db
        .query_row(
            "SELECT count(*) FROM forum_fts WHERE forum_fts MATCH '\"blood\" \"pressure\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    println!(
        "forum: wrote {} topics and {} posts in {:.1?} ({posts} posts in the forum)",
        TOPICS,
        TOPICS * POSTS_PER_TOPIC,
        t.elapsed()
    );
    drop(db);

    let threads = clients();
    let rng = Mutex::new(XorShift(0xf0_5eed));
    let some_topic = || topics[rng.lock().unwrap().below(topics.len())].clone();
    let rare = get(&format!("/api/forum/search?q={RARE}&limit=20"), None).json();
    let common = get("/api/forum/search?q=blood+pressure&limit=20", None).json();
    assert_eq!(rare["engine"], "fts5");
    println!(
        "forum: \"{RARE}\" is in {} posts; \"blood pressure\" in {phrase} ({:.1} %; its first page shows {})",
        rare["items"].as_array().map_or(0, |a| a.len()),
        100.0 * phrase as f64 / posts as f64,
        common["items"].as_array().map_or(0, |a| a.len())
    );
    let figures = vec![
        measure(
            "GET /api/forum/health (plain)",
            threads,
            usize::MAX,
            200,
            || get("/api/forum/health", None).status,
        ),
        measure(
            "latest topics (20), anonymous",
            threads,
            usize::MAX,
            200,
            || get("/api/forum/topics?limit=20", None).status,
        ),
        measure(
            "a topic's first page (20 posts), anonymous",
            threads,
            usize::MAX,
            200,
            || {
                get(
                    &format!("/api/forum/topics/{}?limit=20", some_topic()),
                    None,
                )
                .status
            },
        ),
        measure(
            "a topic's first page, signed in",
            threads,
            usize::MAX,
            200,
            || {
                get(
                    &format!("/api/forum/topics/{}?limit=20", some_topic()),
                    Some(&reader),
                )
                .status
            },
        ),
        measure(
            "search \"blood pressure\" (20 best)",
            threads,
            usize::MAX,
            200,
            || get("/api/forum/search?q=blood+pressure&limit=20", None).status,
        ),
        measure(
            &format!("search \"{RARE}\" (rare)"),
            threads,
            usize::MAX,
            200,
            || get(&format!("/api/forum/search?q={RARE}&limit=20"), None).status,
        ),
    ];
    println!(
        "\nforum: {posts} posts ({threads} clients, {:?} each)",
        crate::seconds()
    );
    crate::print(&figures, &figures[0]);
}
