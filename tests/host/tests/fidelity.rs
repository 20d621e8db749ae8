//! The host against Spin's semantics, with a fixture app (fixtures/spin.toml) of one probe
//! component under several names: routing precedence, private routes, service chaining,
//! variables from the environment, refused outbound calls, and surviving a trap.

use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn build_wasm() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = std::process::Command::new(env!("CARGO"))
            .arg("build-wasm")
            .current_dir(&root)
            .status()
            .unwrap();
        assert!(status.success());
    });
}

/// Starts the fixture app in `dir` (under fixtures/) on a free port.
fn start(dir: &str) -> String {
    build_wasm();
    let state = std::env::temp_dir().join(format!(
        "host-fidelity-{}-{}",
        std::process::id(),
        dir.replace('/', "-")
    ));
    let mut env = std::collections::HashMap::new();
    env.insert(
        "SPIN_VARIABLE_FROM_ENV".to_string(),
        "from the environment".to_string(),
    );
    let host = test_host::spawn(
        test_host::AppOptions {
            app_dir: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(dir),
            runtime_config: None,
            working_dir: state.clone(),
            state_dir: state,
            env,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    format!("http://{}", host.addr)
}

fn base() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| start(""))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn get_from(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = agent().get(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get(path: &str) -> (u16, Value) {
    get_from(base(), path, &[])
}

/// The routes a manifest declares, as the host hands them to the router.
fn manifest_routes(path: &Path) -> Vec<(String, String)> {
    let m = test_host::manifest::Manifest::load(path).unwrap();
    m.trigger
        .http
        .iter()
        .filter_map(|t| match &t.route {
            test_host::manifest::RouteConfig::Path(p) => Some((t.component.clone(), p.clone())),
            test_host::manifest::RouteConfig::Private { .. } => None,
        })
        .collect()
}

fn router_for(path: &Path) -> test_host::routes::Router {
    let routes = manifest_routes(path);
    test_host::routes::Router::new(routes.iter().map(|(c, r)| (c.as_str(), r.as_str()))).unwrap()
}

/// Healthe's old route set (a root `/.well-known/...` beside the root `/...`): a real Spin
/// (4.1.0-pre0) sent every auth path to the portal, and its trace log showed the router's order
/// as `…, ("", web), ("/.well-known", auth), ("/api/auth", auth)`. The host, ranking with Spin's
/// own router built as Spin builds it, must answer the same way.
#[test]
fn the_old_route_set_routes_as_spin_did_web_wins() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dotted/spin.toml");
    let order = router_for(&fixture).order();
    let tail: Vec<(&str, &str)> = order
        .iter()
        .map(|(r, c)| (r.as_str(), c.as_str()))
        .skip_while(|(r, _)| !r.is_empty())
        .collect();
    assert_eq!(
        tail,
        [("", "web"), ("/.well-known", "auth"), ("/api/auth", "auth")],
        "{order:?}"
    );
    static DOTTED: OnceLock<String> = OnceLock::new();
    let base = DOTTED.get_or_init(|| start("dotted"));
    for path in [
        "/api/auth/health",
        "/api/auth/login",
        "/.well-known/jwks.json",
    ] {
        assert_eq!(get_from(base, path, &[]).1["name"], "web", "{path}");
    }
}

/// The app's real manifest: every route ranks ahead of the portal's catch-all, so each service's
/// paths reach it (the suite's `routes` test checks the same over HTTP, on Spin too).
#[test]
fn the_apps_manifest_routes_every_service_to_itself() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
    let router = router_for(&manifest);
    for (component, route) in manifest_routes(&manifest) {
        let path = match route.strip_suffix("/...") {
            Some(prefix) => format!("{prefix}/health"),
            None => route.clone(),
        };
        let m = router.route(&path).unwrap();
        assert_eq!(m.component, component, "{path}: {:?}", router.order());
    }
    assert_eq!(
        router
            .route("/api/auth/.well-known/openid-configuration")
            .unwrap()
            .component,
        "auth"
    );
}

/// Spin copies the client's headers first and appends its own `spin-*` values after them
/// (`prepare_request_headers`, then `HeaderMap::extend`): a forged `spin-client-addr` arrives
/// too, ahead of Spin's. Components must read the last value; the host must hand them both.
#[test]
fn client_headers_come_first_and_spins_are_appended() {
    let (_, b) = get_from(
        base(),
        "/probe/x",
        &[
            ("spin-client-addr", "6.6.6.6:666"),
            ("spin-path-info", "/forged"),
            ("x-first", "1"),
        ],
    );
    let list: Vec<(String, String)> = serde_json::from_value(b["header_list"].clone()).unwrap();
    let values = |name: &str| -> Vec<&str> {
        list.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let addrs = values("spin-client-addr");
    assert_eq!(addrs.len(), 2, "{list:?}");
    assert_eq!(addrs[0], "6.6.6.6:666");
    assert!(addrs[1].starts_with("127.0.0.1:"), "{list:?}");
    assert_eq!(values("spin-path-info"), ["/forged", "/x"]);
    assert_eq!(values("x-first"), ["1"]);
    let pos = |name: &str| list.iter().position(|(k, _)| k == name).unwrap();
    assert!(pos("x-first") < pos("spin-full-url"), "{list:?}");
    // Every one of Spin's headers is there. (Their exact order is not asserted: wasi-http
    // strips forbidden headers such as `host` from the map before the guest sees it, and a
    // header map's removal moves its last entry into the gap — on Spin as here, since both use
    // wasmtime-wasi-http.)
    let mut spin_names: Vec<&str> = list
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.starts_with("spin-"))
        .collect();
    spin_names.sort();
    spin_names.dedup();
    assert_eq!(
        spin_names,
        [
            "spin-base-path",
            "spin-client-addr",
            "spin-component-route",
            "spin-full-url",
            "spin-matched-route",
            "spin-path-info",
            "spin-raw-component-route",
        ],
        "{list:?}"
    );
    assert!(values("connection").is_empty());
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

#[test]
fn both_key_value_interfaces_reach_the_same_store_as_on_spin() {
    let (status, b) = get("/probe/x?kv");
    assert_eq!(status, 200, "{b}");
    // Spin's get-many (`key IN rarray(...)`) answers only the keys it has.
    assert_eq!(
        b["kv"]["get_many"],
        serde_json::json!([["written", "by spin"]])
    );
    assert_eq!(b["kv"]["not_granted"], "access-denied");
}
