//! locator over HTTP: the real locator.wasm beside auth. Staff add and import pharmacies;
//! anyone finds the nearest open ones at a fixed instant, as JSON, FHIR (held to the R4 schema)
//! and GeoJSON; bad hours and bad rows are refused, naming where.
//!
//! Every test works around its own random point (and its own source keys), so a shared
//! `spin up` with other data in it answers the same.

use blackbox::*;
use serde_json::{json, Value};

/// A point of this test's own, somewhere between 60°S and 60°N, away from the antimeridian.
fn somewhere() -> (f64, f64) {
    let u = unique();
    let h = u.bytes().fold(0u64, |h, b| {
        h.wrapping_mul(1_000_003).wrapping_add(b as u64)
    });
    let lat = (h % 120_000) as f64 / 1000.0 - 60.0;
    let lon = ((h / 120_000) % 340_000) as f64 / 1000.0 - 170.0;
    (lat, lon)
}

fn pharmacy(name: &str, lat: f64, lon: f64, hours: &str) -> Value {
    json!({
        "name": name,
        "address": {"street": "Marktplatz", "housenumber": "3", "postcode": "10115",
                    "city": "Berlin", "country": "DE"},
        "phone": "+49 30 1234567",
        "website": "https://apotheke.example",
        "position": {"lat": lat, "lon": lon},
        "time_zone": "Europe/Berlin",
        "opening_hours": hours,
        "services": ["vaccination"],
    })
}

fn add(staff: &User, name: &str, lat: f64, lon: f64, hours: &str) -> Value {
    let r = post(
        "/api/locator/pharmacies",
        &pharmacy(name, lat, lon, hours),
        Some(&staff.access),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r
        .header("location")
        .unwrap()
        .ends_with(r.json()["id"].as_str().unwrap()));
    r.json()
}

