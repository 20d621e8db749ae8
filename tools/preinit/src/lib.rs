//! Build-time pre-initialisation of components with Wizer.
//!
//! Spin gives every request a fresh instance, so anything a component does on first use is done
//! on every request. The risk engine's first use parses and optimises its ONNX models (tens of
//! milliseconds) against microseconds to run them. [`preinitialize`] instantiates the component
//! once, calls its `wizer-initialize` export, and writes a component whose memory already holds
//! that state. The export is kept (`keep_init_func`): without it Wizer's output is not a valid
//! component.

use std::path::Path;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{error::Context as _, Config, Engine, Result, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wizer::Wizer;

/// The export Wizer calls. Part of `wit/risk-engine.wit`'s provider world.
pub const INIT_FUNC: &str = "wizer-initialize";

/// The initialiser runs with WASI but with nothing granted: no directories, no network, no
/// environment. Whatever it could observe from the build machine would be frozen into the
/// snapshot, so it is given nothing to observe.
struct Init {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Init {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Pre-initialises the component in `wasm` and returns the new component's bytes.
pub fn preinitialize_bytes(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config)?;
    let mut linker = Linker::<Init>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    let mut store = Store::new(
        &engine,
        Init {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        },
    );
    let mut wizer = Wizer::new();
    wizer.init_func(INIT_FUNC).keep_init_func(true);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let (snapshot, _) = runtime.block_on(wizer.run_component(
        &mut store,
        wasm,
        async |store, component| linker.instantiate_async(store, component).await,
    ))?;
    Ok(snapshot)
}

/// Pre-initialises the component at `input` into `output`, unless `output` is already newer.
pub fn preinitialize(input: &Path, output: &Path) -> Result<()> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(done)) = (modified(input), modified(output)) {
        if done > built {
            return Ok(());
        }
    }
    let wasm = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let snapshot = preinitialize_bytes(&wasm)
        .with_context(|| format!("pre-initialising {}", input.display()))?;
    // Written beside the target and renamed, so a reader never sees half a component.
    let partial = output.with_extension("wasm.partial");
    std::fs::write(&partial, &snapshot)
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, output).with_context(|| format!("writing {}", output.display()))?;
    Ok(())
}
