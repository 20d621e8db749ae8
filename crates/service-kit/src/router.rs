//! One route table per service, declared once: method, path pattern, handler. 404 and 405 (with
//! `Allow`) fall out of the table, the health route is an entry like any other, and the same
//! table is what the OpenAPI test compares the published contract against.
//!
//! Patterns are `matchit`'s: `/api/booking/doctors/{id}`. A static segment outranks a parameter
//! at the same place, so `/appointments/{id}/review` and `/appointments/{id}/{action}` coexist.
//! Everything here is plain Rust over `http` types: the whole request path runs natively.

use crate::http::{finish, json, Method, Reply, Request, Response};
use crate::problem::Problem;
use http::StatusCode;

/// What a route runs: the request, the service's context, the path's parameters.
pub type Handler<C> = fn(&Request, &C, &Params) -> Reply;

/// A service: its name (its database label, its audit log's service, its health answer), its
/// context type, its route table, and what runs before any handler.
pub trait Service {
    const NAME: &'static str;
    type Ctx<'a>;
    fn routes<'a>() -> Routes<Self::Ctx<'a>>;
    /// Runs once before the matched handler (not before health): migrations, bootstrap.
    fn prepare(_ctx: &Self::Ctx<'_>) -> Result<(), Problem> {
        Ok(())
    }
}

/// Routes `req` through `S`'s table with `ctx`: the native entry every test uses.
pub fn dispatch<S: Service>(req: &Request, ctx: &S::Ctx<'_>) -> Response {
    match S::routes().find(req) {
        Ok(Found::Health) => health(S::NAME),
        Ok(Found::Route(route)) => route.run::<S>(req, ctx),
        Err(p) => crate::http::problem_response(&p),
    }
}

/// The liveness answer: no database, no token — the baseline benchmarks compare against.
pub fn health(service: &str) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({"status": "ok", "service": service}),
    )
}

/// The path parameters a pattern captured, by name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The parameter's raw (still percent-encoded) segment; empty when the pattern has none of
    /// that name (a table bug, caught by the route tests).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

enum Endpoint<C> {
    Health,
    Handler(Handler<C>),
}

/// One line of a table.
pub struct Route<C> {
    pub method: Method,
    pub path: &'static str,
    endpoint: Endpoint<C>,
}

/// What a request matched: the health route (answered without a context), or a handler.
pub enum Found<C> {
    Health,
    Route(Matched<C>),
}

/// A matched handler route: its pattern, its handler, the parameters the path gave.
pub struct Matched<C> {
    pub path: &'static str,
    handler: Handler<C>,
    params: Params,
}

impl<C> Matched<C> {
    /// Runs the service's `prepare`, then the handler: what both entries (native and Spin) do
    /// once they have the context.
    pub fn run<'c, S: Service<Ctx<'c> = C>>(&self, req: &Request, ctx: &C) -> Response {
        finish(S::prepare(ctx).and_then(|()| (self.handler)(req, ctx, &self.params)))
    }
}

/// A service's route table.
pub struct Routes<C> {
    pub service: &'static str,
    routes: Vec<Route<C>>,
}

impl<C> Routes<C> {
    pub fn new(service: &'static str) -> Self {
        Routes {
            service,
            routes: Vec::new(),
        }
    }

    /// The liveness route at `path`, answered without database or token.
    pub fn health(mut self, path: &'static str) -> Self {
        self.routes.push(Route {
            method: Method::GET,
            path,
            endpoint: Endpoint::Health,
        });
        self
    }

    pub fn route(mut self, method: Method, path: &'static str, handler: Handler<C>) -> Self {
        self.routes.push(Route {
            method,
            path,
            endpoint: Endpoint::Handler(handler),
        });
        self
    }

    pub fn get(self, path: &'static str, handler: Handler<C>) -> Self {
        self.route(Method::GET, path, handler)
    }
    pub fn post(self, path: &'static str, handler: Handler<C>) -> Self {
        self.route(Method::POST, path, handler)
    }
    pub fn put(self, path: &'static str, handler: Handler<C>) -> Self {
        self.route(Method::PUT, path, handler)
    }
    pub fn patch(self, path: &'static str, handler: Handler<C>) -> Self {
        self.route(Method::PATCH, path, handler)
    }
    pub fn delete(self, path: &'static str, handler: Handler<C>) -> Self {
        self.route(Method::DELETE, path, handler)
    }

