//! "Your affiliate link": the webmaster's own template, learnt from one deep link made in their
//! network's cabinet or typed by hand, validated in the browser by the same code as the server's
//! setting, kept in the browser only and sent with each check.

use leptos::{lazy, prelude::*};

use crate::app::i18n::*;
use crate::domain::{
    lang::Lang,
    link::normalize,
    messages::Explain,
    template::{derive, Channel, Settings, MAX_CHANNELS},
    template::{LinkTemplate, SubId},
};

/// The product a template is tried on.
const SAMPLE: &str = "https://aliexpress.com/item/1005006295880104.html";

/// The template as typed: `Ok(None)` when empty (the server's template applies).
pub fn checked(text: &str, lang: Lang) -> Result<Option<LinkTemplate>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    LinkTemplate::parse(t)
        .map(Some)
        .map_err(|e| crate::domain::messages::refused_template(&e, lang))
}

/// What the bookmarklet escapes in its sentence: what would end its JS string or change its
/// `javascript:` address (which the browser percent-decodes before running it); every byte past
/// ASCII is escaped too.
const BOOKMARKLET_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'\'')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'`');

/// The bookmarklet's code. On an AliExpress page (the host the browser parsed, `location.hostname`,
/// is aliexpress.com, .ru or .us or a sub-domain of one) it opens this Linksmith with the page's
/// address checked, in a new tab; on any other page it says `elsewhere` (an alert) and sends
/// nothing: another site's address can carry tokens in its query. It reads the address only; it
/// changes nothing on the page it runs on.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn bookmarklet(origin: &str, elsewhere: &str) -> String {
    let origin = origin.replace(['\'', '\\', '"', '<', '>', '%'], "");
    let elsewhere = percent_encoding::utf8_percent_encode(elsewhere, BOOKMARKLET_ESCAPED);
    format!(
        "javascript:(function(){{/(^|[.])aliexpress[.](com|ru|us)$/.test(location.hostname)\
         ?window.open('{origin}/?url='+encodeURIComponent(location.href),'_blank','noopener')\
         :alert('{elsewhere}')}})()"
    )
}

/// Picks a named channel for this check: its sub-id goes in the sub-id field.
#[component]
pub fn ChannelPicker(channels: RwSignal<Vec<Channel>>, sub: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        {move || (!channels.with(Vec::is_empty)).then(|| view! {
            <select data-testid="channel" aria-label=move || t_string!(i18n, check.settings.channel)
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if !v.is_empty() {
                        sub.set(v);
                    }
                }>
                <option value="">{move || t_string!(i18n, check.settings.channel)}</option>
                {channels.get().into_iter().map(|c| {
                    let value = c.sub.clone();
                    let selected = move || sub.with(|s| *s == value);
                    view! { <option value=c.sub.clone() selected=selected>{format!("{} ({})", c.name, c.sub)}</option> }
                }).collect_view()}
            </select>
        })}
    }
}

