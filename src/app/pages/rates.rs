//! The rates page: the programme's table by region, each special rule with its date and the
//! sentence of the terms it comes from, the standing notes, and a calculator that answers in the
//! browser. Everything is rendered from the server's validated rules (never a second copy).

use leptos::prelude::*;

use crate::app::i18n::*;
use crate::app::lang::{use_lang, LangSwitch};
use crate::app::{components::CountrySelect, words::status_name};
use crate::domain::messages::Explain;
use serde::{Deserialize, Serialize};

use crate::domain::{
    country::Country,
    date::Date,
    lang::Lang,
    link::{PageKind, Site},
    rates::{percent, Amount, Order, Programme, RegionId, RuleKind, Status},
};

/// What the page needs from the server: the rules in force and the date of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatesData {
    pub programme: Programme,
    pub today: Date,
    /// `LINKSMITH_DEFAULT_COUNTRY`: the calculator starts with it, as the check does.
    pub default_country: String,
}

/// The page's data as the JSON of [`RatesData`]: the page carries it as text from the server's
/// rendering and reads it with the domain's JSON reader (as the check page reads its set-up).
#[server(output = crate::app::codec::Json)]
pub async fn load_rates() -> Result<String, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    let data = RatesData {
        programme: (*state.config.programme).clone(),
        today: state.config.calendar.today(&state.config.clock),
        default_country: state.config.default_country.code().to_string(),
    };
    serde_json::to_string(&data).map_err(|e| ServerFnError::ServerError(e.to_string()))
}

