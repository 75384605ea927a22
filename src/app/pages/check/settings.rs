//! "Your affiliate link": the webmaster's own template, learnt from one deep link made in their
//! network's cabinet or typed by hand, validated in the browser by the same code as the server's
//! setting, kept in the browser only and sent with each check.

use leptos::prelude::*;

use crate::domain::{
    check::{LinkTemplate, SubId},
    link::normalize,
    messages::Explain,
    rates::Lang,
    template::derive,
};
use crate::i18n::*;

/// The product a template is tried on.
const SAMPLE: &str = "https://aliexpress.com/item/1005006295880104.html";

/// The template as typed: `Ok(None)` when empty (the server's template applies).
pub fn checked(text: &str, lang: Lang) -> Result<Option<LinkTemplate>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    LinkTemplate::parse(t).map(Some).map_err(|e| match lang {
        Lang::En => format!("The link template is refused: {e}."),
        Lang::Ru => format!("Шаблон ссылки отклонён: {}.", e.russian()),
    })
}

#[component]
pub fn TrackingSettings(
    template: RwSignal<String>,
    sub: RwSignal<String>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let deep = RwSignal::new(String::new());
    let learnt = Memo::new(move |_| {
        deep.with(|d| (!d.trim().is_empty()).then(|| derive(d).map_err(|e| e.message(lang.get()))))
    });
    let state = Memo::new(move |_| template.with(|t| checked(t, lang.get())));
    let sample = move || {
        let Ok(Some(t)) = state.get() else {
            return None;
        };
        let link = normalize(SAMPLE).ok()?;
        let sub = sub.with(|s| SubId::parse(s).ok().flatten());
        Some(t.render(&link, sub.as_ref()))
    };
    view! {
        <details class="settings" data-testid="settings">
            <summary>{move || t_string!(i18n, check.settings.title)}</summary>
            <p class="hint">{move || t_string!(i18n, check.settings.lead)}</p>
            <label class="field">
                <span>{move || t_string!(i18n, check.settings.deep_link)}</span>
                <input data-testid="deep-link" autocomplete="off" spellcheck="false"
                    placeholder="https://…/redirect/cpa/o/…/?to=…&sub=…"
                    prop:value=move || deep.get() on:input=move |ev| deep.set(event_target_value(&ev)) />
            </label>
            {move || learnt.get().map(|r| match r {
                Ok(d) => {
                    let text = d.template.as_str().to_string();
                    let use_it = text.clone();
                    view! {
                        <p class="derived" data-testid="derived">
                            <code>{text}</code>
                            " "
                            <button type="button" data-testid="use-derived" on:click=move |_| template.set(use_it.clone())>
                                {move || t_string!(i18n, check.settings.use_it)}
                            </button>
                        </p>
                    }.into_any()
                }
                Err(message) => view! { <p class="field-error" role="alert" data-testid="derive-error">{message}</p> }.into_any(),
            })}
            <label class="field">
                <span>{move || t_string!(i18n, check.settings.template)}</span>
                <input data-testid="template" autocomplete="off" spellcheck="false"
                    placeholder="https://…?to={url}&sub={sub}"
                    aria-invalid=move || state.get().is_err().then_some("true")
                    prop:value=move || template.get() on:input=move |ev| template.set(event_target_value(&ev)) />
                <span class="field-error" role="alert" data-testid="template-error">{move || state.get().err()}</span>
            </label>
            <p class="hint" data-testid="template-sample">{move || sample().map_or_else(
                || t_string!(i18n, check.settings.server_default).to_string(),
                |s| format!("{} {s}", t_string!(i18n, check.settings.sample)),
            )}</p>
        </details>
    }
}