/// The panel. The template field is always there (it is what a check uses); the rest (learning a
/// template from a deep link, channels, export and import, the bookmarklet) comes in bundles of its
/// own, loaded when the panel is first opened (`cargo leptos build --split`).
#[component]
pub fn TrackingSettings(
    template: RwSignal<String>,
    sub: RwSignal<String>,
    channels: RwSignal<Vec<Channel>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
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
        <details class="settings" data-testid="settings"
            on:toggle=move |ev| open.set(event_target::<leptos::web_sys::HtmlDetailsElement>(&ev).open())>
            <summary>{move || t_string!(i18n, check.settings.title)}</summary>
            <p class="hint">{move || t_string!(i18n, check.settings.lead)}</p>
            {move || open.get().then(|| view! {
                <Suspense fallback=|| ()>{Suspend::new(learn_panel(template, lang))}</Suspense>
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
            {move || open.get().then(|| view! {
                <Suspense fallback=|| ()>{Suspend::new(more_settings(template, channels, lang))}</Suspense>
            })}
        </details>
    }
}

#[lazy]
fn learn_panel(template: RwSignal<String>, lang: Memo<Lang>) -> AnyView {
    view! { <Learn template=template lang=lang /> }.into_any()
}

#[lazy]
fn more_settings(
    template: RwSignal<String>,
    channels: RwSignal<Vec<Channel>>,
    lang: Memo<Lang>,
) -> AnyView {
    view! {
        <Channels channels=channels lang=lang />
        <Transfer template=template channels=channels lang=lang />
        <Bookmarklet />
    }
    .into_any()
}

/// A template learnt from a deep link made in the network's cabinet.
#[component]
fn Learn(template: RwSignal<String>, lang: Memo<Lang>) -> impl IntoView {
    let i18n = use_i18n();
    let deep = RwSignal::new(String::new());
    let learnt = Memo::new(move |_| {
        deep.with(|d| (!d.trim().is_empty()).then(|| derive(d).map_err(|e| e.message(lang.get()))))
    });
    view! {
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
    }
}

/// Named sub-ids: added, removed, all kept.
#[component]
fn Channels(channels: RwSignal<Vec<Channel>>, lang: Memo<Lang>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let sub = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let add = move |_| {
        let checked = Channel::check(&name.get_untracked(), &sub.get_untracked()).and_then(|c| {
            if channels.with_untracked(|all| all.len() >= MAX_CHANNELS) {
                Err(format!("At most {MAX_CHANNELS} channels are kept."))
            } else {
                Ok(c)
            }
        });
        match checked {
            Ok(c) => {
                channels.update(|all| {
                    all.retain(|o| o.name != c.name);
                    all.push(c);
                });
                name.set(String::new());
                sub.set(String::new());
                problem.set(None);
            }
            Err(e) => problem.set(Some(e)),
        }
    };
    let _ = lang;
    view! {
        <fieldset class="channels" data-testid="channels">
            <legend>{move || t_string!(i18n, check.settings.channels)}</legend>
            <ul>
                {move || channels.get().into_iter().map(|c| {
                    let gone = c.name.clone();
                    view! {
                        <li data-channel=c.name.clone()>
                            {format!("{} — {}", c.name, c.sub)}
                            " "
                            <button type="button" class="link" on:click=move |_| channels.update(|all| all.retain(|o| o.name != gone))>
                                {move || t_string!(i18n, check.settings.remove)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="form-row">
                <input data-testid="channel-name" placeholder="telegram" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <input data-testid="channel-sub" placeholder="tg-channel" autocomplete="off" spellcheck="false"
                    prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev)) />
                <button type="button" data-testid="channel-add" on:click=add>{move || t_string!(i18n, check.settings.add)}</button>
            </div>
            <p class="field-error" role="alert">{move || problem.get()}</p>
        </fieldset>
    }
}

/// Export and import of the settings as a small JSON file.
#[component]
fn Transfer(
    template: RwSignal<String>,
    channels: RwSignal<Vec<Channel>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let href = move || {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let json = Settings {
            linksmith_settings: Settings::VERSION,
            template: template.get(),
            channels: channels.get(),
        }
        .to_json();
        format!(
            "data:application/json;charset=utf-8,{}",
            utf8_percent_encode(&json, NON_ALPHANUMERIC)
        )
    };
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(file) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                return;
            };
            leptos::task::spawn_local(async move {
                if file.size() > 64.0 * 1024.0 {
                    problem.set(Some(
                        "This file is too large to be a Linksmith settings file.".into(),
                    ));
                    return;
                }
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                match Settings::parse(&text) {
                    Ok(s) => {
                        template.set(s.template);
                        channels.set(s.channels);
                        problem.set(None);
                        done.set(true);
                    }
                    Err(e) => {
                        problem.set(Some(e));
                        done.set(false);
                    }
                }
            });
        }
    };
    let _ = lang;
    view! {
        <div class="form-row transfer">
            <a class="button secondary" download="linksmith-settings.json" href=href data-testid="export">
                {move || t_string!(i18n, check.settings.export)}
            </a>
            <label class="button secondary">
                {move || t_string!(i18n, check.settings.import)}
                <input type="file" accept="application/json,.json" class="visually-hidden" data-testid="import" on:change=on_file />
            </label>
            <span class="hint" role="status" data-testid="import-status">{move || problem.get().or_else(|| done.get().then(|| t_string!(i18n, check.settings.imported).to_string()))}</span>
        </div>
    }
}

/// "Check this page": a bookmarklet made for this Linksmith's address.
#[component]
fn Bookmarklet() -> impl IntoView {
    let i18n = use_i18n();
    let href = RwSignal::new(String::from("#"));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let elsewhere = t_string!(i18n, check.settings.bookmarklet_elsewhere);
        if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            href.set(bookmarklet(&origin, elsewhere));
        }
    });
    view! {
        <p class="bookmarklet">
            <a data-testid="bookmarklet" href=move || href.get() draggable="true"
                on:click=|ev| ev.prevent_default()>
                {move || t_string!(i18n, check.settings.bookmarklet)}
            </a>
            " "
            <span class="hint">{move || t_string!(i18n, check.settings.bookmarklet_hint)}</span>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::i18n::Lang;

    #[test]
    fn the_bookmarklet_tests_the_host_before_sending_and_stays_small() {
        for locale in [Lang::En, Lang::Ru] {
            let sentence = locale.words().check.settings.bookmarklet_elsewhere;
            let code = bookmarklet("https://linksmith.example", sentence);
            assert!(code.starts_with("javascript:(function(){/(^|[.])aliexpress[.](com|ru|us)$/.test(location.hostname)?window.open('https://linksmith.example/?url='+encodeURIComponent(location.href),"), "{code}");
            // The sentence is one JS string once the browser decodes the address.
            let decoded = percent_encoding::percent_decode_str(&code)
                .decode_utf8()
                .unwrap();
            assert!(
                decoded.ends_with(&format!(":alert('{sentence}')}})()")),
                "{decoded}"
            );
            assert!(!code.contains([' ', '"', '#', '<', '>', '\\']), "{code}");
            assert_eq!(code.matches('\'').count(), 8, "{code}");
            // Small enough for any browser's bookmarks (and to read before trusting it).
            assert!(code.len() < 1000, "{} bytes", code.len());
        }
        // Nothing in the sentence or the origin ends the string or the address.
        let code = bookmarklet("https://x.example'%\"<>", "it's 100% <b>\\ #1");
        let decoded = percent_encoding::percent_decode_str(&code)
            .decode_utf8()
            .unwrap();
        assert!(
            decoded.contains("window.open('https://x.example/?url='"),
            "{decoded}"
        );
        assert!(
            code.ends_with("alert('it%27s%20100%25%20%3Cb%3E%5C%20%231')})()"),
            "{code}"
        );
    }
}
