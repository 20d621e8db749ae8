//! The published contract, held by a real fuzzer: schemathesis (pinned in
//! tests/requirements.txt) runs every operation of `/api/openapi.json` through all its phases
//! against the running app, once for each signed-in role, with the checks `schemathesis.toml`
//! names. Any server error, undocumented status, body off its schema, or ignored auth fails.
//!
//! Rotating the signing key retires the key before the previous one, and with it every token
//! that key signed, the fuzzer's own included: the role runs leave `rotateKey` out, and a last
//! run, as the admin, fuzzes it alone (the suite's rotation tests cover what rotation does).
//!
//! The notification stream (`notificationsStream`) and its long-poll fallback
//! (`notificationsPoll`) are left out of every run: they hold their connection up to 25 s by
//! design, which the fuzzer's request timeout reads as a failure. The mail tests drive both,
//! their bad input included.
//!
//! Named to run last: against a shared `spin up` (`HEALTHE_URL`), the fuzzer's hundreds of bad
//! sign-ins and sign-ups from this machine's address trip auth's per-address throttle (15 minutes
//! for sign-in, an hour for sign-up) for any test after it. Its own callers sign in before it
//! starts.
//!
//! The reports (JUnit XML, and the NDJSON event stream) stay in target/schemathesis/<run>/ as
//! CI artifacts.

use blackbox::{admin, base_url, new_patient, new_user, workspace_root};
use std::process::Command;

#[test]
fn every_operation_holds_to_the_contract_for_every_role() {
    let base = base_url();
    let root = workspace_root();
    let admin = admin().access;
    let runs = [
        ("patient", new_patient().access, "--exclude-operation-id"),
        (
            "doctor",
            new_user("doctor").access,
            "--exclude-operation-id",
        ),
        ("staff", new_user("staff").access, "--exclude-operation-id"),
        ("admin", admin.clone(), "--exclude-operation-id"),
        ("admin-rotation", admin, "--include-operation-id"),
    ];
    let mut failed = Vec::new();
    for (role, token, rotation) in runs {
        let reports = root.join("target/schemathesis").join(role);
        std::fs::create_dir_all(&reports).unwrap();
        let started = std::time::Instant::now();
        // Through the interpreter that pip installed it for, so no PATH entry is needed.
        let out = Command::new("python3")
            .args(["-m", "schemathesis.cli"])
            .arg("--config-file")
            .arg(root.join("schemathesis.toml"))
            .arg("run")
            .arg(format!("{base}/api/openapi.json"))
            .args(["--url", base])
            .args([rotation, "rotateKey"])
            .args(["--exclude-operation-id", "notificationsStream"])
            .args(["--exclude-operation-id", "notificationsPoll"])
            .args(["--report", "junit,ndjson"])
            .arg("--report-dir")
            .arg(&reports)
            // Its own cache lands in its working directory: keep it out of the source tree.
            .current_dir(&reports)
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
