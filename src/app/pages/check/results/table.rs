//! The results as a table to work from: one line a link (long addresses shortened in the middle,
//! the whole in the cell's title and in every copy), sortable by status, rate and estimate, each
//! row opening to the link's card.

use std::sync::Arc;

use leptos::{either::Either, prelude::*};

use super::card::ResultCard;
use crate::app::i18n::*;
use crate::app::{
    components::CopyButton,
    words::{refusal, status_name},
};
use crate::domain::{
    check::Outcome,
    lang::Lang,
    overview::{shorten, Sort, SortKey},
    rates::{percent, Amount, Programme},
    report,
};

/// Characters of an address the table shows (the rest is in the title).
const SHOWN_CHARS: usize = 44;

#[component]
pub(super) fn ResultsTable(
    slots: Arc<[ArcRwSignal<Option<Outcome>>]>,
    /// The inputs shown, in the order shown (filtered and sorted).
    rows: Signal<Vec<usize>>,
    sort: RwSignal<Option<Sort>>,
    programme: StoredValue<Programme>,
    amount: Signal<Option<Amount>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    // A column's sort: the first click sorts largest first, the next smallest first, the third
    // back to the input order.
    let header = move |key: SortKey, label: fn(Lang) -> &'static str| {
        let state = move || sort.get().filter(|s| s.key == key);
        view! {
            <th scope="col" class="short sortable"
                aria-sort=move || match state() {
                    None => "none",
                    Some(s) if s.descending => "descending",
                    Some(_) => "ascending",
                }>
                <button type="button" class="sort" data-testid=format!("sort-{}", key_name(key))
                    on:click=move |_| sort.set(match state() {
                        None => Some(Sort { key, descending: true }),
                        Some(s) if s.descending => Some(Sort { key, descending: false }),
                        Some(_) => None,
                    })>
                    {move || label(i18n.lang())}
                    <span class="sort-mark" aria-hidden="true">{move || match state() {
                        None => "↕",
                        Some(s) if s.descending => "↓",
                        Some(_) => "↑",
                    }}</span>
                </button>
            </th>
        }
    };
    view! {
        <div class="table-wrap" data-testid="results-table">
            <table>
                <colgroup>
                    <col class="col-input" />
                    <col class="col-status" />
                    <col class="col-band" />
                    <col class="col-estimate" />
                    <col class="col-link" />
                    <col class="col-warnings" />
                </colgroup>
                <thead>
                    <tr>
                        <th scope="col">{move || t_string!(i18n, check.input)}</th>
                        {header(SortKey::Status, |l| td_string!(l, check.status))}
                        {header(SortKey::Rate, |l| td_string!(l, check.band))}
                        {header(SortKey::Estimate, |l| td_string!(l, check.estimate))}
                        <th scope="col">{move || t_string!(i18n, check.link)}</th>
                        <th scope="col">{move || t_string!(i18n, check.warnings)}</th>
                    </tr>
                </thead>
                <tbody>
                    // One row per shown input, each drawn when its answer arrives.
                    <For each=move || rows.get() key=|index| *index let(index)>
                        <ResultRow answer=slots[index].clone() index=index programme=programme amount=amount lang=lang />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

fn key_name(key: SortKey) -> &'static str {
    match key {
        SortKey::Status => "status",
        SortKey::Rate => "rate",
        SortKey::Estimate => "estimate",
    }
}

/// One input's line, and its card below it when opened.
#[component]
fn ResultRow(
    answer: ArcRwSignal<Option<Outcome>>,
    index: usize,
    programme: StoredValue<Programme>,
    amount: Signal<Option<Amount>>,
    lang: Memo<Lang>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let detail_id = format!("row-detail-{index}");
    move || {
        let detail_id = detail_id.clone();
        answer.get().map(|outcome| match outcome {
            Outcome::Checked(r) => Either::Left({
                let mut now = (*r).clone();
                programme.with_value(|p| {
                    crate::domain::check::re_estimate(p, &mut now, amount.get(), lang.get());
                });
                let l = i18n.lang();
                let exact_word = td_string!(l, check.exact);
                let band = format!(
                    "{}{}",
                    r.rate.label,
                    r.rate
                        .exact_percent
                        .map(|x| format!(" ({}%)", percent(x)))
                        .unwrap_or_default()
                );
                // The exact figure where known, else the range: one short line; the whole in the title.
                let estimate_full = now
                    .estimate
                    .as_ref()
                    .map(|e| report::estimate_line(e, exact_word));
                let estimate_short = now.estimate.as_ref().map(|e| {
                    e.commission_usd_exact
                        .map_or_else(|| report::estimate_line(e, exact_word), report::usd)
                });
                let warnings = now
                    .warnings
                    .iter()
                    .map(|w| w.message.clone())
                    .collect::<Vec<_>>();
                let first_warning = warnings.first().cloned().unwrap_or_default();
                let more = warnings.len().saturating_sub(1);
                let link = r.affiliate_link.clone();
                let status = r.status;
                let card = *r;
                view! {
                    <tr data-testid="result-row" data-status=status.as_str()>
                        <td class="long">
                            <button type="button" class="row-open" aria-expanded=move || open.get().to_string()
                                aria-controls=detail_id.clone() data-testid="row-open"
                                on:click=move |_| open.update(|o| *o = !*o)>
                                <span class="visually-hidden">{td_string!(l, check.details)}</span>
                                <span aria-hidden="true">{move || if open.get() { "▾" } else { "▸" }}</span>
                            </button>
                            <code title=card.input.clone()>{shorten(&card.input, SHOWN_CHARS)}</code>
                        </td>
                        <td class="short"><span class=format!("status-{}", status.as_str())>{status_name(l, status)}</span></td>
                        <td class="short">{band}</td>
                        <td class="short" title=estimate_full.clone().unwrap_or_default()>{estimate_short}</td>
                        <td class="long link-cell">
                            <code title=link.clone()>{shorten(&link, SHOWN_CHARS)}</code>
                            <CopyButton text=link label=td_string!(l, check.copy).to_string()
                                copied=td_string!(l, check.copied).to_string()
                                failed=td_string!(l, check.copy_failed).to_string() testid="copy-row-link" />
                        </td>
                        <td class="text" title=warnings.join("\n")>
                            {first_warning}
                            {(more > 0).then(|| view! { <span class="more">{format!(" +{more}")}</span> })}
                        </td>
                    </tr>
                    {move || open.get().then(|| view! {
                        <tr class="row-detail" id=detail_id.clone()>
                            <td colspan="6">
                                <ResultCard result=card.clone() index=index programme=programme amount=amount lang=lang />
                            </td>
                        </tr>
                    })}
                }
            }),
            Outcome::Failed(f) => Either::Right({
                let message = refusal(i18n.lang(), f.error.code, &f.error.message);
                let title = message.clone();
                view! {
                    <tr class="refused" data-testid="result-row" data-status="refused">
                        <td class="long"><code title=f.input.clone()>{shorten(&f.input, SHOWN_CHARS)}</code></td>
                        <td class="text" colspan="5" title=title>{message}</td>
                    </tr>
                }
            }),
        })
    }
}
