//! The per-request store data: WASI, WASI HTTP, the resource table, the component's grants, and
//! the outbound hook that enforces `allowed_outbound_hosts` and serves service chaining in-process.

use crate::app::{App, ComponentRuntime};
use crate::outbound::chaining_target;
use crate::routes::RouteMatch;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

pub struct HostState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub outbound: Outbound,
    pub component: Arc<ComponentRuntime>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

/// Outbound HTTP for one component instance.
pub struct Outbound {
    pub app: Arc<App>,
    pub component: Arc<ComponentRuntime>,
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        // Timeouts: the components set none, and the host's loopback peers answer at once.
        _options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let started = std::time::Instant::now();
        let sending = Box::into_pin(self.send(request));
        Box::new(async move {
            let answer = sending.await;
            crate::stats::add(crate::stats::Kind::Outbound, started);
            answer
        })
    }
}

impl Outbound {
    fn send(&mut self, request: http::Request<WasiBody>) -> SendFuture {
        let uri = request.uri().clone();
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        let host = uri.host().unwrap_or("").to_string();
        let port = uri.port_u16();
        let allowed = self
            .component
            .allowed_hosts
            .iter()
            .any(|a| a.allows(&scheme, &host, port));
        if !allowed {
            eprintln!(
                "test-host: component {} may not send to {scheme}://{host}{} (not in allowed_outbound_hosts)",
                self.component.id,
                port.map(|p| format!(":{p}")).unwrap_or_default()
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        if let Some(target) = chaining_target(&host) {
            let app = self.app.clone();
            let target = target.to_string();
            return Box::new(async move {
                let (mut parts, body) = request.into_parts();
                // As Spin does: the Host header naming a chaining host is not passed on.
                parts.headers.remove(http::header::HOST);
                let body = body.collect().await?.to_bytes();
                let path = parts.uri.path().to_string();
                let route = RouteMatch::synthetic(&target, &path);
                // Spin's `CHAINED_CLIENT_ADDR` (trigger-http's outbound_http.rs): no TCP peer
                // has it, which is how a component knows a request came from inside the app.
                let client = "0.0.0.0:0".parse().unwrap();
                let resp = app
                    .dispatch(route, parts, body, client)
                    .await
                    .map_err(|e| HttpError::InternalError(Some(e.to_string())))?;
                let resp =
                    resp.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync());
                Ok((
                    resp,
                    Box::new(async { Ok(()) }) as Box<dyn std::future::Future<Output = _> + Send>,
                ))
            });
        }
        Box::new(async move {
            let resp = send_plain(request).await?;
            Ok((
                resp.map(|b| b.map_err(HttpError::from).boxed_unsync()),
                Box::new(async { Ok(()) }) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

/// A request to a host outside the app (an `auth_url` set to a public URL, say), over plain
/// HTTP/1.1. Tests never leave loopback, so the host carries no TLS stack (wasmtime-wasi-http's
/// default sender would compile one for nothing); `https` is refused as unreachable.
async fn send_plain(
    request: http::Request<WasiBody>,
) -> Result<http::Response<hyper::body::Incoming>, HttpError> {
    let uri = request.uri().clone();
    if uri.scheme_str() != Some("http") {
        return Err(HttpError::HttpProtocolError);
    }
    let host = uri.host().ok_or(HttpError::HttpRequestUriInvalid)?;
    let stream = tokio::net::TcpStream::connect((host, uri.port_u16().unwrap_or(80)))
        .await
        .map_err(|_| HttpError::ConnectionRefused)?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(HttpError::from)?;
    tokio::spawn(conn);
    let (mut parts, body) = request.into_parts();
    if let Some(authority) = uri.authority() {
        if let Ok(value) = http::HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(http::header::HOST, value);
        }
    }
    // HTTP/1.1 sends the path alone; the authority went into `Host`.
    parts.uri = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;
    sender
        .send_request(http::Request::from_parts(parts, body))
        .await
        .map_err(HttpError::from)
}

/// For bodies the host builds itself.
pub fn full(bytes: Bytes) -> Full<Bytes> {
    Full::new(bytes)
}
