//! Linksmith: a link checker and affiliate link generator for AliExpress affiliate webmasters.
//!
//! The crate is built twice: as the server (`ssr`) and as the WASM bundle (`hydrate`).
//! - [`domain`] is the functional core: pure Rust, no I/O, no Leptos types; compiled into both.
//! - [`app`] renders and wires the pages; compiled into both.
//! - `server` is the shell (HTTP, configuration, upstream clients, the store): server only.

pub mod app;

pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: hydrates the server-rendered page in stages (app::deferred): the
/// frame first, then the page, the header and footer and the check page's parts, each in a task of
/// its own. The rates and campaign pages and the check page's results are lazily loaded
/// (`--split`): on those pages, and on a check page whose results the server rendered (a shared
/// address), that code is loaded first, so that the page hydrates at once, as the server wrote it.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    let document = leptos::prelude::document();
    let Some(body) = document.body() else { return };
    let rendered_results = document
        .query_selector("[data-testid=results]")
        .ok()
        .flatten()
        .is_some();
    let path = leptos::prelude::window()
        .location()
        .pathname()
        .unwrap_or_default();
    let page = app::Page::of_path(&path);
    wasm_bindgen_futures::spawn_local(async move {
        if rendered_results {
            app::load_results_code().await;
        }
        app::load_page_code(page).await;
        // The frame first, then each part in a task of its own (app::deferred): the page, the
        // header and footer, the check page's form, lists and results.
        app::hydrate_in_stages(body.clone(), app::App).await;
        // The whole page, lazily loaded parts too, is live: tests (and CSS) can rely on it.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
