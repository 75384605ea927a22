//! The check page: paste one link or a whole post; each found link is read in the browser as you
//! type; "Check" asks the server (the same service as the JSON API) for status, band, estimate and
//! the affiliate link, in chunks, with progress. `/?url=...&country=...` renders on the server.
//!
//! - `server`: the server functions (configuration for the page, the check);
//! - `model`: the links found as the user types, the results as they arrive, the chunked requests;
//! - `address`: the shareable address and the choices remembered in the browser;
//! - `results`: the cards, the table and the tools over all results; `band`: the band bar's geometry.

mod address;
mod band;
mod model;
mod recent;
mod results;
mod server;
mod settings;

use leptos::prelude::*;

use server::fetch_setup;
pub use server::{
    CheckAnswer, CheckLinks, CheckLinksError, CheckSetup, PageSetup, SERVER_RENDERED_LINKS,
};

#[cfg(feature = "hydrate")]
use crate::app::deferred;
use crate::app::i18n::*;
use crate::app::{
    components::{escape_html, CountrySelect, DrawMore},
    deferred::Deferred,
    lang::{use_lang, LangSwitch},
    words::{kind_name, refusal},
};
use crate::domain::{
    codes::ErrorCode,
    lang::Lang,
    link::inputs_of,
    messages::Explain,
    rates::Amount,
    template::{SubId, MAX_SUB_LEN},
};
#[cfg(feature = "hydrate")]
use address::memory;
#[cfg_attr(not(feature = "hydrate"), allow(unused_imports))]
use address::share_url;
#[cfg(feature = "hydrate")]
use model::continue_shared;
use model::{rows, shared_check, start_check, Options, Run};
use results::{results_view, Rewritten, Shown};

/// A check whose text is at most this long is put in the page's address (shareable); longer
/// pastes would make addresses that browsers and proxies cut.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const SHAREABLE_TEXT_BYTES: usize = 1500;

/// Items of a long list (found links, cards, table rows) drawn at first and at each step as the
/// reader scrolls on: a screenful or two of cards, so a full paste costs what is near the screen.
pub(crate) const DRAW_STEP: usize = 50;

/// Loads the results' code (a bundle of its own) without running it: Leptos's own preload of a
/// `#[lazy]` function (`__preload_` + its name, what `lazy_preload!` calls). The page's script
/// awaits it before hydrating a page with results rendered by the server, whose view must hydrate
/// as soon as it is reached; the form starts it as the reader starts pasting.
#[cfg(feature = "hydrate")]
pub async fn load_results_code() {
    results::__preload_results_view().await;
}

