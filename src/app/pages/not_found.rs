use leptos::prelude::*;
use leptos_meta::Title;

/// Any path no route matches: a real 404 status on the server, a helpful page for people.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found" />
        <section class="panel">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. " <a href="/">"Go to the link checker"</a> "."</p>
        </section>
    }
}
