//! Where things are: a validated position, great-circle distance, and the grid of cells that lets
//! SQLite find what is near a point with a plain B-tree index.
//!
//! Why a grid and not SQLite's R*Tree module: the R*Tree is a compile-time option, and not every
//! backend a clinic may run (Spin's SQLite, libSQL, Fermyon Cloud's) promises it. A cell number
//! in an ordinary indexed column works on all of them, and one range of cell numbers per band of
//! latitude covers any circle, across the antimeridian and over the poles alike.

use service_kit::Problem;

/// The WGS84 mean radius (IUGG R1 = (2a + b) / 3), in kilometres: the sphere whose great
/// circles the distances are measured on.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A grid cell's side, in degrees (about 5.6 km of latitude): small enough that a first 2 km
/// circle reads few pharmacies beyond it, large enough that a 100 km circle spans some 40
/// bands, each one range.
const CELL_DEG: f64 = 0.05;
const ROWS: i64 = 3600; // 180° / 0.05°
const COLS: i64 = 7200; // 360° / 0.05°

/// A point on the Earth: latitude in [-90, 90], longitude in [-180, 180) (180 is written -180).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lat: f64,
    lon: f64,
}

impl Position {
    /// `field` names the input in the problem: a latitude out of range, a longitude out of
    /// range, or a value that is not a finite number.
    pub fn new(field: &str, lat: f64, lon: f64) -> Result<Position, Problem> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(Problem::invalid(
                field,
                "latitude must be a number from -90 to 90",
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(Problem::invalid(
                field,
                "longitude must be a number from -180 to 180",
            ));
        }
        let lon = if lon == 180.0 { -180.0 } else { lon };
        Ok(Position { lat, lon })
    }

    /// "52.52,13.40" (a query's `near`), or FHIR's "52.52|13.40" prefix.
    pub fn parse(field: &str, text: &str) -> Result<Position, Problem> {
        let fhir = text.contains('|');
        let parts: Vec<&str> = text
            .split(if fhir { '|' } else { ',' })
            .map(str::trim)
            .collect();
        let bad = || Problem::invalid(field, "must be latitude,longitude in degrees");
        let fits = if fhir {
            (2..=4).contains(&parts.len())
        } else {
            parts.len() == 2
        };
        if !fits {
            return Err(bad());
        }
        let number = |s: &str| s.parse::<f64>().ok().filter(|n| n.is_finite());
        let lat = number(parts[0]).ok_or_else(bad)?;
        let lon = number(parts[1]).ok_or_else(bad)?;
        Position::new(field, lat, lon)
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Great-circle distance in kilometres (the haversine formula, stable for small distances).
    pub fn distance_km(&self, other: &Position) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }

    /// The grid cell this point lies in.
    pub fn cell(&self) -> i64 {
        row(self.lat) * COLS + col(self.lon)
    }
}

fn row(lat: f64) -> i64 {
    (((lat + 90.0) / CELL_DEG).floor() as i64).clamp(0, ROWS - 1)
}

fn col(lon: f64) -> i64 {
    (((lon + 180.0) / CELL_DEG).floor() as i64).clamp(0, COLS - 1)
}