#[component]
pub fn CheckPage() -> impl IntoView {
    let lang = use_lang();
    let i18n = use_i18n();
    let location = crate::app::route::use_location();
    let q = move |k: &str| location.query_untracked(k).unwrap_or_default();
    let text = RwSignal::new(q("url"));
    let country = RwSignal::new(q("country").to_ascii_uppercase());
    let amount = RwSignal::new(q("amount"));
    let sub = RwSignal::new(q("sub"));
    // The webmaster's own template: kept in the browser, never in the address.
    let template = RwSignal::new(String::new());
    let channels = RwSignal::new(Vec::<crate::domain::template::Channel>::new());
    let recent_list = RwSignal::new(Vec::<recent::Recent>::new());

    // The set-up travels as text (the resource carries it as itself; empty when the server could
    // not say) and is read when first needed (the country select, the notices, the results: parts
    // hydrated in later tasks), not while the page hydrates; its programme (JSON) only by the
    // results' code.
    let setup_text = Resource::new_str(|| (), |_| fetch_setup());
    let read_setup = move || setup_text.get().and_then(|text| PageSetup::read(&text));
    // In the browser the text is read once (a memo); on the server every read reads it again: a
    // page's parts render on several threads there, and a memo being computed on one while another
    // reads it panicked (reactive_graph's read found its lock taken and called it disposed).
    #[cfg(feature = "hydrate")]
    let setup_read = {
        let memo = Memo::new(move |_| read_setup());
        move || memo.get()
    };
    #[cfg(not(feature = "hydrate"))]
    let setup_read = read_setup;
    // Read inside a `Suspense`: the resource itself is read, so that the server waits for it.
    let setup = move || setup_text.with(Option::is_some).then(setup_read).flatten();
    // A shared address (`/?url=...`) is checked on the server, before any script runs.
    // Its answer travels to the browser as the JSON of [`Results`], read by the lazily loaded
    // results code (the first bundle carries no decoder for results).
    // Carried as the text itself; empty when there is no answer.
    let initial = Resource::new_str(
        move || {
            let q = |k: &str| location.query(k).unwrap_or_default();
            (q("url"), q("country"), q("amount"), q("sub"))
        },
        move |(url, country, amount, sub)| async move {
            shared_check(url, country, amount, sub, lang.get_untracked())
                .await
                .unwrap_or_default()
        },
    );
    // Results of checks run in the browser replace the server's.
    let live = RwSignal::new(None::<Run>);
    let running = RwSignal::new(false);
    let table_view = RwSignal::new(false);
    let rewritten = RwSignal::new(None::<Rewritten>);

    // Remembered choices fill what the address does not say.
    #[cfg(feature = "hydrate")]
    {
        let from_address = [
            !q("country").is_empty(),
            !q("amount").is_empty(),
            !q("sub").is_empty(),
        ];
        // Read once the whole page is hydrated (the server rendered it without them), then kept
        // on every change.
        deferred::after_hydration(move || {
            memory::keep("template", template, |t| Some(t.to_string()), Clone::clone);
            memory::keep(
                "recent",
                recent_list,
                crate::domain::recent::list_from_json,
                |l: &Vec<_>| crate::domain::recent::list_to_json(l),
            );
            memory::keep(
                "channels",
                channels,
                crate::domain::template::channels_from_json,
                |l: &Vec<_>| crate::domain::template::channels_to_json(l),
            );
            // A value the address gives is shown and checked with, never kept: what this browser
            // keeps stays the reader's own until the reader changes the field.
            let fields = [("country", country), ("amount", amount), ("sub", sub)];
            for ((key, signal), given) in fields.into_iter().zip(from_address) {
                Effect::new(move |first: Option<()>| {
                    if first.is_none() && !given {
                        if let Some(v) = memory::load(key) {
                            signal.set(v);
                        }
                    }
                    let value = signal.get();
                    if first.is_some() || !given {
                        memory::save(key, &value);
                    }
                });
            }
        });
    }

    let found = Memo::new(move |_| {
        let l = lang.get();
        text.with(|t| rows(t, l))
    });
    // A long paste lists what is near the screen; scrolling on lists the rest.
    let scan_shown = RwSignal::new(DRAW_STEP);
    // Whether the results' code was asked for (at the first input).
    #[cfg(feature = "hydrate")]
    let results_code = StoredValue::new(false);
    // The found links are listed until a check starts, then folded (their summary opens them).
    let found_list = NodeRef::<leptos::html::Details>::new();
    let amount_value = Memo::new(move |_| {
        amount.with(|a| {
            if a.trim().is_empty() {
                Ok(None)
            } else {
                Amount::parse(a)
                    .map(Some)
                    .map_err(|e| e.message(lang.get()))
            }
        })
    });
    let sub_problem =
        Memo::new(move |_| sub.with(|s| SubId::parse(s).err().map(|e| e.message(lang.get()))));
    let summary = move || match found.get() {
        Err(message) => refusal(i18n.lang(), ErrorCode::TooLong, &message),
        Ok(rows) if rows.is_empty() => t_string!(i18n, check.no_link).to_string(),
        Ok(rows) => {
            let usable = rows.iter().filter(|r| r.usable).count();
            let refused = rows.len() - usable;
            let count = rows.len();
            if count == 1 {
                t_string!(i18n, check.scan_one, usable, refused)
            } else {
                t_string!(i18n, check.scan_many, count, usable, refused)
            }
        }
    };

    let run = move || {
        if running.get_untracked() {
            return;
        }
        let pasted = text.get_untracked();
        let inputs = inputs_of(&pasted);
        if inputs.is_empty() {
            return;
        }
        let options = Options {
            country: country.get_untracked(),
            amount: amount.get_untracked(),
            sub: sub.get_untracked(),
            template: template.get_untracked(),
            lang: lang.get_untracked(),
        };
        rewritten.set(None);
        // The found links fold into their one-line summary: the results come right after the form.
        #[cfg(feature = "hydrate")]
        if let Some(list) = found_list.get_untracked() {
            list.set_open(false);
        }
        let checking = Run::pending(&pasted, inputs.len());
        live.set(Some(checking.clone()));
        running.set(true);
        #[cfg(feature = "hydrate")]
        if pasted.len() <= SHAREABLE_TEXT_BYTES {
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&share_url(
                        &pasted,
                        &options.country,
                        &options.amount,
                        &options.sub,
                        options.lang,
                    )),
                );
            }
        }
        leptos::task::spawn_local(start_check(checking, running, inputs, 0, options));
    };

    // "Check again" from the recent checks: the links go in the paste box and are checked.
    let again = Callback::new(move |links: String| {
        text.set(links);
        run();
    });
    // A finished run joins the recent checks (kept in this browser only).
    #[cfg(feature = "hydrate")]
    Effect::new(move |was_running: Option<bool>| {
        let now_running = running.get();
        if was_running == Some(true) && !now_running {
            if let Some(r) = live.get_untracked() {
                let now = (web_sys::js_sys::Date::now() / 1000.0) as i64;
                recent_list.update(|list| crate::domain::recent::record(list, &r.complete(), now));
            }
        }
        now_running
    });

    // A shared address rendered on the server: once the script runs, its links are made with the
    // reader's own template (after the remembered choices are read, which runs first), and the
    // links past the server's first wait for the reader's click ("Check N more links").
    #[cfg(feature = "hydrate")]
    deferred::after_hydration(move || {
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(json) = initial.get().filter(|json| !json.is_empty()) else {
                return false;
            };
            if live.get_untracked().is_some() {
                return true;
            }
            let options = Options {
                country: q("country"),
                amount: q("amount"),
                sub: q("sub"),
                template: template.get_untracked(),
                lang: lang.get_untracked(),
            };
            leptos::task::spawn_local(continue_shared(json, options, live, running));
            true
        });
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            run();
        }
    };

    view! {
        <section class="panel check">
            <LangSwitch path="/" lang=lang />
            <h1>{move || t_string!(i18n, check.heading)}</h1>
            <p class="lead">{move || t_string!(i18n, check.lead)}</p>
            <Deferred>
            <Suspense fallback=|| ()>
                {move || setup().map(|s| {
                    view! {
                        {(!s.status_source).then(|| view! {
                            <p class="notice" role="note" data-testid="no-status-source">{move || t_string!(i18n, check.no_source)}</p>
                        })}
                        {(!s.tracking).then(|| view! {
                            <p class="notice subtle" role="note" data-testid="no-tracking">{move || t_string!(i18n, check.no_tracking)}</p>
                        })}
                    }
                })}
            </Suspense>
            </Deferred>
            <form class="check-form" method="get" action="/" on:submit=on_submit>
                <Deferred>
                <label for="paste">{move || t_string!(i18n, check.paste)}</label>
                <textarea
                    id="paste"
                    name="url"
                    rows="6"
                    spellcheck="false"
                    aria-describedby="paste-hint"
                    placeholder="https://aliexpress.com/item/1005006295880104.html"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        // The results' code is fetched while the reader pastes, so that a check
                        // shows its progress at once.
                        #[cfg(feature = "hydrate")]
                        if !results_code.get_value() {
                            results_code.set_value(true);
                            leptos::task::spawn_local(load_results_code());
                        }
                    }
                    on:keydown=on_keydown
                >
                    {escape_html(&text.get_untracked())}
                </textarea>
                <span id="paste-hint" class="hint">{move || t_string!(i18n, check.paste_hint)}</span>
                </Deferred>
                <Deferred>
                <div class="options">
                    <label class="field">
                        <span>{move || t_string!(i18n, check.country)}</span>
                        <Suspense fallback=move || view! {
                            <select id="country" name="country" data-testid="country" disabled=true><option>{country.get_untracked()}</option></select>
                        }>
                            {move || setup().map(|s| {
                                if country.get_untracked().is_empty() {
                                    country.set(s.default_country.clone());
                                }
                                view! {
                                    <CountrySelect
                                        cis=s.cis
                                        value=country
                                        cis_label=Signal::derive(move || t_string!(i18n, check.cis_group).to_string())
                                        other_label=Signal::derive(move || t_string!(i18n, check.other_group).to_string())
                                        id="country"
                                        testid="country"
                                        lang=lang
                                    />
                                }
                            })}
                        </Suspense>
                    </label>
                    <label class="field">
                        <span>{move || t_string!(i18n, check.amount)}</span>
                        <input id="amount" name="amount" inputmode="decimal" autocomplete="off" data-testid="amount"
                            aria-invalid=move || amount_value.get().is_err().then_some("true")
                            prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                        <span class="field-error" role="alert">{move || amount_value.get().err().map(|m| refusal(i18n.lang(), ErrorCode::InvalidAmount, &m))}</span>
                    </label>
                    <label class="field">
                        <span>{move || t_string!(i18n, check.sub)}</span>
                        <input id="sub" name="sub" autocomplete="off" spellcheck="false" maxlength=MAX_SUB_LEN data-testid="sub"
                            placeholder="tg-channel"
                            aria-invalid=move || sub_problem.get().is_some().then_some("true")
                            prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev)) />
                        <settings::ChannelPicker channels=channels sub=sub />
                        <span class="field-error" role="alert">{move || sub_problem.get().map_or_else(|| t_string!(i18n, check.sub_hint).to_string(), |m| refusal(i18n.lang(), ErrorCode::InvalidSub, &m))}</span>
                    </label>
                </div>
                </Deferred>
                <Deferred>
                <settings::TrackingSettings template=template sub=sub channels=channels lang=lang />
                {move || (lang.get() == Lang::Ru).then(|| view! { <input type="hidden" name="lang" value="ru" /> })}
                <div class="form-row">
                    <button type="submit" class="primary" data-testid="check"
                        disabled=move || running.get() || sub_problem.get().is_some()>
                        {move || if running.get() { t_string!(i18n, check.checking) } else { t_string!(i18n, check.check) }}
                    </button>
                </div>
                </Deferred>
            </form>
            <Deferred>
            <details class="found" data-testid="found" open=true node_ref=found_list>
            <summary><span data-testid="scan-summary" aria-live="polite">{summary}</span></summary>
            <ul class="scan-list" data-testid="scan-list">
                <For
                    each=move || found.get().unwrap_or_default().into_iter().take(scan_shown.get()).enumerate()
                    key=|(i, row)| (*i, row.text.clone())
                    let((_, row))
                >
                    <li class=if row.usable { "scan-item ok" } else { "scan-item bad" }>
                        <span class="scan-label">{move || match (row.kind, row.share, row.usable) {
                            (Some(k), _, _) => kind_name(i18n.lang(), k),
                            (None, true, _) => t_string!(i18n, check.share),
                            _ => t_string!(i18n, check.refused),
                        }}</span>
                        <code class="scan-text">{row.text.clone()}</code>
                        <span class="scan-detail">{
                            let detail = row.detail.clone();
                            move || if row.share {
                                t_string!(i18n, check.share_detail).to_string()
                            } else if row.usable {
                                detail.clone()
                            } else {
                                refusal(i18n.lang(), row.code.unwrap_or(ErrorCode::InvalidUrl), &detail)
                            }
                        }</span>
                    </li>
                </For>
            </ul>
            <DrawMore limit=scan_shown total=Signal::derive(move || found.with(|f| f.as_ref().map_or(0, Vec::len))) step=DRAW_STEP />
            </details>
            </Deferred>
        </section>
        <Deferred>
        <Suspense fallback=|| ()>
            {move || {
                let setup = setup()?;
                let shown = match live.get() {
                    Some(run) => Shown::Live(run),
                    None => Shown::Shared(initial.get().filter(|json| !json.is_empty())?),
                };
                Some(Suspend::new(results_view(Some((shown, setup.programme)), amount_value, lang, table_view, rewritten, running)))
            }}
        </Suspense>
        </Deferred>
        <Deferred><recent::RecentChecks list=recent_list again=again /></Deferred>
    }
}
