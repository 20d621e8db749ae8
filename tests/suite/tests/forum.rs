//! forum over HTTP: the real forum.wasm beside auth and mail. Who may read and write where
//! (anonymous readers of public categories, a clinicians-only category, a silenced member),
//! 100 parallel likes by one member counting once, search ranking on a seeded set (FTS5 on the
//! app's own SQLite), and the moderation round trip from flags to the author's log.
//!
//! Every test makes its own categories and words, so a shared `spin up` with other data in it
//! answers the same.

use blackbox::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn category(staff: &User, who_posts: &str, public: bool) -> String {
    let slug = format!("c-{}", unique());
    let r = post(
        "/api/forum/categories",
        &json!({"name": format!("Category {slug}"), "slug": slug, "who_posts": who_posts, "public": public}),
        Some(&staff.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    slug
}

fn topic(who: &User, category: &str, title: &str, body: &str) -> String {
    let r = post(
        "/api/forum/topics",
        &json!({"category": category, "title": title, "body": body}),
        Some(&who.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("/api/forum/topics/"));
    r.json()["id"].as_str().unwrap().to_string()
}

fn reply(who: &User, topic: &str, body: &str) -> Reply {
    post(
        &format!("/api/forum/topics/{topic}/replies"),
        &json!({ "body": body }),
        Some(&who.access),
    )
}

fn post_of(page: &Value, id: &str) -> Value {
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in {page}"))
}

#[test]
fn who_reads_and_who_writes_where() {
    let staff = new_user("staff");
    let patient = new_patient();
    let doctor = new_user("doctor");
    let public = category(&staff, "signed_in", true);
    let clinicians = category(&staff, "clinicians", true);
    let members = category(&staff, "signed_in", false);

    // Anonymous: reads public categories, topics and pages; writes nothing.
    let t = topic(
        &patient,
        &public,
        "Knee pain after running",
        "It hurts after **5 km**.",
    );
    let r = get(&format!("/api/forum/topics/{t}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let page = r.json();
    assert!(page["posts"][0]["html"]
        .as_str()
        .unwrap()
        .contains("<strong>5 km</strong>"));
    assert!(
        page["posts"][0]["body"].is_null(),
        "the Markdown is for its author"
    );
    let listed = get(&format!("/api/forum/topics?category={public}"), None);
    assert_eq!(listed.json()["items"][0]["id"], t.as_str());
    post(
        &format!("/api/forum/topics/{t}/replies"),
        &json!({"body": "hello"}),
        None,
    )
    .problem(401);
    let slugs: Vec<String> = get("/api/forum/categories", None).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_string())
        .collect();
    assert!(slugs.contains(&public) && !slugs.contains(&members));

    // Members only: signed in reads, anonymous is asked to sign in.
    let m = topic(
        &patient,
        &members,
        "A members' question",
        "Only for members.",
    );
    get(&format!("/api/forum/topics/{m}"), None).problem(401);
    assert_eq!(
        get(&format!("/api/forum/topics/{m}"), Some(&doctor.access)).status,
        200
    );

    // Clinicians only: the patient reads but may not post; the doctor's reply is a clinician
    // answer, and the topic's author accepts it.
    let c = topic(
        &doctor,
        &clinicians,
        "Flu shots are open",
        "Book yours at the desk.",
    );
    assert_eq!(get(&format!("/api/forum/topics/{c}"), None).status, 200);
    reply(&patient, &c, "Thanks!").problem(403);
    post(
        "/api/forum/topics",
        &json!({"category": clinicians, "title": "A patient's topic", "body": "x"}),
        Some(&patient.access),
    )
    .problem(403);
    let answer = reply(&doctor, &t, "Rest a week, then start at 2 km.");
    assert_eq!(answer.status, 201, "{}", answer.text);
    let answer = answer.json()["id"].as_str().unwrap().to_string();
    let page = get(&format!("/api/forum/topics/{t}"), None).json();
    assert_eq!(post_of(&page, &answer)["clinician_answer"], true);
    put(
        &format!("/api/forum/topics/{t}/accepted"),
        &json!({ "post_id": answer }),
        Some(&doctor.access),
    )
    .problem(403);
    let r = put(
        &format!("/api/forum/topics/{t}/accepted"),
        &json!({ "post_id": answer }),
        Some(&patient.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let page = get(&format!("/api/forum/topics/{t}"), None).json();
    assert_eq!(page["topic"]["accepted_post_id"], answer.as_str());
    assert_eq!(post_of(&page, &answer)["accepted"], true);

    // The topic's author is told of the reply, the doctor of the acceptance (through mail).
    for (user, kind) in [
        (&patient, "forum_reply"),
        (&doctor, "forum_answer_accepted"),
    ] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let items = get("/api/mail/notifications", Some(&user.access)).json()["items"].clone();
            if items.as_array().unwrap().iter().any(|n| n["kind"] == kind) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} for {}: {items}",
                user.email
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    // Silenced: reads, but writes nothing until the silence ends, and is told why.
    let r = post(
        &format!("/api/forum/members/{}/moderation", patient.id),
        &json!({"action": "silence", "days": 1, "reason": "Please cool down for a day."}),
        Some(&doctor.access),
    );
    r.problem(403);
    let r = post(
        &format!("/api/forum/members/{}/moderation", patient.id),
        &json!({"action": "silence", "days": 1, "reason": "Please cool down for a day."}),
        Some(&staff.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let refused = reply(&patient, &t, "one more thing");
    refused.problem(403);
    assert!(refused.json()["type"]
        .as_str()
        .unwrap()
        .ends_with("/silenced"));
    assert_eq!(
        get(&format!("/api/forum/topics/{t}"), Some(&patient.access)).status,
        200
    );
    let log = get("/api/forum/me/actions", Some(&patient.access)).json();
    assert_eq!(log["items"][0]["kind"], "silence");
    assert_eq!(log["items"][0]["reason"], "Please cool down for a day.");
    assert!(log["items"][0].get("moderator_id").is_none());
}

#[test]
fn a_hundred_parallel_likes_by_one_member_count_once() {
    let staff = new_user("staff");
    let author = new_user("doctor");
    let fan = new_patient();
    let cat = category(&staff, "signed_in", true);
    let t = topic(
        &author,
        &cat,
        "Walking in winter",
        "Good shoes, and go at noon.",
    );
    let handles: Vec<_> = (0..100)
        .map(|_| {
            let (t, token) = (t.clone(), fan.access.clone());
            std::thread::spawn(move || {
                send(
                    "PUT",
                    &format!("/api/forum/posts/{t}/like"),
                    Some(&token),
                    None,
                    None,
                )
            })
        })
        .collect();
    let statuses: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().unwrap().status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    let page = get(&format!("/api/forum/topics/{t}"), Some(&fan.access)).json();
    assert_eq!(page["posts"][0]["likes"], 1);
    assert_eq!(page["posts"][0]["liked"], true);
    assert_eq!(page["topic"]["likes"], 1);
    // Its author cannot like it; taking the like back counts down once.
    send(
        "PUT",
        &format!("/api/forum/posts/{t}/like"),
        Some(&author.access),
        None,
        None,
    )
    .problem(409);
    let r = send(
        "DELETE",
        &format!("/api/forum/posts/{t}/like"),
        Some(&fan.access),
        None,
        None,
    );
    assert_eq!(r.json()["likes"], 0);
}

#[test]
fn search_ranks_the_seeded_set_and_runs_on_fts5() {
    let staff = new_user("staff");
    let a = new_patient();
    let b = new_patient();
    let doctor = new_user("doctor");
    let cat = category(&staff, "signed_in", true);
    let hidden = category(&staff, "signed_in", false);
    // A word of this test's own, so other data never ranks among its results.
    let w = unique_word();
    let title = topic(
        &a,
        &cat,
        &format!("Statins {w} and muscle pain"),
        "Started last month.",
    );
    let body = topic(
        &b,
        &cat,
        "Exercise after a heart attack",
        &format!("My {w} make me tired."),
    );
    let in_reply = topic(&b, &cat, "Diet questions", "Is olive oil good?");
    assert_eq!(
        reply(&doctor, &in_reply, &format!("Yes; keep taking the {w}.")).status,
        201
    );
    topic(&a, &hidden, &format!("{w} in private"), "Members only.");

    let r = get(&format!("/api/forum/search?q={w}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["engine"], "fts5", "the app's SQLite has FTS5");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["topic"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "members-only is not for anonymous readers: {v}"
    );
    assert_eq!(ids[0], title, "the title match first: {v}");
    assert!(ids.contains(&body.as_str()) && ids.contains(&in_reply.as_str()));
    assert!(v["items"][1]["excerpt"].as_str().unwrap().contains(&w));
    let signed = get(&format!("/api/forum/search?q={w}"), Some(&a.access)).json();
    assert_eq!(signed["items"].as_array().unwrap().len(), 4);
    // Paged; operators are words; an empty query names the field.
    let first = get(&format!("/api/forum/search?q={w}&limit=2"), None).json();
    let next = first["next_cursor"].as_str().unwrap();
    let second = get(
        &format!("/api/forum/search?q={w}&limit=2&cursor={next}"),
        None,
    )
    .json();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&format!("/api/forum/search?q=%22{w}%22+NEAR%28"), None).json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(get("/api/forum/search?q=%22%22", None).problem(422), ["q"]);
}

#[test]
fn flags_hide_a_post_and_a_moderator_decides_and_the_author_is_told_why() {
    let staff = new_user("staff");
    let asker = new_patient();
    let spreader = new_patient();
    let flaggers: Vec<User> = (0..3).map(|_| new_patient()).collect();
    let cat = category(&staff, "signed_in", true);
    let t = topic(
        &asker,
        &cat,
        "Does garlic cure hypertension?",
        "Asking for a friend.",
    );
    let r = reply(&spreader, &t, "Stop your pills; garlic cures it.");
    assert_eq!(r.status, 201, "{}", r.text);
    let bad = r.json()["id"].as_str().unwrap().to_string();
    let flag = |u: &User, reason: &str| {
        post(
            &format!("/api/forum/posts/{bad}/flags"),
            &json!({ "reason": reason }),
            Some(&u.access),
        )
    };
    assert_eq!(flag(&flaggers[0], "misinformation").status, 201);
    flag(&flaggers[0], "spam").problem(409);
    flag(&spreader, "spam").problem(409);
    assert_eq!(flag(&flaggers[1], "misinformation").status, 201);
    let seen = get(&format!("/api/forum/topics/{t}"), None).json();
    assert_eq!(post_of(&seen, &bad)["status"], "visible");
    assert_eq!(flag(&flaggers[2], "personal_information").status, 201);
    // Hidden at the third distinct flag: no body for readers, the author still sees it.
    let seen = get(&format!("/api/forum/topics/{t}"), None).json();
    let p = post_of(&seen, &bad);
    assert_eq!(
        (p["status"].as_str(), p["html"].is_null()),
        (Some("hidden"), true)
    );
    let own = get(&format!("/api/forum/topics/{t}"), Some(&spreader.access)).json();
    assert!(post_of(&own, &bad)["html"]
        .as_str()
        .unwrap()
        .contains("garlic"));
    assert!(
        !own.to_string().contains(&flaggers[0].id),
        "no flagger shown"
    );

    // The queue is the moderators'; the decision hides it for good and silences the author.
    get("/api/forum/review", Some(&asker.access)).problem(403);
    let queue = get("/api/forum/review?limit=100", Some(&staff.access)).json();
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == bad.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{bad} not queued: {queue}"));
    assert_eq!(item["open_flags"], 3);
    let r = post(
        &format!("/api/forum/review/{bad}"),
        &json!({"decision": "agree_hide", "reason": "Dangerous advice about medication.", "silence_days": 3}),
        Some(&staff.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let seen = get(&format!("/api/forum/topics/{t}"), None).json();
    assert_eq!(post_of(&seen, &bad)["hidden_reason"], "moderator");
    reply(&spreader, &t, "But really").problem(403);
    let log = get("/api/forum/me/actions", Some(&spreader.access)).json();
    assert_eq!(log["items"][0]["kind"], "agree_hide");
    assert_eq!(
        log["items"][0]["reason"],
        "Dangerous advice about medication."
    );
    assert_eq!(log["items"][0]["post_id"], bad.as_str());
    for f in &flaggers {
        assert!(!log.to_string().contains(&f.id));
    }
    let me = get("/api/forum/me", Some(&spreader.access)).json();
    assert!(me["silenced_until"].is_string(), "{me}");
    // No longer queued; deciding again is a conflict.
    let queue = get("/api/forum/review?limit=100", Some(&staff.access)).json();
    assert!(!queue.to_string().contains(&bad));
    post(
        &format!("/api/forum/review/{bad}"),
        &json!({"decision": "ignore", "reason": "again"}),
        Some(&staff.access),
    )
    .problem(409);
}

#[test]
fn the_guard_asks_before_personal_information_is_published() {
    let staff = new_user("staff");
    let patient = new_patient();
    let cat = category(&staff, "signed_in", true);
    let body = json!({"category": cat, "title": "My results",
                      "body": "I was born 12.03.1985, MRN 4839201. Mail me: me@example.org"});
    let r = post("/api/forum/topics", &body, Some(&patient.access));
    assert_eq!(r.problem(422), ["body", "body", "body"]);
    let e = &r.json()["errors"];
    assert_eq!(e[0]["position"], 12);
    assert!(r.json()["type"]
        .as_str()
        .unwrap()
        .ends_with("/personal-information"));
    let mut confirmed = body;
    confirmed["personal_information_confirmed"] = json!(true);
    assert_eq!(
        post("/api/forum/topics", &confirmed, Some(&patient.access)).status,
        201
    );
}
