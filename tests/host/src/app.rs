//! Loading the app (manifest, runtime config, variables, components) and running one request
//! through a fresh component instance, as Spin does for WASI 0.2 HTTP components.

use crate::manifest::{FileMount, Manifest, RouteConfig};
use crate::outbound::AllowedHost;
use crate::routes::{RouteMatch, Router};
use crate::runtime_config::RuntimeConfig;
use crate::spin_host::KV_SCHEMA;
use crate::state::{HostState, Outbound};
use crate::variables;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::error::Context;
use wasmtime::{bail, Result};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::WasiHttpCtx;

pub struct AppOptions {
    /// The directory holding `spin.toml`; component sources and `files` resolve against it.
    pub app_dir: PathBuf,
    pub runtime_config: Option<PathBuf>,
    /// What relative SQLite paths resolve against (Spin: the working directory).
    pub working_dir: PathBuf,
    /// Where Spin's default stores live (Spin: `.spin/` beside the manifest).
    pub state_dir: PathBuf,
    /// The environment `SPIN_VARIABLE_*` values are read from.
    pub env: HashMap<String, String>,
}

/// What one component is granted, resolved once at load.
pub struct ComponentRuntime {
    pub id: String,
    pub sqlite: HashMap<String, PathBuf>,
    /// Key-value label → its store's connection, shared by every request and every component
    /// naming the same file, as Spin's SQLite key-value backend keeps one connection per store.
    pub key_value: HashMap<String, Arc<Mutex<rusqlite::Connection>>>,
    pub variables: HashMap<String, String>,
    pub allowed_hosts: Vec<AllowedHost>,
    pub environment: Vec<(String, String)>,
    files: Vec<(PathBuf, String)>,
    pre: ProxyPre<HostState>,
}

pub struct App {
    engine: Engine,
    router: Router,
    components: HashMap<String, Arc<ComponentRuntime>>,
}

/// The engine as Spin 3.x/4.x configures it (`crates/core/src/lib.rs`, `Config::default`), so
/// what the bench measures here is what `spin up` shows: epoch interruption compiled in (it adds
/// a check to every loop and call), the pooling allocator with Spin's limits, copy-on-write
/// memory images (wasmtime's default, which Spin keeps), Spin's keep-resident sizes, and the
/// on-disk compilation cache `spin up` enables unless `--disable-cache`.
fn engine() -> Result<Engine> {
    const MB: usize = 1 << 20;
    let max_instances = 1_000;
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.memory_init_cow(true);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max_instances)
        .total_memories(max_instances)
        .total_tables(2 * max_instances)
        .total_stacks(max_instances)
        .total_core_instances(4 * max_instances)
        .table_elements(100_000)
        .max_component_instance_size(10 * MB)
        .max_core_instance_size(10 * MB)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 * MB)
        .table_keep_resident(MB / 2);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Ok(cache) = wasmtime::Cache::from_file(None) {
        config.cache(Some(cache));
    }
    // For `perf record` against the bench: names the compiled wasm functions in
    // /tmp/perf-<pid>.map (Spin's `--profile` has the same effect through wasmtime).
    if std::env::var_os("HEALTHE_HOST_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config)?;
    // Spin's epoch ticker: one thread bumping the epoch every 10 ms for as long as the engine
    // lives. Requests run with Spin's deadline when no timeout is configured (`u64::MAX / 2`).
    let weak = engine.weak();
    std::thread::spawn(move || loop {
        std::thread::sleep(EPOCH_TICK);
        match weak.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    });
    Ok(engine)
}

const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

impl App {
    pub fn load(opts: &AppOptions) -> Result<Arc<App>> {
        let manifest = Manifest::load(&opts.app_dir.join("spin.toml"))?;
        std::fs::create_dir_all(&opts.state_dir)?;
        let rc = RuntimeConfig::load(
            opts.runtime_config.as_deref(),
            &opts.working_dir,
            &opts.state_dir,
        )?;
        let app_vars = variables::resolve_app(&manifest.variables, &opts.env)?;
        let engine = engine()?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::bindings::fermyon::spin::sqlite::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        crate::bindings::fermyon::spin::key_value::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        crate::bindings::fermyon::spin::variables::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        crate::bindings::wasi::keyvalue::store::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;
        crate::bindings::wasi::keyvalue::batch::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |s| s,
        )?;

