//! The check page: paste one link or a whole post; each found link is read in the browser as you
//! type; "Check" asks the server (the same service as the JSON API) for status, band, estimate and
//! the affiliate link, in chunks, with progress. `/?url=...&country=...` renders on the server.

use leptos::prelude::*;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::app::{
    components::{CopyButton, CountrySelect},
    lang::{use_lang, LangSwitch},
};
use crate::domain::{
    check::{re_estimate, CheckResult, Outcome, Problem, SubId},
    codes::ErrorCode,
    messages::Explain,
    link::{scan, PageKind, Reading},
    rates::{percent, Amount, Lang, Programme, Status},
    report,
};
use crate::i18n::*;

/// Links sent to the server per request: results appear as each chunk finishes.
const CHUNK: usize = 10;

/// What the page needs to know about the server's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSetup {
    pub programme: Programme,
    /// The API is configured or the catalogue holds something.
    pub status_source: bool,
    /// A link template is configured.
    pub tracking: bool,
    pub default_country: String,
    pub max_batch: usize,
}

#[server]
pub async fn check_setup() -> Result<PageSetup, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    let resolver = state.resolver.clone();
    // Within a second: a page never waits on a slow or locked store (it then shows no notice).
    let status_source = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        tokio::task::spawn_blocking(move || resolver.has_status_source()),
    )
    .await
    .map_or(true, |r| r.unwrap_or(false));
    Ok(PageSetup {
        programme: (*state.config.programme).clone(),
        status_source,
        tracking: state.config.template.is_some(),
        default_country: state.config.default_country.code().to_string(),
        max_batch: state.config.max_batch,
    })
}

/// The answer to one request of the page: the outcomes in input order, or why none was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckAnswer {
    pub outcomes: Vec<Outcome>,
    pub problem: Option<Problem>,
}

/// Why a request of the page got no answer: the server refused it (rate limited: HTTP 429, the
/// wait in its message) or the server function failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum CheckLinksError {
    #[error("{}", .0.message)]
    Refused(Problem),
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for CheckLinksError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        CheckLinksError::ServerFn(value)
    }
}

/// Links a shared address (`GET /?url=...`) has checked while the server renders it; the page
/// checks the rest once its script runs.
pub const SERVER_RENDERED_LINKS: usize = 20;

/// Checks links for the page through the same service function as `/api/v1/check/batch`, counted
/// against the same per-client limit. Called by the page's script (`POST /api/check_links...`) or
/// while the server renders a shared address (then at most [`SERVER_RENDERED_LINKS`] are checked).
#[server(input = server_fn::codec::Json)]
pub async fn check_links(
    inputs: Vec<String>,
    country: String,
    amount: String,
    sub: String,
    lang: Lang,
) -> Result<CheckAnswer, CheckLinksError> {
    use crate::server::{AmountInput, RawOptions, Refusal};
    use axum::{
        extract::ConnectInfo,
        http::{header, request::Parts, HeaderValue, StatusCode},
    };
    let mut inputs = inputs;
    let state = expect_context::<crate::server::AppState>();
    let parts = use_context::<Parts>();
    // The page's own request for its script is a server function call; anything else is the
    // server rendering a page.
    let rendering = parts
        .as_ref()
        .is_none_or(|p| !p.uri.path().starts_with("/api/"));
    if rendering && inputs.len() <= state.max_batch() {
        inputs.truncate(SERVER_RENDERED_LINKS);
    }
    let client = match &parts {
        Some(p) => {
            let peer = p
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0);
            state.client_of(peer, &p.headers)
        }
        None => state.client_of(None, &Default::default()),
    };
    let raw = RawOptions {
        country: Some(country),
        amount: Some(AmountInput::Text(amount)),
        sub: Some(sub),
    };
    match state.check_request(client, &inputs, &raw, lang).await {
        Ok(outcomes) => Ok(CheckAnswer {
            outcomes,
            problem: None,
        }),
        Err(Refusal::RateLimited(limited)) => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(StatusCode::TOO_MANY_REQUESTS);
                res.insert_header(header::RETRY_AFTER, HeaderValue::from(limited.retry_after));
            }
            let problem = limited.problem;
            if rendering {
                Ok(CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(problem),
                })
            } else {
                Err(CheckLinksError::Refused(problem))
            }
        }
        Err(refusal) => Ok(CheckAnswer {
            outcomes: Vec::new(),
            problem: Some(refusal.problem().clone()),
        }),
    }
}

