//! The run at a glance, above the cards or the table: the count of each status (and of refused
//! links) as filters, the links that earn nothing or may be redirected named first, and with an
//! amount the whole run's estimate.

use leptos::prelude::*;

use crate::app::i18n::*;
use crate::app::words::status_name;
use crate::domain::{
    overview::{shorten, Group, Overview},
    rates::Estimate,
    report,
};

/// Links named in a line of the overview; the rest are counted ("and 4 more").
const NAMED: usize = 5;

/// Characters of a named link.
const NAMED_CHARS: usize = 48;

pub(super) fn group_name(l: Lang, group: Group) -> &'static str {
    group.status().map_or_else(
        || td_string!(l, check.glance.refused),
        |s| status_name(l, s),
    )
}

#[component]
pub(super) fn Glance(
    overview: Memo<Overview>,
    /// The input of each link, by index (the links named are shown by their input).
    inputs: Callback<usize, String>,
    filter: RwSignal<Option<Group>>,
    /// Links shown now (after the filter) and in all.
    shown: Signal<usize>,
    total: usize,
    /// The run's estimate (`None` without an amount or before every answer is in).
    run_total: Signal<Option<Estimate>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let named = move |indexes: Vec<usize>| {
        let more = indexes.len().saturating_sub(NAMED);
        view! {
            {indexes.into_iter().take(NAMED).map(|i| {
                let input = inputs.run(i);
                view! { <li><code title=input.clone()>{shorten(&input, NAMED_CHARS)}</code></li> }
            }).collect_view()}
            {(more > 0).then(|| view! { <li class="more">{format!("+{more}")}</li> })}
        }
    };
    view! {
        <div class="glance" data-testid="glance">
            <div class="filters" role="group" aria-label=move || t_string!(i18n, check.glance.filter_label)>
                <button type="button" class="filter" data-testid="filter-all"
                    aria-pressed=move || filter.get().is_none().to_string()
                    on:click=move |_| filter.set(None)>
                    {move || t_string!(i18n, check.glance.all)}" "<b>{move || overview.with(|o| o.answered)}</b>
                </button>
                {Group::ALL.into_iter().map(|group| {
                    let count = move || overview.with(|o| o.count(group));
                    view! {
                        <button type="button" class=format!("filter group-{}", group.as_str())
                            data-testid=format!("filter-{}", group.as_str()) data-count=count
                            aria-pressed=move || (filter.get() == Some(group)).to_string()
                            disabled=move || count() == 0 && filter.get() != Some(group)
                            on:click=move |_| filter.update(|f| *f = if *f == Some(group) { None } else { Some(group) })>
                            {move || group_name(i18n.lang(), group)}" "<b>{count}</b>
                        </button>
                    }
                }).collect_view()}
            </div>
            {move || {
                let o = overview.get();
                let zero = (!o.earn_nothing.is_empty()).then(|| {
                    let count = o.earn_nothing.len();
                    view! {
                        <div class="glance-alert" data-testid="earn-nothing" data-count=count>
                            <p>{t_string!(i18n, check.glance.zero, count)}</p>
                            <ul>{named(o.earn_nothing.clone())}</ul>
                        </div>
                    }
                });
                let redirect = (!o.may_redirect.is_empty()).then(|| {
                    let count = o.may_redirect.len();
                    view! {
                        <div class="glance-alert" data-testid="may-redirect" data-count=count>
                            <p>{t_string!(i18n, check.glance.redirect, count)}</p>
                            <ul>{named(o.may_redirect.clone())}</ul>
                        </div>
                    }
                });
                view! { {zero}{redirect} }
            }}
            {move || run_total.get().map(|t| {
                let links = overview.with_untracked(|o| o.answered - o.count(Group::Refused)).max(1);
                #[allow(clippy::cast_precision_loss)] // a count of links
                let amount = report::usd(t.order_amount_usd / links as f64);
                view! {
                    <p class="run-total" data-testid="run-total">
                        {t_string!(i18n, check.glance.total, amount)}" "
                        <b>{report::estimate_line(&t, t_string!(i18n, check.exact))}</b>
                    </p>
                }
            })}
            <p class="filter-status" role="status" data-testid="filter-status">{move || {
                filter.get().map(|g| {
                    let count = shown.get();
                    let group = group_name(i18n.lang(), g);
                    t_string!(i18n, check.glance.showing, count, total, group)
                }).unwrap_or_default()
            }}</p>
        </div>
    }
}
