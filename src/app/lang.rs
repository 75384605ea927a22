//! The language of the pages. The server resolves it (a cookie, else Accept-Language, else
//! English: `app::i18n`) and the browser takes it from `<html lang>`; `?lang=ru` or `?lang=en` on
//! any address chooses it, with or without JavaScript, and the choice is remembered in the cookie
//! (written by the server with the page, or by the page when it switches without a reload).

use leptos::prelude::*;

use crate::app::i18n::*;
use crate::domain::lang::Lang;

/// The page's language, followed by the caller.
pub fn use_lang() -> Memo<Lang> {
    let i18n = use_i18n();
    Memo::new(move |_| i18n.lang())
}

/// Applies `?lang=` from the address (rendered first inside the frame, so every page below it
/// renders in the chosen language, on the server too).
#[component]
pub fn LangFromQuery() -> impl IntoView {
    let i18n = use_i18n();
    let location = super::route::use_location();
    let apply = move || {
        let wanted = location.query("lang").and_then(|l| Lang::named(&l));
        if let Some(locale) = wanted {
            if i18n.lang_untracked() != locale {
                i18n.set_lang(locale);
            }
            remember(locale);
        }
    };
    apply();
    Effect::new(move |_| apply());
}

/// The language `?lang=` names in a query string (`ru` or `en`), if any.
pub fn query_locale(query: &str) -> Option<Lang> {
    super::route::query_value(query, "lang").and_then(|l| Lang::named(&l))
}

/// Links to the same page in English and in Russian; the current one is marked.
#[component]
pub fn LangSwitch(path: &'static str, lang: Memo<Lang>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="lang-switch" role="group" aria-label=move || t_string!(i18n, common.language)>
            <a href=format!("{path}?lang=en") hreflang="en" lang="en" aria-current=move || (lang.get() == Lang::En).then_some("true")>"English"</a>
            <a href=format!("{path}?lang=ru") hreflang="ru" lang="ru" aria-current=move || (lang.get() == Lang::Ru).then_some("true")>"Русский"</a>
        </div>
    }
}

/// The cookie the server reads the language from, kept a year for the whole site.
fn cookie(locale: Lang) -> String {
    format!(
        "{COOKIE}={}; path=/; max-age=31536000; samesite=lax",
        locale.as_str()
    )
}

/// Remembers the language chosen: on the server, a `Set-Cookie` header on the page's response.
#[cfg(feature = "ssr")]
fn remember(locale: Lang) {
    use axum::http::{header::SET_COOKIE, HeaderValue};
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie(locale)),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

/// Remembers the language chosen: in the browser, the cookie written by the page.
#[cfg(not(feature = "ssr"))]
fn remember(locale: Lang) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&cookie(locale));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = cookie(locale);
}
