//! Linksmith: a link checker and affiliate link generator for AliExpress affiliate webmasters.
//!
//! The crate is built twice: as the server (`ssr`) and as the WASM bundle (`hydrate`).
//! - [`domain`] is the functional core: pure Rust, no I/O, no Leptos types; compiled into both.
//! - [`app`] renders and wires the pages; compiled into both.
//! - `server` is the shell (HTTP, configuration, upstream clients, the store): server only.

pub mod app;
// The translations (locales/*.json), compiled by build.rs into the `i18n` module.
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
