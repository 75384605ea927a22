//! The results of a check: cards (status, band bar, estimate, warnings, the affiliate link), a
//! table, and the tools that work on all of them (copy all, CSV, rewrite the post).

use std::sync::Arc;

use leptos::{lazy, prelude::*};

use super::{
    band::band_bar,
    model::{check_from, Results, Run},
    DRAW_STEP, SERVER_RENDERED_LINKS,
};

/// Cards drawn at each step after the first [`DRAW_STEP`].
const CARD_STEP: usize = 25;
use crate::app::{
    components::{escape_html, CopyButton, DrawMore},
    words::{age, kind_name, refusal, status_name},
};
use crate::domain::{
    check::{re_estimate, CheckResult, Outcome},
    link::{scan, PageKind},
    number::fixed,
    rates::{percent, Amount, Estimate, Lang, Notice, NoticeCode, Programme},
    report,
};
use crate::i18n::*;

/// A result as it stands now: its estimate and warnings follow the amount field and the language.
fn estimated(
    outcome: Outcome,
    programme: StoredValue<Programme>,
    amount: Option<Amount>,
    lang: Lang,
) -> Outcome {
    match outcome {
        Outcome::Checked(mut r) => {
            programme.with_value(|p| re_estimate(p, &mut r, amount, lang));
            Outcome::Checked(r)
        }
        failed @ Outcome::Failed(_) => failed,
    }
}

/// The results shown: a check run in this browser, or a shared address's, as the server rendered
/// it (the JSON of its results).
#[derive(Clone)]
pub enum Shown {
    Live(Run),
    Shared(String),
}

/// The results' view. Its code (cards, table, CSV, rewriting, reading answers) comes in a bundle of
/// its own, loaded on the first check, or before a shared address's results are hydrated.
///
/// Called with `None`, it only loads that code: before hydrating a page whose results the server
/// rendered (a shared address), so that their view hydrates at once, as the server wrote it.
#[lazy]
pub fn results_view(
    shown: Option<(Shown, std::sync::Arc<str>)>,
    amount: Memo<Result<Option<Amount>, String>>,
    lang: Memo<Lang>,
    table_view: RwSignal<bool>,
    rewritten: RwSignal<Option<(String, Vec<String>)>>,
    running: RwSignal<bool>,
) -> AnyView {
    // The programme's JSON is read here, in the results' own bundle (see `PageSetup`).
    let Some((shown, programme)) =
        shown.and_then(|(shown, json)| Some((shown, super::server::read_programme(&json)?)))
    else {
        return ().into_any();
    };
    let programme = StoredValue::new(programme);
    let run = match shown {
        Shown::Live(run) => run,
        Shown::Shared(json) => match crate::domain::json::from_str::<Results>(&json) {
            Ok(results) => Run::from(results),
            Err(_) => return ().into_any(),
        },
    };
    view! {
        <ResultsView run=run programme=programme amount=amount lang=lang table_view=table_view rewritten=rewritten running=running />
    }
    .into_any()
}

