//! The check page: paste one link or a whole post; each found link is read in the browser as you
//! type; "Check" asks the server (the same service as the JSON API) for status, band, estimate and
//! the affiliate link, in chunks, with progress. `/?url=...&country=...` renders on the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::app::{
    components::{CopyButton, CountrySelect},
    lang::{use_lang, LangSwitch},
};
use crate::domain::{
    check::{re_estimate, CheckResult, Outcome, Problem, SubId},
    link::{scan, PageKind, Reading},
    rates::{percent, Amount, Lang, Programme, Status},
    report,
};

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
    let status_source = tokio::task::spawn_blocking(move || resolver.has_status_source())
        .await
        .unwrap_or(false);
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

/// Checks links for the page through the same service function as `/api/v1/check/batch`.
#[server(input = server_fn::codec::Json)]
pub async fn check_links(
    inputs: Vec<String>,
    country: String,
    amount: String,
    sub: String,
    lang: Lang,
) -> Result<CheckAnswer, ServerFnError> {
    use crate::server::{AmountInput, RawOptions};
    let state = expect_context::<crate::server::AppState>();
    let refused = |problem| CheckAnswer {
        outcomes: Vec::new(),
        problem: Some(problem),
    };
    if let Err(problem) = state.check_batch_size(inputs.len()) {
        return Ok(refused(problem));
    }
    let raw = RawOptions {
        country: Some(country),
        amount: Some(AmountInput::Text(amount)),
        sub: Some(sub),
    };
    let options = match state.check_options(&raw) {
        Ok(o) => o,
        Err(problem) => return Ok(refused(problem)),
    };
    Ok(CheckAnswer {
        outcomes: state.check(&inputs, &options, lang).await,
        problem: None,
    })
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
    kind: Option<PageKind>,
    share: bool,
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
                    kind: Some(link.kind),
                    share: false,
                    detail: link.canonical_url,
                },
                Ok(Reading::AppShare { .. }) => Row {
                    text,
                    usable: true,
                    kind: None,
                    share: true,
                    detail: String::new(),
                },
                Err(err) => Row {
                    text,
                    usable: false,
                    kind: None,
                    share: false,
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

/// The page's own words in each language.
struct Ui {
    title: &'static str,
    heading: &'static str,
    lead: &'static str,
    paste: &'static str,
    paste_hint: &'static str,
    country: &'static str,
    cis_group: &'static str,
    other_group: &'static str,
    amount: &'static str,
    sub: &'static str,
    sub_hint: &'static str,
    check: &'static str,
    checking: &'static str,
    no_link: &'static str,
    refused: &'static str,
    share: &'static str,
    share_detail: &'static str,
    kinds: [&'static str; 4],
    statuses: [&'static str; 5],
    progress: &'static str,
    of: &'static str,
    cards: &'static str,
    table: &'static str,
    results: &'static str,
    band: &'static str,
    exact: &'static str,
    estimate: &'static str,
    estimate_none: &'static str,
    cookie: &'static str,
    days: &'static str,
    notes: &'static str,
    your_link: &'static str,
    copy: &'static str,
    copied: &'static str,
    copy_failed: &'static str,
    copy_all: &'static str,
    csv: &'static str,
    rewrite: &'static str,
    rewritten: &'static str,
    rewrite_copy: &'static str,
    left_as_is: &'static str,
    no_source: &'static str,
    no_tracking: &'static str,
    input: &'static str,
    canonical: &'static str,
    status: &'static str,
    warnings: &'static str,
    link: &'static str,
    scale: &'static str,
}

const EN: Ui = Ui {
    title: "Check links",
    heading: "Check affiliate links",
    lead: "Paste one product link or a whole post. Linksmith gives you the canonical direct link, the commission band for your buyer's country and your own tracked link.",
    paste: "Links or a post",
    paste_hint: "Ctrl+Enter (⌘+Enter) checks.",
    country: "Delivery country",
    cis_group: "CIS",
    other_group: "Other countries",
    amount: "Order amount, USD (optional)",
    sub: "Sub-id (optional)",
    sub_hint: "Letters, digits, - _ . up to 64.",
    check: "Check",
    checking: "Checking…",
    no_link: "No link found yet",
    refused: "refused",
    share: "App share",
    share_detail: "An app share link: the server follows it when you check.",
    kinds: ["Product", "Store", "Category", "Home"],
    statuses: ["Hot sale", "Affiliate", "Non-affiliate", "0%", "Unknown"],
    progress: "Checked",
    of: "of",
    cards: "Cards",
    table: "Table",
    results: "Results",
    band: "Rate band",
    exact: "exact",
    estimate: "Estimate",
    estimate_none: "Enter an order amount for an estimate.",
    cookie: "Cookie",
    days: "days",
    notes: "Good to know",
    your_link: "Your link",
    copy: "Copy",
    copied: "Copied",
    copy_failed: "Copying failed: select the link and copy it by hand.",
    copy_all: "Copy all links",
    csv: "Download CSV",
    rewrite: "Rewrite the post",
    rewritten: "Your post with your links",
    rewrite_copy: "Copy the post",
    left_as_is: "Left as they were (refused):",
    no_source: "No status source is configured, so every status shows as Unknown with the whole band of the region. The operator sets ALIEXPRESS_APP_KEY, ALIEXPRESS_APP_SECRET and ALIEXPRESS_TRACKING_ID, or imports a catalogue with `linksmith import <file.csv>`.",
    no_tracking: "No link template is configured: links are direct and carry no tracking. The operator sets LINKSMITH_LINK_TEMPLATE.",
    input: "Input",
    canonical: "Canonical link",
    status: "Status",
    warnings: "Warnings",
    link: "Affiliate link",
    scale: "on a scale of 0 to",
};

const RU: Ui = Ui {
    title: "Проверка ссылок",
    heading: "Проверка партнёрских ссылок",
    lead: "Вставьте ссылку на товар или целый пост. Linksmith даст каноническую прямую ссылку, диапазон комиссии для страны покупателя и вашу ссылку с меткой.",
    paste: "Ссылки или пост",
    paste_hint: "Ctrl+Enter (⌘+Enter) — проверить.",
    country: "Страна доставки",
    cis_group: "СНГ",
    other_group: "Другие страны",
    amount: "Сумма заказа, USD (необязательно)",
    sub: "Sub-id (необязательно)",
    sub_hint: "Латиница, цифры, - _ . до 64 знаков.",
    check: "Проверить",
    checking: "Проверяем…",
    no_link: "Ссылок пока нет",
    refused: "отклонено",
    share: "Ссылка из приложения",
    share_detail: "Ссылка «поделиться» из приложения: сервер пройдёт по ней при проверке.",
    kinds: ["Товар", "Магазин", "Категория", "Главная"],
    statuses: ["Hot sale", "Партнёрский", "Непартнёрский", "0%", "Неизвестно"],
    progress: "Проверено",
    of: "из",
    cards: "Карточки",
    table: "Таблица",
    results: "Результаты",
    band: "Диапазон ставки",
    exact: "точно",
    estimate: "Оценка",
    estimate_none: "Введите сумму заказа, чтобы увидеть оценку.",
    cookie: "Cookie",
    days: "дн.",
    notes: "Полезно знать",
    your_link: "Ваша ссылка",
    copy: "Копировать",
    copied: "Скопировано",
    copy_failed: "Не удалось скопировать: выделите ссылку и скопируйте вручную.",
    copy_all: "Копировать все ссылки",
    csv: "Скачать CSV",
    rewrite: "Переписать пост",
    rewritten: "Ваш пост с вашими ссылками",
    rewrite_copy: "Копировать пост",
    left_as_is: "Оставлены как были (отклонены):",
    no_source: "Источник статусов не настроен, поэтому каждый статус — «Неизвестно» с полным диапазоном региона. Оператор задаёт ALIEXPRESS_APP_KEY, ALIEXPRESS_APP_SECRET и ALIEXPRESS_TRACKING_ID или импортирует каталог командой `linksmith import <file.csv>`.",
    no_tracking: "Шаблон ссылки не настроен: ссылки прямые, без вашей метки. Оператор задаёт LINKSMITH_LINK_TEMPLATE.",
    input: "Ввод",
    canonical: "Каноническая ссылка",
    status: "Статус",
    warnings: "Предупреждения",
    link: "Партнёрская ссылка",
    scale: "по шкале от 0 до",
};

fn ui(lang: Lang) -> &'static Ui {
    match lang {
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

fn status_name(lang: Lang, status: Status) -> &'static str {
    let i = Status::ALL.iter().position(|s| *s == status).unwrap_or(4);
    ui(lang).statuses[i]
}

fn kind_name(lang: Lang, kind: PageKind) -> &'static str {
    let i = match kind {
        PageKind::Product => 0,
        PageKind::Store => 1,
        PageKind::Category => 2,
        PageKind::Home => 3,
    };
    ui(lang).kinds[i]
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

#[component]
pub fn CheckPage() -> impl IntoView {
    let lang = use_lang();
    let t = move || ui(lang.get());
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
            let answer = check_links(inputs.clone(), country, amount, sub, lang.get_untracked())
                .await
                .ok()?;
            Some(Results {
                text: url,
                slots: if answer.problem.is_some() {
                    Vec::new()
                } else {
                    answer.outcomes.into_iter().map(Some).collect()
                },
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
    Effect::new(move |first: Option<()>| {
        if first.is_none() {
            for (key, signal) in [("country", country), ("amount", amount), ("sub", sub)] {
                if signal.get_untracked().is_empty() {
                    if let Some(v) = memory::load(key) {
                        signal.set(v);
                    }
                }
            }
        }
        memory::save("country", &country.get());
        memory::save("amount", &amount.get());
        memory::save("sub", &sub.get());
    });

    let found = Memo::new(move |_| text.with(|t| rows(t)));
    let amount_value = Memo::new(move |_| {
        amount.with(|a| {
            if a.trim().is_empty() {
                Ok(None)
            } else {
                Amount::parse(a).map(Some).map_err(|e| e.to_string())
            }
        })
    });
    let sub_problem =
        Memo::new(move |_| sub.with(|s| SubId::parse(s).err().map(|e| e.to_string())));
    let summary = move || match found.get() {
        Err(message) => message,
        Ok(rows) if rows.is_empty() => t().no_link.to_string(),
        Ok(rows) => {
            let usable = rows.iter().filter(|r| r.usable).count();
            let refused = rows.len() - usable;
            match lang.get() {
                Lang::En if rows.len() == 1 => {
                    format!("1 link: {usable} usable, {refused} refused")
                }
                Lang::En => format!("{} links: {usable} usable, {refused} refused", rows.len()),
                Lang::Ru => format!(
                    "Ссылок: {} — годных {usable}, отклонено {refused}",
                    rows.len()
                ),
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
        leptos::task::spawn_local(async move {
            for (n, chunk) in inputs.chunks(CHUNK).enumerate() {
                let answer = check_links(chunk.to_vec(), c.clone(), a.clone(), s.clone(), l).await;
                let answer = answer.unwrap_or_else(|e| CheckAnswer {
                    outcomes: Vec::new(),
                    problem: Some(Problem {
                        code: "unavailable".into(),
                        message: format!("The server could not be reached ({e}). Try again."),
                    }),
                });
                let stop = answer.problem.is_some();
                live.update(|r| {
                    if let Some(r) = r {
                        for (i, o) in answer.outcomes.into_iter().enumerate() {
                            if let Some(slot) = r.slots.get_mut(n * CHUNK + i) {
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
    };

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
        <Title text=move || t().title />
        <section class="panel check">
            <LangSwitch path="/" lang=lang />
            <h1>{move || t().heading}</h1>
            <p class="lead">{move || t().lead}</p>
            <Suspense fallback=|| ()>
                {move || setup.get().and_then(Result::ok).map(|s| {
                    view! {
                        {(!s.status_source).then(|| view! {
                            <p class="notice" role="note" data-testid="no-status-source">{move || t().no_source}</p>
                        })}
                        {(!s.tracking).then(|| view! {
                            <p class="notice subtle" role="note" data-testid="no-tracking">{move || t().no_tracking}</p>
                        })}
                    }
                })}
            </Suspense>
            <form class="check-form" method="get" action="/" on:submit=on_submit>
                <label for="paste">{move || t().paste}</label>
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
                <span id="paste-hint" class="hint">{move || t().paste_hint}</span>
                <div class="options">
                    <label class="field">
                        <span>{move || t().country}</span>
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
                                        cis_label=Signal::derive(move || t().cis_group.to_string())
                                        other_label=Signal::derive(move || t().other_group.to_string())
                                        id="country"
                                        testid="country"
                                    />
                                }
                            })}
                        </Suspense>
                    </label>
                    <label class="field">
                        <span>{move || t().amount}</span>
                        <input id="amount" name="amount" inputmode="decimal" autocomplete="off" data-testid="amount"
                            aria-invalid=move || amount_value.get().is_err().then_some("true")
                            prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                        <span class="field-error" role="alert">{move || amount_value.get().err()}</span>
                    </label>
                    <label class="field">
                        <span>{move || t().sub}</span>
                        <input id="sub" name="sub" autocomplete="off" spellcheck="false" maxlength="64" data-testid="sub"
                            placeholder="tg-channel"
                            aria-invalid=move || sub_problem.get().is_some().then_some("true")
                            prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev)) />
                        <span class="field-error" role="alert">{move || sub_problem.get().unwrap_or_else(|| t().sub_hint.to_string())}</span>
                    </label>
                </div>
                {move || (lang.get() == Lang::Ru).then(|| view! { <input type="hidden" name="lang" value="ru" /> })}
                <div class="form-row">
                    <button type="submit" class="primary" data-testid="check"
                        disabled=move || running.get() || sub_problem.get().is_some()>
                        {move || if running.get() { t().checking } else { t().check }}
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
                            (Some(k), _, _) => kind_name(lang.get(), k),
                            (None, true, _) => t().share,
                            _ => t().refused,
                        }}</span>
                        <code class="scan-text">{row.text.clone()}</code>
                        <span class="scan-detail">{
                            let detail = row.detail.clone();
                            move || if row.share { t().share_detail.to_string() } else { detail.clone() }
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
    let t = move || ui(lang.get());
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
                <h2 id="results-heading">{move || t().results}</h2>
                <div class="view-switch" role="group" aria-label=move || t().results>
                    <button type="button" class="toggle" aria-pressed=move || (!table_view.get()).to_string()
                        on:click=move |_| table_view.set(false)>{move || t().cards}</button>
                    <button type="button" class="toggle" aria-pressed=move || table_view.get().to_string()
                        data-testid="table-toggle" on:click=move |_| table_view.set(true)>{move || t().table}</button>
                </div>
            </div>
            {results.problem.clone().map(|p| view! {
                <p class="notice error" role="alert" data-testid="check-problem" data-code=p.code.clone()>{p.message}</p>
            })}
            {(total > 0).then(|| view! {
                <div class="progress" data-testid="progress">
                    <label for="check-progress">{move || format!("{} {done} {} {total}", t().progress, t().of)}</label>
                    <progress id="check-progress" max=total value=done></progress>
                </div>
            })}
            {all_done.then(|| view! {
                <div class="toolbar">
                    <CopyButton text=all_links label=Signal::derive(move || t().copy_all.to_string())
                        copied=Signal::derive(move || t().copied.to_string())
                        failed=Signal::derive(move || t().copy_failed.to_string()) testid="copy-all" />
                    <a class="button secondary" download="linksmith-check.csv" href=csv_href data-testid="csv">{move || t().csv}</a>
                    <button type="button" class="secondary" on:click=rewrite data-testid="rewrite">{move || t().rewrite}</button>
                </div>
            })}
            {move || rewritten.get().map(|(post, left)| {
                let shown = post.clone();
                view! {
                    <div class="rewritten">
                        <label for="rewritten-post">{move || t().rewritten}</label>
                        <textarea id="rewritten-post" readonly=true rows="6" data-testid="rewritten" prop:value=shown>
                            {escape_textarea(&post)}
                        </textarea>
                        <CopyButton text=Signal::derive(move || post.clone()) label=Signal::derive(move || t().rewrite_copy.to_string())
                            copied=Signal::derive(move || t().copied.to_string())
                            failed=Signal::derive(move || t().copy_failed.to_string()) testid="copy-post" />
                        {(!left.is_empty()).then(|| view! {
                            <p class="hint">{move || t().left_as_is}</p>
                            <ul class="left-as-is" data-testid="left-as-is">
                                {left.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                            </ul>
                        })}
                    </div>
                }
            })}
            {move || if table_view.get() {
                view! { <ResultsTable outcomes=current lang=lang /> }.into_any()
            } else {
                let slots = slots.clone();
                view! {
                    <div class="cards" data-testid="cards">
                        {slots.into_iter().enumerate().map(|(i, slot)| match slot {
                            None => view! { <article class="card pending" aria-busy="true" data-testid="pending-card"></article> }.into_any(),
                            Some(Outcome::Failed(f)) => view! {
                                <article class="card refused" data-testid="result-card" data-code=f.error.code.clone()>
                                    <p class="card-input"><code>{f.input.clone()}</code></p>
                                    <p class="refusal" data-testid="refusal">{f.error.message.clone()}</p>
                                </article>
                            }.into_any(),
                            // Chunks are answered in order, so the answered slots are a prefix:
                            // slot `i` is row `i` of `current`.
                            Some(Outcome::Checked(r)) => view! {
                                <ResultCard result=*r index=i current=current programme=programme lang=lang />
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
    lang: Memo<Lang>,
) -> impl IntoView {
    let t = move || ui(lang.get());
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
    let aria = format!("{label}, {} 70%", t().scale);
    let link_id = format!("link-{index}");
    view! {
        <article class="card" data-testid="result-card" data-status=status.as_str()>
            <header class="card-head">
                <span class="kind">{move || kind_name(lang.get(), kind)}</span>
                <span class=format!("badge status-{}", status.as_str()) data-testid="status-badge">{move || status_name(lang.get(), status)}</span>
            </header>
            <div class="card-body">
                {image.map(|src| view! { <img class="thumb" src=src alt="" width="72" height="72" loading="lazy" /> })}
                <div>
                    <h3 class="card-title">{title}</h3>
                    <p class="canonical"><code>{result.link.canonical_url.clone()}</code></p>
                </div>
            </div>
            <dl class="facts">
                <dt>{move || t().band}</dt>
                <dd>
                    <span data-testid="band-label">{label.clone()}</span>
                    {exact.map(|x| view! { <span class="exact">{move || format!(" · {} {}%", t().exact, percent(x))}</span> })}
                    <svg class="band-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=aria>
                        <rect class="track" x="0" y="2" width="100" height="6" rx="3"></rect>
                        <rect class="band" x=bar.0 y="2" width=bar.1 height="6" rx="3"></rect>
                        {bar.2.map(|x| view! { <rect class="mark" x=x y="0" width="0.8" height="10"></rect> })}
                    </svg>
                </dd>
                <dt>{move || t().estimate}</dt>
                <dd data-testid="estimate">{move || now().and_then(|r| r.estimate).map(|e| report::estimate_text(&e)).unwrap_or_else(|| t().estimate_none.to_string())}</dd>
                <dt>{move || t().cookie}</dt>
                <dd>{move || format!("{} {}", result.cookie_days, t().days)}</dd>
            </dl>
            <ul class="warnings" data-testid="warnings">
                {move || now().map(|r| r.warnings).unwrap_or_default().into_iter().map(|w| view! {
                    <li data-code=w.code.clone()>{w.message}</li>
                }).collect_view()}
            </ul>
            {(!notes.is_empty()).then(|| view! {
                <details class="notes">
                    <summary>{move || t().notes}</summary>
                    <ul>{notes.into_iter().map(|n| view! { <li data-code=n.code.clone()>{n.message}</li> }).collect_view()}</ul>
                </details>
            })}
            <div class="your-link">
                <label for=link_id.clone()>{move || t().your_link}</label>
                <input id=link_id readonly=true value=link.clone() data-testid="affiliate-link" />
                <CopyButton text=Signal::derive(move || link.clone()) label=Signal::derive(move || t().copy.to_string())
                    copied=Signal::derive(move || t().copied.to_string())
                    failed=Signal::derive(move || t().copy_failed.to_string()) testid="copy-link" />
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
fn ResultsTable(outcomes: Memo<Vec<Outcome>>, lang: Memo<Lang>) -> impl IntoView {
    let t = move || ui(lang.get());
    view! {
        <div class="table-wrap" data-testid="results-table">
            <table>
                <thead>
                    <tr>
                        <th scope="col">{move || t().input}</th>
                        <th scope="col">{move || t().canonical}</th>
                        <th scope="col">{move || t().status}</th>
                        <th scope="col">{move || t().band}</th>
                        <th scope="col">{move || t().estimate}</th>
                        <th scope="col">{move || t().link}</th>
                        <th scope="col">{move || t().warnings}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || outcomes.get().into_iter().map(|o| match o {
                        Outcome::Checked(r) => view! {
                            <tr>
                                <td><code>{r.input.clone()}</code></td>
                                <td><code>{r.link.canonical_url.clone()}</code></td>
                                <td>{status_name(lang.get(), r.status)}</td>
                                <td>{r.rate.label.clone()}{r.rate.exact_percent.map(|x| format!(" ({}%)", percent(x)))}</td>
                                <td>{r.estimate.as_ref().map(report::estimate_text)}</td>
                                <td><code>{r.affiliate_link.clone()}</code></td>
                                <td>{r.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>().join(" ")}</td>
                            </tr>
                        }.into_any(),
                        Outcome::Failed(f) => view! {
                            <tr class="refused">
                                <td><code>{f.input.clone()}</code></td>
                                <td colspan="6">{f.error.message.clone()}</td>
                            </tr>
                        }.into_any(),
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