    /// Every (method, pattern) of the table, in order.
    pub fn list(&self) -> impl Iterator<Item = (&Method, &'static str)> {
        self.routes.iter().map(|r| (&r.method, r.path))
    }

    /// The route `req` names: 404 when no pattern matches its path, 405 with `Allow` when one
    /// does but not for its method. Empty segments (`//`, a trailing `/`) are ignored.
    pub fn find(&self, req: &Request) -> Result<Found<C>, Problem> {
        let mut paths = matchit::Router::new();
        let mut patterns: Vec<&'static str> = Vec::new();
        for r in &self.routes {
            if !patterns.contains(&r.path) {
                // A pattern the router refuses is a table bug; the table tests build every one.
                let _ = paths.insert(r.path, patterns.len());
                patterns.push(r.path);
            }
        }
        let path: String = req
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .flat_map(|s| ["/", s])
            .collect();
        let path = if path.is_empty() { "/".into() } else { path };
        let Ok(matched) = paths.at(&path) else {
            return Err(Problem::not_found(format!(
                "no such {} resource",
                self.service
            )));
        };
        let pattern = patterns[*matched.value];
        let params = Params(
            matched
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let on_path = || self.routes.iter().filter(move |r| r.path == pattern);
        match on_path().find(|r| r.method == *req.method()) {
            Some(Route {
                endpoint: Endpoint::Health,
                ..
            }) => Ok(Found::Health),
            Some(Route {
                endpoint: Endpoint::Handler(handler),
                path,
                ..
            }) => Ok(Found::Route(Matched {
                path,
                handler: *handler,
                params,
            })),
            None => {
                let allow: Vec<&str> = on_path().map(|r| r.method.as_str()).collect();
                Err(Problem::method_not_allowed().with_allow(allow.join(", ")))
            }
        }
    }

    /// Every pattern the table declares is one `matchit` accepts, with no two conflicting.
    pub fn check(&self) -> Result<(), String> {
        let mut paths = matchit::Router::new();
        let mut seen: Vec<(&Method, &str)> = Vec::new();
        for r in &self.routes {
            if seen.contains(&(&r.method, r.path)) {
                return Err(format!("{} {} is declared twice", r.method, r.path));
            }
            seen.push((&r.method, r.path));
            if seen.iter().filter(|(_, p)| *p == r.path).count() == 1 {
                paths
                    .insert(r.path, ())
                    .map_err(|e| format!("{}: {e}", r.path))?;
            }
        }
        Ok(())
    }
}

/// Compares a route table with an OpenAPI document's `paths` (the component's `openapi.json`):
/// every route documented, every documented operation routed. Catch-all patterns (`{*rest}`,
/// the portal's static files) are not API and are not compared. Also checks the table itself.
pub fn check_documented<C>(routes: &Routes<C>, openapi: &str) -> Result<(), String> {
    routes.check()?;
    let doc: serde_json::Value =
        serde_json::from_str(openapi).map_err(|e| format!("openapi.json: {e}"))?;
    let mut problems = Vec::new();
    let table: Vec<(String, &str)> = routes
        .list()
        .filter(|(_, p)| !p.contains("{*"))
        .map(|(m, p)| (m.as_str().to_ascii_lowercase(), p))
        .collect();
    for (method, path) in &table {
        let op = &doc["paths"][*path][method.as_str()];
        if !op.is_object() {
            problems.push(format!(
                "{} {path} is routed but not documented",
                method.to_uppercase()
            ));
        } else if op["operationId"].as_str().is_none() || op["responses"].as_object().is_none() {
            problems.push(format!(
                "{} {path} has no operationId or responses",
                method.to_uppercase()
            ));
        }
    }
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if ["parameters", "summary", "description", "servers"].contains(&method.as_str()) {
                continue;
            }
            if !table.iter().any(|(m, p)| m == method && p == path) {
                problems.push(format!(
                    "{} {path} is documented but not routed",
                    method.to_uppercase()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// A component's standard pieces, from its `Service` type: `handle`, the native entry every
/// test calls ([`dispatch`]); the `#[http_component]` entry (wasm only), which is
/// [`crate::spin::run`]; and the unit test holding its route table to its `openapi.json`
/// ([`check_documented`]).
///
/// ```ignore
/// service_kit::component!(Booking);
/// ```
#[macro_export]
macro_rules! component {
    ($service:ty) => {
        /// Handles one request natively (tests); in wasm, the entry below runs it.
        pub fn handle(
            req: &$crate::http::Request,
            ctx: &<$service as $crate::router::Service>::Ctx<'_>,
        ) -> $crate::http::Response {
            $crate::router::dispatch::<$service>(req, ctx)
        }

        #[cfg(target_arch = "wasm32")]
        #[spin_sdk::http_component]
        async fn spin_entry(
            req: spin_sdk::http::IncomingRequest,
            out: spin_sdk::http::ResponseOutparam,
        ) {
            $crate::spin::run::<$service>(req, out).await
        }

        /// The route table and the published contract (`openapi.json`) name the same operations.
        #[cfg(test)]
        #[test]
        fn every_route_is_documented_and_every_documented_operation_is_routed() {
            use $crate::router::Service as _;
            let routes = <$service>::routes();
            $crate::router::check_documented(
                &routes,
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;

    fn table() -> Routes<Ctx> {
        Routes::new("demo")
            .health("/api/demo/health")
            .get("/api/demo/things", |_, _, _| {
                Ok(json(StatusCode::OK, &"list"))
            })
            .post("/api/demo/things", |_, _, _| {
                Ok(json(StatusCode::CREATED, &"made"))
            })
            .get("/api/demo/things/{id}", |_, _, p| {
                Ok(json(StatusCode::OK, &p.get("id")))
            })
            .post("/api/demo/things/{id}/review", |_, _, _| {
                Ok(json(StatusCode::OK, &"review"))
            })
            .post("/api/demo/things/{id}/{action}", |_, _, p| {
                Ok(json(StatusCode::OK, &p.get("action")))
            })
    }

    fn req(method: Method, path: &str) -> Request {
        http::Request::builder()
            .method(method)
            .uri(path)
            .body(vec![])
            .unwrap()
    }

    fn answer(method: Method, path: &str) -> (u16, String, Option<String>) {
        let t = table();
        let r = match t.find(&req(method, path)) {
            Ok(Found::Health) => health("demo"),
            Ok(Found::Route(m)) => finish((m.handler)(&req(Method::GET, path), &Ctx, &m.params)),
            Err(p) => crate::http::problem_response(&p),
        };
        let allow = r
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        (
            r.status().as_u16(),
            String::from_utf8(r.body().clone()).unwrap(),
            allow,
        )
    }

    #[test]
    fn the_table_is_valid() {
        table().check().unwrap();
        let dup = table().get("/api/demo/things", |_, _, _| Ok(health("x")));
        assert!(dup.check().is_err());
    }

    #[test]
    fn routes_params_404_and_405_come_from_the_table() {
        assert_eq!(answer(Method::GET, "/api/demo/things").1, "\"list\"");
        assert_eq!(answer(Method::GET, "/api/demo/things/").1, "\"list\"");
        assert_eq!(answer(Method::GET, "/api/demo/things/a1").1, "\"a1\"");
        assert_eq!(
            answer(Method::POST, "/api/demo/things/a1/review").1,
            "\"review\""
        );
        assert_eq!(
            answer(Method::POST, "/api/demo/things/a1/cancel").1,
            "\"cancel\""
        );
        assert!(answer(Method::GET, "/api/demo/health")
            .1
            .contains("\"demo\""));
        let (status, body, allow) = answer(Method::DELETE, "/api/demo/things");
        assert_eq!(status, 405);
        assert!(body.contains("method-not-allowed"));
        assert_eq!(allow.as_deref(), Some("GET, POST"));
        assert_eq!(answer(Method::GET, "/api/demo/nothing").0, 404);
        assert_eq!(answer(Method::GET, "/api/demo/things/a/b/c").0, 404);
    }
}
