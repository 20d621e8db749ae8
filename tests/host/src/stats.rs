//! Where a request's time goes inside the host, for the bench (which runs the host in its own
//! process and reads these between scenarios): instantiation, the whole guest call, and the
//! time spent in each kind of host call. Relaxed atomics: a few nanoseconds a call, and the
//! figures are sums, read when the load has stopped.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `InstancePre::instantiate_async`: the pooling allocator, CoW memory image, start.
    Instantiate,
    /// The guest's `handle` from call to return, host calls included.
    Handle,
    /// Making the rusqlite connection, at a connection's first statement (Spin opens lazily).
    SqliteOpen,
    /// `fermyon:spin/sqlite` `execute`, from the guest's call to its return.
    SqliteExecute,
    /// Dropping a connection (in WAL mode the last close checkpoints).
    SqliteClose,
    KeyValue,
    Variables,
    /// An outbound request, to the response head.
    Outbound,
}

const KINDS: usize = 8;

pub const ALL: [Kind; KINDS] = [
    Kind::Instantiate,
    Kind::Handle,
    Kind::SqliteOpen,
    Kind::SqliteExecute,
    Kind::SqliteClose,
    Kind::KeyValue,
    Kind::Variables,
    Kind::Outbound,
];

struct Slot {
    nanos: AtomicU64,
    count: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise the array
const EMPTY: Slot = Slot {
    nanos: AtomicU64::new(0),
    count: AtomicU64::new(0),
};
static SLOTS: [Slot; KINDS] = [EMPTY; KINDS];
static REQUESTS: AtomicU64 = AtomicU64::new(0);

fn slot(kind: Kind) -> &'static Slot {
    &SLOTS[ALL.iter().position(|k| *k == kind).expect("listed")]
}

/// Adds the time since `started` to `kind`.
pub fn add(kind: Kind, started: Instant) {
    let s = slot(kind);
    s.nanos
        .fetch_add(started.elapsed().as_nanos() as u64, Relaxed);
    s.count.fetch_add(1, Relaxed);
}

/// Runs `f`, adding its time to `kind`.
pub fn timed<T>(kind: Kind, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    add(kind, started);
    out
}

pub fn request() {
    REQUESTS.fetch_add(1, Relaxed);
}

/// Totals since the last [`reset`].
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub requests: u64,
    /// Per kind, in [`ALL`]'s order: total nanoseconds and calls.
    pub by_kind: Vec<(Kind, u64, u64)>,
}

pub fn reset() {
    REQUESTS.store(0, Relaxed);
    for s in &SLOTS {
        s.nanos.store(0, Relaxed);
        s.count.store(0, Relaxed);
    }
}

pub fn totals() -> Totals {
    Totals {
        requests: REQUESTS.load(Relaxed),
        by_kind: ALL
            .iter()
            .map(|k| {
                let s = slot(*k);
                (*k, s.nanos.load(Relaxed), s.count.load(Relaxed))
            })
            .collect(),
    }
}
