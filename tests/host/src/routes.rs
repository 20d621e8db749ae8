//! Route matching with Spin's own router crate, built the way Spin builds it
//! (`crates/routes/src/lib.rs`, `Router::build`), so the host reproduces Spin's real precedence,
//! quirks included — not a re-implementation of its documented intent.
//!
//! Spin's steps, followed here one for one:
//! 1. every public `[[trigger.http]]` route, in manifest order, is put in an `IndexMap` keyed by
//!    the route *as written*: a later duplicate replaces the earlier one's handler and keeps its
//!    place;
//! 2. each is prefixed with the base (`/`, trailing slash stripped) and turned into a
//!    `routefinder` spec: `/x/...` becomes `/x/*`;
//! 3. the specs are added to a `routefinder::Router` in that order; `best_match` returns the
//!    first matching route in the router's `BTreeMap` order.
//!
//! Step 3 is where the quirk lives: `routefinder`'s ordering is not total once a spec has a dot
//! segment (`/.well-known/*` and `/*` each rank ahead of the other), so which route wins then
//! depends on the order the routes were added. Using the same crate at the same version, added
//! in the same order, gives the same answer Spin gives.

use indexmap::IndexMap;

/// What a matched route leads to, with everything Spin's `spin-*` headers carry.
#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// With the base (`/`) applied: what `spin-matched-route` carries.
    based_route: String,
    /// As written in the manifest: `spin-raw-component-route`.
    raw_route: String,
}

/// What matched, with everything the `spin-*` headers carry.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    pub component: String,
    /// The route with the base applied (`spin-matched-route`).
    pub based_route: String,
    /// The route as written in the manifest (`spin-raw-component-route`).
    pub raw_route: String,
    /// The wildcard's part of the path (`spin-path-info`), with Spin's trailing-slash rules.
    pub path_info: String,
    /// Named captures (`:name`), in the order `routefinder` reports them.
    pub params: Vec<(String, String)>,
}

impl RouteMatch {
    /// As used for service chaining: the whole path is the wildcard's (Spin's
    /// `RouteMatch::synthetic`).
    pub fn synthetic(component: &str, path: &str) -> Self {
        RouteMatch {
            component: component.to_string(),
            based_route: "/...".into(),
            raw_route: "/...".into(),
            path_info: path.to_string(),
            params: Vec::new(),
        }
    }

    /// The raw route without its wildcard (`spin-component-route`).
    pub fn component_route(&self) -> String {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
            .to_string()
    }
}

pub struct Router {
    inner: routefinder::Router<Handler>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.order()).finish()
    }
}

/// Spin's `sanitize_with_base` with the base `/`: absolute, one trailing slash stripped.
fn based(raw: &str) -> String {
    let absolute = if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("/{raw}")
    };
    absolute
        .strip_suffix('/')
        .map(str::to_string)
        .unwrap_or(absolute)
}

/// Spin's `Router::parse_route`: `/x/...` and `/x/*` are trailing wildcards.
fn spec(based_route: &str) -> Result<routefinder::RouteSpec, String> {
    match based_route.strip_suffix("/...") {
        Some(prefix) => format!("{prefix}/*").as_str().try_into(),
        None => based_route.try_into(),
    }
}

impl Router {
    /// Public routes in manifest order, as `(component, route as written)`.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Router, String> {
        let mut by_raw: IndexMap<&str, &str> = IndexMap::new();
        for (component, raw) in routes {
            by_raw.insert(raw, component);
        }
        let mut inner = routefinder::Router::new();
        for (raw, component) in by_raw {
            let based_route = based(raw);
            let rs = spec(&based_route)
                .map_err(|e| format!("route {raw:?} of component {component}: {e}"))?;
            inner
                .add(
                    rs,
                    Handler {
                        component: component.to_string(),
                        based_route,
                        raw_route: raw.to_string(),
                    },
                )
                .map_err(|e| format!("route {raw:?} of component {component}: {e}"))?;
        }
        Ok(Router { inner })
    }

    /// The router's order, `(based route, component)`: what Spin logs as "Constructed router"
    /// at `RUST_LOG=spin_trigger_http=trace`.
    pub fn order(&self) -> Vec<(String, String)> {
        self.inner
            .iter()
            .map(|(_, h)| {
                let shown = h.based_route.strip_suffix("/...").unwrap_or(&h.based_route);
                (shown.to_string(), h.component.clone())
            })
            .collect()
    }

    /// The best match for a request path, as Spin's `Router::route`.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let m = self.inner.best_match(path)?;
        let h = m.handler();
        let captures = m.captures();
        let path_info = captures
            .wildcard()
            // Spin keeps the trailing slashes routefinder drops (`trailing_wildcard`).
            .map(|s| match (s.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".into(),
                (false, false) => format!("/{s}"),
                (false, true) => format!("/{s}/"),
            })
            .unwrap_or_default();
        let params = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(RouteMatch {
            component: h.component.clone(),
            based_route: h.based_route.clone(),
            raw_route: h.raw_route.clone(),
            path_info,
            params,
        })
    }
}

