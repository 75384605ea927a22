//! The results of a check, right after the form: the progress, the run at a glance (counts by
//! status as filters, what earns nothing, the run's estimate), the tools that work on the links
//! shown (copy, CSV, rewrite the post), then the cards or the table, in the order chosen.
//!
//! - `card`: one result's card; `table`: the table and its rows; `glance`: the overview.

mod card;
mod glance;
mod table;

use leptos::{either::Either, lazy, prelude::*};

use super::{
    model::{check_from, read_results, Run},
    DRAW_STEP, SERVER_RENDERED_LINKS,
};
use crate::app::i18n::*;
use crate::app::{
    components::{escape_html, CopyButton, DrawMore},
    words::refusal,
};
use crate::domain::{
    check::{re_estimate, Outcome},
    lang::Lang,
    link::scan,
    overview::{arrange, estimate_figure, Facts, Group, Overview, Sort, SortKey},
    rates::{Amount, Programme},
    report,
};
use card::AnswerSlot;
use glance::Glance;
use table::ResultsTable;

/// The post with the reader's links ("Rewrite the post"), and the refused links left as they were
/// (each with why).
#[derive(Clone, Debug, PartialEq)]
pub struct Rewritten {
    pub post: String,
    pub left: Vec<String>,
}

/// Cards drawn at each step after the first [`DRAW_STEP`].
const CARD_STEP: usize = 25;

