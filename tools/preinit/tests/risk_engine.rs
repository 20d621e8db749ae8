//! The pre-initialised risk engine gives the same answers as the engine it was made from, and an
//! evaluation in it does a small fraction of the work: the models are already prepared in its
//! memory. Work is counted in wasmtime fuel (instructions, near enough), not in seconds, so the
//! check holds on a busy machine.

use std::path::Path;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, OptLevel, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({ path: "../../wit", world: "risk-engine-provider" });

use exports::healthe::platform::risk_engine::{NamedInput, Value};

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn built_engine() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = std::process::Command::new(env!("CARGO"))
        .arg("build-wasm")
        .current_dir(&root)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the wasm components failed");
    std::fs::read(root.join("target/wasm32-wasip2/release/risk_engine.wasm")).unwrap()
}

/// Goff 2013 Table A's worked example, the white woman (printed risk 2.1 %).
fn pce_inputs() -> Vec<NamedInput> {
    let number = |name: &str, v: f64| NamedInput {
        name: name.into(),
        value: Value::Number(v),
        unit: None,
    };
    let flag = |name: &str, b: bool| NamedInput {
        name: name.into(),
        value: Value::Flag(b),
        unit: None,
    };
    let choice = |name: &str, c: &str| NamedInput {
        name: name.into(),
        value: Value::Choice(c.into()),
        unit: None,
    };
    vec![
        number("age", 55.0),
        number("total_cholesterol", 213.0),
        number("hdl_cholesterol", 50.0),
        number("sbp", 120.0),
        flag("bp_treated", false),
        flag("smoker", false),
        flag("diabetes", false),
        choice("sex", "female"),
        choice("race", "white_or_other"),
    ]
}

/// Evaluates PCE in a fresh instance, as Spin would per request: (hard ASCVD risk, fuel used).
fn evaluate_fresh(engine: &Engine, component: &Component) -> (f64, u64) {
    let mut linker = Linker::<State>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let mut store = Store::new(
        engine,
        State {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        },
    );
    const BUDGET: u64 = u64::MAX / 2;
    store.set_fuel(BUDGET).unwrap();
    let provider = RiskEngineProvider::instantiate(&mut store, component, &linker).unwrap();
    let outputs = provider
        .healthe_platform_risk_engine()
        .call_evaluate(&mut store, "pce-2013", &pce_inputs())
        .unwrap()
        .unwrap_or_else(|e| panic!("evaluation failed: {e:?}"));
    let risk = outputs
        .iter()
        .find(|o| o.name == "hard_ascvd_10y")
        .expect("hard_ascvd_10y")
        .value;
    (risk, BUDGET - store.get_fuel().unwrap())
}

#[test]
fn preinitialised_engine_answers_the_same_with_a_fraction_of_the_work() {
    let original = built_engine();
    let initialised = preinit::preinitialize_bytes(&original).expect("pre-initialise");

    let mut config = Config::new();
    config.consume_fuel(true);
    // Fuel counts the same whatever the optimisation level; this only makes compiling quicker.
    config.cranelift_opt_level(OptLevel::None);
    let engine = Engine::new(&config).unwrap();
    let (risk_cold, fuel_cold) =
        evaluate_fresh(&engine, &Component::new(&engine, &original).unwrap());
    let (risk_warm, fuel_warm) =
        evaluate_fresh(&engine, &Component::new(&engine, &initialised).unwrap());

    assert_eq!(
        risk_cold.to_bits(),
        risk_warm.to_bits(),
        "same answer, bit for bit"
    );
    // Goff 2013 Table A prints 2.1 % for this profile.
    assert!(
        (risk_warm * 100.0 - 2.1).abs() < 0.1,
        "PCE risk {risk_warm}"
    );
    println!("fuel per evaluation: {fuel_cold} from cold, {fuel_warm} pre-initialised");
    assert!(
        fuel_warm * 20 < fuel_cold,
        "pre-initialised evaluation used {fuel_warm} fuel against {fuel_cold} from cold"
    );
}