fn names(r: &Reply) -> Vec<String> {
    r.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

/// Thursday 3 December 2026, 10:00 in Berlin; Saturday 14:00; Christmas Day 11:00.
const THURSDAY_10: &str = "2026-12-03T09:00:00Z";
const SATURDAY_15: &str = "2026-12-05T14:00:00Z";
const CHRISTMAS_11: &str = "2026-12-25T10:00:00Z";

#[test]
fn anyone_finds_the_nearest_open_pharmacies_at_an_instant() {
    let staff = new_user("staff");
    let (lat, lon) = somewhere();
    add(
        &staff,
        "Near",
        lat + 0.001,
        lon,
        "Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off",
    );
    add(&staff, "Middle", lat + 0.01, lon, "Mo-Fr 14:00-20:00");
    add(&staff, "Far", lat + 0.05, lon, "24/7");
    let near = format!("near={lat},{lon}&radius_km=10");
    // No account needed.
    let r = get(
        &format!("/api/locator/pharmacies?{near}&open_at={THURSDAY_10}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&r), ["Near", "Middle", "Far"]);
    let items = r.json()["items"].clone();
    assert!(items[0]["distance_km"].as_f64().unwrap() < 0.2);
    assert!((items[2]["distance_km"].as_f64().unwrap() - 5.56).abs() < 0.05);
    assert_eq!(
        (
            &items[0]["open"],
            &items[0]["summary"],
            &items[0]["next_change"]["at"]
        ),
        (
            &json!(true),
            &json!("closes 19:00"),
            &json!("2026-12-03T18:00:00Z")
        )
    );
    assert_eq!(
        (&items[1]["open"], &items[1]["summary"]),
        (&json!(false), &json!("opens 14:00"))
    );
    assert_eq!(items[2]["summary"], "open 24/7");
    // Open now, at three instants.
    let open_at = |at: &str| {
        names(&get(
            &format!("/api/locator/pharmacies?{near}&open_now=true&open_at={at}"),
            None,
        ))
    };
    assert_eq!(open_at(THURSDAY_10), ["Near", "Far"]);
    assert_eq!(open_at(SATURDAY_15), ["Far"]);
    assert_eq!(open_at(CHRISTMAS_11), ["Far"]); // a public holiday in Germany
                                                // Paged: two at a time, the second page from the first's cursor.
    let first = get(
        &format!("/api/locator/pharmacies?{near}&limit=2&open_at={THURSDAY_10}"),
        None,
    );
    assert_eq!(names(&first), ["Near", "Middle"]);
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_string();
    let second = get(
        &format!("/api/locator/pharmacies?{near}&limit=2&cursor={cursor}"),
        None,
    );
    assert_eq!(names(&second), ["Far"]);
    assert!(second.json()["next_cursor"].is_null());
    // One pharmacy: its state now and its week.
    let id = items[0]["id"].as_str().unwrap();
    let one = get(
        &format!("/api/locator/pharmacies/{id}?open_at={THURSDAY_10}"),
        None,
    )
    .json();
    assert_eq!(one["summary"], "closes 19:00");
    assert_eq!(one["week"][0]["from"], "2026-12-03T08:00");
    // A token that is there but forged is refused, even where none is needed.
    let r = get(
        &format!("/api/locator/pharmacies?{near}"),
        Some("not.a.token"),
    );
    r.problem(401);
}

#[test]
fn fhir_and_geojson_are_there_for_the_asking() {
    let staff = new_user("staff");
    let (lat, lon) = somewhere();
    let p = add(
        &staff,
        "Apotheke am Markt",
        lat,
        lon,
        "Mo-Fr 08:00-19:00; Sa 09:00-13:00",
    );
    let id = p["id"].as_str().unwrap();
    // FHIR's own near: lat|lon|distance|unit.
    let path = format!("/api/locator/pharmacies?near={lat}|{lon}|2|km&open_at={THURSDAY_10}");
    let r = send_full_accept(&path, "application/fhir+json");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let bundle = r.json();
    assert_eq!(
        (&bundle["resourceType"], &bundle["type"]),
        (&json!("Bundle"), &json!("searchset"))
    );
    let errors = blackbox::fhir::errors(&bundle);
    assert!(errors.is_empty(), "{errors:?}");
    let entry = &bundle["entry"][0];
    assert_eq!(entry["resource"]["resourceType"], "Location");
    assert_eq!(entry["resource"]["name"], "Apotheke am Markt");
    assert_eq!(
        entry["search"]["extension"][0]["url"],
        "http://hl7.org/fhir/StructureDefinition/location-distance"
    );
    let location = send_full_accept(
        &format!("/api/locator/pharmacies/{id}"),
        "application/fhir+json",
    )
    .json();
    let errors = blackbox::fhir::errors(&location);
    assert!(errors.is_empty(), "{errors:?}");
    // The point as sent, to well under a millimetre (a float may come back a unit in the last
    // place away).
    let at = |k: &str| location["position"][k].as_f64().unwrap();
    assert!(
        (at("latitude") - lat).abs() < 1e-9 && (at("longitude") - lon).abs() < 1e-9,
        "{} against {lat},{lon}",
        location["position"]
    );
    assert!(location["hoursOfOperation"].as_array().unwrap().contains(&json!(
        {"daysOfWeek": ["mon", "tue", "wed", "thu", "fri"], "openingTime": "08:00:00", "closingTime": "19:00:00"}
    )));
    // GeoJSON: a FeatureCollection of Points, longitude first.
    let r = send_full_accept(
        &format!("/api/locator/pharmacies?near={lat},{lon}&radius_km=2"),
        "application/geo+json",
    );
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    let fc = r.json();
    assert_eq!(fc["type"], "FeatureCollection");
    let point = &fc["features"][0]["geometry"];
    assert_eq!(point["type"], "Point");
    let c = |i: usize| point["coordinates"][i].as_f64().unwrap();
    assert!(
        (c(0) - lon).abs() < 1e-9 && (c(1) - lat).abs() < 1e-9,
        "{point} against {lon},{lat}"
    );
    assert_eq!(fc["features"][0]["properties"]["name"], "Apotheke am Markt");
}

fn send_full_accept(path: &str, accept: &str) -> Reply {
    send_bare("GET", path, &[("accept", accept)])
}

#[test]
fn bad_hours_and_bad_searches_name_the_field() {
    let staff = new_user("staff");
    let r = post(
        "/api/locator/pharmacies",
        &pharmacy("Bad", 10.0, 10.0, "Mo-Fr 08:00-19:0x"),
        Some(&staff.access),
    );
    assert_eq!(r.problem(422), ["opening_hours"]);
    let e = &r.json()["errors"][0];
    assert_eq!(e["position"], 16);
    assert!(
        e["message"].as_str().unwrap().contains("character 16"),
        "{e}"
    );
    for (query, field) in [
        ("near=91,0", "near"),
        ("near=10,10&radius_km=5000", "radius_km"),
        ("near=10,10&open_at=tomorrow", "open_at"),
        ("near=10,10&service=spa", "service"),
        ("open_now=true", "near"),
    ] {
        let r = get(&format!("/api/locator/pharmacies?{query}"), None);
        assert_eq!(r.problem(422), [field], "{query}");
    }
    // Only staff change pharmacies.
    let patient = new_patient();
    let r = post(
        "/api/locator/pharmacies",
        &pharmacy("Mine", 10.0, 10.0, "24/7"),
        Some(&patient.access),
    );
    r.problem(403);
    let r = post(
        "/api/locator/pharmacies",
        &pharmacy("Anon", 10.0, 10.0, "24/7"),
        None,
    );
    r.problem(401);
}

#[test]
fn an_import_with_bad_rows_imports_nothing_and_a_good_one_is_idempotent() {
    let staff = new_user("staff");
    let (lat, lon) = somewhere();
    let k = unique();
    let csv = format!(
        "source_key,name,addr:street,addr:city,lat,lon,opening_hours,wheelchair\n\
         {k}-1,Adler-Apotheke,Invalidenstraße,Berlin,{},{lon},\"Mo-Fr 08:00-19:00\",yes\n\
         {k}-2,Bären-Apotheke,Torstraße,Berlin,{},{lon},24/7,\n",
        lat + 0.001,
        lat + 0.002,
    );
    let import = |body: &str, query: &str| {
        send(
            "POST",
            &format!("/api/locator/imports?{query}"),
            Some(&staff.access),
            Some("text/csv"),
            Some(body.as_bytes().to_vec()),
        )
    };
    let r = import(&csv, "time_zone=Europe/Berlin&country=DE");
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json()["created"].as_u64(), r.json()["updated"].as_u64()),
        (Some(2), Some(0))
    );
    let r = import(&csv, "time_zone=Europe/Berlin&country=DE");
    assert_eq!(r.json()["unchanged"], 2, "{}", r.text);
    let around = format!("/api/locator/pharmacies?near={lat},{lon}&radius_km=1");
    assert_eq!(names(&get(&around, None)).len(), 2);
    // Bad rows: each reported by line and column, and nothing of the file is written.
    let bad = format!(
        "source_key,name,lat,lon,opening_hours\n\
         {k}-3,Good,{lat},{lon},24/7\n\
         {k}-4,,{lat},{lon},24/7\n\
         {k}-5,Bad Hours,{lat},{lon},Mo-Fr 8-19x\n\
         {k}-6,Nowhere,north,{lon},24/7\n"
    );
    let r = import(&bad, "time_zone=Europe/Berlin");
    assert_eq!(r.problem(422), ["name", "opening_hours", "lat"]);
    let lines: Vec<u64> = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5]);
    assert_eq!(
        names(&get(&around, None)).len(),
        2,
        "nothing of the refused file was written"
    );
    // Only staff import.
    let patient = new_patient();
    let r = send(
        "POST",
        "/api/locator/imports",
        Some(&patient.access),
        Some("text/csv"),
        Some(csv.into_bytes()),
    );
    r.problem(403);
}

