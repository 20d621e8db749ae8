// The floor is built as `spin new` would build it: with Rust's default 1 MiB wasm stack, not
// the 256 KiB the workspace gives Healthe's components (.cargo/config.toml says why).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=1048576");
    }
}
