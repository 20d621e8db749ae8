//! locator natively: the real router, rules and SQL on real SQLite — search, opening hours at
//! a fixed instant, imports and their row reports, who may change what.

use http::StatusCode;
use locator::Ctx;
use serde_json::{json, Value};
use service_kit::db::{query_plan, SqliteDb};
use service_kit::principal::Principal;
use service_kit::token::Role;

const STAFF: &str = "0192f0c1-7a4e-7cc2-9a1b-00000000005f";
const PATIENT: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000001";
const OTHER_PATIENT: &str = "0192f0c1-7a4e-7cc2-9a1b-000000000002";
const PHARMACIST: &str = "0192f0c1-7a4e-7cc2-9a1b-0000000000ff";
const OTHER_PHARMACIST: &str = "0192f0c1-7a4e-7cc2-9a1b-0000000000fe";

/// Thursday 3 December 2026, 10:00 in Berlin.
const THURSDAY_10: &str = "2026-12-03T09:00:00Z";

struct App {
    db: SqliteDb,
}

struct Reply {
    status: StatusCode,
    body: Value,
    content_type: String,
}

impl Reply {
    fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    }
    fn names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    }
}

impl App {
    fn new() -> App {
        App {
            db: SqliteDb::open_in_memory(),
        }
    }