#[test]
fn pharmacists_belong_to_a_pharmacy_and_patients_nominate_one() {
    let staff = new_user("staff");
    let (lat, lon) = somewhere();
    let p = add(&staff, "Hausapotheke", lat, lon, "Mo-Fr 08:00-19:00");
    let id = p["id"].as_str().unwrap();
    let pharmacist = new_user("pharmacist");
    let path = format!("/api/locator/pharmacists/{}", pharmacist.id);
    let r = put(&path, &json!({"pharmacy_id": id}), Some(&staff.access));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(&path, Some(&pharmacist.access));
    assert_eq!(r.json()["pharmacy"]["name"], "Hausapotheke");
    // Their pharmacy's on-duty night, set by them.
    let night = format!("/api/locator/pharmacies/{id}/exceptions/2026-12-05");
    let r = put(
        &night,
        &json!({"kind": "extra", "hours": "20:00-24:00", "note": "On duty"}),
        Some(&pharmacist.access),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = get(
        &format!("/api/locator/pharmacies/{id}?open_at=2026-12-05T20:30:00Z"),
        None,
    );
    assert_eq!(
        (r.json()["open"].as_bool(), r.json()["summary"].as_str()),
        (Some(true), Some("closes 24:00"))
    );
    // A patient nominates it; nobody else reads that but staff.
    let patient = new_patient();
    let mine = format!("/api/locator/patients/{}/preferred-pharmacy", patient.id);
    let r = put(&mine, &json!({"pharmacy_id": id}), Some(&patient.access));
    assert_eq!(
        (r.status, r.json()["name"].as_str()),
        (200, Some("Hausapotheke"))
    );
    get(&mine, Some(&new_patient().access)).problem(403);
    assert_eq!(get(&mine, Some(&staff.access)).status, 200);
    assert_eq!(get(&mine, Some(&patient.access)).json()["id"], id);
}
