//! Small components more than one page uses.

use std::fmt::Write as _;

use leptos::prelude::*;

use crate::domain::{country::Country, lang::Lang};

/// Puts `text` on the clipboard and says whether it worked (for screen readers too).
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] copied: Signal<String>,
    #[prop(into)] failed: Signal<String>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let state = RwSignal::new(None::<bool>);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let value = text.get_untracked();
            match web_sys::window() {
                Some(window) => {
                    let promise = window.navigator().clipboard().write_text(&value);
                    leptos::task::spawn_local(async move {
                        let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                        state.set(Some(done));
                    });
                }
                None => state.set(Some(false)),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, state);
    };
    view! {
        <span class="copy">
            <button type="button" class="secondary" on:click=copy data-testid=testid>{move || label.get()}</button>
            <span class="copy-status" role="status" data-testid=format!("{testid}-status")>
                {move || match state.get() {
                    Some(true) => copied.get(),
                    Some(false) => failed.get(),
                    None => String::new(),
                }}
            </span>
        </span>
    }
}

/// The delivery country: CIS countries first as their own group, then the rest by name. A native
/// select: the keyboard's type-ahead finds a country by its first letters.
#[component]
pub fn CountrySelect(
    /// The countries of the CIS band (the programme's), listed first.
    cis: Vec<Country>,
    value: RwSignal<String>,
    #[prop(into)] cis_label: Signal<String>,
    #[prop(into)] other_label: Signal<String>,
    id: &'static str,
    #[prop(optional)] testid: &'static str,
    /// The page's language: country names are shown and sorted in it.
    #[prop(into)]
    lang: Signal<Lang>,
) -> impl IntoView {
    // The options of a group as HTML, names in the page's language, sorted in it (type-ahead finds
    // "Казахстан" on the Russian page). Written as one string, not one view per option: 250
    // options hydrated one by one were a good part of the page's hydration; the select's `value`
    // property follows the signal, and `selected` marks the current one for the page without
    // script.
    let group = move |countries: &[Country], lang: Lang| {
        let mut named: Vec<(Country, &'static str)> =
            countries.iter().map(|c| (*c, c.name_in(lang))).collect();
        named.sort_by_key(|(_, name)| *name);
        let current = value.get_untracked();
        let mut html = String::new();
        for (c, name) in named {
            let code = c.code();
            let selected = if current.eq_ignore_ascii_case(code) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                html,
                r#"<option value="{code}"{selected}>{} ({code})</option>"#,
                escape_html(name)
            );
        }
        html
    };
    let others: Vec<Country> = Country::all()
        .map(|(c, _)| c)
        .filter(|c| !cis.contains(c))
        .collect();
    let cis_options = move || group(&cis, lang.get());
    let other_options = move || group(&others, lang.get());
    view! {
        <select id=id name="country" data-testid=testid prop:value=move || value.get()
            on:change=move |ev| value.set(event_target_value(&ev))>
            <optgroup label=move || cis_label.get() inner_html=cis_options></optgroup>
            <optgroup label=move || other_label.get() inner_html=other_options></optgroup>
        </select>
    }
}

/// How many items of a long list are drawn, and a marker after the list that draws `step` more
/// whenever it comes within a screen or two of the viewport. A full paste (1,000 links) then costs
/// only what is near the screen; scrolling on draws the rest. The marker is redrawn after each
/// step, so a marker still in view at once asks for the next step.
#[component]
pub fn DrawMore(
    /// How many items the list draws now.
    limit: RwSignal<usize>,
    /// How many items there are in all.
    #[prop(into)]
    total: Signal<usize>,
    step: usize,
) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let _ = step;
    move || {
        let shown = limit.get();
        (shown < total.get()).then(|| {
            let marker = NodeRef::<leptos::html::Div>::new();
            #[cfg(feature = "hydrate")]
            marker.on_load(move |el| watch(&el, move || limit.set(shown + step)));
            view! { <div class="draw-more" aria-hidden="true" node_ref=marker></div> }
        })
    }
}

/// Calls `seen` once, when `el` comes within 1,500 px of the viewport. The observer lives as long
/// as the reactive owner it was made in (the marker's view): redrawn, it stops watching.
#[cfg(feature = "hydrate")]
fn watch(el: &web_sys::HtmlDivElement, seen: impl FnOnce() + 'static) {
    use std::{cell::Cell, rc::Rc};
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{
        js_sys::Array, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit,
    };

    struct Watching {
        observer: IntersectionObserver,
        _callback: Closure<dyn FnMut(Array, IntersectionObserver)>,
    }
    impl Drop for Watching {
        fn drop(&mut self) {
            self.observer.disconnect();
        }
    }

    let seen = Rc::new(Cell::new(Some(seen)));
    let callback = Closure::<dyn FnMut(Array, IntersectionObserver)>::new(
        move |entries: Array, observer: IntersectionObserver| {
            let near = entries.iter().any(|e| {
                e.dyn_into::<IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if near {
                observer.disconnect();
                if let Some(seen) = seen.take() {
                    seen();
                }
            }
        },
    );
    let options = IntersectionObserverInit::new();
    options.set_root_margin("1500px 0px");
    if let Ok(observer) =
        IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options)
    {
        observer.observe(el);
        StoredValue::new_local(Watching {
            observer,
            _callback: callback,
        });
    }
}

/// Text made safe for HTML, in an element or a quoted attribute. Leptos writes a textarea's
/// children without escaping (as for `<script>`), so a pasted `</textarea>` would end the element:
/// they go through this too (the browser decodes the entities; `prop:value` keeps the live value
/// raw).
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn names_are_escaped_for_html() {
        assert_eq!(escape_html("Côte d'Ivoire"), "Côte d&#39;Ivoire");
        assert_eq!(escape_html("<b>&\""), "&lt;b&gt;&amp;&quot;");
        assert_eq!(escape_html("Казахстан"), "Казахстан");
    }
}
