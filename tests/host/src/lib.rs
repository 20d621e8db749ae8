//! A small Spin-compatible host, so CI can drive Healthe's real components over HTTP without Spin
//! (which cannot be installed on the project's machines). It reads `spin.toml` and the runtime
//! config and follows Spin's semantics for what the app uses; where it differs on purpose,
//! `README.md` beside this crate says so.

pub mod app;
pub mod compose;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime_config;
pub mod server;
pub mod spin_host;
pub mod state;
pub mod stats;
pub mod variables;

/// Bindings of Spin's host interfaces, generated from the `spin-sdk` crate's WIT (see build.rs).
pub mod bindings {
    include!(concat!(env!("OUT_DIR"), "/spin_bindings.rs"));
}

pub use app::{App, AppOptions};
pub use server::{spawn, RunningHost};