/// `spin-path-match-<name>`: Spin upper-cases the name into `SPIN_PATH_MATCH_<NAME>` and turns
/// it into a header name by lower-casing and replacing `_` with `-`.
pub fn path_match_header(name: &str) -> String {
    format!("SPIN_PATH_MATCH_{}", name.to_ascii_uppercase())
        .replace('_', "-")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new([
            ("all", "/..."),
            ("one", "/one/..."),
            ("onetwo", "/one/two/..."),
            ("exact", "/one/two"),
            ("param", "/items/:id"),
            ("param-wild", "/items/:id/..."),
            ("fixed", "/items/special"),
        ])
        .unwrap()
    }

    fn component(path: &str) -> String {
        router().route(path).unwrap().component
    }

    #[test]
    fn most_specific_wins() {
        assert_eq!(component("/"), "all");
        assert_eq!(component("/x/y"), "all");
        assert_eq!(component("/one"), "one");
        assert_eq!(component("/one/x"), "one");
        assert_eq!(component("/one/two"), "exact");
        assert_eq!(component("/one/two/three"), "onetwo");
        assert_eq!(component("/items/7"), "param");
        assert_eq!(component("/items/special"), "fixed");
        assert_eq!(component("/items/7/reviews"), "param-wild");
    }

    #[test]
    fn path_info_and_params_follow_spin() {
        let r = Router::new([("c", "/test/...")]).unwrap();
        assert_eq!(r.route("/test").unwrap().path_info, "");
        assert_eq!(r.route("/test/").unwrap().path_info, "/");
        assert_eq!(r.route("/test/hello").unwrap().path_info, "/hello");
        assert_eq!(r.route("/test/hello/").unwrap().path_info, "/hello/");
        let r = Router::new([("c", "/1/:two/...")]).unwrap();
        let m = r.route("/1/2/3").unwrap();
        assert_eq!(m.params, [("two".to_string(), "2".to_string())]);
        assert_eq!(m.path_info, "/3");
        assert_eq!(m.component_route(), "/1/:two");
        assert_eq!(path_match_header("doctor_id"), "spin-path-match-doctor-id");
    }

    #[test]
    fn later_duplicates_win_and_unmatched_is_none() {
        let r = Router::new([("first", "/foo"), ("second", "/foo")]).unwrap();
        assert_eq!(r.route("/foo").unwrap().component, "second");
        assert!(r.route("/bar").is_none());
    }

    /// The route set Healthe shipped before: Spin's router puts the root catch-all ahead of both
    /// of auth's routes (Spin's trace log: `("", web), ("/.well-known", auth), ("/api/auth",
    /// auth)`), so the portal answers auth's paths. The host must reproduce that, not fix it.
    #[test]
    fn a_root_dot_route_beside_the_catch_all_loses_as_on_spin() {
        let r = Router::new([
            ("auth", "/api/auth/..."),
            ("auth", "/.well-known/..."),
            ("booking", "/api/booking/..."),
            ("web", "/..."),
        ])
        .unwrap();
        let order = r.order();
        let pos = |route: &str| order.iter().position(|(r, _)| r == route).unwrap();
        assert!(pos("") < pos("/.well-known"), "{order:?}");
        assert!(pos("") < pos("/api/auth"), "{order:?}");
        assert_eq!(r.route("/api/auth/health").unwrap().component, "web");
        assert_eq!(r.route("/.well-known/jwks.json").unwrap().component, "web");
        // Without the dot route the order is total again and the prefix wins.
        let r = Router::new([
            ("auth", "/api/auth/..."),
            ("booking", "/api/booking/..."),
            ("web", "/..."),
        ])
        .unwrap();
        assert_eq!(r.route("/api/auth/health").unwrap().component, "auth");
        assert_eq!(
            r.route("/api/auth/.well-known/openid-configuration")
                .unwrap()
                .component,
            "auth"
        );
        assert_eq!(r.route("/anything").unwrap().component, "web");
    }
}
