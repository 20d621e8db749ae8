//! The published contract, held by a real fuzzer: schemathesis (pinned in
//! tests/requirements.txt) runs every operation of `/api/openapi.json` through all its phases
//! against the running app, once for each signed-in role, with the checks `schemathesis.toml`
//! names. Any server error, undocumented status, body off its schema, or ignored auth fails.
//!
//! The reports (JUnit XML, and the NDJSON event stream) stay in target/schemathesis/<role>/ as
//! CI artifacts.

use blackbox::{admin, base_url, new_patient, new_user, workspace_root};
use std::process::Command;

#[test]
fn every_operation_holds_to_the_contract_for_every_role() {
    let base = base_url();
    let root = workspace_root();
    let roles = [
        ("patient", new_patient().access),
        ("doctor", new_user("doctor").access),
        ("staff", new_user("staff").access),
        ("admin", admin().access),
    ];
    let mut failed = Vec::new();
    for (role, token) in roles {
        let reports = root.join("target/schemathesis").join(role);
        std::fs::create_dir_all(&reports).unwrap();
        let started = std::time::Instant::now();
        let out = Command::new("schemathesis")
            .arg("--config-file")
            .arg(root.join("schemathesis.toml"))
            .arg("run")
            .arg(format!("{base}/api/openapi.json"))
            .args(["--url", base])
            .args(["--report", "junit,ndjson"])
            .arg("--report-dir")
            .arg(&reports)
            .env("HEALTHE_TOKEN", &token)
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis (pip install -r tests/requirements.txt)");
        let stdout = String::from_utf8_lossy(&out.stdout);
        std::fs::write(reports.join("output.txt"), stdout.as_bytes()).unwrap();
        eprintln!(
            "schemathesis as {role}: {} in {:.0?}\n{}",
            out.status,
            started.elapsed(),
            summary(&stdout)
        );
        if !out.status.success() {
            eprintln!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
            failed.push(role);
        }
    }
    assert!(
        failed.is_empty(),
        "schemathesis found contract failures as {failed:?} (reports: target/schemathesis/)"
    );
}

/// The run's closing lines (its summary), for the log.
fn summary(stdout: &str) -> String {
    let lines: Vec<&str> = stdout.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}
