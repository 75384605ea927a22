//! The check page: paste one link or a whole post.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::link::{scan, Reading};

/// How one found link reads, ready to render.
#[derive(Clone, PartialEq)]
struct Row {
    text: String,
    usable: bool,
    label: &'static str,
    detail: String,
}

fn rows(text: &str) -> Result<Vec<Row>, String> {
    let found = scan(text).map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .map(|s| {
            let text = s.candidate.text.to_string();
            match s.reading {
                Ok(Reading::Link(link)) => Row {
                    text,
                    usable: true,
                    label: match link.kind {
                        crate::domain::link::PageKind::Product => "Product",
                        crate::domain::link::PageKind::Store => "Store",
                        crate::domain::link::PageKind::Category => "Category",
                        crate::domain::link::PageKind::Home => "Home",
                    },
                    detail: link.canonical_url,
                },
                Ok(Reading::AppShare { .. }) => Row {
                    text,
                    usable: true,
                    label: "App share",
                    detail: "An app share link: the server follows it when you check.".to_string(),
                },
                Err(err) => Row {
                    text,
                    usable: false,
                    label: "Refused",
                    detail: err.to_string(),
                },
            }
        })
        .collect())
}

/// Leptos writes a textarea's children without escaping (as for `<script>`), so a pasted
/// `</textarea>` would end the element: escape them here. The browser decodes the entities, and
/// `prop:value` keeps the live value raw.
fn escape_textarea(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[component]
pub fn CheckPage() -> impl IntoView {
    // The text comes from `?url=` so that a shared address shows the same paste.
    let query = use_query_map();
    let initial = query.with_untracked(|q| q.get("url").unwrap_or_default());
    let text = RwSignal::new(initial);
    // The WASM link engine reads every found link as the user types; no request is made.
    let found = Memo::new(move |_| text.with(|t| rows(t)));
    let summary = move || match found.get() {
        Err(message) => message,
        Ok(rows) if rows.is_empty() => "No link found yet".to_string(),
        Ok(rows) => {
            let usable = rows.iter().filter(|r| r.usable).count();
            let refused = rows.len() - usable;
            let links = if rows.len() == 1 {
                "1 link".to_string()
            } else {
                format!("{} links", rows.len())
            };
            format!("{links}: {usable} usable, {refused} refused")
        }
    };

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
                    {escape_textarea(&text.get_untracked())}
                </textarea>
                <div class="form-row">
                    <button type="submit" class="primary">"Check"</button>
                    <span class="hint" data-testid="scan-summary" aria-live="polite">{summary}</span>
                </div>
            </form>
            <ul class="scan-list" data-testid="scan-list">
                <For
                    each=move || found.get().unwrap_or_default().into_iter().enumerate()
                    key=|(i, row)| (*i, row.text.clone())
                    let((_, row))
                >
                    <li class=if row.usable { "scan-item ok" } else { "scan-item bad" }>
                        <span class="scan-label">{row.label}</span>
                        <code class="scan-text">{row.text}</code>
                        <span class="scan-detail">{row.detail}</span>
                    </li>
                </For>
            </ul>
        </section>
    }
}
