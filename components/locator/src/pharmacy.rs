//! A pharmacy: what it is called, where it is, when it is open and what it offers — parsed once
//! from whatever brought it (a form, a CSV row, an OpenStreetMap feature) into a [`Draft`] that
//! cannot hold an invalid value, and stored as one row.

use crate::geo::Position;
use crate::hours::{self, Exception};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use service_kit::db::{Db, Row, Rows, Value};
use service_kit::text::TextRule;
use service_kit::{params, FieldError, Problem};

const NAME: TextRule = TextRule::line(1, 200);
const PART: TextRule = TextRule::line(0, 200);
const PHONE: TextRule = TextRule::line(0, 60);
const KEY: TextRule = TextRule::line(1, 200);
const MAX_WEBSITE: usize = 500;

/// What a pharmacy offers, as a bit set in the row (so a search filters in SQL).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::AsRefStr, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Service {
    Vaccination,
    Compounding,
    Delivery,
    /// Step-free access (OSM `wheelchair=yes`).
    WheelchairAccess,
    /// Open round the clock (also what `24/7` hours say; staff may mark it either way).
    #[strum(serialize = "24_hours")]
    TwentyFourHours,
    /// Takes part in the night and holiday on-duty rota.
    OnDutyRota,
    ClickAndCollect,
}

impl Service {
    fn bit(self) -> i64 {
        use strum::VariantArray;
        1 << Service::VARIANTS
            .iter()
            .position(|s| *s == self)
            .unwrap_or(0)
    }