#[component]
fn ResultsView(
    run: Run,
    programme: StoredValue<Programme>,
    amount: Memo<Result<Option<Amount>, String>>,
    lang: Memo<Lang>,
    table_view: RwSignal<bool>,
    rewritten: RwSignal<Option<(String, Vec<String>)>>,
    running: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let total = run.slots.len();
    // A shared address's links past the server's first: checked when the reader asks.
    let rest = run.rest.clone();
    let ask = {
        let (run, rest) = (run.clone(), rest.clone());
        move |_| {
            if running.get_untracked() {
                return;
            }
            if let Some(r) = rest.get_untracked() {
                rest.set(None);
                let inputs = crate::domain::link::inputs_of(&run.text);
                check_from(run.clone(), running, inputs, r.from, r.options);
            }
        }
    };
    let done = run.done.clone();
    let all_done = {
        let done = done.clone();
        Memo::new(move |_| total > 0 && done.get() == total)
    };
    let amount = Signal::derive(move || amount.get().ok().flatten());
    // Every answered row as it stands now, read only by the tools that work on all of them, when
    // they are used (so a full paste's answers never recompute it as they arrive).
    let slots = run.slots.clone();
    let current = move || {
        let (a, l) = (amount.get_untracked(), lang.get_untracked());
        slots
            .iter()
            .filter_map(ArcRwSignal::get_untracked)
            .map(|o| estimated(o, programme, a, l))
            .collect::<Vec<_>>()
    };
    let csv_link = NodeRef::<leptos::html::A>::new();
    let make_csv = {
        let current = current.clone();
        move |_| {
            use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
            // Written when clicked: the browser follows the address as it is after the handler.
            let csv = report::csv(&current());
            if let Some(a) = csv_link.get_untracked() {
                a.set_href(&format!(
                    "data:text/csv;charset=utf-8,{}",
                    utf8_percent_encode(&csv, NON_ALPHANUMERIC)
                ));
            }
        }
    };
    let all_links = {
        let current = current.clone();
        Signal::derive(move || report::links(&current()))
    };
    let text = run.text.clone();
    let rewrite = {
        let current = current.clone();
        move |_| {
            let outcomes = current();
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
        }
    };
    // Cards (or table rows) drawn so far: the first screenfuls, more as the reader scrolls (a step
    // of cards is drawn in a frame or two; more at once would be a long task on a slow phone).
    let shown = RwSignal::new(DRAW_STEP);
    let problem = run.problem.clone();
    let slots = run.slots.clone();
    let progress_done = done.clone();

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
            {move || problem.get().map(|p| view! {
                <p class="notice error" role="alert" data-testid="check-problem" data-code=p.code.as_str()>{
                    let code = p.code;
                    move || refusal(i18n.get_locale(), code, &p.message)
                }</p>
            })}
            {(total > 0).then(|| {
                let value = done.clone();
                view! {
                    <div class="progress" data-testid="progress">
                        <label for="check-progress">{move || format!("{} {} {} {total}", t_string!(i18n, check.progress), progress_done.get(), t_string!(i18n, check.of))}</label>
                        <progress id="check-progress" max=total value=move || value.get()></progress>
                    </div>
                }
            })}
            {move || rest.get().map(|r| {
                let count = total - r.from;
                let first = SERVER_RENDERED_LINKS;
                view! {
                    <div class="notice waiting" role="status" data-testid="waiting" data-count=count>
                        <p>{move || if count == 1 { t_string!(i18n, check.waiting_one, first) } else { t_string!(i18n, check.waiting_many, count, first) }}</p>
                        <button type="button" class="primary" data-testid="check-rest" on:click=ask.clone()
                            disabled=move || running.get()>
                            {move || if count == 1 { t_string!(i18n, check.check_rest_one).to_string() } else { t_string!(i18n, check.check_rest_many, count) }}
                        </button>
                    </div>
                }
            })}
            {move || all_done.get().then(|| view! {
                <div class="toolbar">
                    <CopyButton text=all_links label=Signal::derive(move || t_string!(i18n, check.copy_all).to_string())
                        copied=Signal::derive(move || t_string!(i18n, check.copied).to_string())
                        failed=Signal::derive(move || t_string!(i18n, check.copy_failed).to_string()) testid="copy-all" />
                    <a class="button secondary" download="linksmith-check.csv" href="#" node_ref=csv_link on:click=make_csv.clone() data-testid="csv">{move || t_string!(i18n, check.csv)}</a>
                    <button type="button" class="secondary" on:click=rewrite.clone() data-testid="rewrite">{move || t_string!(i18n, check.rewrite)}</button>
                </div>
            })}
            {move || rewritten.get().map(|(post, left)| {
                let shown = post.clone();
                view! {
                    <div class="rewritten">
                        <label for="rewritten-post">{move || t_string!(i18n, check.rewritten)}</label>
                        <textarea id="rewritten-post" readonly=true rows="6" data-testid="rewritten" prop:value=shown>
                            {escape_html(&post)}
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
                view! { <ResultsTable slots=slots.clone() shown=shown programme=programme amount=amount lang=lang /> }.into_any()
            } else {
                let slots = slots.clone();
                view! {
                    <div class="cards" data-testid="cards">
                        <For each=move || 0..shown.get().min(total) key=|index| *index let(index)>
                            <AnswerSlot answer=slots[index].clone() index=index programme=programme amount=amount lang=lang />
                        </For>
                    </div>
                }.into_any()
            }}
            <DrawMore limit=shown total=Signal::stored(total) step=CARD_STEP />
        </section>
    }
}

/// One input's place among the cards: waiting, refused, or its result. Only its own answer redraws it.
#[component]
fn AnswerSlot(
    answer: ArcRwSignal<Option<Outcome>>,
    index: usize,
    programme: StoredValue<Programme>,
    amount: Signal<Option<Amount>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        match answer.get() {
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
        Some(Outcome::Checked(r)) => view! {
            <ResultCard result=*r index=index programme=programme amount=amount lang=lang />
        }.into_any(),
    }
    }
}

