//! The bench's floor (not part of Healthe): the smallest spin-sdk HTTP component. A plain route of
//! a Healthe service is measured beside it, so what the service's own start-up and routing cost
//! shows as a ratio.

#[cfg(target_arch = "wasm32")]
#[spin_sdk::http_component]
fn handle(_req: spin_sdk::http::Request) -> spin_sdk::http::Response {
    spin_sdk::http::Response::new(200, "hello")
}
