//! The UI: pages and components that render domain results and wire user input.
//! Compiled into the server (SSR) and the WASM bundle (hydration). No business rules live here.

mod codec;
mod components;
mod deferred;
#[cfg(feature = "ssr")]
mod hydration;
pub mod i18n;
mod lang;
mod layout;
mod pages;
mod route;
mod words;

use leptos::lazy;
use leptos::prelude::*;

use crate::app::i18n::*;
use deferred::Deferred;
pub use lang::query_locale;
use lang::LangFromQuery;
use layout::{Footer, Header};
use pages::{campaign::CampaignPage, check::CheckPage, not_found::NotFound, rates::RatesPage};

#[cfg(feature = "hydrate")]
pub use deferred::hydrate_in_stages;
#[cfg(feature = "hydrate")]
pub use pages::check::load_results_code;
/// The page's server function for checks (its route is rate-limited like the API) and how many
/// links a shared address checks while the server renders it.
pub use pages::check::{
    CheckAnswer, CheckLinks, CheckLinksError, CheckSetup, PageSetup, SERVER_RENDERED_LINKS,
};

/// The rates page's server function and what it answers (read by the page with `domain::json`).
pub use pages::rates::{LoadRates, RatesData};
pub use route::Page;

/// The product's name as users see it. The brand of the programme never appears in it.
pub const PRODUCT_NAME: &str = "Linksmith";

/// The HTML document around the app, rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use hydration::PaintFirstHydration;
    use leptos_meta::HashedStylesheet;
    // The head is written for the request's language and page, as the app below renders them (in
    // the browser, `Frame` and `I18nContextProvider` follow their changes).
    let locale = initial_locale();
    let page = route::request_page();
    let words = locale.words();
    view! {
        <!DOCTYPE html>
        <html lang=locale.as_str() dir="ltr">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // As text of its own: a view's text would carry a hydration marker into the title.
                <title inner_html=components::escape_html(&page_title(page, words)) />
                <meta name="description" content=words.common.description />
                // The same on every page: written by the server, not a tag the page hydrates.
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <PaintFirstHydration options />
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
    view! {
        <I18nContextProvider>
            <Frame />
        </I18nContextProvider>
    }
}

/// The document's title on `page` in a language: the page's, then the product's name.
pub fn page_title(page: Page, words: &Words) -> String {
    let title = match page {
        Page::Check => words.check.title,
        Page::Rates => words.rates.title,
        Page::Campaign => words.campaign.title,
        Page::NotFound => words.not_found.title,
    };
    format!("{title} · {PRODUCT_NAME}")
}

/// Everything inside the language context: the page of the address and the layout. The server
/// writes the head (`shell`); in the browser, the title and description follow the page and the
/// language.
#[component]
fn Frame() -> impl IntoView {
    let location = route::provide_location();
    let page = Memo::new(move |_| location.page());
    #[cfg(feature = "hydrate")]
    {
        let i18n = use_i18n();
        Effect::new(move |_| {
            let words = i18n.words();
            let doc = document();
            let title = page_title(page.get(), words);
            if doc.title() != title {
                doc.set_title(&title);
            }
            if let Ok(Some(meta)) = doc.query_selector("meta[name=description]") {
                let _ = meta.set_attribute("content", words.common.description);
            }
        });
    }
    view! {
        <LangFromQuery />
        <div class="page">
            <Deferred><Header /></Deferred>
            <main id="main" class="main">
                <Deferred>{move || page_view(page.get())}</Deferred>
            </main>
            <Deferred><Footer /></Deferred>
        </div>
    }
}

fn page_view(page: Page) -> AnyView {
    match page {
        Page::Check => view! { <CheckPage /> }.into_any(),
        Page::Rates => {
            view! { <Suspense>{move || Suspend::new(rates_page(true))}</Suspense> }.into_any()
        }
        Page::Campaign => {
            view! { <Suspense>{move || Suspend::new(campaign_page(true))}</Suspense> }.into_any()
        }
        Page::NotFound => view! { <NotFound /> }.into_any(),
    }
}

// The rates and campaign pages come in bundles of their own (`cargo leptos build --split`): the
// check page, where most visits start, does not download their code. Called with `false`, each
// only loads its code: before hydrating that page, so that it hydrates as the server wrote it.

/// `/rates`, loaded when first visited.
#[lazy]
fn rates_page(draw: bool) -> Option<AnyView> {
    draw.then(|| view! { <RatesPage /> }.into_any())
}

/// `/campaign`, loaded when first visited.
#[lazy]
fn campaign_page(draw: bool) -> Option<AnyView> {
    draw.then(|| view! { <CampaignPage /> }.into_any())
}

/// Loads the code of `page` if it comes in a bundle of its own: the page's script calls it before
/// hydrating that page.
#[cfg(feature = "hydrate")]
pub async fn load_page_code(page: Page) {
    match page {
        Page::Rates => drop(rates_page(false).await),
        Page::Campaign => drop(campaign_page(false).await),
        Page::Check | Page::NotFound => {}
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_written_as_escaped_text() {
        assert_eq!(
            components::escape_html("a < b & c > d"),
            "a &lt; b &amp; c &gt; d"
        );
        for locale in [Lang::En, Lang::Ru] {
            for (_, page) in Page::PATHS {
                let title = page_title(page, locale.words());
                assert!(
                    title.ends_with(" · Linksmith") && title.len() > 12,
                    "{title}"
                );
            }
        }
        assert_eq!(
            page_title(Page::NotFound, Lang::En.words()),
            "Page not found · Linksmith"
        );
    }
}
