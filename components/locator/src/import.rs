//! Bulk import: a CSV file or a GeoJSON FeatureCollection (an OpenStreetMap export of
//! `amenity=pharmacy` is the reference), read row by row into [`Input`]s and validated. Either
//! every row is good and all of them are written in one statement, or nothing is written and
//! the answer lists every bad row: its line in the file and the field at fault.
//!
//! A row is known again by its source key (the OSM id, `osm:node/123`, or the file's own
//! `source_key` column), so importing the same file twice updates rather than duplicates.

use crate::pharmacy::{Address, Draft, Input, LatLon};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use service_kit::FieldError;
use std::collections::HashMap;

/// The most rows one import takes (a region's export; a country's comes in parts).
pub const MAX_ROWS: usize = 20_000;
/// The most bad rows an answer lists in full.
pub const MAX_REPORTED: usize = 500;

/// What applies to rows that do not say: the clinic's zone and country, and what a missing
/// `opening_hours` means (OpenStreetMap data often lacks it).
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub time_zone: Option<String>,
    pub country: Option<String>,
    /// Store a row without hours as `unknown` instead of refusing it.
    pub unknown_hours: bool,
}

/// A file's rows, validated.
#[derive(Debug)]
pub struct Parsed {
    pub drafts: Vec<Draft>,
    /// Every problem found, with its line.
    pub errors: Vec<FieldError>,
    /// Columns (or properties) the file had that an import does not keep.
    pub ignored: Vec<String>,
}

/// A problem with the file as a whole (not a row): not CSV, not a FeatureCollection, too big.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable(pub FieldError);

/// One row on its way to validation: where it is and how its fields are named.
struct Row {
    line: u64,
    input: Input,
    /// Canonical field -> the name this file gives it.
    names: HashMap<&'static str, String>,
    /// What could not even be read (a latitude that is not a number).
    early: Vec<FieldError>,
}

/// Validates every row, collects every error, and refuses a source key twice in one file.
fn finish(rows: Vec<Row>, defaults: &Defaults, ignored: Vec<String>) -> Parsed {
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for mut row in rows {
        if row
            .input
            .time_zone
            .as_deref()
            .is_none_or(|z| z.trim().is_empty())
        {
            row.input.time_zone = defaults.time_zone.clone();
        }
        if row
            .input
            .address
            .country
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            row.input.address.country = defaults.country.clone();
        }
        if defaults.unknown_hours
            && row
                .input
                .opening_hours
                .as_deref()
                .is_none_or(|h| h.trim().is_empty())
        {
            row.input.opening_hours = Some("unknown".into());
        }
        let names = row.names;
        let name = |f: &'static str| names.get(f).cloned().unwrap_or_else(|| f.to_string());
        let line = row.line;
        let mut row_errors = row.early;
        let key = row.input.source_key.clone();
        match row.input.validate(&name) {
            Ok(d) => {
                if row_errors.is_empty() {
                    drafts.push(d);
                }
            }
            Err(mut es) => {
                // A field already refused as unreadable is not reported twice (nor is the
                // position that a bad coordinate left out).
                let early = !row_errors.is_empty();
                es.retain(|e| {
                    let refused = row_errors.iter().any(|r| r.field == e.field);
                    let left_out = early && e.field == name("position");
                    !(refused || left_out)
                });
                row_errors.extend(es);
            }
        }
        match key.as_deref().map(str::trim) {
            None | Some("") => row_errors.push(FieldError::new(
                name("source_key"),
                "is required: the row's OpenStreetMap id or the file's own key, so that \
                 importing the file again updates this pharmacy",
            )),
            Some(k) => {
                if let Some(first) = seen.insert(k.to_string(), line) {
                    row_errors.push(FieldError::new(
                        name("source_key"),
                        format!("repeats line {first}"),
                    ));
                }
            }
        }
        errors.extend(row_errors.into_iter().map(|e| e.on_line(line)));
    }
    Parsed {
        drafts,
        errors,
        ignored,
    }
}