        let mut components = HashMap::new();
        let mut kv_connections: HashMap<PathBuf, Arc<Mutex<rusqlite::Connection>>> = HashMap::new();
        for (id, def) in &manifest.component {
            let sqlite = grant(id, "sqlite_databases", &def.sqlite_databases, &rc.sqlite)?;
            let key_value = grant(id, "key_value_stores", &def.key_value_stores, &rc.key_value)?;
            for path in sqlite.values().chain(key_value.values()) {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            let mut kv = HashMap::new();
            for (label, path) in &key_value {
                let conn = match kv_connections.get(path) {
                    Some(conn) => conn.clone(),
                    None => {
                        let conn = rusqlite::Connection::open(path)?;
                        conn.execute(KV_SCHEMA, [])?;
                        let conn = Arc::new(Mutex::new(conn));
                        kv_connections.insert(path.clone(), conn.clone());
                        conn
                    }
                };
                kv.insert(label.clone(), conn);
            }
            let key_value = kv;
            let allowed_hosts = def
                .allowed_outbound_hosts
                .iter()
                .map(|h| AllowedHost::parse(&variables::expand(h, &app_vars)?))
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("component {id}: allowed_outbound_hosts"))?;
            let files = def
                .files
                .iter()
                .map(|f| match f {
                    FileMount::Mapping {
                        source,
                        destination,
                    } => (opts.app_dir.join(source), destination.clone()),
                    // A pattern mounts the app directory's files at their relative paths; the
                    // host mounts the pattern's base directory (see README).
                    FileMount::Pattern(p) => {
                        let base = p.split(['*', '?', '[']).next().unwrap_or("");
                        let base = Path::new(base).parent().unwrap_or(Path::new(""));
                        (opts.app_dir.join(base), format!("/{}", base.display()))
                    }
                })
                .collect();
            let source = opts.app_dir.join(&def.source);
            let component = if def.dependencies.is_empty() {
                Component::from_file(&engine, &source)
            } else {
                crate::compose::compose(&source, &def.dependencies, &opts.app_dir)
                    .and_then(|bytes| Component::from_binary(&engine, &bytes))
            }
            .with_context(|| format!("component {id}: loading {}", source.display()))?;
            let pre = ProxyPre::new(
                linker
                    .instantiate_pre(&component)
                    .with_context(|| format!("component {id}: linking"))?,
            )?;
            components.insert(
                id.clone(),
                Arc::new(ComponentRuntime {
                    id: id.clone(),
                    sqlite,
                    key_value,
                    variables: variables::resolve_component(def, &app_vars)
                        .with_context(|| format!("component {id}: variables"))?,
                    allowed_hosts,
                    environment: def
                        .environment
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    files,
                    pre,
                }),
            );
        }
        let router = Router::new(manifest.trigger.http.iter().filter_map(|t| match &t.route {
            RouteConfig::Path(p) => Some((t.component.as_str(), p.as_str())),
            RouteConfig::Private { .. } => None,
        }))
        .map_err(wasmtime::Error::msg)?;
        Ok(Arc::new(App {
            engine,
            router,
            components,
        }))
    }

    /// Routes a request from outside.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        self.router.route(path)
    }

    /// The router's order, as Spin logs it (`RUST_LOG=spin_trigger_http=trace`).
    pub fn route_order(&self) -> Vec<(String, String)> {
        self.router.order()
    }

    /// Runs a request through a fresh instance of the matched component and collects its answer.
    /// A trap is a 500, and the host keeps serving.
    pub async fn dispatch(
        self: &Arc<Self>,
        route: RouteMatch,
        parts: http::request::Parts,
        body: Bytes,
        client: SocketAddr,
    ) -> Result<http::Response<Bytes>> {
        match self.answer(route, parts, body, client).await? {
            Answer::Whole(r) => Ok(r),
            Answer::Stream(r) => {
                let (parts, body) = r.into_parts();
                let body = body
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                Ok(http::Response::from_parts(parts, body))
            }
        }
    }

    /// As [`App::dispatch`], but an event stream (`text/event-stream`) is passed on as the guest
    /// writes it, as Spin streams every body: what a client of the server sees.
    pub async fn answer(
        self: &Arc<Self>,
        route: RouteMatch,
        mut parts: http::request::Parts,
        body: Bytes,
        client: SocketAddr,
    ) -> Result<Answer> {
        let Some(component) = self.components.get(&route.component).cloned() else {
            return Ok(Answer::Whole(text(404, "no such component")));
        };
        set_spin_headers(&mut parts, &route, client);
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout().inherit_stderr();
        // wasi:sockets as Spin's outbound-networking factor grants it: TCP connections only to
        // what `allowed_outbound_hosts` names, checked by the address connected to
        // (`tcp://<ip>:<port>`), never a bind; no UDP and no name lookups are granted here.
        wasi.allow_tcp(true);
        let allowed = component.clone();
        wasi.socket_addr_check(move |addr, addr_use| {
            let allowed = allowed.clone();
            use wasmtime_wasi::sockets::SocketAddrUse;
            Box::pin(async move {
                match addr_use {
                    SocketAddrUse::TcpConnect => allowed
                        .allowed_hosts
                        .iter()
                        .any(|h| h.allows("tcp", &addr.ip().to_string(), Some(addr.port()))),
                    // wasmtime asks for the implicit bind a connect makes (the unspecified
                    // address, any port); a bind of anything else, a listen, is refused.
                    SocketAddrUse::TcpBind => addr.ip().is_unspecified() && addr.port() == 0,
                    _ => false,
                }
            })
        });
        for (k, v) in &component.environment {
            wasi.env(k, v);
        }
        for (host, guest) in &component.files {
            wasi.preopened_dir(host, guest, FsPerms::ReadOnly)?;
        }
        let state = HostState {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: Outbound {
                app: self.clone(),
                component: component.clone(),
            },
            component: component.clone(),
        };
        let mut store = Store::new(&self.engine, state);
        store.set_epoch_deadline(u64::MAX / 2);
        let request = http::Request::from_parts(
            parts,
            crate::state::full(body)
                .map_err(|never| -> wasmtime_wasi_http::Error { match never {} }),
        );
        let req = wasmtime_wasi_http::WasiHttpView::http(store.data_mut()).new_incoming_request(
            wasmtime_wasi_http::p2::bindings::http::types::Scheme::Http,
            request,
        )?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let out =
            wasmtime_wasi_http::WasiHttpView::http(store.data_mut()).new_response_outparam(tx)?;
        let pre = component.pre.clone();
        let task = tokio::spawn(async move {
            use crate::stats::{add, Kind};
            crate::stats::request();
            let t = std::time::Instant::now();
            let proxy = pre.instantiate_async(&mut store).await?;
            add(Kind::Instantiate, t);
            let t = std::time::Instant::now();
            let done = proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, req, out)
                .await;
            add(Kind::Handle, t);
            done
        });
        match rx.await {
            Ok(Ok(resp))
                if resp
                    .headers()
                    .get(http::header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) =>
            {
                let id = component.id.clone();
                tokio::spawn(async move {
                    if let Ok(Err(trap)) = task.await {
                        eprintln!("test-host: component {id} trapped while streaming: {trap:?}");
                    }
                });
                Ok(Answer::Stream(resp))
            }
            Ok(Ok(resp)) => {
                let (parts, body) = resp.into_parts();
                // The answer is whole when its body ends, as on Spin: the guest may go on working
                // after it (wasi-http lets a handler return later), and the client doesn't wait.
                match body.collect().await {
                    Ok(b) => {
                        let id = component.id.clone();
                        tokio::spawn(async move {
                            match task.await {
                                Ok(Err(trap)) => {
                                    eprintln!("test-host: component {id} trapped after answering: {trap:?}")
                                }
                                Err(join) => {
                                    eprintln!("test-host: component {id}'s task failed: {join}")
                                }
                                Ok(Ok(())) => {}
                            }
                        });
                        Ok(Answer::Whole(http::Response::from_parts(
                            parts,
                            b.to_bytes(),
                        )))
                    }
                    Err(e) => match task.await {
                        Ok(Err(trap)) => Ok(Answer::Whole(trapped(&component.id, &trap))),
                        _ => Ok(Answer::Whole(text(
                            500,
                            &format!("the component's response body failed: {e:?}"),
                        ))),
                    },
                }
            }
            Ok(Err(code)) => Ok(Answer::Whole(text(
                500,
                &format!("the component answered with an error: {code:?}"),
            ))),
            Err(_) => match task.await {
                Ok(Err(trap)) => Ok(Answer::Whole(trapped(&component.id, &trap))),
                Ok(Ok(())) => Ok(Answer::Whole(text(
                    500,
                    "the component never sent a response",
                ))),
                Err(join) => Ok(Answer::Whole(text(
                    500,
                    &format!("the component's task failed: {join}"),
                ))),
            },
        }
    }
}

