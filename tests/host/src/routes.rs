//! Route matching as Spin's HTTP trigger does it (`crates/http/src/routes.rs`, on `routefinder`):
//! exact segments, `:name` parameters and a trailing `/...` wildcard; the most specific match
//! wins — segment by segment, an exact segment beats a parameter, which beats the wildcard, and a
//! route without a wildcard beats one with — and a later duplicate replaces an earlier one.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    Exact(String),
    Param(String),
}

#[derive(Debug, Clone)]
pub struct Route {
    pub component: String,
    /// As written in the manifest (`/api/auth/...`).
    pub raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
}

/// What matched, with everything the `spin-*` headers carry.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteMatch {
    pub component: String,
    pub raw_route: String,
    /// The wildcard's part of the path (`spin-path-info`), with Spin's trailing-slash rules.
    pub path_info: String,
    pub params: BTreeMap<String, String>,
}

impl RouteMatch {
    /// As used for service chaining: the whole path is the wildcard's.
    pub fn synthetic(component: &str, path: &str) -> Self {
        RouteMatch {
            component: component.to_string(),
            raw_route: "/...".into(),
            path_info: path.to_string(),
            params: BTreeMap::new(),
        }
    }

    /// The route without its wildcard (`spin-component-route`).
    pub fn component_route(&self) -> String {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
            .to_string()
    }
}

impl Route {
    pub fn parse(component: &str, raw: &str) -> Route {
        let absolute = if raw.starts_with('/') {
            raw.to_string()
        } else {
            format!("/{raw}")
        };
        let (body, wildcard) = match absolute.strip_suffix("/...") {
            Some(b) => (b.to_string(), true),
            None => (
                absolute.strip_suffix('/').unwrap_or(&absolute).to_string(),
                false,
            ),
        };
        let segments = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_string()),
                None => Segment::Exact(s.to_string()),
            })
            .collect();
        Route {
            component: component.to_string(),
            raw: raw.to_string(),
            segments,
            wildcard,
        }
    }

    fn matches(&self, path: &str) -> Option<RouteMatch> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() < self.segments.len()
            || (!self.wildcard && parts.len() != self.segments.len())
        {
            return None;
        }
        let mut params = BTreeMap::new();
        for (seg, part) in self.segments.iter().zip(&parts) {
            match seg {
                Segment::Exact(e) if e == part => {}
                Segment::Exact(_) => return None,
                Segment::Param(name) => {
                    params.insert(name.clone(), part.to_string());
                }
            }
        }
        let path_info = if self.wildcard {
            let rest = parts[self.segments.len()..].join("/");
            match (rest.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".into(),
                (false, false) => format!("/{rest}"),
                (false, true) => format!("/{rest}/"),
            }
        } else {
            String::new()
        };
        Some(RouteMatch {
            component: self.component.clone(),
            raw_route: self.raw.clone(),
            path_info,
            params,
        })
    }

    /// Higher is more specific.
    fn rank(&self) -> (Vec<u8>, u8) {
        let segs = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Exact(_) => 2,
                Segment::Param(_) => 1,
            })
            .collect();
        (segs, if self.wildcard { 0 } else { 1 })
    }
}

#[derive(Debug, Default, Clone)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Public routes in manifest order; a later identical route replaces an earlier one.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Router {
        let mut out: Vec<Route> = Vec::new();
        for (component, raw) in routes {
            let r = Route::parse(component, raw);
            out.retain(|existing| {
                !(existing.segments == r.segments && existing.wildcard == r.wildcard)
            });
            out.push(r);
        }
        Router { routes: out }
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        self.routes
            .iter()
            .filter_map(|r| r.matches(path).map(|m| (r.rank(), m)))
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, m)| m)
    }
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
        let r = Router::new([("c", "/test/...")]);
        assert_eq!(r.route("/test").unwrap().path_info, "");
        assert_eq!(r.route("/test/").unwrap().path_info, "/");
        assert_eq!(r.route("/test/hello").unwrap().path_info, "/hello");
        assert_eq!(r.route("/test/hello/").unwrap().path_info, "/hello/");
        let r = Router::new([("c", "/1/:two/...")]);
        let m = r.route("/1/2/3").unwrap();
        assert_eq!(m.params["two"], "2");
        assert_eq!(m.path_info, "/3");
        assert_eq!(m.component_route(), "/1/:two");
    }

    #[test]
    fn later_duplicates_win_and_unmatched_is_none() {
        let r = Router::new([("first", "/foo"), ("second", "/foo")]);
        assert_eq!(r.route("/foo").unwrap().component, "second");
        assert!(r.route("/bar").is_none());
    }
}
