//! `healthe-preinit INPUT.wasm OUTPUT.wasm`: pre-initialises a component (see the library docs).
//! Run by `spin build` (spin.toml) and by the tests.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: healthe-preinit INPUT.wasm OUTPUT.wasm");
        return ExitCode::from(2);
    };
    match preinit::preinitialize(input, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("healthe-preinit: {e:?}");
            ExitCode::FAILURE
        }
    }
}