/// Inclusive ranges of cell numbers that together hold every point within `radius_km` of
/// `center` (and some points beyond it: the caller measures each one). Sorted, merged where
/// they touch: a band of latitude is one range, or two where the circle crosses the
/// antimeridian; a circle over a pole takes every longitude of its bands, which merge into one.
pub fn cell_ranges(center: &Position, radius_km: f64) -> Vec<(i64, i64)> {
    let delta = radius_km / EARTH_RADIUS_KM; // angular radius, radians
    let dlat = delta.to_degrees();
    let (lat_min, lat_max) = (center.lat - dlat, center.lat + dlat);
    // The circle's extreme longitudes (J. P. Matuschek, "Finding Points Within a Distance of a
    // Latitude/Longitude Using Bounding Coordinates"): asin(sin δ / cos φ) from the centre.
    let lons: Vec<(f64, f64)> = if lat_min <= -90.0 || lat_max >= 90.0 {
        vec![(-180.0, 180.0)]
    } else {
        let s = delta.sin() / center.lat.to_radians().cos();
        if s >= 1.0 {
            vec![(-180.0, 180.0)]
        } else {
            let dlon = s.asin().to_degrees();
            let (lo, hi) = (center.lon - dlon, center.lon + dlon);
            if lo < -180.0 {
                vec![(-180.0, hi), (lo + 360.0, 180.0)]
            } else if hi >= 180.0 {
                vec![(-180.0, hi - 360.0), (lo, 180.0)]
            } else {
                vec![(lo, hi)]
            }
        }
    };
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for r in row(lat_min.max(-90.0))..=row(lat_max.min(90.0)) {
        for &(lo, hi) in &lons {
            let range = (r * COLS + col(lo), r * COLS + col(hi));
            match ranges.last_mut() {
                Some(last) if range.0 <= last.1 + 1 => last.1 = last.1.max(range.1),
                _ => ranges.push(range),
            }
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Position {
        Position::new("p", lat, lon).unwrap()
    }

    fn covered(ranges: &[(i64, i64)], p: &Position) -> bool {
        let c = p.cell();
        ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
    }

    #[test]
    fn distances_are_great_circle_on_the_mean_radius() {
        // Berlin Hbf to Munich Hbf: 504.2 km on this sphere.
        let d = at(52.5251, 13.3694).distance_km(&at(48.1402, 11.5600));
        assert!((d - 504.2).abs() < 0.5, "{d}");
        // A quarter of the equator.
        let q = at(0.0, 0.0).distance_km(&at(0.0, 90.0));
        assert!((q - EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
        // Across the antimeridian the short way: 0.2° of longitude at the equator, 22.2 km.
        let a = at(0.0, 179.9).distance_km(&at(0.0, -179.9));
        assert!((a - 22.239).abs() < 0.01, "{a}");
        // Over the pole: two points 0.1° from it on opposite meridians.
        let p = at(89.9, 0.0).distance_km(&at(89.9, 180.0));
        assert!((p - 22.239).abs() < 0.01, "{p}");
    }

    #[test]
    fn out_of_range_and_non_numbers_are_refused() {
        for (lat, lon) in [(90.1, 0.0), (-91.0, 0.0), (0.0, 180.5), (f64::NAN, 0.0)] {
            assert!(Position::new("near", lat, lon).is_err(), "{lat},{lon}");
        }
        assert_eq!(at(10.0, 180.0).lon(), -180.0);
        assert!(Position::parse("near", "52.5,13.4").is_ok());
        assert!(Position::parse("near", "52.5|13.4|5|km").is_ok());
        for bad in ["", "52.5", "north,east", "1e999,0", "1,2,3", "1|2|3|4|5"] {
            assert!(Position::parse("near", bad).is_err(), "{bad}");
        }
    }

    /// Every point within the radius lies in a covered cell: checked on a ring of points just
    /// inside the circle, around ordinary places, the antimeridian and both poles.
    #[test]
    fn the_cells_cover_the_circle_everywhere() {
        let centres = [
            (52.52, 13.40),
            (0.0, 179.95),
            (-16.5, -179.99),
            (65.0, -179.5),
            (89.95, 45.0),
            (-89.99, 0.0),
            (0.0, 0.0),
        ];
        for (lat, lon) in centres {
            let c = at(lat, lon);
            for radius in [0.5, 5.0, 25.0, 150.0] {
                let ranges = cell_ranges(&c, radius);
                assert!(covered(&ranges, &c));
                let delta = (radius * 0.999) / EARTH_RADIUS_KM;
                for step in 0..72 {
                    // The point at distance `radius` and bearing `step * 5°` (spherical law).
                    let b = (step as f64 * 5.0).to_radians();
                    let p1 = lat.to_radians();
                    let p2 = (p1.sin() * delta.cos() + p1.cos() * delta.sin() * b.cos()).asin();
                    let l2 = lon.to_radians()
                        + (b.sin() * delta.sin() * p1.cos())
                            .atan2(delta.cos() - p1.sin() * p2.sin());
                    let mut l2 = l2.to_degrees();
                    l2 = (l2 + 540.0).rem_euclid(360.0) - 180.0;
                    let p = at(p2.to_degrees().clamp(-90.0, 90.0), l2);
                    assert!(c.distance_km(&p) <= radius);
                    assert!(
                        covered(&ranges, &p),
                        "{lat},{lon} r={radius}: {p:?} not covered"
                    );
                }
            }
        }
    }

    #[test]
    fn ranges_are_few_and_merged() {
        // An ordinary 10 km circle: four or five bands, one range each.
        assert!(cell_ranges(&at(52.52, 13.40), 10.0).len() <= 5);
        // Across the antimeridian: two ranges per band.
        let r = cell_ranges(&at(0.0, 179.99), 5.0);
        assert!(r.len() >= 2 && r.len() <= 8, "{r:?}");
        // Over the pole every band is whole, so they merge into one range.
        assert_eq!(cell_ranges(&at(89.99, 0.0), 30.0).len(), 1);
    }
}
