//! Linksmith: a link checker and affiliate link generator for AliExpress affiliate webmasters.
//!
//! The crate is built twice: as the server (`ssr`) and as the WASM bundle (`hydrate`).
//! - [`domain`] is the functional core: pure Rust, no I/O, no Leptos types; compiled into both.
//! - [`app`] renders and wires the pages; compiled into both.
//! - `server` is the shell (HTTP, configuration, upstream clients, the store): server only.

pub mod app;
pub mod i18n;

pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: hydrates the server-rendered page in stages (app::deferred): the
/// frame first, then the routes, the header and footer and the check page's parts, each in a task of
/// its own. The rates and campaign routes and the check page's results are lazily loaded
/// (`--split`). A lazily loaded route's parts are hydrated asynchronously (its code is fetched
/// first); the check page's synchronously, which costs a third of the asynchronous walk over the
/// same tree. A page whose results the server rendered (a shared address) first loads the results'
/// code, so that they hydrate as the server wrote them.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
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
    let lazy_route = app::LAZY_ROUTES.contains(&path.trim_end_matches('/'));
    wasm_bindgen_futures::spawn_local(async move {
        if rendered_results {
            app::load_results_code().await;
        }
        // The frame first, then each part in a task of its own (app::deferred): the routes, the
        // header and footer, the check page's form, lists and results.
        let mode = if lazy_route {
            app::HydrationMode::Async
        } else {
            app::HydrationMode::Sync
        };
        app::hydrate_in_stages(body.clone(), mode, app::App).await;
        // The whole page, lazily loaded parts too, is live: tests (and CSS) can rely on it.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