    pub fn names() -> String {
        use strum::VariantArray;
        Service::VARIANTS
            .iter()
            .map(|s| s.as_ref())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A set of [`Service`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Services(i64);

impl Services {
    pub fn bits(self) -> i64 {
        self.0
    }

    pub fn with(self, s: Service) -> Services {
        Services(self.0 | s.bit())
    }

    pub fn names(self) -> Vec<&'static str> {
        use strum::VariantArray;
        Service::VARIANTS
            .iter()
            .filter(|s| self.0 & s.bit() != 0)
            .map(|s| s.as_ref())
            .collect()
    }

    /// `names` (e.g. a query's `service=vaccination,delivery`), each one known.
    pub fn parse<'a>(
        field: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Services, FieldError> {
        let mut set = Services::default();
        for n in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let s: Service = n.parse().map_err(|_| {
                FieldError::new(
                    field,
                    format!("{n:?} is not a service; known: {}", Service::names()),
                )
            })?;
            set = set.with(s);
        }
        Ok(set)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Wheelchair {
    Yes,
    Limited,
    No,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub housenumber: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 ("DE"): also whose public holidays `PH` means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// "Invalidenstraße 10, 10115 Berlin".
    pub fn line(&self) -> String {
        let street = [self.street.as_deref(), self.housenumber.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let city = [self.postcode.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        [street, city]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// A pharmacy as a client or an import sends it: anything may be missing or wrong until
/// [`Input::validate`] says otherwise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    #[serde(default)]
    pub source_key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Address,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub position: Option<LatLon>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub opening_hours: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub wheelchair: Option<String>,
    /// On update: the version edited (or `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A valid pharmacy, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub source_key: Option<String>,
    pub name: String,
    pub address: Address,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub position: Position,
    pub time_zone: String,
    pub opening_hours: String,
    pub services: Services,
    pub wheelchair: Option<Wheelchair>,
}

fn optional(
    rule: TextRule,
    field: &str,
    raw: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw?;
    match rule.clean(&raw) {
        Ok(s) if s.is_empty() => None,
        Ok(s) => Some(s),
        Err(m) => {
            errors.push(FieldError::new(field, m));
            None
        }
    }
}

/// An `http(s)` address; OpenStreetMap's often lack the scheme ("www.example.de"), which means
/// `https`.
fn website(field: &str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let url = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let ok = url.len() <= MAX_WEBSITE
        && url.parse::<http::Uri>().is_ok_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some_and(|h| h.contains('.'))
        });
    if ok {
        Ok(url)
    } else {
        Err(FieldError::new(
            field,
            "must be a web address (https://example.org)",
        ))
    }
}

impl Input {
    /// Every problem with the input at once, each named by `name(<canonical field>)` (an
    /// import names its own columns).
    pub fn validate(self, name: &dyn Fn(&'static str) -> String) -> Result<Draft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let pharmacy_name = match self.name.as_deref().map(|n| NAME.clean(n)) {
            Some(Ok(n)) => Some(n),
            Some(Err(m)) => {
                errors.push(FieldError::new(name("name"), m));
                None
            }
            None => {
                errors.push(FieldError::new(name("name"), "is required"));
                None
            }
        };
        let source_key = match self.source_key.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(k) => match KEY.clean(k) {
                Ok(k) => Some(k),
                Err(m) => {
                    errors.push(FieldError::new(name("source_key"), m));
                    None
                }
            },
        };
        let a = self.address;
        let country = match a.country.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) if c.len() == 2 && c.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(c.to_ascii_uppercase())
            }
            Some(_) => {
                errors.push(FieldError::new(
                    name("address.country"),
                    "must be an ISO 3166-1 alpha-2 code such as DE",
                ));
                None
            }
        };
        let address = Address {
            street: optional(PART, &name("address.street"), a.street, &mut errors),
            housenumber: optional(
                PART,
                &name("address.housenumber"),
                a.housenumber,
                &mut errors,
            ),
            postcode: optional(PART, &name("address.postcode"), a.postcode, &mut errors),
            city: optional(PART, &name("address.city"), a.city, &mut errors),
            country,
        };
        let phone = optional(PHONE, &name("phone"), self.phone, &mut errors);
        if let Some(p) = &phone {
            let ok = p.chars().any(|c| c.is_ascii_digit())
                && p.chars().all(|c| {
                    c.is_ascii_digit() || matches!(c, '+' | ' ' | '(' | ')' | '-' | '/' | '.' | ';')
                });
            if !ok {
                errors.push(FieldError::new(
                    name("phone"),
                    "must be a telephone number (digits, spaces, + ( ) - / .)",
                ));
            }
        }
        let website = match self.website.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(w) => website(&name("website"), w)
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let position = match self.position {
            None => {
                errors.push(FieldError::new(name("position"), "is required"));
                None
            }
            Some(p) => Position::new(&name("position"), p.lat, p.lon)
                .map_err(|p| errors.extend(p.errors))
                .ok(),
        };
        let time_zone = match self.time_zone.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new(
                    name("time_zone"),
                    "is required (an IANA time zone such as Europe/Berlin)",
                ));
                None
            }
            Some(z) => service_kit::time::zone(&name("time_zone"), z)
                .map(|_| z.to_string())
                .map_err(|e| errors.push(e))
                .ok(),
        };
        let opening_hours = match self.opening_hours.as_deref().map(str::trim) {
            None => {
                errors.push(FieldError::new(
                    name("opening_hours"),
                    "is required (OpenStreetMap opening_hours, e.g. Mo-Fr 08:00-19:00)",
                ));
                None
            }
            Some(h) => hours::parse(h)
                .map(|_| h.to_string())
                .map_err(|r| errors.push(r.into_field(&name("opening_hours"))))
                .ok(),
        };
        let services = Services::parse(&name("services"), self.services.iter().map(String::as_str))
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let wheelchair = match self.wheelchair.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(w) => w
                .parse::<Wheelchair>()
                .map_err(|_| {
                    errors.push(FieldError::new(
                        name("wheelchair"),
                        "must be yes, limited or no",
                    ))
                })
                .ok(),
        };
        let services = if wheelchair == Some(Wheelchair::Yes) {
            services.with(Service::WheelchairAccess)
        } else {
            services
        };
        match (pharmacy_name, position, time_zone, opening_hours) {
            (Some(name), Some(position), Some(time_zone), Some(opening_hours))
                if errors.is_empty() =>
            {
                Ok(Draft {
                    source_key,
                    name,
                    address,
                    phone,
                    website,
                    position,
                    time_zone,
                    opening_hours,
                    services,
                    wheelchair,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Whether a pharmacy still trades. A closed one stays (dispenses name it) but is never found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::EnumString, strum::AsRefStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Active,
    Closed,
}

/// A stored pharmacy.
#[derive(Debug, Clone, PartialEq)]
pub struct Pharmacy {
    pub id: String,
    pub source_key: Option<String>,
    pub name: String,
    pub address: Address,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub position: Position,
    pub time_zone: String,
    pub opening_hours: String,
    pub exceptions: Vec<Exception>,
    pub services: Services,
    pub wheelchair: Option<Wheelchair>,
    pub status: Status,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The columns every read selects, in [`from_row`]'s terms.
pub const COLUMNS: &str = "p.id, p.source_key, p.name, p.address, p.phone, p.website, p.lat, \
    p.lon, p.time_zone, p.opening_hours, p.exceptions, p.services, p.wheelchair, p.status, \
    p.version, p.created_at, p.updated_at";
const RETURNING: &str = "id, source_key, name, address, phone, website, lat, lon, time_zone, \
    opening_hours, exceptions, services, wheelchair, status, version, created_at, updated_at";

pub fn from_row(r: &Row) -> Result<Pharmacy, Problem> {
    let bad = |e: String| Problem::internal(format!("a stored pharmacy: {e}"));
    let address: String = r.get("address")?;
    let exceptions: String = r.get("exceptions")?;
    let exceptions: std::collections::BTreeMap<String, Exception> =
        serde_json::from_str(&exceptions).map_err(|e| bad(e.to_string()))?;
    let lat: f64 = r.get("lat")?;
    let lon: f64 = r.get("lon")?;
    let wheelchair: Option<String> = r.get("wheelchair")?;
    let status: String = r.get("status")?;
    Ok(Pharmacy {
        id: r.get("id")?,
        source_key: r.get("source_key")?,
        name: r.get("name")?,
        address: serde_json::from_str(&address).map_err(|e| bad(e.to_string()))?,
        phone: r.get("phone")?,
        website: r.get("website")?,
        position: Position::new("position", lat, lon).map_err(|p| bad(p.detail))?,
        time_zone: r.get("time_zone")?,
        opening_hours: r.get("opening_hours")?,
        exceptions: exceptions.into_values().collect(),
        services: Services(r.get("services")?),
        wheelchair: wheelchair.and_then(|w| w.parse().ok()),
        status: status.parse().map_err(|_| bad(status.clone()))?,
        version: r.get("version")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

fn all(rows: &Rows) -> Result<Vec<Pharmacy>, Problem> {
    rows.iter().map(|r| from_row(&r)).collect()
}

/// Lower-cased for `q` (Unicode-aware, which SQLite's `lower` is not).
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl Draft {
    /// The draft as the JSON object an import's one statement reads (`json_each`).
    fn to_json(&self, id: &str, now: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id,
            "source_key": self.source_key,
            "name": self.name,
            "search_name": fold(&self.name),
            "address": serde_json::to_string(&self.address).unwrap_or_else(|_| "{}".into()),
            "country": self.address.country,
            "phone": self.phone,
            "website": self.website,
            "lat": self.position.lat(),
            "lon": self.position.lon(),
            "cell": self.position.cell(),
            "time_zone": self.time_zone,
            "opening_hours": self.opening_hours,
            "services": self.services.bits(),
            "wheelchair": self.wheelchair.map(|w| w.as_ref().to_string()),
            "now": now,
        })
    }
}

/// Inserts `drafts` (new rows) and updates those whose `source_key` is already stored, in one
/// statement: all of them or none. A row whose content is unchanged is left alone (its
/// version stays). Returns how many were created and how many updated.
pub fn upsert(db: &dyn Db, drafts: &[Draft], now: Timestamp) -> Result<(usize, usize), Problem> {
    if drafts.is_empty() {
        return Ok((0, 0));
    }
    let stamp = now.to_string();
    let ids: Vec<String> = drafts.iter().map(|_| service_kit::new_id(now)).collect();
    let rows: Vec<serde_json::Value> = drafts
        .iter()
        .zip(&ids)
        .map(|(d, id)| d.to_json(id, &stamp))
        .collect();
    let sql =
        "INSERT INTO loc_pharmacies (id, source_key, name, search_name, address, country, phone, \
           website, lat, lon, cell, time_zone, opening_hours, services, wheelchair, created_at, \
           updated_at) \
         SELECT json_extract(j.value, '$.id'), json_extract(j.value, '$.source_key'), \
           json_extract(j.value, '$.name'), json_extract(j.value, '$.search_name'), \
           json_extract(j.value, '$.address'), json_extract(j.value, '$.country'), \
           json_extract(j.value, '$.phone'), json_extract(j.value, '$.website'), \
           json_extract(j.value, '$.lat'), json_extract(j.value, '$.lon'), \
           json_extract(j.value, '$.cell'), json_extract(j.value, '$.time_zone'), \
           json_extract(j.value, '$.opening_hours'), json_extract(j.value, '$.services'), \
           json_extract(j.value, '$.wheelchair'), json_extract(j.value, '$.now'), \
           json_extract(j.value, '$.now') \
         FROM json_each(?1) AS j WHERE true \
         ON CONFLICT (source_key) DO UPDATE SET name = excluded.name, \
           search_name = excluded.search_name, address = excluded.address, \
           country = excluded.country, phone = excluded.phone, website = excluded.website, \
           lat = excluded.lat, lon = excluded.lon, cell = excluded.cell, \
           time_zone = excluded.time_zone, opening_hours = excluded.opening_hours, \
           services = excluded.services, wheelchair = excluded.wheelchair, status = 'active', \
           version = version + 1, updated_at = excluded.updated_at \
         WHERE (name, address, phone, website, lat, lon, time_zone, opening_hours, services, \
                wheelchair, status) \
           IS NOT (excluded.name, excluded.address, excluded.phone, excluded.website, \
                excluded.lat, excluded.lon, excluded.time_zone, excluded.opening_hours, \
                excluded.services, excluded.wheelchair, 'active') \
         RETURNING id";
    let json = serde_json::Value::Array(rows).to_string();
    let written = db.execute(sql, params![json])?;
    let ids: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut created = 0;
    let mut updated = 0;
    for r in written.iter() {
        let id: String = r.get("id")?;
        if ids.contains(id.as_str()) {
            created += 1;
        } else {
            updated += 1;
        }
    }
    Ok((created, updated))
}

/// A new pharmacy. A `source_key` already stored is a conflict (import to update it).
pub fn create(db: &dyn Db, draft: &Draft, now: Timestamp) -> Result<Pharmacy, Problem> {
    let id = service_kit::new_id(now);
    let stamp = now.to_string();
    let d = draft.to_json(&id, &stamp);
    let sql = format!(
        "INSERT INTO loc_pharmacies (id, source_key, name, search_name, address, country, phone, \
           website, lat, lon, cell, time_zone, opening_hours, services, wheelchair, created_at, \
           updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16) \
         RETURNING {RETURNING}"
    );
    let rows = db.execute(&sql, &values(&d, DRAFT_PARAMS)).map_err(|e| {
        if e.is_unique_violation() {
            Problem::conflict(
                "duplicate-pharmacy",
                "a pharmacy with this source_key exists; import to update it",
            )
            .with_field("source_key", "is taken")
        } else {
            e.into()
        }
    })?;
    one(&rows)
}

/// A draft's fields as `create`'s and `update`'s parameters ?1 to ?16, in order.
const DRAFT_PARAMS: &[&str] = &[
    "id",
    "source_key",
    "name",
    "search_name",
    "address",
    "country",
    "phone",
    "website",
    "lat",
    "lon",
    "cell",
    "time_zone",
    "opening_hours",
    "services",
    "wheelchair",
    "now",
];

/// The JSON object's `keys` as statement parameters, in order.
fn values(d: &serde_json::Value, keys: &[&str]) -> Vec<Value> {
    keys.iter()
        .map(|k| match &d[*k] {
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Number(n) if n.is_i64() => Value::Integer(n.as_i64().unwrap_or(0)),
            serde_json::Value::Number(n) => Value::Real(n.as_f64().unwrap_or(0.0)),
            _ => Value::Null,
        })
        .collect()
}

fn one(rows: &Rows) -> Result<Pharmacy, Problem> {
    rows.first()
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or_else(|| Problem::internal("the write returned no row"))
}

pub fn get(db: &dyn Db, id: &str) -> Result<Option<Pharmacy>, Problem> {
    let rows = db.execute(
        &format!("SELECT {COLUMNS} FROM loc_pharmacies AS p WHERE p.id = ?1"),
        params![id],
    )?;
    rows.first().map(|r| from_row(&r)).transpose()
}

/// Why a change to a pharmacy did not happen.
pub enum Missed {
    NotFound,
    /// Someone changed it since `version` was read: the current version.
    Stale(i64),
}

fn missed(db: &dyn Db, id: &str) -> Result<Missed, Problem> {
    Ok(match get(db, id)? {
        None => Missed::NotFound,
        Some(p) => Missed::Stale(p.version),
    })
}

/// Replaces a pharmacy's details (its exceptions stay), if it is at `version` when one is given.
/// Reopens a closed one.
pub fn update(
    db: &dyn Db,
    id: &str,
    draft: &Draft,
    version: Option<i64>,
    now: Timestamp,
) -> Result<Result<Pharmacy, Missed>, Problem> {
    let d = draft.to_json(id, &now.to_string());
    let sql = format!(
        "UPDATE loc_pharmacies SET source_key = ?2, name = ?3, search_name = ?4, address = ?5, \
           country = ?6, phone = ?7, website = ?8, lat = ?9, lon = ?10, cell = ?11, \
           time_zone = ?12, opening_hours = ?13, services = ?14, wheelchair = ?15, \
           status = 'active', version = version + 1, updated_at = ?16 \
         WHERE id = ?1 AND (?17 IS NULL OR version = ?17) RETURNING {RETURNING}"
    );
    let mut params = values(&d, DRAFT_PARAMS);
    params.push(version.into());
    let rows = db.execute(&sql, &params).map_err(|e| {
        if e.is_unique_violation() {
            Problem::conflict("duplicate-pharmacy", "another pharmacy has this source_key")
                .with_field("source_key", "is taken")
        } else {
            e.into()
        }
    })?;
    if rows.is_empty() {
        return Ok(Err(missed(db, id)?));
    }
    Ok(Ok(one(&rows)?))
}

/// Marks a pharmacy closed for good: it is never found again, and what named it still can.
pub fn close(db: &dyn Db, id: &str, now: Timestamp) -> Result<bool, Problem> {
    let rows = db.execute(
        "UPDATE loc_pharmacies SET status = 'closed', version = version + 1, updated_at = ?2 \
         WHERE id = ?1 AND status = 'active' RETURNING id",
        params![id, now.to_string()],
    )?;
    Ok(!rows.is_empty() || get(db, id)?.is_some())
}

/// Sets the exception for `e.date` (replacing one there), in the statement that moves the
/// version.
pub fn set_exception(
    db: &dyn Db,
    id: &str,
    e: &Exception,
    version: Option<i64>,
    now: Timestamp,
) -> Result<Result<Pharmacy, Missed>, Problem> {
    let value = serde_json::to_string(e).map_err(Problem::internal)?;
    let sql = format!(
        "UPDATE loc_pharmacies SET exceptions = json_set(exceptions, ?2, json(?3)), \
           version = version + 1, updated_at = ?4 \
         WHERE id = ?1 AND (?5 IS NULL OR version = ?5) RETURNING {RETURNING}"
    );
    let path = format!("$.\"{}\"", e.date);
    let rows = db.execute(&sql, params![id, path, value, now.to_string(), version])?;
    if rows.is_empty() {
        return Ok(Err(missed(db, id)?));
    }
    Ok(Ok(one(&rows)?))
}

/// Removes the exception on `date`; `Ok(None)` when there was none.
pub fn remove_exception(
    db: &dyn Db,
    id: &str,
    date: jiff::civil::Date,
    now: Timestamp,
) -> Result<Option<Pharmacy>, Problem> {
    let path = format!("$.\"{date}\"");
    let sql = format!(
        "UPDATE loc_pharmacies SET exceptions = json_remove(exceptions, ?2), \
           version = version + 1, updated_at = ?3 \
         WHERE id = ?1 AND json_type(exceptions, ?2) IS NOT NULL RETURNING {RETURNING}"
    );
    let rows = db.execute(&sql, params![id, path, now.to_string()])?;
    rows.first().map(|r| from_row(&r)).transpose()
}

/// The directory without a point: active pharmacies by name (optionally containing `q`),
/// after the cursor's `(search_name, id)`, one index walk.
pub fn by_name(
    db: &dyn Db,
    q: Option<&str>,
    services: Services,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Pharmacy>, Problem> {
    let (after_name, after_id) = after.unwrap_or(("", ""));
    let rows = db.execute(
        &format!(
            "SELECT {COLUMNS} FROM loc_pharmacies AS p \
             WHERE (p.search_name, p.id) > (?1, ?2) AND p.status = 'active' \
               AND (p.services & ?3) = ?3 AND (?4 IS NULL OR instr(p.search_name, ?4) > 0) \
             ORDER BY p.search_name, p.id LIMIT ?5"
        ),
        params![after_name, after_id, services.bits(), q.map(fold), limit],
    )?;
    all(&rows)
}

/// Active pharmacies in the cell ranges (`geo::cell_ranges`) offering `services` and whose name
/// contains `q`: the candidates a search measures, as rows (decoded with [`from_row`] only for
/// those it evaluates). One statement: the ranges drive one range scan of the table each.
pub fn in_cells(
    db: &dyn Db,
    ranges: &[(i64, i64)],
    services: Services,
    q: Option<&str>,
) -> Result<Rows, Problem> {
    let ranges = serde_json::to_string(ranges).map_err(Problem::internal)?;
    Ok(db.execute(IN_CELLS, params![ranges, services.bits(), q.map(fold)])?)
}

/// The search's statement: `json_each` first (CROSS JOIN fixes the order), then a range scan
/// of the table itself (clustered by cell) per range.
pub const IN_CELLS: &str = "SELECT p.id, p.source_key, p.name, p.address, p.phone, p.website, \
    p.lat, p.lon, p.time_zone, p.opening_hours, p.exceptions, p.services, p.wheelchair, \
    p.status, p.version, p.created_at, p.updated_at \
    FROM json_each(?1) AS r CROSS JOIN loc_pharmacies AS p \
    WHERE p.cell BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]') \
      AND p.status = 'active' AND (p.services & ?2) = ?2 \
      AND (?3 IS NULL OR instr(p.search_name, ?3) > 0)";