/// The CSV columns an import reads, each under the names it may have (ours, then OSM's).
const CSV_COLUMNS: &[(&str, &[&str])] = &[
    ("source_key", &["source_key", "osm_id", "@id", "id"]),
    ("name", &["name"]),
    ("address.street", &["street", "addr:street"]),
    ("address.housenumber", &["housenumber", "addr:housenumber"]),
    ("address.postcode", &["postcode", "addr:postcode"]),
    ("address.city", &["city", "addr:city"]),
    ("address.country", &["country", "addr:country"]),
    ("phone", &["phone", "contact:phone"]),
    ("website", &["website", "contact:website"]),
    ("lat", &["lat", "latitude", "@lat"]),
    ("lon", &["lon", "lng", "longitude", "@lon"]),
    ("time_zone", &["time_zone", "timezone"]),
    ("opening_hours", &["opening_hours"]),
    ("services", &["services"]),
    ("wheelchair", &["wheelchair"]),
];

/// An OSM id ("node/123", "way/45") as a source key; anything else as it is.
fn source_key(raw: &str) -> String {
    let raw = raw.trim();
    let osm = raw
        .split_once('/')
        .is_some_and(|(t, n)| matches!(t, "node" | "way" | "relation") && n.parse::<u64>().is_ok());
    if osm {
        format!("osm:{raw}")
    } else {
        raw.to_string()
    }
}

fn list(raw: &str) -> Vec<String> {
    raw.split([';', ',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn csv(bytes: &[u8], defaults: &Defaults) -> Result<Parsed, Unreadable> {
    let unreadable = |m: String| Unreadable(FieldError::new("body", m));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes); // a spreadsheet's BOM
                                                                      // Comma-separated, or semicolon-separated as spreadsheets write it where the comma is the
                                                                      // decimal separator: whichever the header line has more of.
    let header_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let count = |c: u8| header_line.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| unreadable(format!("is not CSV with a header line: {e}")))?
        .clone();
    let mut index: HashMap<&'static str, (usize, String)> = HashMap::new();
    let mut used = vec![false; headers.len()];
    for (canonical, aliases) in CSV_COLUMNS {
        for alias in *aliases {
            if let Some(i) = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(alias))
            {
                if !index.contains_key(canonical) {
                    index.insert(canonical, (i, headers[i].trim().to_string()));
                    used[i] = true;
                }
            }
        }
    }
    for needed in ["name", "lat", "lon"] {
        if !index.contains_key(needed) {
            return Err(unreadable(format!(
                "has no {needed} column (the header line names the columns: name, lat, lon, \
                 opening_hours, source_key, ...)"
            )));
        }
    }
    let ignored = headers
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(h, _)| h.to_string())
        .collect();
    let mut names: HashMap<&'static str, String> =
        index.iter().map(|(k, (_, n))| (*k, n.clone())).collect();
    names.insert("position", format!("{},{}", names["lat"], names["lon"]));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Unreadable(
                    FieldError::new("body", format!("is not valid CSV: {e}")).on_line(line),
                ));
            }
        };
        if rows.len() == MAX_ROWS {
            return Err(unreadable(format!(
                "has more than {MAX_ROWS} rows; import it in parts"
            )));
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |k: &str| {
            index
                .get(k)
                .and_then(|(i, _)| record.get(*i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut early = Vec::new();
        let number = |k: &'static str, early: &mut Vec<FieldError>| -> Option<f64> {
            let raw = cell(k)?;
            match raw.replace(',', ".").parse::<f64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    early.push(FieldError::new(
                        names[k].clone(),
                        "must be a number in degrees",
                    ));
                    None
                }
            }
        };
        let lat = number("lat", &mut early);
        let lon = number("lon", &mut early);
        let input = Input {
            source_key: cell("source_key").map(|k| source_key(&k)),
            name: cell("name"),
            address: Address {
                street: cell("address.street"),
                housenumber: cell("address.housenumber"),
                postcode: cell("address.postcode"),
                city: cell("address.city"),
                country: cell("address.country"),
            },
            phone: cell("phone"),
            website: cell("website"),
            position: lat.zip(lon).map(|(lat, lon)| LatLon { lat, lon }),
            time_zone: cell("time_zone"),
            opening_hours: cell("opening_hours"),
            services: cell("services").map(|s| list(&s)).unwrap_or_default(),
            wheelchair: cell("wheelchair"),
            version: None,
        };
        // A missing coordinate is named by its own column.
        if input.position.is_none() && early.is_empty() {
            for k in ["lat", "lon"] {
                if cell(k).is_none() {
                    early.push(FieldError::new(names[k].clone(), "is required"));
                }
            }
        }
        rows.push(Row {
            line,
            input,
            names: names.clone(),
            early,
        });
    }
    Ok(finish(rows, defaults, ignored))
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<Value>,
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: Value,
}

