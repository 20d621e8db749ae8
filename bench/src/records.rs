//! `records`: a patient's chart read and a file's download, beside records' plain route
//! (`GET /api/records/health`) measured in the same run. The chart holds 200 items (50 of each
//! kind, the page the chart shows of each) and two files; the downloads are a one-chunk file
//! (200 KiB) and a 32-chunk one (8 MiB), streamed a chunk at a time.

use crate::{clients, measure, mint, Figures};
use blackbox::{get, post, send_raw};
use serde_json::json;
use service_kit::token::Role;

fn pdf(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.resize(len, b'x');
    b
}

pub fn run() {
    let patient_id = format!("0192f0c1-7a4e-7cc2-9a1b-{:012x}", rand_suffix());
    let token = mint(&patient_id, Role::Patient);
    let chart = format!("/api/records/patients/{patient_id}");
    for i in 0..50 {
        for body in [
            json!({"kind": "observation", "measure": "weight", "value": 70 + i % 10, "unit": "kg",
                   "taken_at": format!("2026-11-{:02}T08:00:00Z", 1 + i % 28)}),
            json!({"kind": "problem", "text": format!("Problem {i}"), "code": {"system": "icd-10", "code": "I10"}, "status": "active"}),
            json!({"kind": "allergy", "substance": format!("Substance {i}"), "severity": "mild"}),
            json!({"kind": "entry", "category": "note", "text": "A note of a few sentences. ".repeat(8), "date": "2026-11-30"}),
        ] {
            let r = post(&format!("{chart}/entries"), &body, Some(&token));
            assert_eq!(r.status, 201, "{}", r.text);
        }
    }
    let upload = |len: usize| {
        let r = send_raw(
            "POST",
            &format!("{chart}/files?name=bench.pdf"),
            Some(&token),
            &[("content-type", "application/pdf")],
            pdf(len),
        );
        assert_eq!(r.status, 201);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        format!("/api/records/files/{}", body["id"].as_str().unwrap())
    };
    let small = upload(200 * 1024);
    let large = upload(8 * 1024 * 1024);
    assert_eq!(get(&chart, Some(&token)).status, 200);

    let threads = clients();
    let plain = measure(
        "GET /api/records/health (plain)",
        threads,
        usize::MAX,
        200,
        || get("/api/records/health", None).status,
    );
    let rows: Vec<Figures> = vec![
        measure(
            "GET chart (200 items, 2 files)",
            threads,
            usize::MAX,
            200,
            || get(&chart, Some(&token)).status,
        ),
        measure("GET chart as FHIR Bundle", threads, usize::MAX, 200, || {
            blackbox::send_with_accept(&chart, &token, "application/fhir+json").status
        }),
        measure(
            "GET file, 200 KiB (1 chunk)",
            threads,
            usize::MAX,
            200,
            || send_raw("GET", &small, Some(&token), &[], vec![]).status,
        ),
        measure(
            "GET file, 8 MiB (32 chunks)",
            threads.min(8),
            usize::MAX,
            200,
            || send_raw("GET", &large, Some(&token), &[], vec![]).status,
        ),
    ];
    println!(
        "\nrecords: chart read and file download beside the plain route ({threads} clients, {:?} each; the 8 MiB download with at most 8)",
        crate::seconds()
    );
    let mut all = vec![plain];
    all.extend(rows);
    crate::print(&all, &all[0]);
    let mib = 8.0 * all[4].per_second;
    println!("8 MiB downloads: {mib:.0} MiB/s in all");
}

/// A suffix that makes this run's patient its own.
fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        & 0xffff_ffff_ffff
}