/// One result's card. Drawn once per language (a full paste draws hundreds: one reactive view per
/// card, not one per field); only the estimate and the warnings follow the amount field.
#[component]
fn ResultCard(
    result: CheckResult,
    index: usize,
    programme: StoredValue<Programme>,
    amount: Signal<Option<Amount>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let scale = programme.with_value(|p| p.programme.scale_max_percent);
    let result = StoredValue::new(result);
    // This card's result as it stands now: its estimate and warnings follow the amount field.
    let now = Memo::new(move |_| {
        let mut r = result.get_value();
        programme.with_value(|p| re_estimate(p, &mut r, amount.get(), lang.get()));
        (r.estimate, r.warnings)
    });
    move || {
        let l = i18n.get_locale();
        result.with_value(|result| card(l, result, index, scale, now))
    }
}

type Live = Memo<(Option<Estimate>, Vec<Notice>)>;

/// The card's view in one language, from the result as the server gave it.
fn card(l: Locale, result: &CheckResult, index: usize, scale: f64, now: Live) -> AnyView {
    let status = result.status;
    let title = result
        .product
        .as_ref()
        .and_then(|p| p.title.clone())
        .unwrap_or_else(|| result.link.canonical_url.clone());
    let image = result.product.as_ref().and_then(|p| p.image_url.clone());
    let link = result.affiliate_link.clone();
    let rate = &result.rate;
    let kind = result.link.kind;
    let exact = rate.exact_percent;
    // A hot rate worth showing apart: on a non-product link (not paid there) or where it is not
    // the rate shown as this link's.
    #[allow(clippy::float_cmp)] // both are the source's numbers, compared as given
    let hot = rate
        .hot_percent
        .filter(|h| kind != PageKind::Product || exact != Some(*h));
    let approximate = result
        .notes
        .iter()
        .find(|n| n.code == NoticeCode::RateApproximate)
        .map(|n| n.message.clone());
    // A source's rate outside the terms' band changes what the numbers mean: said beside them.
    let outside = result
        .notes
        .iter()
        .find(|n| n.code == NoticeCode::RateOutsideTerms)
        .map(|n| n.message.clone());
    let label = rate.label.clone();
    let checked_at = result.checked_at;
    let bar = band_bar(rate.min_percent, rate.max_percent, exact, scale);
    let aria = format!(
        "{label}, {} {}%",
        td_string!(l, check.scale),
        percent(scale)
    );
    let link_id = format!("link-{index}");
    let lang = if l == Locale::ru { Lang::Ru } else { Lang::En };
    let exact_word = td_string!(l, check.exact);
    let sources = (!result.sources.is_empty()).then(|| {
        let decided = &result.sources[0];
        let others = &result.sources[1..];
        view! {
            <p class="source" data-testid="source" data-source=decided.name_str()>
                {format!(
                    "{}: {}, {}",
                    td_string!(l, check.decided_by),
                    decided.name.display(lang),
                    age(l, checked_at.0 - decided.checked_at.0)
                )}
            </p>
            {(!others.is_empty()).then(|| view! {
                <details class="other-sources" data-testid="other-sources">
                    <summary>{td_string!(l, check.other_sources)}</summary>
                    <ul>
                        {others.iter().map(|s| {
                            let rate = s.hot_percent.or(s.exact_percent).map(|r| format!(", {}%", percent(r))).unwrap_or_default();
                            view! {
                                <li data-source=s.name_str()>{format!(
                                    "{}: {}{rate}, {}",
                                    s.name.display(lang),
                                    status_name(l, s.status),
                                    age(l, checked_at.0 - s.checked_at.0)
                                )}</li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            })}
        }
    });
    let notes = (!result.notes.is_empty()).then(|| view! {
        <details class="notes">
            <summary>{td_string!(l, check.notes)}</summary>
            <ul>{result.notes.iter().filter(|n| n.code != NoticeCode::RateOutsideTerms).map(|n| view! { <li data-code=n.code.as_str()>{n.message.clone()}</li> }).collect_view()}</ul>
        </details>
    });
    view! {
        <article class="card" data-testid="result-card" data-status=status.as_str()>
            <header class="card-head">
                <span class="kind">{kind_name(l, kind)}</span>
                <span class=format!("badge status-{}", status.as_str()) data-testid="status-badge">{status_name(l, status)}</span>
            </header>
            <div class="card-body">
                {image.map(|src| view! { <img class="thumb" src=src alt="" width="72" height="72" loading="lazy" /> })}
                <div>
                    <h3 class="card-title">{title}</h3>
                    <p class="canonical"><code>{result.link.canonical_url.clone()}</code></p>
                </div>
            </div>
            <dl class="facts">
                <dt>{td_string!(l, check.band)}</dt>
                <dd>
                    <span data-testid="band-label">{label}</span>
                    {exact.map(|x| view! {
                        <span class="exact" data-testid="exact-rate">{format!(" · {exact_word} {}%", percent(x))}</span>
                    })}
                    {approximate.map(|why| view! {
                        " "<abbr class="approximate" title=why>{format!("({})", td_string!(l, check.approximate))}</abbr>
                    })}
                    {hot.map(|h| view! {
                        <span class="hot" data-testid="hot-rate">{format!(" · {} {}% {}", td_string!(l, check.hot_rate), percent(h), td_string!(l, check.hot_rate_direct))}</span>
                    })}
                    <svg class="band-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=aria>
                        <rect class="track" x="0" y="2" width="100" height="6" rx="3"></rect>
                        <rect class="band" x=fixed(bar.0, 2) y="2" width=fixed(bar.1, 2) height="6" rx="3"></rect>
                        {bar.2.map(|x| view! { <rect class="mark" x=fixed(x, 2) y="0" width="0.8" height="10"></rect> })}
                    </svg>
                    {outside.map(|why| view! { <p class="rate-note" data-testid="rate-outside-terms">{why}</p> })}
                </dd>
                <dt>{td_string!(l, check.estimate)}</dt>
                <dd data-testid="estimate">{move || now.with(|(estimate, _)| estimate.as_ref().map_or_else(|| td_string!(l, check.estimate_none).to_string(), |e| report::estimate_line(e, exact_word)))}</dd>
                <dt>{td_string!(l, check.cookie)}</dt>
                <dd>{format!("{} {}", result.cookie_days, td_string!(l, check.days))}</dd>
            </dl>
            {sources}
            <ul class="warnings" data-testid="warnings">
                {move || now.with(|(_, warnings)| warnings.iter().map(|w| view! {
                    <li data-code=w.code.as_str()>{w.message.clone()}</li>
                }).collect_view())}
            </ul>
            {notes}
            <div class="your-link">
                <label for=link_id.clone()>{td_string!(l, check.your_link)}</label>
                <input id=link_id readonly=true value=link.clone() data-testid="affiliate-link" />
                <CopyButton text=link label=td_string!(l, check.copy).to_string()
                    copied=td_string!(l, check.copied).to_string()
                    failed=td_string!(l, check.copy_failed).to_string() testid="copy-link" />
            </div>
        </article>
    }
    .into_any()
}

#[component]
fn ResultsTable(
    slots: Arc<[ArcRwSignal<Option<Outcome>>]>,
    shown: RwSignal<usize>,
    programme: StoredValue<Programme>,
    amount: Signal<Option<Amount>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let count = slots.len();
    view! {
        <div class="table-wrap" data-testid="results-table">
            <table>
                <thead>
                    <tr>
                        <th scope="col">{move || t_string!(i18n, check.input)}</th>
                        <th scope="col">{move || t_string!(i18n, check.canonical)}</th>
                        <th scope="col" class="short">{move || t_string!(i18n, check.status)}</th>
                        <th scope="col" class="short">{move || t_string!(i18n, check.band)}</th>
                        <th scope="col" class="short">{move || t_string!(i18n, check.estimate)}</th>
                        <th scope="col">{move || t_string!(i18n, check.link)}</th>
                        <th scope="col">{move || t_string!(i18n, check.warnings)}</th>
                    </tr>
                </thead>
                <tbody>
                    // One row per answered input, each drawn when its answer arrives.
                    <For each=move || 0..shown.get().min(count) key=|index| *index let(index)>{
                    let slot = slots[index].clone();
                    move || slot.get().map(|o| match estimated(o, programme, amount.get(), lang.get()) {
                        Outcome::Checked(r) => view! {
                            <tr>
                                <td class="long"><code title=r.input.clone()>{r.input.clone()}</code></td>
                                <td class="long"><code title=r.link.canonical_url.clone()>{r.link.canonical_url.clone()}</code></td>
                                <td class="short">{status_name(i18n.get_locale(), r.status)}</td>
                                <td class="short">{r.rate.label.clone()}{r.rate.exact_percent.map(|x| format!(" ({}%)", percent(x)))}</td>
                                <td class="short">{r.estimate.as_ref().map(|e| report::estimate_line(e, t_string!(i18n, check.exact)))}</td>
                                <td class="long"><code title=r.affiliate_link.clone()>{r.affiliate_link.clone()}</code></td>
                                <td class="text">{r.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>().join(" ")}</td>
                            </tr>
                        }.into_any(),
                        Outcome::Failed(f) => view! {
                            <tr class="refused">
                                <td class="long"><code title=f.input.clone()>{f.input.clone()}</code></td>
                                <td colspan="6">{refusal(i18n.get_locale(), f.error.code, &f.error.message)}</td>
                            </tr>
                        }.into_any(),
                    })}</For>
                </tbody>
            </table>
        </div>
    }
}