    fn send(
        &self,
        who: Option<(&str, Role)>,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        accept: Option<&str>,
    ) -> Reply {
        let mut b = http::Request::builder().method(method).uri(path);
        if !body.is_empty() {
            b = b.header("content-type", content_type);
        }
        if let Some(a) = accept {
            b = b.header("accept", a);
        }
        let req = b.body(body).unwrap();
        let principal = match who {
            Some((id, role)) => Principal::signed_in(id, role),
            None => Principal::Anonymous,
        };
        let ctx = Ctx {
            db: &self.db,
            principal,
            now: THURSDAY_10.parse().unwrap(),
            internal: false,
            map: locator::Map::default(),
        };
        let resp = locator::handle(&req, &ctx);
        let (parts, bytes) = resp.into_parts();
        Reply {
            status: parts.status,
            content_type: parts
                .headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    fn call(
        &self,
        who: Option<(&str, Role)>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.send(who, method, path, "application/json", bytes, None)
    }

    fn add(&self, name: &str, lat: f64, lon: f64, hours: &str) -> Value {
        let r = self.call(
            Some((STAFF, Role::Staff)),
            "POST",
            "/api/locator/pharmacies",
            Some(pharmacy(name, lat, lon, hours)),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    fn search(&self, query: &str) -> Reply {
        let r = self.call(
            None,
            "GET",
            &format!("/api/locator/pharmacies?{query}"),
            None,
        );
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r
    }
}

fn pharmacy(name: &str, lat: f64, lon: f64, hours: &str) -> Value {
    json!({
        "name": name,
        "address": {"street": "Hauptstraße", "housenumber": "1", "postcode": "10115",
                    "city": "Berlin", "country": "DE"},
        "phone": "+49 30 1234567",
        "website": "apotheke.example",
        "position": {"lat": lat, "lon": lon},
        "time_zone": "Europe/Berlin",
        "opening_hours": hours,
        "services": ["vaccination"],
        "wheelchair": "yes",
    })
}

const WEEKDAYS: &str = "Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off";

#[test]
fn nearest_first_with_distance_state_and_next_change() {
    let app = App::new();
    // Around Berlin Mitte (52.5200, 13.4050).
    app.add("Near", 52.5210, 13.4060, WEEKDAYS);
    app.add("Middle", 52.5300, 13.4200, "Mo-Fr 14:00-20:00");
    app.add("Far", 52.6000, 13.5000, "24/7");
    app.add("Too far", 53.5500, 10.0000, "24/7"); // Hamburg
    let r = app.search("near=52.52,13.405&open_at=2026-12-03T09:00:00Z");
    assert_eq!(r.names(), ["Near", "Middle", "Far"]);
    let items = r.body["items"].as_array().unwrap();
    assert!(items[0]["distance_km"].as_f64().unwrap() < 0.2);
    assert!(items[2]["distance_km"].as_f64().unwrap() > 9.0);
    assert_eq!(items[0]["open"], true);
    assert_eq!(items[0]["summary"], "closes 19:00");
    assert_eq!(items[0]["next_change"]["at"], "2026-12-03T18:00:00Z");
    assert_eq!(items[1]["open"], false);
    assert_eq!(items[1]["summary"], "opens 14:00");
    assert_eq!(items[2]["summary"], "open 24/7");
    // Open now only, at a fixed instant: 10:00 Thursday skips Middle.
    let r = app.search("near=52.52,13.405&open_now=true&open_at=2026-12-03T09:00:00Z");
    assert_eq!(r.names(), ["Near", "Far"]);
    // Saturday 15:00: only the 24/7 one.
    let r = app.search("near=52.52,13.405&open_now=true&open_at=2026-12-05T14:00:00Z");
    assert_eq!(r.names(), ["Far"]);
    // Christmas Day is a public holiday in Germany: Near is closed, Far is not.
    let r = app.search("near=52.52,13.405&open_now=true&open_at=2026-12-25T10:00:00Z");
    assert_eq!(r.names(), ["Far"]);
    // A wider radius reaches Hamburg; a narrower one only Near.
    assert_eq!(
        app.search("near=52.52,13.405&radius_km=300").names().len(),
        4
    );
    assert_eq!(
        app.search("near=52.52,13.405&radius_km=1").names(),
        ["Near"]
    );
    // FHIR's near (lat|lon|distance|unit) gives the radius.
    assert_eq!(app.search("near=52.52|13.405|1|km").names(), ["Near"]);
    // By service and by name.
    assert_eq!(
        app.search("near=52.52,13.405&service=vaccination")
            .names()
            .len(),
        3
    );
    assert!(app
        .search("near=52.52,13.405&service=compounding")
        .names()
        .is_empty());
    assert_eq!(app.search("near=52.52,13.405&q=MIDD").names(), ["Middle"]);
}

#[test]
fn pages_follow_the_distance_and_keep_their_instant() {
    let app = App::new();
    for i in 0..25 {
        // A line of pharmacies going north from the centre, 400 m apart.
        app.add(
            &format!("P{i:02}"),
            52.52 + 0.0036 * i as f64,
            13.405,
            "Mo-Fr 09:00-10:00",
        );
    }
    // 09:30 Thursday: all open. Paged by 10, the cursor carries the instant.
    let first = app.search("near=52.52,13.405&open_now=true&open_at=2026-12-03T08:30:00Z&limit=10");
    let mut names = first.names();
    let mut cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    loop {
        // Without open_at: the cursor's instant, not "now" (10:00, when all are closed).
        let r = app.search(&format!(
            "near=52.52,13.405&open_now=true&limit=10&cursor={cursor}"
        ));
        names.extend(r.names());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("P{i:02}")).collect();
    assert_eq!(names, expected);
    // Garbage cursors are refused, naming the field.
    let r = app.call(
        None,
        "GET",
        "/api/locator/pharmacies?near=52.52,13.405&cursor=abc",
        None,
    );
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["cursor".to_string()])
    );
}

#[test]
fn the_antimeridian_and_the_poles_are_ordinary_places() {
    let app = App::new();
    // Taveuni, Fiji, lies across the 180th meridian.
    app.add("East", -16.80, 179.99, "24/7");
    app.add("West", -16.80, -179.99, "24/7");
    let r = app.search("near=-16.80,179.999&radius_km=10");
    assert_eq!(r.names(), ["East", "West"]);
    let r = app.search("near=-16.80,-179.999&radius_km=10");
    assert_eq!(r.names(), ["West", "East"]);
    // A station near the North Pole, found from the other side of it.
    app.add("Pole", 89.95, 0.0, "24/7");
    let r = app.search("near=89.95,180&radius_km=20");
    assert_eq!(r.names(), ["Pole"]);
    let d = r.body["items"][0]["distance_km"].as_f64().unwrap();
    assert!((d - 11.12).abs() < 0.05, "{d}");
}

#[test]
fn bad_input_names_the_field() {
    let app = App::new();
    let staff = Some((STAFF, Role::Staff));
    let r = app.call(
        staff,
        "POST",
        "/api/locator/pharmacies",
        Some(pharmacy("Bad", 52.5, 13.4, "Mo-Fr 08:00-19:0x")),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "opening_hours");
    assert_eq!(r.body["errors"][0]["position"], 16);
    let mut p = pharmacy("", 95.0, 13.4, "24/7");
    p["time_zone"] = json!("CET");
    p["services"] = json!(["teleportation"]);
    p["website"] = json!("javascript:alert(1)");
    let r = app.call(staff, "POST", "/api/locator/pharmacies", Some(p));
    assert_eq!(r.status, 422);
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["name", "position", "services", "time_zone", "website"]
    );
    // Search parameters.
    for (query, field) in [
        ("near=91,0", "near"),
        ("near=52.5", "near"),
        ("near=52.5,13.4&radius_km=0", "radius_km"),
        ("near=52.5,13.4&radius_km=900", "radius_km"),
        ("near=52.5,13.4&open_at=yesterday", "open_at"),
        ("near=52.5,13.4&open_now=maybe", "open_now"),
        ("near=52.5,13.4&service=spa", "service"),
        ("open_now=true", "near"),
    ] {
        let r = app.call(
            None,
            "GET",
            &format!("/api/locator/pharmacies?{query}"),
            None,
        );
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert_eq!(r.fields(), [field], "{query}");
    }
    // Only staff add pharmacies.
    let r = app.call(
        Some((PATIENT, Role::Patient)),
        "POST",
        "/api/locator/pharmacies",
        Some(pharmacy("Mine", 52.5, 13.4, "24/7")),
    );
    assert_eq!(r.status, 403);
    let r = app.call(
        None,
        "POST",
        "/api/locator/pharmacies",
        Some(pharmacy("Anon", 52.5, 13.4, "24/7")),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn updates_need_the_version_and_closing_hides_it() {
    let app = App::new();
    let staff = Some((STAFF, Role::Staff));
    let p = app.add("Apotheke", 52.52, 13.405, WEEKDAYS);
    let path = format!("/api/locator/pharmacies/{}", p["id"].as_str().unwrap());
    let mut edit = pharmacy("Apotheke am Markt", 52.52, 13.405, WEEKDAYS);
    let r = app.call(staff, "PUT", &path, Some(edit.clone()));
    assert_eq!(
        (r.status, r.fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["version".to_string()]
        )
    );
    edit["version"] = json!(1);
    let r = app.call(staff, "PUT", &path, Some(edit.clone()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["name"].as_str(), r.body["version"].as_i64()),
        (Some("Apotheke am Markt"), Some(2))
    );
    // The same edit again is from an old version.
    let r = app.call(staff, "PUT", &path, Some(edit));
    assert_eq!(r.status, 409);
    assert!(r.body["type"].as_str().unwrap().ends_with("stale-version"));
    // Closed: still readable, never found.
    assert_eq!(
        app.call(staff, "POST", &format!("{path}/close"), None)
            .status,
        204
    );
    assert_eq!(app.call(None, "GET", &path, None).body["status"], "closed");
    assert!(app.search("near=52.52,13.405").names().is_empty());
    assert!(app.search("q=apotheke").names().is_empty());
    assert_eq!(
        app.call(None, "GET", "/api/locator/pharmacies/nope", None)
            .status,
        404
    );
}

#[test]
fn one_pharmacy_with_its_week_in_three_shapes() {
    let app = App::new();
    // A late Friday as an additional rule (`,`), so it adds to the weekday hours.
    let p = app.add(
        "Apotheke",
        52.52,
        13.405,
        "Sa 09:00-13:00; Mo-Fr 08:00-19:00, Fr 22:00-02:00",
    );
    let path = format!("/api/locator/pharmacies/{}", p["id"].as_str().unwrap());
    let r = app.call(None, "GET", &path, None);
    assert_eq!(r.body["summary"], "closes 19:00");
    let week = r.body["week"].as_array().unwrap();
    assert_eq!(week[0]["from"], "2026-12-03T08:00");
    let fhir = app.send(
        None,
        "GET",
        &path,
        "",
        vec![],
        Some("application/fhir+json"),
    );
    assert_eq!(fhir.content_type, "application/fhir+json");
    assert_eq!(fhir.body["resourceType"], "Location");
    assert_eq!(fhir.body["position"]["latitude"], 52.52);
    assert_eq!(fhir.body["type"][0]["coding"][0]["code"], "PHARM");
    let hours = fhir.body["hoursOfOperation"].as_array().unwrap();
    let expected = [
        json!({"daysOfWeek": ["mon", "tue", "wed", "thu", "fri"], "openingTime": "08:00:00", "closingTime": "19:00:00"}),
        // Friday night's 22:00-02:00 is split at midnight.
        json!({"daysOfWeek": ["fri"], "openingTime": "22:00:00", "closingTime": "23:59:59"}),
        json!({"daysOfWeek": ["sat"], "openingTime": "00:00:00", "closingTime": "02:00:00"}),
        json!({"daysOfWeek": ["sat"], "openingTime": "09:00:00", "closingTime": "13:00:00"}),
    ];
    for e in &expected {
        assert!(hours.contains(e), "{e} not in {hours:?}");
    }
    assert_eq!(hours.len(), expected.len(), "{hours:?}");
    let geo = app.send(None, "GET", &path, "", vec![], Some("application/geo+json"));
    assert_eq!(geo.content_type, "application/geo+json");
    assert_eq!(geo.body["geometry"]["coordinates"], json!([13.405, 52.52]));
    let list = app.send(
        None,
        "GET",
        "/api/locator/pharmacies?near=52.52,13.405",
        "",
        vec![],
        Some("application/geo+json"),
    );
    assert_eq!(list.body["type"], "FeatureCollection");
    assert_eq!(list.body["features"][0]["properties"]["name"], "Apotheke");
    let bundle = app.send(
        None,
        "GET",
        "/api/locator/pharmacies?near=52.52|13.405|5|km",
        "",
        vec![],
        Some("application/fhir+json"),
    );
    assert_eq!(bundle.body["type"], "searchset");
    let ext = &bundle.body["entry"][0]["search"]["extension"][0];
    assert_eq!(
        ext["url"],
        "http://hl7.org/fhir/StructureDefinition/location-distance"
    );
    assert_eq!(ext["valueDistance"]["code"], "km");
}

#[test]
fn exceptions_by_staff_or_the_pharmacys_own_pharmacist() {
    let app = App::new();
    let p = app.add("Apotheke", 52.52, 13.405, WEEKDAYS);
    let id = p["id"].as_str().unwrap();
    let other = app.add("Other", 52.53, 13.405, WEEKDAYS);
    let day = format!("/api/locator/pharmacies/{id}/exceptions/2026-12-03");
    let closed = json!({"kind": "closed", "note": "Stocktake"});
    // A pharmacist of another pharmacy may not.
    let r = app.call(
        Some((STAFF, Role::Staff)),
        "PUT",
        &format!("/api/locator/pharmacists/{OTHER_PHARMACIST}"),
        Some(json!({"pharmacy_id": other["id"]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.call(
        Some((OTHER_PHARMACIST, Role::Pharmacist)),
        "PUT",
        &day,
        Some(closed.clone()),
    );
    assert_eq!(r.status, 403);
    // Its own pharmacist may.
    let r = app.call(
        Some((STAFF, Role::Staff)),
        "PUT",
        &format!("/api/locator/pharmacists/{PHARMACIST}"),
        Some(json!({"pharmacy_id": id})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pharmacy"]["name"], "Apotheke");
    let r = app.call(
        Some((PHARMACIST, Role::Pharmacist)),
        "PUT",
        &day,
        Some(closed),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["open"], false);
    assert_eq!(r.body["summary"], "opens tomorrow 08:00");
    assert_eq!(r.body["exceptions"][0]["note"], "Stocktake");
    // The search sees it.
    let names = app
        .search("near=52.52,13.405&open_now=true&radius_km=5")
        .names();
    assert_eq!(names, ["Other"]);
    // Extra hours need hours; hours must be time spans.
    let r = app.call(
        Some((STAFF, Role::Staff)),
        "PUT",
        &day,
        Some(json!({"kind": "extra"})),
    );
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["hours".to_string()])
    );
    let r = app.call(
        Some((STAFF, Role::Staff)),
        "PUT",
        &day,
        Some(json!({"kind": "extra", "hours": "20:00-2x:00"})),
    );
    assert_eq!(r.status, 422);
    let r = app.call(
        Some((STAFF, Role::Staff)),
        "PUT",
        &format!("/api/locator/pharmacies/{id}/exceptions/2026-13-01"),
        Some(json!({"kind": "closed"})),
    );
    assert_eq!(
        (r.status, r.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["date".to_string()])
    );
    // Removed, it is open again.
    let r = app.call(Some((PHARMACIST, Role::Pharmacist)), "DELETE", &day, None);
    assert_eq!(
        (r.status, r.body["open"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        app.call(Some((STAFF, Role::Staff)), "DELETE", &day, None)
            .status,
        404
    );
    // The pharmacist reads their own assignment; a patient may not.
    let mine = format!("/api/locator/pharmacists/{PHARMACIST}");
    assert_eq!(
        app.call(Some((PHARMACIST, Role::Pharmacist)), "GET", &mine, None)
            .status,
        200
    );
    assert_eq!(
        app.call(Some((PATIENT, Role::Patient)), "GET", &mine, None)
            .status,
        403
    );
}

#[test]
fn a_patient_nominates_their_own_pharmacy() {
    let app = App::new();
    let p = app.add("Apotheke", 52.52, 13.405, WEEKDAYS);
    let mine = format!("/api/locator/patients/{PATIENT}/preferred-pharmacy");
    let me = Some((PATIENT, Role::Patient));
    assert_eq!(app.call(me, "GET", &mine, None).status, 404);
    let r = app.call(me, "PUT", &mine, Some(json!({"pharmacy_id": p["id"]})));
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (StatusCode::OK, Some("Apotheke"))
    );
    let r = app.call(
        me,
        "PUT",
        &mine,
        Some(json!({"pharmacy_id": "0192f0c1-7a4e-7cc2-9a1b-0000000000aa"})),
    );
    assert_eq!(r.fields(), ["pharmacy_id"]);
    // Nobody else chooses for them or reads it, but staff read it.
    let other = Some((OTHER_PATIENT, Role::Patient));
    assert_eq!(
        app.call(other, "PUT", &mine, Some(json!({"pharmacy_id": p["id"]})))
            .status,
        403
    );
    assert_eq!(app.call(other, "GET", &mine, None).status, 403);
    assert_eq!(
        app.call(Some((STAFF, Role::Staff)), "GET", &mine, None)
            .status,
        200
    );
    // A pharmacy that closes is no longer anyone's preference.
    let path = format!("/api/locator/pharmacies/{}", p["id"].as_str().unwrap());
    app.call(
        Some((STAFF, Role::Staff)),
        "POST",
        &format!("{path}/close"),
        None,
    );
    assert_eq!(app.call(me, "GET", &mine, None).status, 404);
    assert_eq!(app.call(me, "DELETE", &mine, None).status, 204);
}

fn import(app: &App, content_type: &str, query: &str, body: &str) -> Reply {
    app.send(
        Some((STAFF, Role::Staff)),
        "POST",
        &format!("/api/locator/imports?{query}"),
        content_type,
        body.as_bytes().to_vec(),
        None,
    )
}

const CSV: &str = "\
source_key,name,addr:street,addr:housenumber,addr:postcode,addr:city,lat,lon,opening_hours,wheelchair,fax
a1,Adler-Apotheke,Invalidenstraße,10,10115,Berlin,52.5310,13.3850,\"Mo-Fr 08:00-19:00; Sa 09:00-13:00\",yes,030 1
a2,Bären-Apotheke,Torstraße,5,10119,Berlin,52.5290,13.4010,24/7,,
a3,Central-Apotheke,Friedrichstraße,100,10117,Berlin,52.5200,13.3880,\"Mo-Sa 08:00-20:00; PH off\",limited,
";

#[test]
fn a_csv_import_is_all_or_nothing_and_idempotent() {
    let app = App::new();
    let r = import(&app, "text/csv", "time_zone=Europe/Berlin&country=DE", CSV);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["created"].as_u64(), r.body["updated"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(r.body["ignored_columns"], json!(["fax"]));
    // The same file again changes nothing; one changed row updates one.
    let r = import(&app, "text/csv", "time_zone=Europe/Berlin&country=DE", CSV);
    assert_eq!(r.body["unchanged"], 3);
    let changed = CSV.replace("Bären-Apotheke", "Bären-Apotheke am Tor");
    let r = import(
        &app,
        "text/csv",
        "time_zone=Europe/Berlin&country=DE",
        &changed,
    );
    assert_eq!(
        (
            r.body["created"].as_u64(),
            r.body["updated"].as_u64(),
            r.body["unchanged"].as_u64()
        ),
        (Some(0), Some(1), Some(2))
    );
    let names = app.search("near=52.52,13.39&radius_km=5").names();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"Bären-Apotheke am Tor".to_string()));
    // Every bad row is reported with its line and column; nothing is written.
    let bad = "\
source_key,name,lat,lon,opening_hours
b1,Good One,52.50,13.40,24/7
b2,,52.50,13.40,24/7
b3,Bad Hours,52.50,13.40,Mo-Fr 8-19x
b4,Bad Place,north,13.40,24/7
b1,Twice,52.50,13.40,24/7
";
    let r = import(&app, "text/csv", "time_zone=Europe/Berlin", bad);
    assert_eq!(r.status, 422, "{}", r.body);
    let report: Vec<(u64, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        report,
        [
            (3, "name".to_string()),
            (4, "opening_hours".to_string()),
            (5, "lat".to_string()),
            (6, "source_key".to_string()),
        ]
    );
    assert!(r.body["errors"][1]["position"].as_u64().is_some());
    assert!(
        app.search("q=good").names().is_empty(),
        "nothing of a refused file is written"
    );
    // A row without a zone, where the import names none.
    let r = import(
        &app,
        "text/csv",
        "",
        "source_key,name,lat,lon,opening_hours\nz,Zoneless,1,1,24/7\n",
    );
    assert_eq!(r.fields(), ["time_zone"]);
    // Not CSV at all.
    let r = import(&app, "text/csv", "", "just some words\n");
    assert_eq!(r.status, 422);
    assert_eq!(r.fields(), ["body"]);
    let r = import(&app, "text/plain", "", CSV);
    assert_eq!(r.status, 415);
}

#[test]
fn an_openstreetmap_geojson_export_imports_by_osm_id() {
    let app = App::new();
    // As overpass-turbo exports amenity=pharmacy: a node, and a building drawn as a way.
    let osm = r#"{
  "type": "FeatureCollection",
  "features": [
    {
      "type": "Feature",
      "properties": {
        "@id": "node/2402373211",
        "amenity": "pharmacy",
        "name": "Apotheke am Rosenthaler Platz",
        "addr:street": "Weinbergsweg",
        "addr:housenumber": "1",
        "addr:city": "Berlin",
        "opening_hours": "Mo-Fr 08:30-19:00; Sa 09:00-14:00",
        "wheelchair": "yes",
        "dispensing": "yes"
      },
      "geometry": { "type": "Point", "coordinates": [13.4017, 52.5297] },
      "id": "node/2402373211"
    },
    {
      "type": "Feature",
      "properties": { "@id": "way/1001", "amenity": "pharmacy", "name": "Hof-Apotheke",
                      "opening_hours": "Mo-Fr 09:00-18:00" },
      "geometry": { "type": "Polygon", "coordinates": [[[13.40, 52.52], [13.41, 52.52],
                    [13.41, 52.53], [13.40, 52.53], [13.40, 52.52]]] },
      "id": "way/1001"
    }
  ]
}"#;
    let r = import(
        &app,
        "application/geo+json",
        "time_zone=Europe/Berlin&country=DE",
        osm,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    assert!(r.body["ignored_columns"]
        .as_array()
        .unwrap()
        .contains(&json!("dispensing")));
    let found = app.search("near=52.525,13.405&radius_km=2");
    let hof = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Hof-Apotheke")
        .unwrap()
        .clone();
    assert_eq!(hof["source_key"], "osm:way/1001");
    assert!((hof["position"]["lat"].as_f64().unwrap() - 52.525).abs() < 1e-9);
    let rosenthaler = &found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Apotheke am Rosenthaler Platz")
        .unwrap()
        .clone();
    assert_eq!(rosenthaler["services"], json!(["wheelchair_access"]));
    let r = import(
        &app,
        "application/geo+json",
        "time_zone=Europe/Berlin&country=DE",
        osm,
    );
    assert_eq!(r.body["unchanged"], 2);
    // Bad features are reported at the line each starts on.
    let bad = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "id": "node/1", "properties": {"name": "No Hours", "amenity": "pharmacy"},
 "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}},
{"type": "Feature", "id": "node/2", "properties": {"name": "A Clinic", "amenity": "clinic",
 "opening_hours": "24/7"}, "geometry": {"type": "LineString", "coordinates": [[13.4, 52.5]]}}
]}"#;
    let r = import(&app, "application/geo+json", "time_zone=Europe/Berlin", bad);
    assert_eq!(r.status, 422, "{}", r.body);
    let report: Vec<(u64, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        report,
        [
            (2, "features[0].properties.opening_hours".to_string()),
            (4, "features[1].properties.amenity".to_string()),
            (4, "features[1].geometry".to_string()),
        ]
    );
    // Rows without hours may be kept as "unknown" when the import says so.
    let hourless = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "id": "node/1", "properties": {"name": "No Hours", "amenity": "pharmacy"},
 "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}}]}"#;
    let r = import(
        &app,
        "application/geo+json",
        "time_zone=Europe/Berlin&missing_hours=unknown",
        hourless,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let found = app.search("near=52.5,13.4&radius_km=1");
    assert_eq!(found.body["items"][0]["state"], "unknown");
}

/// The search's statement walks the table, clustered by cell, once per range: it never reads
/// the whole table.
#[test]
fn the_queries_walk_their_indexes() {
    let app = App::new();
    app.add("Apotheke", 52.52, 13.405, WEEKDAYS);
    let plan = query_plan(
        &app.db,
        locator::pharmacy::IN_CELLS,
        &[
            "[[1,5],[9,12]]".into(),
            0i64.into(),
            service_kit::db::Value::Null,
        ],
    )
    .unwrap()
    .join("\n");
    assert!(
        plan.contains("SEARCH p USING PRIMARY KEY (cell>? AND cell<?)"),
        "{plan}"
    );
    assert!(!plan.contains("SCAN p"), "{plan}");
}
