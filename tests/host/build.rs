//! Generates the bindings of Spin's host interfaces from the WIT shipped inside the `spin-sdk`
//! crate the components depend on (a build-dependency here, so it is always downloaded), instead
//! of keeping a copy in the repository. The version comes from the workspace's Cargo.lock, so host
//! and guests always agree.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let lock_path = manifest_dir.join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).expect("read Cargo.lock");
    let version = spin_sdk_version(&lock).expect("spin-sdk is in Cargo.lock");
    let wit = find_wit(&version).unwrap_or_else(|| {
        panic!("spin-sdk {version}'s WIT not found in the cargo registry; run `cargo fetch`")
    });
    // Only Spin's own package (the `fermyon:spin@2.0.0` interfaces) and wasi:keyvalue are
    // bound; the SDK's WIT folder also holds WASI 0.3 drafts that need unstable wasmtime features. Its `world.wit`
    // pulls in WASI, which the host takes from wasmtime-wasi instead.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let staged = out_dir.join("spin-wit");
    let _ = std::fs::remove_dir_all(&staged);
    std::fs::create_dir_all(&staged).unwrap();
    for entry in std::fs::read_dir(wit.join("deps/spin@2.0.0"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name();
        if name != "world.wit" {
            std::fs::copy(entry.path(), staged.join(&name)).unwrap();
        }
    }
    std::fs::write(staged.join("package.wit"), "package fermyon:spin@2.0.0;\n").unwrap();
    // And `wasi:keyvalue@0.2.0-draft2`, which Spin serves from the same stores: its `batch`
    // reads several keys in one call.
    let keyvalue = staged.join("deps/keyvalue");
    std::fs::create_dir_all(&keyvalue).unwrap();
    for entry in std::fs::read_dir(wit.join("deps/keyvalue-2024-10-17"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(entry.path(), keyvalue.join(entry.file_name())).unwrap();
    }
    let wit = staged;
    let out = out_dir.join("spin_bindings.rs");
    let code = format!(
        r#"wasmtime::component::bindgen!({{
    path: {wit:?},
    interfaces: "
        import fermyon:spin/sqlite@2.0.0;
        import fermyon:spin/key-value@2.0.0;
        import fermyon:spin/variables@2.0.0;
        import wasi:keyvalue/store@0.2.0-draft2;
        import wasi:keyvalue/batch@0.2.0-draft2;
    ",
    // Async on the host, as Spin's are: SQLite statements run on tokio's blocking pool
    // (`spawn_blocking`, spin-sqlite-inproc), key-value calls in `block_in_place`.
    imports: {{ default: async }},
    with: {{
        "fermyon:spin/sqlite.connection": crate::spin_host::SqliteConnection,
        "fermyon:spin/key-value.store": crate::spin_host::KvStore,
        "wasi:keyvalue/store.bucket": crate::spin_host::KvStore,
    }},
}});
"#,
        wit = wit.display().to_string()
    );
    std::fs::write(out, code).unwrap();
}

fn spin_sdk_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"spin-sdk\"" {
            let v = lines.next()?;
            return v
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_string);
        }
    }
    None
}

fn find_wit(version: &str) -> Option<PathBuf> {
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let src = cargo_home.join("registry/src");
    for index in std::fs::read_dir(&src).ok()?.flatten() {
        let candidate: PathBuf = index.path().join(format!("spin-sdk-{version}")).join("wit");
        if is_dir(&candidate) {
            return Some(candidate);
        }
    }
    None
}

fn is_dir(p: &Path) -> bool {
    p.is_dir()
}
