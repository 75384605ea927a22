//! The results of a check: cards (status, band bar, estimate, warnings, the affiliate link), a
//! table, and the tools that work on all of them (copy all, CSV, rewrite the post).

use leptos::prelude::*;

use super::{band::band_bar, escape_textarea, model::Results};
use crate::app::{
    components::CopyButton,
    words::{age, kind_name, refusal, status_name},
};
use crate::domain::{
    check::{re_estimate, CheckResult, Outcome},
    link::{scan, PageKind},
    rates::{percent, Amount, Lang, NoticeCode, Programme},
    report,
};
use crate::i18n::*;

#[component]
pub fn ResultsView(
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
                    failed @ Outcome::Failed(_) => failed,
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
    // A hot rate worth showing apart: on a non-product link (not paid there) or where it is not
    // the rate shown as this link's.
    #[allow(clippy::float_cmp)] // both are the source's numbers, compared as given
    let hot = rate
        .hot_percent
        .filter(|h| kind != PageKind::Product || exact != Some(*h));
    let approximate = notes
        .iter()
        .find(|n| n.code == NoticeCode::RateApproximate)
        .map(|n| n.message.clone());
    let label = rate.label.clone();
    let sources = result.sources.clone();
    let checked_at = result.checked_at;
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
                    {exact.map(|x| view! {
                        <span class="exact" data-testid="exact-rate">{move || format!(" · {} {}%", t_string!(i18n, check.exact), percent(x))}</span>
                    })}
                    {approximate.map(|why| view! {
                        " "<abbr class="approximate" title=why>{move || format!("({})", t_string!(i18n, check.approximate))}</abbr>
                    })}
                    {hot.map(|h| view! {
                        <span class="hot" data-testid="hot-rate">{move || format!(" · {} {}% {}", t_string!(i18n, check.hot_rate), percent(h), t_string!(i18n, check.hot_rate_direct))}</span>
                    })}
                    <svg class="band-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=aria>
                        <rect class="track" x="0" y="2" width="100" height="6" rx="3"></rect>
                        <rect class="band" x=bar.0 y="2" width=bar.1 height="6" rx="3"></rect>
                        {bar.2.map(|x| view! { <rect class="mark" x=x y="0" width="0.8" height="10"></rect> })}
                    </svg>
                </dd>
                <dt>{move || t_string!(i18n, check.estimate)}</dt>
                <dd data-testid="estimate">{move || now().and_then(|r| r.estimate).map_or_else(|| t_string!(i18n, check.estimate_none).to_string(), |e| report::estimate_line(&e, t_string!(i18n, check.exact)))}</dd>
                <dt>{move || t_string!(i18n, check.cookie)}</dt>
                <dd>{move || format!("{} {}", result.cookie_days, t_string!(i18n, check.days))}</dd>
            </dl>
            {(!sources.is_empty()).then(|| {
                let decided = sources[0].clone();
                let others = sources[1..].to_vec();
                let lang_of = |l: Locale| if l == Locale::ru { Lang::Ru } else { Lang::En };
                view! {
                    <p class="source" data-testid="source" data-source=decided.name_str()>
                        {move || {
                            let l = i18n.get_locale();
                            format!(
                                "{}: {}, {}",
                                t_string!(i18n, check.decided_by),
                                decided.name.display(lang_of(l)),
                                age(l, checked_at.0 - decided.checked_at.0)
                            )
                        }}
                    </p>
                    {(!others.is_empty()).then(|| view! {
                        <details class="other-sources" data-testid="other-sources">
                            <summary>{move || t_string!(i18n, check.other_sources)}</summary>
                            <ul>
                                {others.into_iter().map(|s| view! {
                                    <li data-source=s.name_str()>{move || {
                                        let l = i18n.get_locale();
                                        let rate = s.hot_percent.or(s.exact_percent).map(|r| format!(", {}%", percent(r))).unwrap_or_default();
                                        format!(
                                            "{}: {}{rate}, {}",
                                            s.name.display(lang_of(l)),
                                            status_name(l, s.status),
                                            age(l, checked_at.0 - s.checked_at.0)
                                        )
                                    }}</li>
                                }).collect_view()}
                            </ul>
                        </details>
                    })}
                }
            })}
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
                        <th scope="col" class="short">{move || t_string!(i18n, check.status)}</th>
                        <th scope="col" class="short">{move || t_string!(i18n, check.band)}</th>
                        <th scope="col" class="short">{move || t_string!(i18n, check.estimate)}</th>
                        <th scope="col">{move || t_string!(i18n, check.link)}</th>
                        <th scope="col">{move || t_string!(i18n, check.warnings)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || outcomes.get().into_iter().map(|o| match o {
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
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
