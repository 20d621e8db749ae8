//! `locator`: the nearest 10 pharmacies open now, from random points of a country-sized area
//! (Germany's bounding box, 357,000 km²), beside locator's plain route measured in the same
//! run, as the table grows: 1,000, 10,000, 100,000 and (with `BENCH_LOCATOR_MILLION=1`)
//! 1,000,000 pharmacies spread uniformly over it — sparser than real cities, so the search
//! circles grow wider than they would.
//!
//! The pharmacies arrive through the real import (CSV, 20,000 rows a statement), with a mix
//! of real-world hours: most "Mo-Fr 08:00-18:30; Sa 09:00-13:00; PH off", some longer, one in
//! ten 24/7. Thursday 10:00 finds most open; Sunday 03:00 only the 24/7 ones, which makes the
//! search walk ten times as far for its ten.

use crate::{clients, measure, mint, Figures, XorShift};
use blackbox::{get, send};
use service_kit::token::Role;
use std::sync::Mutex;

const LAT: (f64, f64) = (47.3, 55.0);
const LON: (f64, f64) = (5.9, 15.0);
const CHUNK: usize = 20_000;
const THURSDAY_10: &str = "2026-12-03T09:00:00Z";
const SUNDAY_03: &str = "2026-12-06T02:00:00Z";

fn hours(i: usize) -> &'static str {
    match i % 10 {
        0 => "24/7",
        1 | 2 => "Mo-Sa 08:00-20:00; PH off",
        _ => "Mo-Fr 08:00-18:30; Sa 09:00-13:00; PH off",
    }
}

/// Imports pharmacies `from..to` (each at its own pseudo-random point).
fn seed(staff: &str, from: usize, to: usize) {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Skip what earlier sizes placed, so each size adds new points.
    for _ in 0..from * 2 {
        rng.below(1_000_000);
    }
    let mut start = from;
    while start < to {
        let end = (start + CHUNK).min(to);
        let mut csv = String::from("source_key,name,lat,lon,opening_hours\n");
        for i in start..end {
            let lat = LAT.0 + (LAT.1 - LAT.0) * rng.below(1_000_000) as f64 / 1e6;
            let lon = LON.0 + (LON.1 - LON.0) * rng.below(1_000_000) as f64 / 1e6;
            csv.push_str(&format!(
                "bench-{i},Apotheke {i},{lat:.6},{lon:.6},\"{}\"\n",
                hours(i)
            ));
        }
        let r = send(
            "POST",
            "/api/locator/imports?time_zone=Europe/Berlin&country=DE",
            Some(staff),
            Some("text/csv"),
            Some(csv.into_bytes()),
        );
        assert_eq!(r.status, 200, "import: {}", r.text);
        start = end;
    }
}

pub fn run() {
    let staff = mint("0192f0c1-7a4e-7cc2-9a1b-00000000005f", Role::Staff);
    let threads = clients();
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("BENCH_LOCATOR_MILLION").is_some() {
        sizes.push(1_000_000);
    }
    let mut have = 0;
    let mut rows: Vec<(usize, Vec<Figures>)> = Vec::new();
    for size in sizes {
        let t = std::time::Instant::now();
        seed(&staff, have, size);
        println!(
            "locator: imported {} pharmacies in {:.1?} ({size} in all)",
            size - have,
            t.elapsed()
        );
        have = size;
        let rng = Mutex::new(XorShift(size as u64 | 1));
        let point = || {
            let mut r = rng.lock().unwrap();
            let lat = LAT.0 + (LAT.1 - LAT.0) * r.below(1_000_000) as f64 / 1e6;
            let lon = LON.0 + (LON.1 - LON.0) * r.below(1_000_000) as f64 / 1e6;
            (lat, lon)
        };
        let nearest = |at: &'static str| {
            move || {
                let (lat, lon) = point();
                let r = get(
                    &format!(
                        "/api/locator/pharmacies?near={lat:.5},{lon:.5}&open_now=true&limit=10\
                         &radius_km=500&open_at={at}"
                    ),
                    None,
                );
                r.status
            }
        };
        let figures = vec![
            measure(
                "GET /api/locator/health (plain)",
                threads,
                usize::MAX,
                200,
                || get("/api/locator/health", None).status,
            ),
            measure(
                "nearest 10 open, Thursday 10:00",
                threads,
                usize::MAX,
                200,
                nearest(THURSDAY_10),
            ),
            measure(
                "nearest 10 open, Sunday 03:00 (24/7 only)",
                threads,
                usize::MAX,
                200,
                nearest(SUNDAY_03),
            ),
        ];
        rows.push((size, figures));
    }
    println!(
        "\nlocator: nearest 10 open pharmacies from random points ({threads} clients, {:?} each)",
        crate::seconds()
    );
    for (size, figures) in &rows {
        println!("\n{size} pharmacies:");
        crate::print(figures, &figures[0]);
    }
    // One answer, to show what was measured.
    let r = get(
        &format!(
            "/api/locator/pharmacies?near=52.52,13.405&open_now=true&limit=3&open_at={SUNDAY_03}"
        ),
        None,
    )
    .json();
    for i in r["items"].as_array().into_iter().flatten() {
        println!(
            "  e.g. {} at {} km: {}",
            i["name"].as_str().unwrap_or(""),
            i["distance_km"],
            i["summary"].as_str().unwrap_or("")
        );
    }
}
