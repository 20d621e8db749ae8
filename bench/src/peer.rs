//! The peer: `bench/peer/app.py` — FastAPI, pydantic, PyJWT (EdDSA), onnxruntime running the same
//! PREVENT graph, SQLite in WAL — under one uvicorn worker, with its pinned packages in a virtual
//! environment of its own (`target/bench-peer`, made on first use from
//! `bench/peer/requirements.txt`). Started beside the app, so every diagnosis run prints Healthe
//! next to what a clinic would otherwise deploy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Peer {
    child: Child,
    pub url: String,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The virtual environment's Python, made and filled on first use.
fn python() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("BENCH_PEER_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = root().join("target/bench-peer");
    let python = venv.join("bin/python");
    let requirements = root().join("bench/peer/requirements.txt");
    let stamp = venv.join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| e.to_string())?;
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    eprintln!(
        "bench: installing the peer's pinned packages into {}",
        venv.display()
    );
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| e.to_string())?
        .success()
        && Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .map_err(|e| e.to_string())?
            .success();
    if !ok {
        return Err("pip could not install bench/peer/requirements.txt".into());
    }
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(python)
}

/// Starts the peer, verifying tokens with `public_key`; `Err` says why it could not.
pub fn start(public_key: &[u8; 32]) -> Result<Peer, String> {
    let python = python()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let dir = std::env::temp_dir().join(format!("healthe-bench-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let hex: String = public_key.iter().map(|b| format!("{b:02x}")).collect();
    let child = Command::new(python)
        .args([
            "-m",
            "uvicorn",
            "app:app",
            "--host",
            "127.0.0.1",
            "--workers",
            "1",
        ])
        .args([
            "--no-access-log",
            "--log-level",
            "warning",
            "--port",
            &port.to_string(),
        ])
        .current_dir(root().join("bench/peer"))
        .env("PEER_PUBLIC_KEY_HEX", hex)
        .env("PEER_DB", dir.join("peer.db"))
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let peer = Peer {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: TempDir(dir),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = blackbox::agent().get(format!("{}/health", peer.url)).call() {
            if r.status() == 200 {
                return Ok(peer);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the peer did not answer within 60 s".into())
}
