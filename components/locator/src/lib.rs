//! locator: pharmacies — where they are, when they are open (OpenStreetMap `opening_hours`, in
//! each pharmacy's zone, with its country's holidays and staff's dated exceptions), what they
//! offer — and the nearest open ones to a point. Also which pharmacy a pharmacist works at and
//! which one a patient prefers.
//!
//! This file is the route table and the context; the rules live in the modules.

pub mod geo;
mod handlers;
pub mod holidays;
pub mod hours;
pub mod import;
pub mod people;
pub mod pharmacy;
pub mod search;
pub mod views;

use service_kit::db::Db;
use service_kit::migrate::{self, Migration};
use service_kit::principal::Principal;
use service_kit::router::{Routes, Service};
use service_kit::Problem;

pub const MIGRATIONS: &[Migration] = service_kit::migrations!("locator", "0001_locator.sql");

/// What a request runs against.
pub struct Ctx<'a> {
    pub db: &'a dyn Db,
    /// Anonymous on the public routes (finding a pharmacy needs no account).
    pub principal: Principal,
    pub now: jiff::Timestamp,
    /// Whether another component of the app is calling (prescriptions asking for a patient's
    /// preferred pharmacy or a pharmacist's).
    pub internal: bool,
    /// The map's tile server (`map_tile_url`, `map_attribution`), for the portal.
    pub map: Map,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Map {
    pub tile_url: Option<String>,
    pub attribution: Option<String>,
}

/// locator as a service: its name, context and route table.
pub struct Locator;

/// The import route: it takes bodies up to Fermyon Cloud's 10 MB.
pub const IMPORTS: &str = "/api/locator/imports";
pub const IMPORT_BODY_LIMIT: usize = 10 * 1024 * 1024;

impl Service for Locator {
    const NAME: &'static str = "locator";
    type Ctx<'a> = Ctx<'a>;

    /// Every route locator answers: one line each.
    fn routes<'a>() -> Routes<Ctx<'a>> {
        use handlers as h;
        Routes::new(Self::NAME)
            .health("/api/locator/health")
            .get("/api/locator/map", |_, c, _| h::map(c))
            .get("/api/locator/pharmacies", |r, c, _| h::search(r, c))
            .post("/api/locator/pharmacies", |r, c, _| h::create(r, c))
            .get("/api/locator/pharmacies/{id}", |r, c, p| {
                h::get(r, c, p.get("id"))
            })
            .put("/api/locator/pharmacies/{id}", |r, c, p| {
                h::update(r, c, p.get("id"))
            })
            .post("/api/locator/pharmacies/{id}/close", |_, c, p| {
                h::close(c, p.get("id"))
            })
            .put(
                "/api/locator/pharmacies/{id}/exceptions/{date}",
                |r, c, p| h::set_exception(r, c, p.get("id"), p.get("date")),
            )
            .delete(
                "/api/locator/pharmacies/{id}/exceptions/{date}",
                |_, c, p| h::remove_exception(c, p.get("id"), p.get("date")),
            )
            .post(IMPORTS, |r, c, _| h::import(r, c))
            .get("/api/locator/pharmacists/{id}", |_, c, p| {
                h::pharmacist(c, p.get("id"))
            })
            .put("/api/locator/pharmacists/{id}", |r, c, p| {
                h::assign(r, c, p.get("id"))
            })
            .delete("/api/locator/pharmacists/{id}", |_, c, p| {
                h::unassign(c, p.get("id"))
            })
            .get(
                "/api/locator/patients/{id}/preferred-pharmacy",
                |_, c, p| h::preferred(c, p.get("id")),
            )
            .put(
                "/api/locator/patients/{id}/preferred-pharmacy",
                |r, c, p| h::prefer(r, c, p.get("id")),
            )
            .delete(
                "/api/locator/patients/{id}/preferred-pharmacy",
                |_, c, p| h::forget(c, p.get("id")),
            )
    }

    fn prepare(ctx: &Ctx) -> Result<(), Problem> {
        Ok(migrate::apply(ctx.db, "locator", MIGRATIONS)?)
    }
}

/// Whether a route answers without an account: finding pharmacies and reading one.
pub fn public(method: &http::Method, route: &str) -> bool {
    method == http::Method::GET
        && matches!(
            route,
            "/api/locator/pharmacies" | "/api/locator/pharmacies/{id}"
        )
}

#[cfg(target_arch = "wasm32")]
mod spin_entry;

service_kit::component!(Locator);
