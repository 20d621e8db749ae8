//! web: serves the portal's static files. `spin.toml` mounts `web/` at `/` in this component's
//! filesystem (`files`), so the files ship beside the wasm and can change without a rebuild.
//! Also the merged OpenAPI document of every service (`/api/openapi.json`), browsable at
//! `/api/docs` (a vendored Swagger UI).

use http::{header, HeaderValue, StatusCode};
use service_kit::http::{with_body, Method, Reply, Request};
use service_kit::router::{Routes, Service};
use service_kit::Problem;
use std::path::{Component, Path, PathBuf};

/// Where the portal's files are (`/` in the component, as `spin.toml` mounts `web/`).
pub struct Files {
    pub root: PathBuf,
    /// Where the pharmacy map's tiles come from (`map_tile_url`'s origin), which the pages'
    /// CSP must let images load from; none without a tile server.
    pub tiles: Option<String>,
}

/// The origin of a tile URL template, as a CSP source: `https://{s}.tile.example.org/{z}/{x}/{y}.png`
/// gives `https://*.tile.example.org`. `None` for anything that is not a plain `https://` (or
/// `http://`) host, so a variable can never widen the policy beyond one host's images.
pub fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    let plain = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'))
        && !host.starts_with('.');
    plain.then(|| format!("{scheme}://{host}"))
}

/// The merged OpenAPI document of every service, assembled at build time (build.rs) from each
/// component's `openapi.json`.
pub const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// web as a service: its name, context and route table.
pub struct Web;

impl Service for Web {
    const NAME: &'static str = "web";
    type Ctx<'a> = Files;

    fn routes<'a>() -> Routes<Self::Ctx<'a>> {
        Routes::<Files>::new(Self::NAME)
            // Liveness, like every service's health route: proves a request reached this component.
            .health("/health")
            .get("/api/openapi.json", |_, _, _| openapi())
            // The portal and the API docs page (`/api/docs`): static files, GET and HEAD.
            .get("/", |r, f, _| serve(r, f))
            .route(Method::HEAD, "/", |r, f, _| serve(r, f))
            .get("/{*path}", |r, f, _| serve(r, f))
            .route(Method::HEAD, "/{*path}", |r, f, _| serve(r, f))
    }
}

fn openapi() -> Reply {
    let resp = with_body(
        StatusCode::OK,
        "application/json",
        OPENAPI.as_bytes().to_vec(),
    );
    Ok(service_kit::http::set_header(
        resp,
        "cache-control",
        "public, max-age=300",
    ))
}

fn serve(req: &Request, files: &Files) -> Reply {
    let root = &files.root;
    let rel = resolve(req.uri().path()).ok_or_else(|| Problem::not_found("no such page"))?;
    let mut path = root.join(&rel);
    if path.is_dir() {
        path = path.join("index.html");
    }
    let bytes = std::fs::read(&path).map_err(|_| Problem::not_found("no such page"))?;
    let mut resp = with_body(StatusCode::OK, content_type(&path), bytes);
    let h = resp.headers_mut();
    // Pages may load their own scripts, styles and images, and call the API on the same origin.
    // `blob:` images: what the portal fetched with the bearer token (a prescription's QR code).
    // The map's tiles, where a clinic names a tile server (`map_tile_url`).
    let tiles = files
        .tiles
        .as_deref()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let csp = format!(
        "default-src 'self'; img-src 'self' data: blob:{tiles}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_str(&csp).map_err(Problem::internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    if req.method() == Method::HEAD {
        resp.body_mut().clear();
    }
    Ok(resp)
}

/// The URL path as a relative file path, refusing anything that could climb out of the root.
fn resolve(url_path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(url_path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => {
                let s = part.to_str()?;
                if s.starts_with('.') || s.contains('\\') || s.contains('%') {
                    return None;
                }
                out.push(s);
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

service_kit::component!(Web);

#[cfg(target_arch = "wasm32")]
impl service_kit::spin::SpinService for Web {
    const BODY_LIMIT: usize = 0;
    async fn context(
        _req: &Request,
        _route: &'static str,
        _kit: &service_kit::spin::Kit,
    ) -> Result<Files, Problem> {
        use service_kit::vars::Vars;
        Ok(Files {
            root: "/".into(),
            tiles: service_kit::spin::SpinVars
                .get("map_tile_url")
                .and_then(|t| tile_origin(&t)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> service_kit::http::Response {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web"));
        handle(
            &http::Request::builder().uri(path).body(vec![]).unwrap(),
            &Files {
                root: root.to_path_buf(),
                tiles: None,
            },
        )
    }

    #[test]
    fn serves_the_landing_page() {
        let r = get("/");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        assert!(String::from_utf8_lossy(r.body()).contains("Healthe"));
    }

    #[test]
    fn answers_its_health_route() {
        let r = get("/health");
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["service"], "web");
    }

    #[test]
    fn refuses_to_climb_out_of_the_root() {
        for p in [
            "/../Cargo.toml",
            "/..%2fCargo.toml",
            "/.git/config",
            "/nope.html",
        ] {
            let r = get(p);
            assert_eq!(r.status(), 404, "{p}");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }

    #[test]
    fn a_tile_server_widens_images_by_its_origin_only() {
        assert_eq!(
            tile_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://tiles.example.org:8443/osm/{z}/{x}/{y}.png").as_deref(),
            Some("https://tiles.example.org:8443")
        );
        for bad in [
            "",
            "javascript:alert(1)",
            "https://",
            "https://a b/",
            "https://x; script-src *",
            "data:x",
        ] {
            assert_eq!(tile_origin(bad), None, "{bad}");
        }
    }
}
