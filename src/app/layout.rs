//! The frame of every page: header with navigation, footer with the independence notice.

use leptos::prelude::*;

use super::PRODUCT_NAME;
use crate::app::i18n::*;

#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip-link" href="#main">{t!(i18n, common.skip)}</a>
        <header class="site-header">
            <a class="brand" href="/" aria-label=move || t_string!(i18n, common.home_label)>
                <img class="brand-mark" src="/favicon.svg" alt="" width="28" height="28" />
                <span class="brand-name">{PRODUCT_NAME}</span>
            </a>
            <nav class="site-nav" aria-label=move || t_string!(i18n, common.nav_label)>
                <a href="/">{t!(i18n, common.nav_check)}</a>
                <a href="/rates">{t!(i18n, common.nav_rates)}</a>
                <a href="/campaign">{t!(i18n, common.nav_campaign)}</a>
            </nav>
        </header>
    }
}

/// The programme terms ask every traffic source to make plain that it is a third-party site
/// (`common.independence` in the translations).
#[component]
pub fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            <p class="independence" data-testid="independence-notice">{t!(i18n, common.independence)}</p>
        </footer>
    }
}