#[component]
pub fn RatesPage() -> impl IntoView {
    let lang = use_lang();
    let i18n = use_i18n();
    // Empty when the server could not say; read below, where it is drawn.
    let data = Resource::new_str(|| (), |_| async { load_rates().await.unwrap_or_default() });
    view! {
        <section class="panel rates">
            <LangSwitch path="/rates" lang=lang />
            <h1>{move || t_string!(i18n, rates.title)}</h1>
            <p class="lead">{move || t_string!(i18n, rates.lead)}</p>
            <Suspense fallback=move || view! { <p>{tu_string!(i18n, rates.loading)}</p> }>
                {move || {
                    data.get()
                        .map(|text| match crate::domain::json::from_str::<RatesData>(&text) {
                            Ok(d) => view! { <RatesView data=d lang=lang.get() /> }.into_any(),
                            Err(_) => view! { <p class="error" role="alert">{t_string!(i18n, rates.failed)}</p> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn RatesView(data: RatesData, lang: Lang) -> impl IntoView {
    let locale = use_i18n().lang_untracked();
    let p = data.programme.clone();
    let regions = [RegionId::Cis, RegionId::NonCis];
    let header_cells = regions
        .iter()
        .map(|id| view! { <th scope="col">{p.region(*id).name.get(lang).to_string()}</th> })
        .collect_view();
    let rows = Status::ALL
        .iter()
        .map(|status| {
            let cells = regions
                .iter()
                .map(|id| {
                    let band = p.band(*id, *status);
                    view! {
                        <td title=band.source.clone()>{Programme::label(band.min, band.max, lang)}</td>
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{status_name(locale, *status)}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let cookie_cells = regions
        .iter()
        .map(|id| view! { <td>{format!("{} {}", p.region(*id).cookie_days, td_string!(locale, rates.days))}</td> })
        .collect_view();
    let cis_names = p
        .region(RegionId::Cis)
        .countries
        .iter()
        .map(|c| c.name_in(lang))
        .collect::<Vec<_>>()
        .join(", ");
    // Each rule once: rules that share a code (the 0% categories and stores without commission;
    // Tmall from Russia) are one entry, with every sentence of the terms they come from.
    let mut grouped: Vec<(&crate::domain::rates::Rule, Vec<String>)> = Vec::new();
    for r in p.rules.iter().filter(|r| r.kind != RuleKind::Note) {
        match grouped.iter_mut().find(|(first, _)| first.code == r.code) {
            Some((_, sources)) => {
                if !sources.contains(&r.source) {
                    sources.push(r.source.clone());
                }
            }
            None => grouped.push((r, vec![r.source.clone()])),
        }
    }
    let hot_band = p.band(RegionId::NonCis, Status::HotSale);
    let direct = Programme::label(hot_band.min, hot_band.max, lang);
    let rules = grouped
        .into_iter()
        .map(|(r, sources)| {
            let when = match r.from {
                Some(d) => format!("{} {d}", td_string!(locale, rates.since)),
                None => td_string!(locale, rates.always).to_string(),
            };
            view! {
                <li class="rule" data-code=r.code.as_str()>
                    <p>
                        <span class="rule-date">{when}</span>
                        " "
                        {p.message(r.code, lang).replace("{direct}", &direct)}
                    </p>
                    {sources.into_iter().map(|s| view! { <blockquote>{s}</blockquote> }).collect_view()}
                </li>
            }
        })
        .collect_view();
    let conduct = p
        .conduct
        .iter()
        .map(|c| {
            view! {
                <li class="conduct" data-id=c.id.clone()>
                    <p>{c.rule.get(lang).to_string()}</p>
                    <p class="consequence"><strong>{c.consequence.get(lang).to_string()}</strong></p>
                    <blockquote>{c.source.clone()}</blockquote>
                </li>
            }
        })
        .collect_view();
    let notes = p
        .rules
        .iter()
        .filter(|r| r.kind == RuleKind::Note)
        .map(|r| {
            let when = r
                .from
                .map(|d| format!(" ({} {d})", td_string!(locale, rates.since)))
                .unwrap_or_default();
            view! {
                <li>
                    {p.message(r.code, lang)}
                    {when}
                </li>
            }
        })
        .collect_view();
    let [lo, hi] = p.programme.confirmation_days;
    view! {
        <table class="rates-table">
            <caption>{td_string!(locale, rates.table_caption)}</caption>
            <thead>
                <tr>
                    <th scope="col">{td_string!(locale, rates.status)}</th>
                    {header_cells}
                </tr>
            </thead>
            <tbody>
                {rows}
                <tr>
                    <th scope="row">{td_string!(locale, rates.cookie)}</th>
                    {cookie_cells}
                </tr>
            </tbody>
        </table>
        <p class="hint">{format!("{}: {cis_names}.", td_string!(locale, rates.cis_members))}</p>
        <p>
            {format!(
                "{} {} USD. {} {lo}–{hi} {}.",
                td_string!(locale, rates.cap),
                percent(p.programme.order_cap_usd),
                td_string!(locale, rates.confirmation),
                td_string!(locale, rates.days),
            )}
        </p>
        <h2>{td_string!(locale, rates.rules)}</h2>
        <ul class="rules-list">{rules}</ul>
        <h2>{td_string!(locale, rates.conduct)}</h2>
        <p class="hint" data-testid="conduct-partial">{td_string!(locale, rates.conduct_partial)}</p>
        <ul class="conduct-list" data-testid="conduct">{conduct}</ul>
        <h2>{td_string!(locale, rates.notes)}</h2>
        <ul class="notes-list">{notes}</ul>
        <Calculator data=data lang=lang />
    }
}

/// Recomputes the band and the commission in the browser as the user types: no request.
#[component]
fn Calculator(data: RatesData, lang: Lang) -> impl IntoView {
    let locale = use_i18n().lang_untracked();
    let programme = StoredValue::new(data.programme.clone());
    let today = data.today;
    let country = RwSignal::new(data.default_country.clone());
    let status = RwSignal::new(Status::Affiliate);
    let amount = RwSignal::new("100".to_string());
    let status_options = Status::ALL
        .iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=*s == Status::Affiliate>{status_name(locale, *s)}</option>
            }
        })
        .collect_view();

    let answer = Memo::new(move |_| {
        let country = Country::parse(&country.get()).map_err(|e| e.message(lang))?;
        let status = status.get();
        let text = amount.get();
        let amount = if text.trim().is_empty() {
            None
        } else {
            Some(Amount::parse(&text).map_err(|e| e.message(lang))?)
        };
        let order = Order {
            country,
            status,
            exact_percent: None,
            hot_percent: None,
            kind: PageKind::Product,
            site: Site::Com,
            tmall: None,
            category: None,
            ships_from: None,
            store_country: None,
            amount,
            date: today,
        };
        Ok::<_, String>(programme.with_value(|p| p.assess(&order, lang)))
    });
    let money =
        |v: Option<f64>| v.map_or_else(|| "—".into(), |x| crate::domain::number::fixed(x, 2));

    view! {
        <h2 id="calculator">{td_string!(locale, rates.calculator)}</h2>
        <form class="calculator" on:submit=|ev| ev.prevent_default()>
            <label>
                {td_string!(locale, rates.country)}
                <CountrySelect
                    cis=programme.with_value(|p| p.region(RegionId::Cis).countries.clone())
                    value=country
                    cis_label=td_string!(locale, rates.cis_group).to_string()
                    other_label=td_string!(locale, rates.other_group).to_string()
                    id="calc-country"
                    testid="calc-country"
                    lang=lang
                />
            </label>
            <label>
                {td_string!(locale, rates.status)}
                <select name="status" data-testid="calc-status" on:change=move |ev| {
                    // The options are the statuses' own names.
                    let chosen = event_target_value(&ev);
                    if let Some(s) = Status::ALL.into_iter().find(|s| s.as_str() == chosen) {
                        status.set(s);
                    }
                }>
                    {status_options}
                </select>
            </label>
            <label>
                {td_string!(locale, rates.amount)}
                <input
                    name="amount"
                    data-testid="calc-amount"
                    inputmode="decimal"
                    autocomplete="off"
                    prop:value=move || amount.get()
                    on:input=move |ev| amount.set(event_target_value(&ev))
                />
                <span class="hint">{td_string!(locale, rates.amount_hint)}</span>
            </label>
        </form>
        <div class="calc-answer" aria-live="polite" data-testid="calc-answer">
            {move || match answer.get() {
                Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                Ok(a) => {
                    let commission = a.estimate.as_ref().map(|e| {
                        if e.commission_usd_min == e.commission_usd_max {
                            format!("{} USD", money(e.commission_usd_max))
                        } else {
                            format!("{} – {} USD", money(e.commission_usd_min), money(e.commission_usd_max))
                        }
                    });
                    let warnings = a.warnings.iter().map(|w| view! { <li data-code=w.code.as_str()>{w.message.clone()}</li> }).collect_view();
                    view! {
                        <p>
                            <strong>{td_string!(locale, rates.band)} ": "</strong>
                            <span data-testid="calc-band">{a.rate.label.clone()}</span>
                        </p>
                        {commission.map(|c| view! {
                            <p>
                                <strong>{td_string!(locale, rates.commission)} ": "</strong>
                                <span data-testid="calc-commission">{c}</span>
                            </p>
                        })}
                        <ul class="calc-warnings">{warnings}</ul>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
