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
        options: Option<RequestOptions>,
        fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        drop(fut);
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
                let client = "127.0.0.1:0".parse().unwrap();
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
            let (resp, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                resp.map(|b| b.boxed_unsync()),
                Box::new(io) as Box<dyn std::future::Future<Output = _> + Send>,
            ))
        })
    }
}

/// For bodies the host builds itself.
pub fn full(bytes: Bytes) -> Full<Bytes> {
    Full::new(bytes)
}
