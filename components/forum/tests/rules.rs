//! forum natively: the real router, rules and SQL on real SQLite — Markdown against an XSS
//! corpus, the personal-information guard, flag thresholds and moderators' decisions, new
//! members' limits, likes under concurrency, search ranking (FTS5 and the fallback), the lists'
//! query plans.

use forum::trust::Policy;
use forum::Ctx;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use service_kit::db::{query_plan, Db, SqliteDb};
use service_kit::principal::Principal;
use service_kit::token::Role;

const STAFF: &str = "0192f0c1-7a4e-7cc2-9a1b-00000000005f";
const PATIENT: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000001";
const OTHER: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000002";
const THIRD: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000003";
const FOURTH: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000004";
const DOCTOR: &str = "0192f0c1-7a4e-7cc2-9a1b-0000000000d1";

const T0: &str = "2026-12-03T09:00:00Z";

type Who<'a> = Option<(&'a str, Role)>;
const ANON: Who = None;
fn p(id: &str) -> Who<'_> {
    Some((id, Role::Patient))
}
fn staff() -> Who<'static> {
    Some((STAFF, Role::Staff))
}
fn doctor() -> Who<'static> {
    Some((DOCTOR, Role::Doctor))
}

/// An answer as a client reads it.
use service_kit::testing::Answer as Reply;

struct App {
    db: SqliteDb,
    policy: Policy,
    now: std::cell::Cell<Timestamp>,
    /// A member whose address is not confirmed, where the clinic requires it.
    unconfirmed: Option<&'static str>,
}

impl App {
    fn on(db: SqliteDb) -> App {
        App {
            db,
            policy: Policy::default(),
            now: std::cell::Cell::new(T0.parse().unwrap()),
            unconfirmed: None,
        }
    }
    fn new() -> App {
        App::on(SqliteDb::open_in_memory())
    }
    /// Moves the clock on (posts a minute apart stay under the rate limit).
    fn later(&self, minutes: i64) {
        self.now
            .set(self.now.get() + SignedDuration::from_mins(minutes));
    }

