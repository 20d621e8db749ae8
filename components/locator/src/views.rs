//! A pharmacy as each reader asks for it: Healthe's JSON, a FHIR R4 `Location`, a GeoJSON
//! `Feature`.

use crate::hours::{Interval, State, Status};
use crate::pharmacy::Pharmacy;
use serde_json::{json, Value};

/// FHIR's extension for how far a `near` search's match is (R4, on `Bundle.entry.search`).
pub const DISTANCE_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/location-distance";
pub const GEOJSON: &str = "application/geo+json";

/// The distance as a reader wants it: metres are noise, ten metres are not.
fn rounded_km(km: f64) -> f64 {
    (km * 100.0).round() / 100.0
}

/// The pharmacy in Healthe's JSON, with its state now (`status`), distance (when searched)
/// and local week (`week`) when given.
pub fn pharmacy(
    p: &Pharmacy,
    status: Option<&Status>,
    distance_km: Option<f64>,
    week: Option<&[Interval]>,
) -> Value {
    let mut v = json!({
        "id": p.id,
        "source_key": p.source_key,
        "name": p.name,
        "address": p.address,
        "address_line": p.address.line(),
        "phone": p.phone,
        "website": p.website,
        "position": { "lat": p.position.lat(), "lon": p.position.lon() },
        "time_zone": p.time_zone,
        "opening_hours": p.opening_hours,
        "exceptions": p.exceptions,
        "services": p.services.names(),
        "wheelchair": p.wheelchair,
        "status": p.status,
        "version": p.version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    });
    if let Some(s) = status {
        v["open"] = json!(s.state == State::Open);
        v["state"] = json!(s.state);
        v["next_change"] = json!(s.next_change);
        v["summary"] = json!(s.text);
        if let Some(c) = &s.comment {
            v["comment"] = json!(c);
        }
    }
    if let Some(d) = distance_km {
        v["distance_km"] = json!(rounded_km(d));
    }
    if let Some(w) = week {
        v["week"] = json!(w);
    }
    v
}

/// The pharmacy as a GeoJSON Feature: a Point at `[lon, lat]` (RFC 7946 order), the rest as
/// its properties.
pub fn feature(p: &Pharmacy, status: Option<&Status>, distance_km: Option<f64>) -> Value {
    let mut properties = pharmacy(p, status, distance_km, None);
    if let Some(o) = properties.as_object_mut() {
        o.remove("position");
    }
    json!({
        "type": "Feature",
        "id": p.id,
        "geometry": { "type": "Point", "coordinates": [p.position.lon(), p.position.lat()] },
        "properties": properties,
    })
}

const FHIR_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// FHIR's `hoursOfOperation` from a week of local open intervals: each (opening, closing) pair
/// with the days it holds on. A stretch past midnight is split at it; a whole day is `allDay`.
/// What the structure cannot say (holidays, exceptions) stays in the OSM value, which
/// `availabilityExceptions` carries.
fn hours_of_operation(week: &[Interval]) -> Vec<Value> {
    let mut slots: Vec<((String, String), Vec<usize>)> = Vec::new();
    for i in week.iter().filter(|i| i.state == State::Open) {
        let (Ok(from), Ok(to)) = (
            jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", &i.from),
            jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", &i.to),
        ) else {
            continue;
        };
        let mut start = from;
        while start < to {
            let midnight = start
                .date()
                .tomorrow()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()));
            let Ok(midnight) = midnight else { break };
            let end = to.min(midnight);
            let day = start.date().weekday().to_monday_zero_offset() as usize;
            let key = (
                start.time().strftime("%H:%M:%S").to_string(),
                if end == midnight {
                    "24:00:00".to_string()
                } else {
                    end.time().strftime("%H:%M:%S").to_string()
                },
            );
            match slots.iter_mut().find(|(k, _)| *k == key) {
                Some((_, days)) if !days.contains(&day) => days.push(day),
                Some(_) => {}
                None => slots.push((key, vec![day])),
            }
            start = end;
        }
    }
    slots
        .into_iter()
        .map(|((open, close), mut days)| {
            days.sort_unstable();
            let days: Vec<&str> = days.iter().map(|d| FHIR_DAYS[*d]).collect();
            if open == "00:00:00" && close == "24:00:00" {
                json!({ "daysOfWeek": days, "allDay": true })
            } else if close == "24:00:00" {
                // FHIR's time stops at 23:59:59.
                json!({ "daysOfWeek": days, "openingTime": open, "closingTime": "23:59:59" })
            } else {
                json!({ "daysOfWeek": days, "openingTime": open, "closingTime": close })
            }
        })
        .collect()
}

/// The pharmacy as a FHIR R4 `Location` of type pharmacy.
pub fn location(p: &Pharmacy, week: &[Interval]) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({ "system": "phone", "value": phone }));
    }
    if let Some(web) = &p.website {
        telecom.push(json!({ "system": "url", "value": web }));
    }
    let a = &p.address;
    let mut address = json!({ "use": "work", "type": "physical" });
    let street = [a.street.as_deref(), a.housenumber.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !street.is_empty() {
        address["line"] = json!([street]);
    }
    if let Some(c) = &a.city {
        address["city"] = json!(c);
    }
    if let Some(c) = &a.postcode {
        address["postalCode"] = json!(c);
    }
    if let Some(c) = &a.country {
        address["country"] = json!(c);
    }
    let text = a.line();
    if !text.is_empty() {
        address["text"] = json!(text);
    }
    let mut loc = json!({
        "resourceType": "Location",
        "id": p.id,
        "status": if p.status == crate::pharmacy::Status::Active { "active" } else { "inactive" },
        "name": p.name,
        "mode": "instance",
        "type": [{
            "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                "code": "PHARM",
                "display": "Pharmacy"
            }]
        }],
        "address": address,
        "position": { "longitude": p.position.lon(), "latitude": p.position.lat() },
        "availabilityExceptions": format!("opening_hours: {}", p.opening_hours),
    });
    if let Some(k) = &p.source_key {
        let (system, value) = match k.strip_prefix("osm:") {
            Some(osm) => ("https://www.openstreetmap.org", osm),
            None => ("urn:healthe:locator:source-key", k.as_str()),
        };
        loc["identifier"] = json!([{ "system": system, "value": value }]);
    }
    if !telecom.is_empty() {
        loc["telecom"] = json!(telecom);
    }
    let hours = hours_of_operation(week);
    if !hours.is_empty() {
        loc["hoursOfOperation"] = json!(hours);
    }
    loc
}

/// One `near` match in a FHIR searchset, its distance in the R4 extension.
pub fn search_entry(resource: Value, distance_km: f64) -> Value {
    let mut entry = service_kit::fhir::entry(resource);
    entry["search"] = json!({
            "mode": "match",
            "extension": [{
                "url": DISTANCE_EXTENSION,
                "valueDistance": {
                    "value": rounded_km(distance_km),
                    "unit": "km",
                    "system": "http://unitsofmeasure.org",
                    "code": "km"
                }
            }]
    });
    entry
}
