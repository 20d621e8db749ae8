//! `healthe-test-host [--listen ADDR] [--runtime-config-file FILE] [--state-dir DIR] [APP_DIR]`
//! serves the app the way `spin up` would, for trying it out where Spin is not installed.

use std::path::PathBuf;
use test_host::{spawn, AppOptions};
use wasmtime::error::Context;
use wasmtime::Result;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut listen = "127.0.0.1:3000".to_string();
    let mut runtime_config = None;
    let mut state_dir = None;
    let mut app_dir = PathBuf::from(".");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().context("--listen ADDR")?,
            "--runtime-config-file" => {
                runtime_config = Some(PathBuf::from(
                    args.next().context("--runtime-config-file FILE")?,
                ))
            }
            "--state-dir" => {
                state_dir = Some(PathBuf::from(args.next().context("--state-dir DIR")?))
            }
            other => app_dir = PathBuf::from(other),
        }
    }
    let working_dir = std::env::current_dir()?;
    let host = spawn(
        AppOptions {
            state_dir: state_dir.unwrap_or_else(|| app_dir.join(".spin")),
            app_dir,
            runtime_config,
            working_dir,
            env: std::env::vars().collect(),
        },
        listen.parse()?,
    )?;
    println!("Serving http://{}", host.addr);
    loop {
        std::thread::park();
    }
}
