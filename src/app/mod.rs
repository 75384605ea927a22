//! The UI: pages and components that render domain results and wire user input.
//! Compiled into the server (SSR) and the WASM bundle (hydration). No business rules live here.

mod components;
mod deferred;
#[cfg(feature = "ssr")]
mod hydration;
mod lang;
mod layout;
mod pages;
mod words;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Meta, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    lazy_route, Lazy, LazyRoute, SsrMode, StaticSegment,
};

use crate::i18n::*;
use deferred::Deferred;
use lang::LangFromQuery;
use layout::{Footer, Header};
use pages::{campaign::CampaignPage, check::CheckPage, not_found::NotFound, rates::RatesPage};

#[cfg(feature = "hydrate")]
pub use deferred::{hydrate_in_stages, Mode as HydrationMode};
#[cfg(feature = "hydrate")]
pub use pages::check::load_results_code;
/// The page's server function for checks (its route is rate-limited like the API) and how many
/// links a shared address checks while the server renders it.
pub use pages::check::{CheckLinks, SERVER_RENDERED_LINKS};

/// The addresses of the lazily loaded routes (below): the bundle hydrates them asynchronously.
pub const LAZY_ROUTES: [&str; 2] = ["/rates", "/campaign"];

/// The product's name as users see it. The brand of the programme never appears in it.
pub const PRODUCT_NAME: &str = "Linksmith";

/// The HTML document around the app, rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use hydration::PaintFirstHydration;
    use leptos_meta::{HashedStylesheet, MetaTags};
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // The same on every page: written by the server, not a tag the page hydrates.
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <PaintFirstHydration options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <I18nContextProvider>
            <Frame />
        </I18nContextProvider>
    }
}

/// Everything inside the language context: head tags, the router and the layout.
#[component]
fn Frame() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        // The head's tags hydrate in a later task too (app::deferred).
        <Deferred>
            <Title formatter=|page: String| {
                if page.is_empty() { PRODUCT_NAME.to_string() } else { format!("{page} · {PRODUCT_NAME}") }
            } />
            <Meta name="description" content=move || t_string!(i18n, common.description) />
        </Deferred>
        <Router>
            <LangFromQuery />
            <div class="page">
                <Deferred><Header /></Deferred>
                <main id="main" class="main">
                    <Deferred>
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=StaticSegment("") view=CheckPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("rates") view={Lazy::<RatesRoute>::new()} />
                        <Route path=StaticSegment("campaign") view={Lazy::<CampaignRoute>::new()} />
                    </Routes>
                    </Deferred>
                </main>
                <Deferred><Footer /></Deferred>
            </div>
        </Router>
    }
}

// The rates and campaign pages come in bundles of their own (`cargo leptos build --split`): the
// check page, where most visits start, does not download their code.

/// `/rates`, loaded when first visited.
#[derive(Clone, Copy)]
struct RatesRoute;

#[lazy_route]
impl LazyRoute for RatesRoute {
    fn data() -> Self {
        RatesRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <RatesPage /> }.into_any()
    }
}

/// `/campaign`, loaded when first visited.
#[derive(Clone, Copy)]
struct CampaignRoute;

#[lazy_route]
impl LazyRoute for CampaignRoute {
    fn data() -> Self {
        CampaignRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <CampaignPage /> }.into_any()
    }
}
