//! The app's route table against its manifest: for every `[[trigger.http]]` route in `spin.toml`,
//! a request under it reaches that component. Each component answers its health route with its
//! own name, so a request the router hands to the wrong component is caught here — on the test
//! host (which ranks routes with Spin's own router) and on a real `spin up` alike.

use blackbox::get;
use std::path::Path;

/// `(component, route)` for every public HTTP route, in manifest order.
fn manifest_routes() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
    let manifest: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    manifest["trigger"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| {
            let route = t["route"].as_str()?; // `{ private = true }` has no public path
            Some((
                t["component"].as_str().unwrap().to_string(),
                route.to_string(),
            ))
        })
        .collect()
}

/// Where a route's component answers its health: `<prefix>/health` under a wildcard route.
fn health_path(route: &str) -> String {
    match route.strip_suffix("/...") {
        Some(prefix) => format!("{prefix}/health"),
        None => route.to_string(),
    }
}

#[test]
fn every_route_in_the_manifest_reaches_its_component() {
    let routes = manifest_routes();
    assert!(routes.len() >= 5, "{routes:?}");
    for (component, route) in &routes {
        let path = health_path(route);
        let r = get(&path, None);
        assert_eq!(
            r.status, 200,
            "{route} ({component}): GET {path}: {}",
            r.text
        );
        assert_eq!(
            r.json()["service"],
            component.as_str(),
            "{route}: GET {path} was answered by another component: {}",
            r.text
        );
    }
}

#[test]
fn nothing_is_routed_at_the_root_but_the_portal() {
    for (component, route) in manifest_routes() {
        let first = route
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        assert!(
            route == "/..." || first == "api",
            "{component} has the root-level route {route}: only the portal's `/...` may sit \
             at the root (docs/operations.md)"
        );
        let body = route.strip_suffix("/...").unwrap_or(&route);
        assert!(
            !body.split('/').any(|seg| seg.starts_with('.')),
            "{component}'s route {route} has a dot segment, which Spin's router ranks by \
             insertion order against wildcards"
        );
    }
}

/// The published contract covers every service the manifest routes, and its docs page loads
/// only files the app serves itself (no CDN), each with its own type.
#[test]
fn the_api_document_covers_every_service_and_its_docs_are_served_by_the_app() {
    let r = get("/api/openapi.json", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (component, route) in manifest_routes() {
        let health = health_path(&route);
        assert!(
            paths.contains_key(&health),
            "{component}'s {health} is not in /api/openapi.json"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let page = get("/api/docs", None);
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    // Every script and stylesheet it names is a path on this origin, and is there.
    let mut assets = 0;
    for attr in ["src=\"", "href=\""] {
        for part in page.text.split(attr).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            assert!(url.starts_with('/'), "{url} is not on this origin");
            let asset = get(url, None);
            assert_eq!(asset.status, 200, "{url}");
            let kind = asset.header("content-type").unwrap();
            assert!(
                kind.starts_with("text/javascript") || kind.starts_with("text/css"),
                "{url}: {kind}"
            );
            assets += 1;
        }
    }
    assert!(assets >= 3, "{}", page.text);
}
