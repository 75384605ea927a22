//! The check page: paste one link or a whole post.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CheckPage() -> impl IntoView {
    // The text comes from `?url=` so that a shared address shows the same paste.
    let query = use_query_map();
    let initial = query.with_untracked(|q| q.get("url").unwrap_or_default());
    let text = RwSignal::new(initial);
    let lines =
        Memo::new(move |_| text.with(|t| t.lines().filter(|l| !l.trim().is_empty()).count()));

    view! {
        <Title text="Check links" />
        <section class="panel">
            <h1>"Check affiliate links"</h1>
            <p class="lead">
                "Paste one product link or a whole post. Linksmith gives you the canonical direct link, "
                "the commission band for your buyer's country and your own tracked link."
            </p>
            <form class="check-form" method="get" action="/">
                <label for="paste">"Links or a post"</label>
                <textarea
                    id="paste"
                    name="url"
                    rows="6"
                    spellcheck="false"
                    placeholder="https://aliexpress.com/item/1005006295880104.html"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                >
                    {text.get_untracked()}
                </textarea>
                <div class="form-row">
                    <button type="submit" class="primary">"Check"</button>
                    <span class="hint" data-testid="line-count" aria-live="polite">
                        {move || match lines.get() {
                            0 => "Nothing pasted yet".to_string(),
                            1 => "1 line".to_string(),
                            n => format!("{n} lines"),
                        }}
                    </span>
                </div>
            </form>
        </section>
    }
}
