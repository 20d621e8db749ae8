//! Serves the app over HTTP/1.1 on a local port.

use crate::app::{text, Answer, App, AppOptions};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use wasmtime::Result;

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>;

async fn serve_one(
    app: Arc<App>,
    req: hyper::Request<Incoming>,
    client: SocketAddr,
) -> http::Response<Body> {
    let whole = |r: http::Response<Bytes>| {
        r.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync())
    };
    let (parts, body) = req.into_parts();
    match body.collect().await {
        Err(e) => whole(text(400, &format!("could not read the request body: {e}"))),
        Ok(body) => match app.route(parts.uri.path()) {
            None => whole(text(404, "Not Found")),
            Some(route) => match app.answer(route, parts, body.to_bytes(), client).await {
                Ok(Answer::Whole(r)) => whole(r),
                Ok(Answer::Stream(r)) => r,
                Err(e) => whole(text(500, &format!("host error: {e:#}"))),
            },
        },
    }
}

/// Accepts connections until the listener fails.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<()> {
    loop {
        let (stream, client) = listener.accept().await?;
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(serve_one(app, req, client).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A host running on its own thread.
pub struct RunningHost {
    pub addr: SocketAddr,
}

/// Loads the app and serves it on `listen` (port 0: any free port) from a background thread.
pub fn spawn(opts: AppOptions, listen: SocketAddr) -> Result<RunningHost> {
    let (tx, rx) = std::sync::mpsc::channel::<Result<SocketAddr>>();
    std::thread::spawn(move || {
        // Spin runs on `#[tokio::main]`: one worker per core, blocking host calls (SQLite,
        // key-value) moved off them with `spawn_blocking`, as here in spin_host.rs.
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return drop(tx.send(Err(e.into()))),
        };
        rt.block_on(async move {
            let started = async {
                let app = App::load(&opts)?;
                let listener = tokio::net::TcpListener::bind(listen).await?;
                Ok::<_, wasmtime::Error>((app, listener))
            }
            .await;
            match started {
                Err(e) => drop(tx.send(Err(e))),
                Ok((app, listener)) => {
                    let _ = tx.send(Ok(listener.local_addr().expect("bound")));
                    if let Err(e) = serve(app, listener).await {
                        eprintln!("test-host: server stopped: {e:#}");
                    }
                }
            }
        });
    });
    let addr = rx.recv()??;
    Ok(RunningHost { addr })
}