/// The inputs of a paste: each link the engine finds, or the whole text when it finds none (its
/// answer then says why).
fn inputs_of(text: &str) -> Vec<String> {
    match scan(text) {
        Ok(found) if !found.is_empty() => found
            .into_iter()
            .map(|s| s.candidate.text.to_string())
            .collect(),
        _ if text.trim().is_empty() => Vec::new(),
        _ => vec![text.trim().to_string()],
    }
}

/// How one found link reads as the user types.
#[derive(Clone, PartialEq)]
struct Row {
    text: String,
    usable: bool,
    /// The error code of a refused link.
    code: Option<ErrorCode>,
    kind: Option<PageKind>,
    share: bool,
    detail: String,
}

fn rows(text: &str, lang: Lang) -> Result<Vec<Row>, String> {
    let found = scan(text).map_err(|e| e.message(lang))?;
    Ok(found
        .into_iter()
        .map(|s| {
            let text = s.candidate.text.to_string();
            match s.reading {
                Ok(Reading::Link(link)) => Row {
                    text,
                    usable: true,
                    code: None,
                    kind: Some(link.kind),
                    share: false,
                    detail: link.canonical_url,
                },
                Ok(Reading::AppShare { .. }) => Row {
                    text,
                    usable: true,
                    code: None,
                    kind: None,
                    share: true,
                    detail: String::new(),
                },
                Err(err) => Row {
                    text,
                    usable: false,
                    code: Some(err.code()),
                    kind: None,
                    share: false,
                    detail: err.message(lang),
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

fn status_name(locale: Locale, status: Status) -> &'static str {
    match status {
        Status::HotSale => td_string!(locale, check.statuses.hot_sale),
        Status::Affiliate => td_string!(locale, check.statuses.affiliate),
        Status::NonAffiliate => td_string!(locale, check.statuses.non_affiliate),
        Status::ZeroCommission => td_string!(locale, check.statuses.zero_commission),
        Status::Unknown => td_string!(locale, check.statuses.unknown),
    }
}

fn kind_name(locale: Locale, kind: PageKind) -> &'static str {
    match kind {
        PageKind::Product => td_string!(locale, check.kinds.product),
        PageKind::Store => td_string!(locale, check.kinds.store),
        PageKind::Category => td_string!(locale, check.kinds.category),
        PageKind::Home => td_string!(locale, check.kinds.home),
    }
}

/// A refusal in the page's language: the sentence made for it, else the translation of its code.
/// Every code has its translation here: a new code without one does not compile.
fn refusal(locale: Locale, code: ErrorCode, message: &str) -> String {
    // The engine's and the server's sentences are made in the page's language (they name the
    // host, the id, the wait); the translation of the code stands in for a missing one.
    if !message.is_empty() {
        return message.to_string();
    }
    match code {
        ErrorCode::EmptyInput => td_string!(locale, errors.empty_input),
        ErrorCode::TooLong => td_string!(locale, errors.too_long),
        ErrorCode::InvalidUrl => td_string!(locale, errors.invalid_url),
        ErrorCode::NotAliexpress => td_string!(locale, errors.not_aliexpress),
        ErrorCode::ShortLinkRejected => td_string!(locale, errors.short_link_rejected),
        ErrorCode::ShortLinkUnresolved => td_string!(locale, errors.short_link_unresolved),
        ErrorCode::UnsupportedPage => td_string!(locale, errors.unsupported_page),
        ErrorCode::InvalidCountry => td_string!(locale, errors.invalid_country),
        ErrorCode::InvalidAmount => td_string!(locale, errors.invalid_amount),
        ErrorCode::InvalidSub => td_string!(locale, errors.invalid_sub),
        ErrorCode::InvalidTemplate => td_string!(locale, errors.invalid_template),
        ErrorCode::TooManyLinks => td_string!(locale, errors.too_many_links),
        ErrorCode::InvalidRequest => td_string!(locale, errors.invalid_request),
        ErrorCode::RateLimited => td_string!(locale, errors.rate_limited),
        ErrorCode::Internal => td_string!(locale, errors.internal),
        ErrorCode::Unavailable => td_string!(locale, errors.unavailable),
    }
    .to_string()
}

/// Remembered choices (the browser's local storage).
#[cfg(feature = "hydrate")]
mod memory {
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }
    pub fn load(key: &str) -> Option<String> {
        storage()?.get_item(&format!("linksmith.{key}")).ok()?
    }
    pub fn save(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(&format!("linksmith.{key}"), value);
        }
    }
}

/// The address that shows this check again (rendered on the server).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn share_url(text: &str, country: &str, amount: &str, sub: &str, lang: Lang) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut url = format!("/?url={}", enc(text.trim()));
    for (k, v) in [("country", country), ("amount", amount), ("sub", sub)] {
        if !v.trim().is_empty() {
            url.push_str(&format!("&{k}={}", enc(v.trim())));
        }
    }
    if lang == Lang::Ru {
        url.push_str("&lang=ru");
    }
    url
}

/// The results of a check, shown as they arrive.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
struct Results {
    /// The text that was checked (for rewriting the post).
    text: String,
    /// One slot per input; `None` until its answer arrives.
    slots: Vec<Option<Outcome>>,
    problem: Option<Problem>,
}

impl Results {
    fn done(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
    fn complete(&self) -> Vec<Outcome> {
        self.slots.iter().flatten().cloned().collect()
    }
}

/// Checks `inputs[from..]` in chunks, in order, filling the slots of `live` as answers come; stops
/// at the first request the server refuses (its problem is shown: a rate limit says how long to wait).
fn check_from(
    live: RwSignal<Option<Results>>,
    running: RwSignal<bool>,
    inputs: Vec<String>,
    from: usize,
    (country, amount, sub, lang): (String, String, String, Lang),
) {
    running.set(true);
    leptos::task::spawn_local(async move {
        let rest = inputs.get(from..).unwrap_or_default();
        for (n, chunk) in rest.chunks(CHUNK).enumerate() {
            let first = from + n * CHUNK;
            let answer = check_links(
                chunk.to_vec(),
                country.clone(),
                amount.clone(),
                sub.clone(),
                lang,
            )
            .await;
            let answer = answer.unwrap_or_else(|e| CheckAnswer {
                outcomes: Vec::new(),
                problem: Some(match e {
                    CheckLinksError::Refused(problem) => problem,
                    CheckLinksError::ServerFn(e) => Problem {
                        code: ErrorCode::Unavailable,
                        message: format!("The server could not be reached ({e}). Try again."),
                    },
                }),
            });
            let stop = answer.problem.is_some();
            live.update(|r| {
                if let Some(r) = r {
                    for (i, o) in answer.outcomes.into_iter().enumerate() {
                        if let Some(slot) = r.slots.get_mut(first + i) {
                            *slot = Some(o);
                        }
                    }
                    if stop {
                        r.problem = answer.problem;
                    }
                }
            });
            if stop {
                break;
            }
        }
        running.set(false);
    });
}

#[component]
pub fn CheckPage() -> impl IntoView {
    let lang = use_lang();
    let i18n = use_i18n();
    let query = use_query_map();
    let q = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let text = RwSignal::new(q("url"));
    let country = RwSignal::new(q("country").to_ascii_uppercase());
    let amount = RwSignal::new(q("amount"));
    let sub = RwSignal::new(q("sub"));

    let setup = Resource::new(|| (), |_| check_setup());
    // A shared address (`/?url=...`) is checked on the server, before any script runs.
    let initial = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("url").unwrap_or_default(),
                    q.get("country").unwrap_or_default(),
                    q.get("amount").unwrap_or_default(),
                    q.get("sub").unwrap_or_default(),
                )
            })
        },
        move |(url, country, amount, sub)| async move {
            let inputs = inputs_of(&url);
            if inputs.is_empty() {
                return None;
            }
            let total = inputs.len();
            // The server checks the first links only (SERVER_RENDERED_LINKS); the rest stay
            // pending until the page's script checks them.
            let answer = match check_links(inputs, country, amount, sub, lang.get_untracked()).await
            {
                Ok(answer) => answer,
                Err(CheckLinksError::Refused(problem)) => CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(problem),
                },
                Err(CheckLinksError::ServerFn(_)) => return None,
            };
            let mut slots: Vec<Option<Outcome>> = Vec::with_capacity(total);
            if answer.problem.is_none() {
                slots.extend(answer.outcomes.into_iter().map(Some));
                slots.resize(total, None);
            }
            Some(Results {
                text: url,
                slots,
                problem: answer.problem,
            })
        },
    );
    // Results of checks run in the browser replace the server's.
    let live = RwSignal::new(None::<Results>);
    let running = RwSignal::new(false);
    let table_view = RwSignal::new(false);
    let rewritten = RwSignal::new(None::<(String, Vec<String>)>);

    // Remembered choices fill what the address does not say.
    #[cfg(feature = "hydrate")]
    {
        let from_address = [
            !q("country").is_empty(),
            !q("amount").is_empty(),
            !q("sub").is_empty(),
        ];
        Effect::new(move |first: Option<()>| {
            let fields = [("country", country), ("amount", amount), ("sub", sub)];
            if first.is_none() {
                for ((key, signal), given) in fields.iter().zip(from_address) {
                    if let (false, Some(v)) = (given, memory::load(key)) {
                        signal.set(v);
                    }
                }
            }
            for (key, signal) in fields {
                memory::save(key, &signal.get());
            }
        });
    }

    let found = Memo::new(move |_| {
        let l = lang.get();
        text.with(|t| rows(t, l))
    });
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
        Err(message) => refusal(i18n.get_locale(), ErrorCode::TooLong, &message),
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
        let (c, a, s, l) = (
            country.get_untracked(),
            amount.get_untracked(),
            sub.get_untracked(),
            lang.get_untracked(),
        );
        rewritten.set(None);
        live.set(Some(Results {
            text: pasted.clone(),
            slots: vec![None; inputs.len()],
            problem: None,
        }));
        running.set(true);
        #[cfg(feature = "hydrate")]
        if pasted.len() <= 1500 {
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&share_url(&pasted, &c, &a, &s, l)),
                );
            }
        }
        check_from(live, running, inputs, 0, (c, a, s, l));
    };

    // A shared address rendered on the server with more links than it checks: the page checks
    // the rest once its script runs.
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let Some(Some(r)) = initial.get() else {
            return false;
        };
        let from = r.done();
        if live.get_untracked().is_some() || r.problem.is_some() || from >= r.slots.len() {
            return true;
        }
        let inputs = inputs_of(&r.text);
        live.set(Some(r));
        let options = (q("country"), q("amount"), q("sub"), lang.get_untracked());
        check_from(live, running, inputs, from, options);
        true
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
        <Title text=move || t_string!(i18n, check.title) />
        <section class="panel check">
            <LangSwitch path="/" lang=lang />
            <h1>{move || t_string!(i18n, check.heading)}</h1>
            <p class="lead">{move || t_string!(i18n, check.lead)}</p>
            <Suspense fallback=|| ()>
                {move || setup.get().and_then(Result::ok).map(|s| {
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
            <form class="check-form" method="get" action="/" on:submit=on_submit>
                <label for="paste">{move || t_string!(i18n, check.paste)}</label>
                <textarea
                    id="paste"
                    name="url"
                    rows="6"
                    spellcheck="false"
                    aria-describedby="paste-hint"
                    placeholder="https://aliexpress.com/item/1005006295880104.html"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=on_keydown
                >
                    {escape_textarea(&text.get_untracked())}
                </textarea>
                <span id="paste-hint" class="hint">{move || t_string!(i18n, check.paste_hint)}</span>
                <div class="options">
                    <label class="field">
                        <span>{move || t_string!(i18n, check.country)}</span>
                        <Suspense fallback=move || view! {
                            <select id="country" name="country" data-testid="country" disabled=true><option>{country.get_untracked()}</option></select>
                        }>
                            {move || setup.get().and_then(Result::ok).map(|s| {
                                if country.get_untracked().is_empty() {
                                    country.set(s.default_country.clone());
                                }
                                let programme = StoredValue::new(s.programme);
                                view! {
                                    <CountrySelect
                                        programme=programme
                                        value=country
                                        cis_label=Signal::derive(move || t_string!(i18n, check.cis_group).to_string())
                                        other_label=Signal::derive(move || t_string!(i18n, check.other_group).to_string())
                                        id="country"
                                        testid="country"
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
                        <span class="field-error" role="alert">{move || amount_value.get().err().map(|m| refusal(i18n.get_locale(), ErrorCode::InvalidAmount, &m))}</span>
                    </label>
                    <label class="field">
                        <span>{move || t_string!(i18n, check.sub)}</span>
                        <input id="sub" name="sub" autocomplete="off" spellcheck="false" maxlength="64" data-testid="sub"
                            placeholder="tg-channel"
                            aria-invalid=move || sub_problem.get().is_some().then_some("true")
                            prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev)) />
                        <span class="field-error" role="alert">{move || sub_problem.get().map(|m| refusal(i18n.get_locale(), ErrorCode::InvalidSub, &m)).unwrap_or_else(|| t_string!(i18n, check.sub_hint).to_string())}</span>
                    </label>
                </div>
                {move || (lang.get() == Lang::Ru).then(|| view! { <input type="hidden" name="lang" value="ru" /> })}
                <div class="form-row">
                    <button type="submit" class="primary" data-testid="check"
                        disabled=move || running.get() || sub_problem.get().is_some()>
                        {move || if running.get() { t_string!(i18n, check.checking) } else { t_string!(i18n, check.check) }}
                    </button>
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
                        <span class="scan-label">{move || match (row.kind, row.share, row.usable) {
                            (Some(k), _, _) => kind_name(i18n.get_locale(), k),
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
                                refusal(i18n.get_locale(), row.code.unwrap_or(ErrorCode::InvalidUrl), &detail)
                            }
                        }</span>
                    </li>
                </For>
            </ul>
        </section>
        <Suspense fallback=|| ()>
            {move || {
                let setup = setup.get().and_then(Result::ok)?;
                let results = live.get().or_else(|| initial.get().flatten())?;
                let programme = StoredValue::new(setup.programme);
                Some(view! {
                    <ResultsView
                        results=results
                        programme=programme
                        amount=amount_value
                        lang=lang
                        table_view=table_view
                        rewritten=rewritten
                    />
                })
            }}
        </Suspense>
    }
}

#[component]
fn ResultsView(
    results: Results,
    programme: StoredValue<Programme>,
    amount: Memo<Result<Option<Amount>, String>>,
    lang: Memo<Lang>,
    table_view: RwSignal<bool>,
    rewritten: RwSignal<Option<(String, Vec<String>)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let total = results.slots.len();
    let done = results.done();
    let complete = results.complete();
    let all_done = done == total && total > 0;
    let amount = Signal::derive(move || amount.get().ok().flatten());
    // The rows as they stand now (estimates follow the amount field).
    let current = {
        let complete = complete.clone();
        Memo::new(move |_| {
            let a = amount.get();
            let l = lang.get();
            complete
                .iter()
                .cloned()
                .map(|o| match o {
                    Outcome::Checked(mut r) => {
                        programme.with_value(|p| re_estimate(p, &mut r, a, l));
                        Outcome::Checked(r)
                    }
                    failed => failed,
                })
                .collect::<Vec<_>>()
        })
    };
    let csv_href = move || {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let csv = current.with(|c| report::csv(c));
        format!(
            "data:text/csv;charset=utf-8,{}",
            utf8_percent_encode(&csv, NON_ALPHANUMERIC)
        )
    };
    let all_links = Signal::derive(move || current.with(|c| report::links(c)));
    let text = results.text.clone();
    let rewrite = move |_| {
        let outcomes = current.get_untracked();
        let candidates: Vec<_> = scan(&text)
            .map(|found| found.into_iter().map(|s| s.candidate).collect())
            .unwrap_or_default();
        let post = report::rewrite(&text, &candidates, &outcomes);
        let left: Vec<String> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Failed(f) => Some(format!("{} — {}", f.input, f.error.message)),
                Outcome::Checked(_) => None,
            })
            .collect();
        rewritten.set(Some((post, left)));
    };
    let slots = results.slots.clone();

    view! {
        <section class="panel results" aria-labelledby="results-heading" data-testid="results">
            <div class="results-head">
                <h2 id="results-heading">{move || t_string!(i18n, check.results)}</h2>
                <div class="view-switch" role="group" aria-label=move || t_string!(i18n, check.results)>
                    <button type="button" class="toggle" aria-pressed=move || (!table_view.get()).to_string()
                        on:click=move |_| table_view.set(false)>{move || t_string!(i18n, check.cards)}</button>
                    <button type="button" class="toggle" aria-pressed=move || table_view.get().to_string()
                        data-testid="table-toggle" on:click=move |_| table_view.set(true)>{move || t_string!(i18n, check.table)}</button>
                </div>
            </div>
            {results.problem.clone().map(|p| view! {
                <p class="notice error" role="alert" data-testid="check-problem" data-code=p.code.as_str()>{
                    let code = p.code;
                    move || refusal(i18n.get_locale(), code, &p.message)
                }</p>
            })}
            {(total > 0).then(|| view! {
                <div class="progress" data-testid="progress">
                    <label for="check-progress">{move || format!("{} {done} {} {total}", t_string!(i18n, check.progress), t_string!(i18n, check.of))}</label>
                    <progress id="check-progress" max=total value=done></progress>
                </div>
            })}
            {all_done.then(|| view! {
                <div class="toolbar">
                    <CopyButton text=all_links label=Signal::derive(move || t_string!(i18n, check.copy_all).to_string())
                        copied=Signal::derive(move || t_string!(i18n, check.copied).to_string())
                        failed=Signal::derive(move || t_string!(i18n, check.copy_failed).to_string()) testid="copy-all" />
                    <a class="button secondary" download="linksmith-check.csv" href=csv_href data-testid="csv">{move || t_string!(i18n, check.csv)}</a>
                    <button type="button" class="secondary" on:click=rewrite data-testid="rewrite">{move || t_string!(i18n, check.rewrite)}</button>
                </div>
            })}
            {move || rewritten.get().map(|(post, left)| {
                let shown = post.clone();
                view! {
                    <div class="rewritten">
                        <label for="rewritten-post">{move || t_string!(i18n, check.rewritten)}</label>
                        <textarea id="rewritten-post" readonly=true rows="6" data-testid="rewritten" prop:value=shown>
                            {escape_textarea(&post)}
                        </textarea>
                        <CopyButton text=Signal::derive(move || post.clone()) label=Signal::derive(move || t_string!(i18n, check.rewrite_copy).to_string())
                            copied=Signal::derive(move || t_string!(i18n, check.copied).to_string())
                            failed=Signal::derive(move || t_string!(i18n, check.copy_failed).to_string()) testid="copy-post" />
                        {(!left.is_empty()).then(|| view! {
                            <p class="hint">{move || t_string!(i18n, check.left_as_is)}</p>
                            <ul class="left-as-is" data-testid="left-as-is">
                                {left.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                            </ul>
                        })}
                    </div>
                }
            })}
            {move || if table_view.get() {
                view! { <ResultsTable outcomes=current /> }.into_any()
            } else {
                let slots = slots.clone();
                view! {
                    <div class="cards" data-testid="cards">
                        {slots.into_iter().enumerate().map(|(i, slot)| match slot {
                            None => view! { <article class="card pending" aria-busy="true" data-testid="pending-card"></article> }.into_any(),
                            Some(Outcome::Failed(f)) => view! {
                                <article class="card refused" data-testid="result-card" data-code=f.error.code.as_str()>
                                    <p class="card-input"><code>{f.input.clone()}</code></p>
                                    <p class="refusal" data-testid="refusal">{
                                        let (code, message) = (f.error.code, f.error.message.clone());
                                        move || refusal(i18n.get_locale(), code, &message)
                                    }</p>
                                </article>
                            }.into_any(),
                            // Chunks are answered in order, so the answered slots are a prefix:
                            // slot `i` is row `i` of `current`.
                            Some(Outcome::Checked(r)) => view! {
                                <ResultCard result=*r index=i current=current programme=programme />
                            }.into_any(),
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ResultCard(
    result: CheckResult,
    index: usize,
    current: Memo<Vec<Outcome>>,
    programme: StoredValue<Programme>,
) -> impl IntoView {
    let i18n = use_i18n();
    let scale = programme.with_value(|p| p.programme.scale_max_percent);
    // This card's row as it stands now: its estimate and warnings follow the amount field.
    let now = move || {
        current.with(|c| match c.get(index) {
            Some(Outcome::Checked(r)) => Some((**r).clone()),
            _ => None,
        })
    };
    let status = result.status;
    let title = result
        .product
        .as_ref()
        .and_then(|p| p.title.clone())
        .unwrap_or_else(|| result.link.canonical_url.clone());
    let image = result.product.as_ref().and_then(|p| p.image_url.clone());
    let link = result.affiliate_link.clone();
    let rate = result.rate.clone();
    let notes = result.notes.clone();
    let kind = result.link.kind;
    let exact = rate.exact_percent;
    let label = rate.label.clone();
    let bar = band_bar(rate.min_percent, rate.max_percent, exact, scale);
    let aria = format!(
        "{label}, {} {}%",
        t_string!(i18n, check.scale),
        percent(scale)
    );
    let link_id = format!("link-{index}");
    view! {
        <article class="card" data-testid="result-card" data-status=status.as_str()>
            <header class="card-head">
                <span class="kind">{move || kind_name(i18n.get_locale(), kind)}</span>
                <span class=format!("badge status-{}", status.as_str()) data-testid="status-badge">{move || status_name(i18n.get_locale(), status)}</span>
            </header>
            <div class="card-body">
                {image.map(|src| view! { <img class="thumb" src=src alt="" width="72" height="72" loading="lazy" /> })}
                <div>
                    <h3 class="card-title">{title}</h3>
                    <p class="canonical"><code>{result.link.canonical_url.clone()}</code></p>
                </div>
            </div>
            <dl class="facts">
                <dt>{move || t_string!(i18n, check.band)}</dt>
                <dd>
                    <span data-testid="band-label">{label.clone()}</span>
                    {exact.map(|x| view! { <span class="exact">{move || format!(" · {} {}%", t_string!(i18n, check.exact), percent(x))}</span> })}
                    <svg class="band-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=aria>
                        <rect class="track" x="0" y="2" width="100" height="6" rx="3"></rect>
                        <rect class="band" x=bar.0 y="2" width=bar.1 height="6" rx="3"></rect>
                        {bar.2.map(|x| view! { <rect class="mark" x=x y="0" width="0.8" height="10"></rect> })}
                    </svg>
                </dd>
                <dt>{move || t_string!(i18n, check.estimate)}</dt>
                <dd data-testid="estimate">{move || now().and_then(|r| r.estimate).map(|e| report::estimate_line(&e, t_string!(i18n, check.exact))).unwrap_or_else(|| t_string!(i18n, check.estimate_none).to_string())}</dd>
                <dt>{move || t_string!(i18n, check.cookie)}</dt>
                <dd>{move || format!("{} {}", result.cookie_days, t_string!(i18n, check.days))}</dd>
            </dl>
            <ul class="warnings" data-testid="warnings">
                {move || now().map(|r| r.warnings).unwrap_or_default().into_iter().map(|w| view! {
                    <li data-code=w.code.as_str()>{w.message}</li>
                }).collect_view()}
            </ul>
            {(!notes.is_empty()).then(|| view! {
                <details class="notes">
                    <summary>{move || t_string!(i18n, check.notes)}</summary>
                    <ul>{notes.into_iter().map(|n| view! { <li data-code=n.code.as_str()>{n.message}</li> }).collect_view()}</ul>
                </details>
            })}
            <div class="your-link">
                <label for=link_id.clone()>{move || t_string!(i18n, check.your_link)}</label>
                <input id=link_id readonly=true value=link.clone() data-testid="affiliate-link" />
                <CopyButton text=Signal::derive(move || link.clone()) label=Signal::derive(move || t_string!(i18n, check.copy).to_string())
                    copied=Signal::derive(move || t_string!(i18n, check.copied).to_string())
                    failed=Signal::derive(move || t_string!(i18n, check.copy_failed).to_string()) testid="copy-link" />
            </div>
        </article>
    }
}

/// The band on a 0–`scale` bar: (x, width, exact mark x), in percent of the bar.
fn band_bar(
    min: Option<f64>,
    max: Option<f64>,
    exact: Option<f64>,
    scale: f64,
) -> (f64, f64, Option<f64>) {
    let pos = |p: f64| (p / scale * 100.0).clamp(0.0, 100.0);
    let lo = pos(min.unwrap_or(0.0));
    let hi = pos(max.unwrap_or(scale));
    (
        lo,
        (hi - lo).max(0.8),
        exact.map(|x| (pos(x) - 0.4).max(0.0)),
    )
}

#[component]
fn ResultsTable(outcomes: Memo<Vec<Outcome>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap" data-testid="results-table">
            <table>
                <thead>
                    <tr>
                        <th scope="col">{move || t_string!(i18n, check.input)}</th>
                        <th scope="col">{move || t_string!(i18n, check.canonical)}</th>
                        <th scope="col">{move || t_string!(i18n, check.status)}</th>
                        <th scope="col">{move || t_string!(i18n, check.band)}</th>
                        <th scope="col">{move || t_string!(i18n, check.estimate)}</th>
                        <th scope="col">{move || t_string!(i18n, check.link)}</th>
                        <th scope="col">{move || t_string!(i18n, check.warnings)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || outcomes.get().into_iter().map(|o| match o {
                        Outcome::Checked(r) => view! {
                            <tr>
                                <td><code>{r.input.clone()}</code></td>
                                <td><code>{r.link.canonical_url.clone()}</code></td>
                                <td>{status_name(i18n.get_locale(), r.status)}</td>
                                <td>{r.rate.label.clone()}{r.rate.exact_percent.map(|x| format!(" ({}%)", percent(x)))}</td>
                                <td>{r.estimate.as_ref().map(|e| report::estimate_line(e, t_string!(i18n, check.exact)))}</td>
                                <td><code>{r.affiliate_link.clone()}</code></td>
                                <td>{r.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>().join(" ")}</td>
                            </tr>
                        }.into_any(),
                        Outcome::Failed(f) => view! {
                            <tr class="refused">
                                <td><code>{f.input.clone()}</code></td>
                                <td colspan="6">{refusal(i18n.get_locale(), f.error.code, &f.error.message)}</td>
                            </tr>
                        }.into_any(),
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
