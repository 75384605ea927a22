//! The language of a page (`?lang=ru`) and the switch between English and Russian.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::domain::rates::Lang;

/// The page's language, from its `lang` query parameter (English unless `ru`).
pub fn use_lang() -> Memo<Lang> {
    let query = use_query_map();
    Memo::new(move |_| match query.with(|q| q.get("lang")).as_deref() {
        Some("ru") => Lang::Ru,
        _ => Lang::En,
    })
}

/// Links to the same page in English and in Russian; the current one is marked.
#[component]
pub fn LangSwitch(path: &'static str, lang: Memo<Lang>) -> impl IntoView {
    view! {
        <div class="lang-switch" role="group" aria-label="Language / Язык">
            <a href=path aria-current=move || (lang.get() == Lang::En).then_some("true")>"English"</a>
            <a href=format!("{path}?lang=ru") aria-current=move || (lang.get() == Lang::Ru).then_some("true")>"Русский"</a>
        </div>
    }
}
