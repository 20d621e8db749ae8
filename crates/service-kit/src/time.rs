//! Time as the API takes it: IANA zones and RFC 3339 instants, checked the one way every
//! service checks them (booking's doctors' hours, locator's pharmacies, search parameters).

use crate::{FieldError, Problem};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// An IANA zone name the tz database knows ("Europe/Berlin"); fixed offsets and abbreviations
/// are refused, because they do not follow daylight-saving changes. A component that calls it
/// bundles the database (`jiff`'s `tzdb-bundle-always`): wasm has no system zoneinfo.
pub fn zone(field: &str, name: &str) -> Result<TimeZone, FieldError> {
    if name.len() > 64 || !name.contains('/') && name != "UTC" {
        return Err(FieldError::new(
            field,
            "must be an IANA time zone such as Europe/Berlin",
        ));
    }
    TimeZone::get(name)
        .map_err(|_| FieldError::new(field, format!("{name} is not a known IANA time zone")))
}

/// An RFC 3339 instant with an offset ("2026-12-03T09:00:00Z").
pub fn instant(field: &str, value: &str) -> Result<Timestamp, Problem> {
    value.parse::<Timestamp>().map_err(|_| {
        Problem::invalid(
            field,
            "must be an RFC 3339 instant, e.g. 2026-12-03T09:00:00Z",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names_and_instants_carry_an_offset() {
        assert!(zone("time_zone", "UTC").is_ok());
        for bad in ["CET", "+01:00", "Europe", &"A/".repeat(40)] {
            assert_eq!(
                zone("time_zone", bad).unwrap_err().field,
                "time_zone",
                "{bad}"
            );
        }
        assert!(instant("at", "2026-12-03T09:00:00Z").is_ok());
        assert!(instant("at", "2026-12-03T09:00:00").is_err());
    }
}