/// The width up to which the page is a phone's: the table is shown as cards there.
const PHONE: &str = "(max-width: 640px)";

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
    rewritten: RwSignal<Option<Rewritten>>,
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
        Shown::Shared(answer) => match read_results(&answer) {
            Some(results) => Run::from(results),
            None => return ().into_any(),
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
    rewritten: RwSignal<Option<Rewritten>>,
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
    let slots = run.slots.clone();

    // What the overview and the order need of each answer, read again as each request's answers
    // arrive (one count per chunk, not per answer).
    let facts = {
        let (slots, done) = (slots.clone(), done.clone());
        Memo::new(move |_| {
            done.track();
            slots
                .iter()
                .map(|s| s.with_untracked(|o| o.as_ref().map(Facts::of)))
                .collect::<Vec<_>>()
        })
    };
    let overview = Memo::new(move |_| facts.with(|f| Overview::of(f)));
    let filter = RwSignal::new(None::<Group>);
    let sort = RwSignal::new(None::<Sort>);
    // The inputs shown, in the order shown: `None` while neither a filter nor a sort is chosen
    // (every input, in input order, with nothing computed).
    let order = {
        let slots = slots.clone();
        Memo::new(move |_| {
            let (filter, sort) = (filter.get(), sort.get());
            if filter.is_none() && sort.is_none() {
                return None;
            }
            let amount = if sort.is_some_and(|s| s.key == SortKey::Estimate) {
                amount.get()
            } else {
                None
            };
            let figure = |i: usize| {
                let a = amount?;
                slots[i].with_untracked(|o| match o {
                    Some(Outcome::Checked(r)) => {
                        estimate_figure(&programme.with_value(|p| p.estimate(&r.rate, a)))
                    }
                    _ => None,
                })
            };
            Some(facts.with(|f| arrange(f, &figure, filter, sort)))
        })
    };
    let shown_count = Signal::derive(move || order.with(|o| o.as_ref().map_or(total, Vec::len)));
    // Cards (or table rows) drawn so far: the first screenfuls, more as the reader scrolls (a step
    // of cards is drawn in a frame or two; more at once would be a long task on a slow phone).
    let shown = RwSignal::new(DRAW_STEP);
    let drawn = Signal::derive(move || {
        let limit = shown.get();
        order.with(|o| match o {
            None => (0..limit.min(total)).collect::<Vec<_>>(),
            Some(order) => order.iter().take(limit).copied().collect(),
        })
    });

    // The answered rows shown, as they stand now, read only by the tools that work on them, when
    // they are used (so a full paste's answers never recompute it as they arrive).
    let current = {
        let slots = slots.clone();
        move || {
            let (a, l) = (amount.get_untracked(), lang.get_untracked());
            let indexes: Vec<usize> = order
                .get_untracked()
                .unwrap_or_else(|| (0..total).collect());
            indexes
                .into_iter()
                .filter_map(|i| slots[i].get_untracked())
                .map(|o| estimated(o, programme, a, l))
                .collect::<Vec<_>>()
        }
    };
    // The whole run's estimate, once every answer is in and an amount is given.
    let run_total = {
        let slots = slots.clone();
        Memo::new(move |_| {
            if !all_done.get() {
                return None;
            }
            let a = amount.get()?;
            let l = lang.get();
            let outcomes: Vec<Outcome> = slots
                .iter()
                .filter_map(ArcRwSignal::get_untracked)
                .map(|o| estimated(o, programme, Some(a), l))
                .collect();
            crate::domain::overview::total(&outcomes)
        })
    };
    let inputs = {
        let slots = slots.clone();
        Callback::new(move |i: usize| {
            slots[i]
                .with_untracked(|o| o.as_ref().map(|o| o.input().to_string()))
                .unwrap_or_default()
        })
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
    let shown_links = {
        let current = current.clone();
        Signal::derive(move || report::links(&current()))
    };
    let text = run.text.clone();
    let rewrite = {
        let slots = slots.clone();
        move |_| {
            // The whole post: every link of it, whatever is shown.
            let (a, l) = (amount.get_untracked(), lang.get_untracked());
            let outcomes: Vec<Outcome> = slots
                .iter()
                .filter_map(ArcRwSignal::get_untracked)
                .map(|o| estimated(o, programme, a, l))
                .collect();
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
            rewritten.set(Some(Rewritten { post, left }));
        }
    };
    let problem = run.problem.clone();
    let progress_done = done.clone();
    // On a phone the table is the cards.
    let phone = phone_screen();
    let as_table = move || table_view.get() && !phone;
    let heading = NodeRef::<leptos::html::H2>::new();
    #[cfg(feature = "hydrate")]
    if run.reveal {
        // A check just started here: its results come into view (and, on a phone, take the
        // focus), once drawn in the page.
        heading.on_load(move |h| request_animation_frame(move || reveal(&h)));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = run.reveal;

    view! {
        <section class="panel results" aria-labelledby="results-heading" data-testid="results">
            <div class="results-head">
                <h2 id="results-heading" tabindex="-1" node_ref=heading>{move || t_string!(i18n, check.results)}</h2>
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
                    move || refusal(i18n.lang(), code, &p.message)
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
            {(total > 0).then(|| view! {
                <Glance overview=overview inputs=inputs filter=filter shown=shown_count total=total run_total=run_total.into() />
            })}
            {move || all_done.get().then(|| view! {
                <div class="toolbar">
                    <CopyButton text=shown_links label=Signal::derive(move || t_string!(i18n, check.copy_all).to_string())
                        copied=Signal::derive(move || t_string!(i18n, check.copied).to_string())
                        failed=Signal::derive(move || t_string!(i18n, check.copy_failed).to_string()) testid="copy-all" />
                    <a class="button secondary" download="linksmith-check.csv" href="#" node_ref=csv_link on:click=make_csv.clone() data-testid="csv">{move || t_string!(i18n, check.csv)}</a>
                    <button type="button" class="secondary" on:click=rewrite.clone() data-testid="rewrite">{move || t_string!(i18n, check.rewrite)}</button>
                </div>
            })}
            {move || rewritten.get().map(|Rewritten { post, left }| {
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
            {move || if as_table() {
                Either::Left(view! { <ResultsTable slots=slots.clone() rows=drawn sort=sort programme=programme amount=amount lang=lang /> })
            } else {
                let slots = slots.clone();
                Either::Right(view! {
                    <div class="cards" data-testid="cards">
                        <For each=move || drawn.get() key=|index| *index let(index)>
                            <AnswerSlot answer=slots[index].clone() index=index programme=programme amount=amount lang=lang />
                        </For>
                    </div>
                })
            }}
            <DrawMore limit=shown total=shown_count step=CARD_STEP />
        </section>
    }
}

/// Whether the screen is a phone's ([`PHONE`]) when the results are drawn. Always false on the
/// server.
fn phone_screen() -> bool {
    #[cfg(feature = "hydrate")]
    return media(PHONE);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = PHONE;
        false
    }
}

/// Whether the browser's window matches a media query.
#[cfg(feature = "hydrate")]
fn media(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Brings a check's results into view once their heading is drawn, unless they already are. On a
/// phone the heading takes the focus (a screen reader goes on from there).
#[cfg(feature = "hydrate")]
fn reveal(heading: &web_sys::HtmlElement) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let top = heading.get_bounding_client_rect().top();
    let height = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    // The heading and the progress bar below it are in view when the heading starts above the
    // screen's last 8 rem. Else the page moves there at once: no motion (a long way animated
    // would keep the answer out of view for half a second).
    if top < 0.0 || top > height - 128.0 {
        heading.scroll_into_view();
    }
    if media(PHONE) {
        // In view by now: taking the focus moves nothing.
        let _ = heading.focus();
    }
}