    fn send(&self, who: Who, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut b = http::Request::builder().method(method).uri(path);
        let bytes = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                serde_json::to_vec(&v).unwrap()
            }
            None => vec![],
        };
        let req = b.body(bytes).unwrap();
        let ctx = Ctx {
            db: &self.db,
            principal: match who {
                Some((id, role)) => {
                    let mut p = Principal::signed_in(id, role);
                    if let Principal::User(c) = &mut p {
                        c.email_verified = self.unconfirmed != Some(id);
                    }
                    p
                }
                None => Principal::Anonymous,
            },
            now: self.now.get(),
            policy: self.policy.clone(),
            verified_email_required: self.unconfirmed.is_some(),
        };
        Reply::of(&forum::handle(&req, &ctx))
    }

    fn get(&self, who: Who, path: &str) -> Reply {
        self.send(who, "GET", path, None)
    }
    fn post(&self, who: Who, path: &str, body: Value) -> Reply {
        self.send(who, "POST", path, Some(body))
    }
    fn put(&self, who: Who, path: &str, body: Value) -> Reply {
        self.send(who, "PUT", path, Some(body))
    }

    fn category(&self, slug: &str, who_posts: &str, public: bool) {
        let r = self.post(
            staff(),
            "/api/forum/categories",
            json!({"name": slug, "slug": slug, "who_posts": who_posts, "public": public}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    fn topic(&self, who: Who, category: &str, title: &str, body: &str) -> String {
        let r = self.post(
            who,
            "/api/forum/topics",
            json!({"category": category, "title": title, "body": body}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        self.later(1);
        r.body["id"].as_str().unwrap().to_string()
    }

    fn reply(&self, who: Who, topic: &str, body: &str) -> String {
        let r = self.post(
            who,
            &format!("/api/forum/topics/{topic}/replies"),
            json!({ "body": body }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        self.later(1);
        r.body["id"].as_str().unwrap().to_string()
    }

    fn page(&self, who: Who, topic: &str) -> Reply {
        self.get(who, &format!("/api/forum/topics/{topic}?limit=100"))
    }

    fn post_in(&self, who: Who, topic: &str, post: &str) -> Value {
        let r = self.page(who, topic);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == post)
            .cloned()
            .unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.db
            .execute(sql, &[])
            .unwrap()
            .first()
            .unwrap()
            .get("n")
            .unwrap()
    }

    fn flag(&self, who: Who, post: &str, reason: &str) -> Reply {
        self.post(
            who,
            &format!("/api/forum/posts/{post}/flags"),
            json!({ "reason": reason }),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

#[test]
fn markdown_is_sanitised_against_an_xss_corpus() {
    let corpus = [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<<script>script>alert(1)<</script>/script>",
        "<img src=x onerror=alert(1)>",
        "<img \"\"\"><script>alert(1)</script>\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object><embed src=x>",
        "<details open ontoggle=alert(1)>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<style>body{background:red}</style>",
        "<form action=\"https://evil.example\"><button>go</button></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        "<base href=\"https://evil.example/\">",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](java&#x09;script:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](//evil.example/phish)",
        "[click](/api/auth/logout)",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[a](https://ok.example \"t\\\" onmouseover=\\\"alert(1)\")",
        "<javascript:alert(1)>",
        "[ref]\n\n[ref]: javascript:alert(1)",
        "`<script>alert(1)</script>`",
        "```\n<script>alert(1)</script>\n```",
        "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
        "<p onmouseover=alert(1)>hover</p>",
        "<input autofocus onfocus=alert(1)>",
        "- [x] done <img src=x onerror=alert(1)>",
    ];
    let handler = regex::Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    // The tags the browser will build (what raw HTML became is text: `&lt;…`).
    let tags = regex::Regex::new(r"<[a-zA-Z][^>]*>").unwrap();
    let quoted = regex::Regex::new(r#""[^"]*""#).unwrap();
    for md in corpus {
        let html = forum::markdown::render(md).html;
        let lower = html.to_lowercase();
        for bad in [
            "<script", "<svg", "<math", "<iframe", "<object", "<embed", "<details", "<style",
            "<form", "<button", "<meta", "<base",
        ] {
            assert!(!lower.contains(bad), "{md:?} gave {html}");
        }
        for tag in tags.find_iter(&lower) {
            let tag = tag.as_str();
            for bad in [
                "javascript:",
                "vbscript:",
                "data:",
                "style=",
                "\"//",
                "\"/api",
            ] {
                assert!(!tag.contains(bad), "{md:?} gave the tag {tag}");
            }
        }
        // Attribute names, with the (escaped) values taken out: no event handler among them.
        for tag in tags.find_iter(&html) {
            let names = quoted.replace_all(tag.as_str(), "\"\"");
            assert!(!handler.is_match(&names), "{md:?} kept a handler: {html}");
        }
        for a in lower.match_indices("<a ") {
            let tag = &lower[a.0..lower[a.0..].find('>').unwrap() + a.0];
            assert!(
                tag.contains("rel=\"nofollow ugc noopener\""),
                "{md:?}: {tag}"
            );
        }
    }
    // Raw HTML is shown as the text it is; safe Markdown survives.
    let r = forum::markdown::render("<b>bold?</b> **bold** [site](https://clinic.example)");
    assert!(r.html.contains("&lt;b&gt;bold?&lt;/b&gt;"), "{}", r.html);
    assert!(r.html.contains("<strong>bold</strong>"));
    assert!(r
        .html
        .contains("<a href=\"https://clinic.example\" rel=\"nofollow ugc noopener\">site</a>"));
}

// ---------------------------------------------------------------------------------------------
// The personal-information guard

#[test]
fn the_guard_finds_addresses_phones_dates_of_birth_and_record_numbers() {
    use forum::phi::{scan, Kind};
    let found = |t: &str| -> Vec<Kind> { scan(t, 2026).into_iter().map(|f| f.kind).collect() };
    for (text, kind) in [
        ("write to anna.k@example.org please", Kind::Email),
        ("call me on +49 30 1234567", Kind::Phone),
        ("my number is (030) 123-45678", Kind::Phone),
        ("ring 0044 20 7946 0958 after six", Kind::Phone),
        ("I was born 12.03.1985 and", Kind::DateOfBirth),
        ("DOB: 1985-03-12", Kind::DateOfBirth),
        ("born on 3 March 1985", Kind::DateOfBirth),
        ("my birthday is March 3rd, 1985", Kind::DateOfBirth),
        ("since 04/07/1979 I have had", Kind::DateOfBirth),
        ("my MRN: 12345678 at the clinic", Kind::RecordNumber),
        ("NHS number 943 476 5919", Kind::RecordNumber),
        ("patient id A-483920", Kind::RecordNumber),
        (
            "record 0192f0c1-7a4e-7cc2-9a1b-000000000001",
            Kind::RecordNumber,
        ),
        ("my code is ABCD-EFGH-JKMN", Kind::RecordNumber),
    ] {
        assert_eq!(
            found(text).first(),
            Some(&kind),
            "{text:?}: {:?}",
            found(text)
        );
    }
    for ok in [
        "I take 20 mg twice a day and walk 5 km.",
        "My blood pressure was 140/90 last week, pulse 72.",
        "The appointment is on 3.12.2026 at 14:00.",
        "HbA1c went from 7.5 to 6.8 in 2025; 10,000 steps a day.",
        "The record for me is 5 km in 30 minutes.",
    ] {
        assert!(found(ok).is_empty(), "{ok:?}: {:?}", found(ok));
    }

    // Posting: asked first, naming each finding's field and character; confirmed, published.
    let app = App::new();
    app.category("general", "signed_in", true);
    let body = json!({"category": "general", "title": "Ärzte in Berlin? Mail anna@example.org",
                      "body": "Grüße! Ring 0151 2345 6789."});
    let r = app.post(p(PATIENT), "/api/forum/topics", body.clone());
    assert_eq!(
        (r.status.as_u16(), r.kind().as_str()),
        (422, "personal-information")
    );
    assert_eq!(r.fields(), ["title", "body"]);
    assert_eq!(r.body["errors"][0]["position"], 23);
    assert_eq!(r.body["errors"][1]["position"], 13);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM forum_posts"),
        0,
        "nothing written"
    );
    let mut confirmed = body;
    confirmed["personal_information_confirmed"] = json!(true);
    assert_eq!(
        app.post(p(PATIENT), "/api/forum/topics", confirmed).status,
        201
    );
    // The preview says the same without writing.
    let r = app.post(
        p(PATIENT),
        "/api/forum/preview",
        json!({"body": "MRN 99887766"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["personal_information"][0]["field"], "body");
}

// ---------------------------------------------------------------------------------------------
// Flags and moderation

#[test]
fn distinct_flags_hide_a_post_at_the_threshold_until_a_moderator_decides() {
    let app = App::new();
    app.category("general", "signed_in", true);
    let t = app.topic(
        p(PATIENT),
        "general",
        "Does garlic cure hypertension?",
        "Asking for a friend.",
    );
    let bad = app.reply(p(OTHER), &t, "Stop your pills, garlic cures everything.");
    // Its author cannot flag it; one member flags once.
    assert_eq!(app.flag(p(OTHER), &bad, "spam").kind(), "own-post");
    assert_eq!(app.flag(p(PATIENT), &bad, "misinformation").status, 201);
    assert_eq!(app.flag(p(PATIENT), &bad, "spam").kind(), "already-flagged");
    assert_eq!(app.flag(p(THIRD), &bad, "misinformation").status, 201);
    assert_eq!(
        app.post_in(ANON, &t, &bad)["status"],
        "visible",
        "two of three"
    );
    assert_eq!(app.flag(p(FOURTH), &bad, "inappropriate").status, 201);
    // Hidden from readers, shown to its author with why; not searchable.
    let seen = app.post_in(ANON, &t, &bad);
    assert_eq!(
        (seen["status"].as_str(), seen["html"].is_null()),
        (Some("hidden"), true)
    );
    assert_eq!(seen["hidden_reason"], "flagged");
    let own = app.post_in(p(OTHER), &t, &bad);
    assert!(own["html"].as_str().unwrap().contains("garlic"));
    assert!(
        own["open_flags"].is_null(),
        "the author is not told who or how many"
    );
    let s = app.get(ANON, "/api/forum/search?q=garlic+cures");
    assert!(s.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["post"]["id"] != bad.as_str()));
    // The queue: moderators only, with the flags and who raised them.
    assert_eq!(app.get(p(PATIENT), "/api/forum/review").status, 403);
    let q = app.get(staff(), "/api/forum/review");
    assert_eq!(q.status, 200, "{}", q.body);
    let item = &q.body["items"][0];
    assert_eq!(item["post"]["id"], bad.as_str());
    assert_eq!(item["open_flags"], 3);
    assert_eq!(item["flags"].as_array().unwrap().len(), 3);
    // Disagreeing shows it again and empties the queue.
    let r = app.post(
        staff(),
        &format!("/api/forum/review/{bad}"),
        json!({"decision": "disagree", "reason": "Not misinformation: a joke."}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.post_in(ANON, &t, &bad)["status"], "visible");
    assert_eq!(
        app.get(staff(), "/api/forum/review").body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.post(
            staff(),
            &format!("/api/forum/review/{bad}"),
            json!({"decision": "ignore", "reason": "again"})
        )
        .kind(),
        "no-open-flags"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM forum_flags WHERE status = 'disagreed'"),
        3
    );

    // A second post: flagged again, agreed, its author silenced for 7 days.
    let worse = app.reply(p(OTHER), &t, "Really, throw the pills away.");
    for who in [PATIENT, THIRD] {
        assert_eq!(app.flag(p(who), &worse, "misinformation").status, 201);
    }
    let r = app.post(
        staff(),
        &format!("/api/forum/review/{worse}"),
        json!({"decision": "agree_hide", "reason": "Dangerous advice about medication.",
                            "silence_days": 7}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = app.post_in(ANON, &t, &worse);
    assert_eq!(
        (seen["status"].as_str(), seen["hidden_reason"].as_str()),
        (Some("hidden"), Some("moderator"))
    );
    let refused = app.post(
        p(OTHER),
        &format!("/api/forum/topics/{t}/replies"),
        json!({"body": "hello"}),
    );
    assert_eq!(
        (refused.status.as_u16(), refused.kind().as_str()),
        (403, "silenced")
    );
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("Dangerous advice"));
    assert_eq!(
        app.get(p(OTHER), "/api/forum/me").body["silence_reason"],
        "Dangerous advice about medication."
    );
    // Silenced members flag nothing either (flags are a way to speak, and to harass).
    let f = app.flag(p(OTHER), &t, "spam");
    assert_eq!((f.status.as_u16(), f.kind().as_str()), (403, "silenced"));
    // The author reads every action on them, with its reason, and never who flagged or decided.
    let log = app.get(p(OTHER), "/api/forum/me/actions");
    let kinds: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["agree_hide", "disagree"]);
    let text = log.body.to_string();
    for hidden in [PATIENT, THIRD, FOURTH, STAFF] {
        assert!(
            !text.contains(hidden),
            "{hidden} shown to the author: {text}"
        );
    }
    // Moderators see the whole log, with who acted.
    let all = app.get(staff(), "/api/forum/actions");
    assert_eq!(all.body["items"][0]["moderator_id"], STAFF);
    // Unsilenced, they write again.
    let r = app.post(
        staff(),
        &format!("/api/forum/members/{OTHER}/moderation"),
        json!({"action": "unsilence", "reason": "Talked it through."}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    app.reply(p(OTHER), &t, "Sorry, I was wrong.");
}

// ---------------------------------------------------------------------------------------------
// New members

#[test]
fn new_members_are_limited_until_they_have_taken_part_or_a_moderator_lifts_it() {
    let mut app = App::new();
    app.policy.new_posts_per_day = 4;
    app.category("general", "signed_in", true);
    let t = app.topic(
        doctor(),
        "general",
        "Welcome to the forum",
        "Ask away. ![logo](https://clinic.example/l.png)",
    );
    let say = |app: &App, who: Who, body: &str| {
        app.post(
            who,
            &format!("/api/forum/topics/{t}/replies"),
            json!({ "body": body }),
        )
    };
    let image = say(&app, p(PATIENT), "Look: ![x](https://img.example/x.png)");
    assert_eq!(
        (image.status.as_u16(), image.kind().as_str()),
        (422, "new-member-limit")
    );
    assert_eq!(image.fields(), ["body"]);
    let links = say(
        &app,
        p(PATIENT),
        "[a](https://a.example) [b](https://b.example) <https://c.example>",
    );
    assert_eq!(links.kind(), "new-member-limit");
    assert!(links.body["detail"]
        .as_str()
        .unwrap()
        .contains("at most 2 links"));
    // The rate limit: three a minute for everyone but staff.
    for n in 0..3 {
        assert_eq!(say(&app, p(PATIENT), &format!("post {n}")).status, 201);
    }
    let fast = say(&app, p(PATIENT), "too fast");
    assert_eq!(fast.status, 429);
    assert_eq!(app.count("SELECT count(*) AS n FROM forum_posts WHERE author_id = '0192f0c1-7a4e-7cc2-9a1b-000000000001'"), 3);
    for n in 0..5 {
        assert_eq!(
            say(&app, staff(), &format!("staff {n}")).status,
            201,
            "staff are not rate-limited"
        );
    }
    // The day's limit for a new member: 4.
    app.later(5);
    assert_eq!(say(&app, p(PATIENT), "fourth today").status, 201);
    app.later(5);
    let r = say(&app, p(PATIENT), "fifth today");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("4 times a day"));
    // A doctor is trusted from the start; a moderator lifts a patient's limits.
    assert_eq!(app.get(p(PATIENT), "/api/forum/me").body["level"], "new");
    let r = app.post(
        staff(),
        &format!("/api/forum/members/{PATIENT}/moderation"),
        json!({"action": "trust", "reason": "A long-standing patient."}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.get(p(PATIENT), "/api/forum/me").body["level"], "member");
    assert_eq!(say(&app, p(PATIENT), "[a](https://a.example) [b](https://b.example) <https://c.example> ![x](https://i.example/x.png)").status, 201);
    // Taking part for a while: 5 posts and 3 days since the first make a member.
    app.later(1);
    for n in 0..4 {
        assert_eq!(say(&app, p(OTHER), &format!("other {n}")).status, 201);
        app.later(1);
    }
    assert_eq!(app.get(p(OTHER), "/api/forum/me").body["level"], "new");
    app.later(60 * 24 * 3);
    assert_eq!(say(&app, p(OTHER), "fifth, days later").status, 201);
    assert_eq!(app.get(p(OTHER), "/api/forum/me").body["level"], "member");
}

// ---------------------------------------------------------------------------------------------
// Who may read and write where

#[test]
fn categories_say_who_posts_and_who_reads() {
    let app = App::new();
    app.category("general", "signed_in", true);
    app.category("ask-a-clinician", "clinicians", true);
    app.category("members", "signed_in", false);
    let names = |who: Who| -> Vec<String> {
        app.get(who, "/api/forum/categories").body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(ANON), ["ask-a-clinician", "general"]);
    assert_eq!(names(p(PATIENT)).len(), 3);
    assert_eq!(
        app.post(
            p(PATIENT),
            "/api/forum/categories",
            json!({"name": "x", "who_posts": "signed_in", "public": true})
        )
        .status,
        403
    );
    // Clinicians only: a patient may read but not post; a doctor posts; staff moderate anywhere.
    let r = app.post(
        p(PATIENT),
        "/api/forum/topics",
        json!({"category": "ask-a-clinician", "title": "A patient's question", "body": "Hi"}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let t = app.topic(
        doctor(),
        "ask-a-clinician",
        "Flu vaccine season",
        "Book your flu shot.",
    );
    app.topic(staff(), "ask-a-clinician", "House rules", "Be kind.");
    assert_eq!(app.page(ANON, &t).status, 200);
    assert_eq!(
        app.post(
            p(PATIENT),
            &format!("/api/forum/topics/{t}/replies"),
            json!({"body": "Thanks"})
        )
        .status,
        403
    );
    // Members only: anonymous readers are asked to sign in, and lists leave it out.
    let m = app.topic(p(PATIENT), "members", "Private corner", "Only for members.");
    assert_eq!(app.page(ANON, &m).status, 401);
    assert_eq!(app.page(p(OTHER), &m).status, 200);
    let listed = |who: Who| {
        app.get(who, "/api/forum/topics").body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((listed(ANON), listed(p(OTHER))), (2, 3));
    assert_eq!(
        app.get(ANON, "/api/forum/topics?category=members").status,
        422
    );
    // Anonymous readers write nothing.
    assert_eq!(
        app.post(
            ANON,
            "/api/forum/topics",
            json!({"category": "general", "title": "Hello there", "body": "x"})
        )
        .status,
        401
    );
    // A clinician's reply is a clinician answer; the topic's author accepts it, and is told of
    // the reply; the doctor is told of the acceptance.
    let q = app.topic(
        p(PATIENT),
        "general",
        "Is 140/90 high?",
        "Measured this morning.",
    );
    let answer = app.reply(doctor(), &q, "It is stage 2 hypertension: book a visit.");
    let post = app.post_in(ANON, &q, &answer);
    assert_eq!(post["clinician_answer"], true);
    assert_eq!(
        app.put(
            p(OTHER),
            &format!("/api/forum/topics/{q}/accepted"),
            json!({"post_id": answer})
        )
        .status,
        403
    );
    let r = app.put(
        p(PATIENT),
        &format!("/api/forum/topics/{q}/accepted"),
        json!({"post_id": answer}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.post_in(ANON, &q, &answer)["accepted"], true);
    let news = app
        .db
        .execute(
            "SELECT template, to_user FROM forum_outbox ORDER BY template",
            &[],
        )
        .unwrap();
    let news: Vec<(String, String)> = news
        .iter()
        .map(|r| (r.get("template").unwrap(), r.get("to_user").unwrap()))
        .collect();
    assert_eq!(
        news,
        [
            ("forum_answer_accepted".to_string(), DOCTOR.to_string()),
            ("forum_reply".to_string(), PATIENT.to_string())
        ]
    );
    // Muted, the author hears of no more replies; a watcher hears of each.
    app.put(
        p(PATIENT),
        &format!("/api/forum/topics/{q}/watch"),
        json!({"level": "muted"}),
    );
    app.put(
        p(THIRD),
        &format!("/api/forum/topics/{q}/watch"),
        json!({"level": "watching"}),
    );
    app.reply(p(OTHER), &q, "Mine is 135/85.");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_outbox WHERE to_user = '{PATIENT}'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM forum_outbox WHERE to_user = '{THIRD}'"
        )),
        1
    );
}

#[test]
fn edits_keep_their_history_and_need_the_version_seen() {
    let app = App::new();
    app.category("general", "signed_in", true);
    let t = app.topic(
        p(PATIENT),
        "general",
        "Knee pain when running",
        "It hurts after 5 km.",
    );
    let r = app.put(
        p(PATIENT),
        &format!("/api/forum/posts/{t}"),
        json!({"title": "Knee pain after running", "body": "It hurts after 10 km.", "version": 1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let page = app.page(ANON, &t);
    assert_eq!(page.body["topic"]["title"], "Knee pain after running");
    assert!(page.body["posts"][0]["html"]
        .as_str()
        .unwrap()
        .contains("10 km"));
    assert!(page.body["posts"][0]["edited_at"].is_string());
    let stale = app.put(
        p(PATIENT),
        &format!("/api/forum/posts/{t}"),
        json!({"body": "again", "version": 1}),
    );
    assert_eq!(stale.kind(), "stale-version");
    assert_eq!(
        app.put(
            p(OTHER),
            &format!("/api/forum/posts/{t}"),
            json!({"body": "mine now", "version": 2})
        )
        .status,
        403
    );
    let h = app.get(ANON, &format!("/api/forum/posts/{t}/history"));
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.body["earlier"][0]["title"], "Knee pain when running");
    assert_eq!(h.body["earlier"][0]["body"], "It hurts after 5 km.");
    // Search follows the edit.
    let hits = |q: &str| {
        app.get(ANON, &format!("/api/forum/search?q={q}")).body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!((hits("10"), hits("5")), (1, 0));
    // Soft delete: the author takes it down; the topic leaves the lists.
    assert_eq!(
        app.send(p(OTHER), "DELETE", &format!("/api/forum/posts/{t}"), None)
            .status,
        403
    );
    assert_eq!(
        app.send(p(PATIENT), "DELETE", &format!("/api/forum/posts/{t}"), None)
            .status,
        204
    );
    assert_eq!(app.page(ANON, &t).status, 404);
    assert_eq!(
        app.get(ANON, "/api/forum/topics").body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM forum_posts WHERE status = 'deleted'"),
        1,
        "kept"
    );
}

// ---------------------------------------------------------------------------------------------
// Likes under concurrency

#[test]
fn sixteen_connections_liking_one_post_for_one_member_count_once() {
    let dir = std::env::temp_dir().join(format!("forum-likes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("forum.db");
    let _ = std::fs::remove_file(&file);
    let app = App::on(SqliteDb::open(&file));
    app.category("general", "signed_in", true);
    let t = app.topic(
        doctor(),
        "general",
        "Winter walking tips",
        "Wear good shoes.",
    );
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let file = file.clone();
            let t = t.clone();
            std::thread::spawn(move || {
                let app = App::on(SqliteDb::open(&file));
                let mut created = 0;
                for _ in 0..5 {
                    let r = app.send(
                        p(PATIENT),
                        "PUT",
                        &format!("/api/forum/posts/{t}/like"),
                        None,
                    );
                    match r.status.as_u16() {
                        201 => created += 1,
                        200 => assert_eq!(r.body["likes"], 1),
                        other => panic!("like answered {other}: {}", r.body),
                    }
                }
                created
            })
        })
        .collect();
    let created: i64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(created, 1, "one like was made");
    assert_eq!(app.count("SELECT likes_count AS n FROM forum_posts"), 1);
    assert_eq!(app.count("SELECT likes_count AS n FROM forum_topics"), 1);
    assert_eq!(
        app.send(doctor(), "PUT", &format!("/api/forum/posts/{t}/like"), None)
            .kind(),
        "own-post"
    );
    let r = app.send(
        p(PATIENT),
        "DELETE",
        &format!("/api/forum/posts/{t}/like"),
        None,
    );
    assert_eq!(r.body["likes"], 0);
}

// ---------------------------------------------------------------------------------------------
// Search

fn seeded() -> (App, Vec<String>) {
    let app = App::new();
    app.category("general", "signed_in", true);
    app.category("members", "signed_in", false);
    let a = app.topic(
        p(PATIENT),
        "general",
        "Statins and muscle pain",
        "I started a new medicine last month.",
    );
    let b = app.topic(
        p(OTHER),
        "general",
        "Exercise after a heart attack",
        "When can I run again? My statins make me tired.",
    );
    let c = app.topic(
        p(THIRD),
        "general",
        "Diet questions",
        "Is olive oil good for cholesterol?",
    );
    app.reply(
        doctor(),
        &c,
        "Yes. And if you take statins, keep taking them.",
    );
    app.topic(
        p(PATIENT),
        "members",
        "Statins in the members' corner",
        "Private statins talk.",
    );
    (app, vec![a, b, c])
}

fn ranked(app: &App, who: Who, q: &str) -> (Vec<String>, String) {
    let r = app.get(who, &format!("/api/forum/search?q={q}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let ids = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["topic"]["id"].as_str().unwrap().to_string())
        .collect();
    (ids, r.body["engine"].as_str().unwrap().to_string())
}

#[test]
fn search_ranks_a_title_match_first_and_shows_only_what_the_reader_may_read() {
    let (app, t) = seeded();
    let (ids, engine) = ranked(&app, ANON, "statins");
    assert_eq!(engine, "fts5");
    assert_eq!(
        ids.len(),
        3,
        "the members' corner is not for anonymous readers: {ids:?}"
    );
    assert_eq!(ids[0], t[0], "the title match ranks first");
    assert_eq!(ranked(&app, p(PATIENT), "statins").0.len(), 4);
    // Prefixes, diacritics, and FTS5's own syntax taken as words.
    assert_eq!(ranked(&app, ANON, "cholest").0, [t[2].clone()]);
    assert_eq!(
        ranked(&app, ANON, "%22statins%22+OR+title%3Adiet+NEAR%28")
            .0
            .len(),
        0
    );
    let r = app.get(ANON, "/api/forum/search?q=%22%28%29");
    assert_eq!(r.fields(), ["q"]);
    // Better matches the reader may not see (more than the first window of the index) do not
    // crowd out the ones they may.
    for n in 0..100 {
        app.topic(
            staff(),
            "members",
            &format!("Statins statins {n}"),
            "statins statins statins",
        );
    }
    let (ids, _) = ranked(&app, ANON, "statins");
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(
        ranked(&app, p(OTHER), "statins").0.len(),
        20,
        "a full page for members"
    );
}

#[test]
fn without_fts5_search_falls_back_to_matching_words_with_the_same_best_answer() {
    let (app, t) = seeded();
    // What a backend without the module is left with: no index, the migration marked skipped.
    for sql in [
        "DROP TRIGGER forum_fts_written",
        "DROP TRIGGER forum_fts_changed",
        "DROP TABLE forum_fts",
        "UPDATE schema_migrations SET name = name || ' (skipped: no such module: fts5)' WHERE service = 'forum' AND version = 2",
    ] {
        app.db.execute(sql, &[]).unwrap();
    }
    assert!(service_kit::migrate::skipped(&app.db, "forum", 2).unwrap());
    let (ids, engine) = ranked(&app, ANON, "statins");
    assert_eq!(engine, "fallback");
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], t[0]);
    assert_eq!(ranked(&app, ANON, "olive+cholesterol").0, [t[2].clone()]);
    // New posts are found too.
    app.reply(
        p(FOURTH),
        &t[1],
        "Walking is a good start after cardiac rehab.",
    );
    assert_eq!(ranked(&app, ANON, "rehab").0, [t[1].clone()]);
}

// ---------------------------------------------------------------------------------------------
// Query plans: every list walks an index from its cursor

#[test]
fn lists_walk_one_index_without_sorting() {
    let app = App::new();
    app.category("general", "signed_in", true);
    let t = app.topic(p(PATIENT), "general", "A topic to plan", "Body.");
    // Run each list once so its statement is the one the handler sends, then ask for its plan.
    let cat: String = app
        .db
        .execute("SELECT id FROM forum_categories", &[])
        .unwrap()
        .first()
        .unwrap()
        .get("id")
        .unwrap();
    let topics =
        "SELECT t.id FROM forum_topics AS t JOIN forum_categories AS c ON c.id = t.category_id \
        LEFT JOIN forum_members AS m ON m.user_id = t.author_id WHERE t.status = 'visible' ";
    let cases: Vec<(String, Vec<service_kit::db::Value>)> = vec![
        (format!("{topics}AND (?1 OR c.public = 1) AND ?2 IS NULL AND (?3 IS NULL OR (t.last_posted_at, t.id) < (?3, ?4)) ORDER BY t.last_posted_at DESC, t.id DESC LIMIT ?5"),
         service_kit::params![true, None::<String>, "2027", "z", 20].to_vec()),
        (format!("{topics}AND (?1 OR c.public = 1) AND t.category_id = ?2 AND (?3 IS NULL OR (t.last_posted_at, t.id) < (?3, ?4)) ORDER BY t.last_posted_at DESC, t.id DESC LIMIT ?5"),
         service_kit::params![true, cat.as_str(), "2027", "z", 20].to_vec()),
        (format!("{topics}AND t.replies_count = 0 AND (?1 OR c.public = 1) AND ?2 IS NULL AND (?3 IS NULL OR (t.last_posted_at, t.id) < (?3, ?4)) ORDER BY t.last_posted_at DESC, t.id DESC LIMIT ?5"),
         service_kit::params![true, None::<String>, "2027", "z", 20].to_vec()),
        ("SELECT p.id FROM forum_topics AS t JOIN forum_categories AS c ON c.id = t.category_id \
          LEFT JOIN forum_posts AS p ON p.topic_id = t.id AND p.number > ?2 \
          WHERE t.id = ?1 ORDER BY p.number LIMIT ?3".to_string(),
         service_kit::params![t.as_str(), 0, 21].to_vec()),
        ("SELECT p.id FROM forum_posts AS p INDEXED BY forum_posts_flagged JOIN forum_topics AS t ON t.id = p.topic_id \
          WHERE p.open_flags > 0 AND p.seq > ?1 ORDER BY p.seq LIMIT ?2".to_string(),
         service_kit::params![0, 21].to_vec()),
    ];
    for (sql, params) in cases {
        let plan = query_plan(&app.db, &sql, &params).unwrap();
        let text = plan.join(" | ");
        assert!(!text.contains("TEMP B-TREE"), "{sql}\n{text}");
        assert!(
            !text.contains("SCAN t ") && !text.ends_with("SCAN t") && !text.contains("SCAN p"),
            "{sql}\n{text}"
        );
        app.db.execute(&sql, &params).unwrap();
    }
    // The handlers' lists answer.
    for path in [
        "/api/forum/topics",
        "/api/forum/topics?sort=unanswered",
        "/api/forum/topics?category=general",
        "/api/forum/topics?sort=top&period=week",
    ] {
        assert_eq!(app.get(ANON, path).status, 200, "{path}");
    }
}

#[test]
fn bad_input_is_named() {
    let app = App::new();
    app.category("general", "signed_in", true);
    let r = app.post(
        p(PATIENT),
        "/api/forum/topics",
        json!({"category": "", "title": "no", "body": ""}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), ["category", "title", "body"]);
    let r = app.post(
        p(PATIENT),
        "/api/forum/topics",
        json!({"category": "nope", "title": "A real title", "body": "x"}),
    );
    assert_eq!(r.fields(), ["category"]);
    let t = app.topic(p(PATIENT), "general", "A real title", "x");
    for (path, body, field) in [
        (
            format!("/api/forum/posts/{t}/flags"),
            json!({"reason": "rude"}),
            "reason",
        ),
        (
            format!("/api/forum/posts/{t}/flags"),
            json!({"reason": "other"}),
            "note",
        ),
        (
            format!("/api/forum/topics/{t}/watch"),
            json!({"level": "loud"}),
            "level",
        ),
        (
            format!("/api/forum/topics/{t}/accepted"),
            json!({"post_id": "x"}),
            "post_id",
        ),
        (
            "/api/forum/me".to_string(),
            json!({"display_name": "a\u{202E}b"}),
            "display_name",
        ),
    ] {
        let method = if path.ends_with("flags") {
            "POST"
        } else {
            "PUT"
        };
        let who = if path.ends_with("flags") {
            p(OTHER)
        } else {
            p(PATIENT)
        };
        let r = app.send(who, method, &path, Some(body.clone()));
        assert_eq!(r.status, 422, "{path} {body}: {}", r.body);
        assert!(
            r.fields().contains(&field.to_string())
                || r.body["detail"].as_str().unwrap().contains(field),
            "{path}: {}",
            r.body
        );
    }
    let r = app.post(
        staff(),
        &format!("/api/forum/members/{OTHER}/moderation"),
        json!({"action": "silence", "reason": "Rude."}),
    );
    assert_eq!(r.fields(), ["days"]);
    assert_eq!(
        app.get(ANON, "/api/forum/topics?sort=best").fields(),
        ["sort"]
    );
    assert_eq!(app.get(ANON, "/api/forum/topics/not-an-id").status, 404);
}

#[test]
fn an_unconfirmed_address_reads_but_neither_posts_nor_flags_where_the_clinic_requires_one() {
    let mut app = App::new();
    app.category("general", "signed_in", true);
    let t = app.topic(p(PATIENT), "general", "A question for all", "Hello.");
    app.unconfirmed = Some(OTHER);
    let r = app.post(
        p(OTHER),
        &format!("/api/forum/topics/{t}/replies"),
        json!({"body": "Hi"}),
    );
    assert_eq!(
        (r.status.as_u16(), r.kind().as_str()),
        (403, "email-unverified")
    );
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("before posting"));
    assert_eq!(app.flag(p(OTHER), &t, "spam").kind(), "email-unverified");
    assert_eq!(app.page(p(OTHER), &t).status, 200);
    // Everyone else is unaffected.
    app.reply(p(THIRD), &t, "Welcome.");
}

#[test]
fn topic_lists_page_on_without_repeating_or_skipping() {
    let app = App::new();
    app.category("general", "signed_in", true);
    let made: Vec<String> = (0..5)
        .map(|n| app.topic(p(PATIENT), "general", &format!("Topic number {n}"), "Body."))
        .collect();
    for sort in ["latest", "unanswered", "top"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let r = app.get(
                ANON,
                &format!("/api/forum/topics?sort={sort}&limit=2&cursor={cursor}"),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            for i in r.body["items"].as_array().unwrap() {
                seen.push(i["id"].as_str().unwrap().to_string());
            }
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 5, "{sort}: {seen:?}");
        if sort != "top" {
            let newest_first: Vec<String> = made.iter().rev().cloned().collect();
            assert_eq!(seen, newest_first, "{sort}");
        }
    }
    // A cursor from another sort is refused.
    let first = app.get(ANON, "/api/forum/topics?limit=2").body["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get(ANON, &format!("/api/forum/topics?sort=top&cursor={first}"))
            .fields(),
        ["cursor"]
    );
}

#[test]
fn flagging_is_rate_limited_per_member() {
    let mut app = App::new();
    app.policy.flags_per_hour = 2;
    app.policy.flag_threshold = 10;
    app.category("general", "signed_in", true);
    let posts: Vec<String> = (0..3)
        .map(|n| app.topic(staff(), "general", &format!("Announcement {n}"), "News."))
        .collect();
    assert_eq!(app.flag(p(PATIENT), &posts[0], "spam").status, 201);
    assert_eq!(app.flag(p(PATIENT), &posts[1], "spam").status, 201);
    let r = app.flag(p(PATIENT), &posts[2], "spam");
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("2 flags an hour"));
    assert_eq!(
        app.flag(p(OTHER), &posts[2], "spam").status,
        201,
        "another member's own budget"
    );
    app.later(61);
    assert_eq!(
        app.flag(p(PATIENT), &posts[2], "spam").status,
        201,
        "an hour on"
    );
}
