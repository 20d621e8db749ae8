//! The host against Spin's semantics, with a fixture app (fixtures/spin.toml) of one probe
//! component under several names: routing precedence, private routes, service chaining,
//! variables from the environment, refused outbound calls, and surviving a trap.

use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn base() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = std::process::Command::new(env!("CARGO"))
            .arg("build-wasm")
            .current_dir(&root)
            .status()
            .unwrap();
        assert!(status.success());
        let state = std::env::temp_dir().join(format!("host-fidelity-{}", std::process::id()));
        let mut env = std::collections::HashMap::new();
        env.insert(
            "SPIN_VARIABLE_FROM_ENV".to_string(),
            "from the environment".to_string(),
        );
        let host = test_host::spawn(
            test_host::AppOptions {
                app_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
                runtime_config: None,
                working_dir: state.clone(),
                state_dir: state,
                env,
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap();
        format!("http://{}", host.addr)
    })
}

fn get(path: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(format!("{}{path}", base())).call().unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn the_most_specific_route_wins() {
    assert_eq!(get("/").1["name"], "root");
    assert_eq!(get("/elsewhere/deep").1["name"], "root");
    assert_eq!(get("/probe").1["name"], "wild");
    assert_eq!(get("/probe/anything/else").1["name"], "wild");
    assert_eq!(get("/probe/exact").1["name"], "exact");
    let (_, param) = get("/probe/items/42");
    assert_eq!(param["name"], "param");
    assert_eq!(param["headers"]["spin-path-match-id"], "42");
}

#[test]
fn spin_headers_describe_the_match() {
    let (_, b) = get("/probe/a/b/?q=1");
    let h = &b["headers"];
    assert_eq!(h["spin-path-info"], "/a/b/");
    assert_eq!(h["spin-matched-route"], "/probe/...");
    assert_eq!(h["spin-raw-component-route"], "/probe/...");
    assert_eq!(h["spin-component-route"], "/probe");
    assert_eq!(h["spin-base-path"], "/");
    assert!(h["spin-full-url"]
        .as_str()
        .unwrap()
        .ends_with("/probe/a/b/?q=1"));
    assert!(h["spin-client-addr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
}

#[test]
fn a_private_component_has_no_public_route() {
    // The only way to `hidden` is chaining; from outside, its name is just a path.
    assert_eq!(get("/hidden").1["name"], "root");
}

#[test]
fn chaining_reaches_a_private_component_when_granted() {
    let (_, b) = get("/probe/x?fetch=http://hidden.spin.internal/inner/path");
    assert_eq!(b["fetch"]["status"], 200, "{b}");
    assert_eq!(b["fetch"]["body"]["name"], "hidden");
    assert_eq!(
        b["fetch"]["body"]["headers"]["spin-path-info"],
        "/inner/path"
    );
}

#[test]
fn outbound_calls_to_hosts_not_granted_are_refused() {
    // `root` is granted nothing, not even chaining.
    let (_, b) = get("/?fetch=http://hidden.spin.internal/");
    assert!(b["fetch"]["error"].is_string(), "{b}");
    // `wild` is granted only hidden.spin.internal.
    let (_, b) = get("/probe/x?fetch=http://127.0.0.1:9/");
    assert!(
        b["fetch"]["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("denied"),
        "{b}"
    );
}

#[test]
fn variables_come_from_the_environment_over_defaults() {
    assert_eq!(get("/probe/x").1["from_env"], "from the environment");
    // A component that does not declare the variable cannot read it.
    assert_eq!(get("/").1["from_env"], Value::Null);
}

#[test]
fn a_trap_is_a_500_and_the_host_keeps_serving() {
    assert_eq!(get("/probe/trap").0, 500);
    assert_eq!(get("/probe/exact").0, 200);
}

#[test]
fn dependencies_are_composed_into_the_component() {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(format!("{}/composed", base())).call().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.body_mut().read_to_string().unwrap(),
        "hello, host, from the greeter"
    );
}

#[test]
fn every_request_gets_a_fresh_instance() {
    for _ in 0..3 {
        assert_eq!(get("/probe/exact").1["served_by_this_instance"], 1);
    }
}
