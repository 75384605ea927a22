//! The frame of every page: header with navigation, footer with the independence notice.

use leptos::prelude::*;

use super::PRODUCT_NAME;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/" aria-label=format!("{PRODUCT_NAME} home")>
                <img class="brand-mark" src="/favicon.svg" alt="" width="28" height="28" />
                <span class="brand-name">{PRODUCT_NAME}</span>
            </a>
            <nav class="site-nav" aria-label="Main">
                <a href="/">"Check links"</a>
                <a href="/rates">"Rates"</a>
                <a href="/campaign">"Campaign check"</a>
            </nav>
        </header>
    }
}

/// The programme terms ask every traffic source to make plain that it is a third-party site.
pub const INDEPENDENCE_NOTICE: &str =
    "Linksmith is an independent third-party tool for affiliate webmasters. \
It is not affiliated with, endorsed by or related to AliExpress or Alibaba Group; \
their names are used only to describe the links this tool checks.";

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p class="independence" data-testid="independence-notice">{INDEPENDENCE_NOTICE}</p>
        </footer>
    }
}