/// The OSM tags (and our own export's properties) an import keeps, by canonical field.
const PROPERTIES: &[(&str, &[&str])] = &[
    ("source_key", &["source_key", "@id", "id"]),
    ("name", &["name"]),
    ("address.street", &["addr:street"]),
    ("address.housenumber", &["addr:housenumber"]),
    ("address.postcode", &["addr:postcode"]),
    ("address.city", &["addr:city"]),
    ("address.country", &["addr:country"]),
    ("phone", &["phone", "contact:phone"]),
    ("website", &["website", "contact:website"]),
    ("time_zone", &["time_zone"]),
    ("opening_hours", &["opening_hours"]),
    ("services", &["services"]),
    ("wheelchair", &["wheelchair"]),
];

/// Where a point or a shape is: a Point's own coordinates, a (Multi)Polygon's outer ring's
/// mean vertex (a building's centre, near enough for "how far").
fn centre(g: &Geometry) -> Result<(f64, f64), String> {
    let pair = |v: &Value| -> Option<(f64, f64)> {
        let a = v.as_array()?;
        Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
    };
    let ring_centre = |ring: &Value| -> Option<(f64, f64)> {
        let pts: Vec<(f64, f64)> = ring.as_array()?.iter().filter_map(pair).collect();
        let pts = match pts.as_slice() {
            [first, .., last] if first == last => &pts[..pts.len() - 1],
            _ => &pts[..],
        };
        if pts.is_empty() {
            return None;
        }
        let n = pts.len() as f64;
        Some((
            pts.iter().map(|p| p.0).sum::<f64>() / n,
            pts.iter().map(|p| p.1).sum::<f64>() / n,
        ))
    };
    let found = match g.kind.as_str() {
        "Point" => pair(&g.coordinates),
        "Polygon" => g.coordinates.get(0).and_then(ring_centre),
        "MultiPolygon" => g
            .coordinates
            .get(0)
            .and_then(|p| p.get(0))
            .and_then(ring_centre),
        other => return Err(format!("must be a Point or a Polygon, not {other}")),
    };
    found.ok_or_else(|| "has no usable coordinates".to_string())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn geojson(bytes: &[u8], defaults: &Defaults) -> Result<Parsed, Unreadable> {
    let unreadable = |m: String| Unreadable(FieldError::new("body", m));
    let body = std::str::from_utf8(bytes).map_err(|_| unreadable("is not UTF-8 text".into()))?;
    let collection: Collection = serde_json::from_str(body).map_err(|e| {
        Unreadable(
            FieldError::new("body", format!("is not a GeoJSON FeatureCollection: {e}"))
                .on_line(e.line() as u64),
        )
    })?;
    if collection.kind != "FeatureCollection" {
        return Err(unreadable("must be a GeoJSON FeatureCollection".into()));
    }
    if collection.features.len() > MAX_ROWS {
        return Err(unreadable(format!(
            "has more than {MAX_ROWS} features; import it in parts"
        )));
    }
    let mut ignored: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, raw) in collection.features.iter().enumerate() {
        // The feature's line in the file: where its text starts in the body.
        let offset = raw.get().as_ptr() as usize - body.as_ptr() as usize;
        let line = body.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        let at = format!("features[{i}]");
        let mut names: HashMap<&'static str, String> = PROPERTIES
            .iter()
            .map(|(k, aliases)| (*k, format!("{at}.properties.{}", aliases[0])))
            .collect();
        names.insert("position", format!("{at}.geometry"));
        names.insert("source_key", format!("{at}.id"));
        let mut early = Vec::new();
        let feature: Feature = match serde_json::from_str(raw.get()) {
            Ok(f) => f,
            Err(e) => {
                early.push(FieldError::new(
                    at.clone(),
                    format!("is not a GeoJSON Feature: {e}"),
                ));
                rows.push(Row {
                    line,
                    input: Input::default(),
                    names,
                    early,
                });
                continue;
            }
        };
        if feature.kind.as_deref() != Some("Feature") {
            early.push(FieldError::new(format!("{at}.type"), "must be Feature"));
        }
        let props = feature.properties.unwrap_or_default();
        if let Some(a) = props.get("amenity").and_then(Value::as_str) {
            if a != "pharmacy" {
                early.push(FieldError::new(
                    format!("{at}.properties.amenity"),
                    format!("is {a:?}: only pharmacies are imported"),
                ));
            }
        }
        let mut field = |canonical: &'static str| -> Option<String> {
            let aliases = PROPERTIES.iter().find(|(k, _)| *k == canonical)?.1;
            aliases.iter().find_map(|a| {
                let v = props.get(*a).and_then(text)?;
                names.insert(canonical, format!("{at}.properties.{a}"));
                Some(v)
            })
        };
        let key = field("source_key").or_else(|| feature.id.as_ref().and_then(text));
        let input_partial = (
            field("name"),
            Address {
                street: field("address.street"),
                housenumber: field("address.housenumber"),
                postcode: field("address.postcode"),
                city: field("address.city"),
                country: field("address.country"),
            },
            field("phone"),
            field("website"),
            field("time_zone"),
            field("opening_hours"),
            field("services"),
            field("wheelchair"),
        );
        for k in props.keys() {
            let kept = PROPERTIES.iter().any(|(_, a)| a.contains(&k.as_str()))
                || matches!(k.as_str(), "amenity" | "healthcare");
            if !kept && !ignored.contains(k) && ignored.len() < 100 {
                ignored.push(k.clone());
            }
        }
        let position = match feature.geometry.as_ref().map(centre) {
            None => {
                early.push(FieldError::new(format!("{at}.geometry"), "is required"));
                None
            }
            Some(Err(m)) => {
                early.push(FieldError::new(format!("{at}.geometry"), m));
                None
            }
            Some(Ok((lon, lat))) => Some(LatLon { lat, lon }),
        };
        let (name, address, phone, website, time_zone, opening_hours, services, wheelchair) =
            input_partial;
        rows.push(Row {
            line,
            input: Input {
                source_key: key.map(|k| source_key(&k)),
                name,
                address,
                phone,
                website,
                position,
                time_zone,
                opening_hours,
                services: services.map(|s| list(&s)).unwrap_or_default(),
                wheelchair,
                version: None,
            },
            names,
            early,
        });
    }
    Ok(finish(rows, defaults, ignored))
}

/// Which reader a request's content type asks for.
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    pub fn of(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Format::Csv),
            "application/geo+json" | "application/json" => Some(Format::GeoJson),
            _ => None,
        }
    }
}

pub fn parse(format: Format, bytes: &[u8], defaults: &Defaults) -> Result<Parsed, Unreadable> {
    match format {
        Format::Csv => csv(bytes, defaults),
        Format::GeoJson => geojson(bytes, defaults),
    }
}

/// What an import did: rows read, created, updated, and left as they were.
pub fn counts(created: usize, updated: usize, rows: usize) -> Value {
    serde_json::json!({
        "rows": rows,
        "created": created,
        "updated": updated,
        "unchanged": rows - created - updated,
    })
}