/// A component's answer: read whole, or an event stream still being written.
pub enum Answer {
    Whole(http::Response<Bytes>),
    Stream(http::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>),
}

fn trapped(id: &str, trap: &wasmtime::Error) -> http::Response<Bytes> {
    eprintln!("test-host: component {id} trapped: {trap:?}");
    text(500, "the component trapped")
}

pub fn text(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Bytes::from(body.to_string()))
        .expect("static response")
}

/// The labels a component names, resolved; naming one the runtime config does not define stops
/// the app from starting, as in Spin.
fn grant(
    id: &str,
    what: &str,
    labels: &[String],
    defined: &std::collections::BTreeMap<String, PathBuf>,
) -> Result<HashMap<String, PathBuf>> {
    labels
        .iter()
        .map(|l| match defined.get(l) {
            Some(p) => Ok((l.clone(), p.clone())),
            None => {
                bail!("component {id} uses {what} label {l:?}, which no runtime config defines")
            }
        })
        .collect()
}

/// The headers a component sees, built as Spin's HTTP trigger builds them
/// (`crates/trigger-http/src/headers.rs`): `strip_forbidden_headers` drops `Connection` (and a
/// service-chaining `Host`), `prepare_request_headers` lists the client's headers in their order
/// and then Spin's own, and the WASI executor clears the map and `extend`s it with that list —
/// which *appends*. So a client that sends its own `spin-client-addr` has it come first, and
/// Spin's value is the last one, exactly as on Spin.
fn set_spin_headers(parts: &mut http::request::Parts, route: &RouteMatch, client: SocketAddr) {
    parts.headers.remove(http::header::CONNECTION);
    if parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(crate::outbound::is_service_chaining_host)
    {
        parts.headers.remove(http::header::HOST);
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let scheme = parts.uri.scheme_str().unwrap_or("http").to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    // compute_default_headers, in its order.
    let mut spin: Vec<(String, String)> = vec![
        ("spin-path-info".into(), route.path_info.clone()),
        (
            "spin-full-url".into(),
            format!("{scheme}://{host}{path_and_query}"),
        ),
        ("spin-matched-route".into(), route.based_route.clone()),
        ("spin-base-path".into(), "/".into()),
        ("spin-raw-component-route".into(), route.raw_route.clone()),
        ("spin-component-route".into(), route.component_route()),
        ("spin-client-addr".into(), client.to_string()),
    ];
    for (name, value) in &route.params {
        spin.push((crate::routes::path_match_header(name), value.clone()));
    }
    // The client's headers stay first, in their order; `extend` appends Spin's after them.
    parts.headers.extend(spin.into_iter().filter_map(|(n, v)| {
        Some((
            http::HeaderName::try_from(n).ok()?,
            http::HeaderValue::try_from(v).ok()?,
        ))
    }));
    // wasi-http needs an authority: from the URI, else from Host.
    if parts.uri.authority().is_none() {
        if let Ok(uri) = format!("{scheme}://{host}{path_and_query}").parse() {
            parts.uri = uri;
        }
    }
}
