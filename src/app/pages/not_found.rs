use leptos::prelude::*;

use crate::app::i18n::*;

/// Any path no route matches: a real 404 status on the server, a helpful page for people.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    let i18n = use_i18n();
    view! {
        <section class="panel">
            <h1>{t!(i18n, not_found.title)}</h1>
            <p>{t!(i18n, not_found.text)} " " <a href="/">{t!(i18n, not_found.back)}</a></p>
        </section>
    }
}
