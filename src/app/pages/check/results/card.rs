//! One result's card: status, band bar, estimate, warnings, the notes that change what the numbers
//! mean, the product's picture (or a neutral placeholder of the same size) and the affiliate link.

use leptos::prelude::*;

use super::super::band::band_bar;
use crate::app::i18n::*;
use crate::app::{
    components::CopyButton,
    words::{age, kind_name, refusal, status_name},
};
use crate::domain::{
    check::{re_estimate, CheckResult, Outcome},
    lang::Lang,
    link::PageKind,
    number::fixed,
    rates::{percent, Amount, Estimate, Notice, NoticeCode, Programme},
    report,
};

/// One input's place among the cards: waiting, refused, or its result. Only its own answer redraws it.
#[component]
pub(super) fn AnswerSlot(
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
                    move || refusal(i18n.lang(), code, &message)
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
pub(super) fn ResultCard(
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
        let l = i18n.lang();
        result.with_value(|result| card(l, result, index, scale, now))
    }
}

type Live = Memo<(Option<Estimate>, Vec<Notice>)>;

/// The card's view in one language, from the result as the server gave it.
fn card(l: Lang, result: &CheckResult, index: usize, scale: f64, now: Live) -> AnyView {
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
    let lang = l;
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
                <Thumb src=image />
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

/// The product's picture in a box of its own size, neutral until it loads and where it is absent
/// or fails (blocked, gone): never the browser's broken-image icon, never a shift of the layout.
#[component]
fn Thumb(src: Option<String>) -> impl IntoView {
    let failed = RwSignal::new(false);
    let img = NodeRef::<leptos::html::Img>::new();
    // A picture the server rendered may have failed before this code ran: its error event is gone,
    // so its state is read once the element is reached.
    #[cfg(feature = "hydrate")]
    img.on_load(move |el| {
        if el.complete() && el.natural_width() == 0 {
            failed.set(true);
        }
    });
    view! {
        <span class="thumb" data-testid="thumb" data-failed=move || (failed.get() || src.is_none()).then_some("true")>
            {src.clone().map(|src| view! {
                <img src=src alt="" width="72" height="72" loading="lazy" node_ref=img
                    hidden=move || failed.get() on:error=move |_| failed.set(true) />
            })}
        </span>
    }
}
