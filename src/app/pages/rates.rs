//! The rates page: the programme's table by region, each special rule with its date and the
//! sentence of the terms it comes from, the standing notes, and a calculator that answers in the
//! browser. Everything is rendered from the server's validated rules (never a second copy).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::app::lang::{use_lang, LangSwitch};
use serde::{Deserialize, Serialize};

use crate::domain::{
    country::Country,
    date::Date,
    link::{PageKind, Site},
    rates::{percent, Amount, Lang, Order, Programme, RegionId, RuleKind, Status},
};

/// What the page needs from the server: the rules in force and the date of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatesData {
    pub programme: Programme,
    pub today: Date,
}

#[server]
pub async fn load_rates() -> Result<RatesData, ServerFnError> {
    let state = expect_context::<crate::server::AppState>();
    Ok(RatesData {
        programme: (*state.config.programme).clone(),
        today: crate::server::today(),
    })
}

/// The page's own words in each language.
struct Ui {
    title: &'static str,
    lead: &'static str,
    table_caption: &'static str,
    status: &'static str,
    cookie: &'static str,
    days: &'static str,
    cis_members: &'static str,
    cap: &'static str,
    confirmation: &'static str,
    rules: &'static str,
    since: &'static str,
    always: &'static str,
    notes: &'static str,
    calculator: &'static str,
    country: &'static str,
    cis_group: &'static str,
    other_group: &'static str,
    amount: &'static str,
    amount_hint: &'static str,
    band: &'static str,
    commission: &'static str,
    loading: &'static str,
    failed: &'static str,
    statuses: [&'static str; 5],
}

const EN: Ui = Ui {
    title: "Commission rates",
    lead: "The programme's rates by the buyer's delivery country, the rules that cut them, and what an order earns.",
    table_caption: "Rate bands by status and region",
    status: "Status",
    cookie: "Cookie lifetime",
    days: "days",
    cis_members: "CIS countries",
    cap: "Commission per order is at most",
    confirmation: "Orders are confirmed in",
    rules: "Rules that change the rate",
    since: "since",
    always: "always",
    notes: "Good to know for every order",
    calculator: "Calculator",
    country: "Delivery country",
    cis_group: "CIS",
    other_group: "Other countries",
    amount: "Order amount, USD (goods only)",
    amount_hint: "Shipping is excluded; commission is rounded down to the cent.",
    band: "Rate",
    commission: "Commission",
    loading: "Loading the programme's rates…",
    failed: "The rates could not be loaded. Reload the page.",
    statuses: ["Hot sale", "Affiliate", "Non-affiliate", "0% (no commission)", "Unknown status"],
};

const RU: Ui = Ui {
    title: "Ставки комиссии",
    lead: "Ставки программы по стране доставки покупателя, правила, которые их снижают, и сколько приносит заказ.",
    table_caption: "Диапазоны ставок по статусу и региону",
    status: "Статус",
    cookie: "Срок жизни cookie",
    days: "дн.",
    cis_members: "Страны СНГ",
    cap: "Комиссия за заказ не больше",
    confirmation: "Заказы подтверждаются за",
    rules: "Правила, меняющие ставку",
    since: "с",
    always: "всегда",
    notes: "Важно для каждого заказа",
    calculator: "Калькулятор",
    country: "Страна доставки",
    cis_group: "СНГ",
    other_group: "Другие страны",
    amount: "Сумма заказа, USD (только товары)",
    amount_hint: "Доставка не учитывается; комиссия округляется вниз до цента.",
    band: "Ставка",
    commission: "Комиссия",
    loading: "Загружаем ставки программы…",
    failed: "Не удалось загрузить ставки. Обновите страницу.",
    statuses: ["Hot sale", "Аффилированный", "Неаффилированный", "0% (без комиссии)", "Статус неизвестен"],
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

#[component]
pub fn RatesPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| load_rates());
    view! {
        <Title text=move || ui(lang.get()).title />
        <section class="panel rates">
            <LangSwitch path="/rates" lang=lang />
            <h1>{move || ui(lang.get()).title}</h1>
            <p class="lead">{move || ui(lang.get()).lead}</p>
            <Suspense fallback=move || view! { <p>{ui(lang.get_untracked()).loading}</p> }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Ok(d) => view! { <RatesView data=d lang=lang.get() /> }.into_any(),
                            Err(_) => view! { <p class="error" role="alert">{ui(lang.get()).failed}</p> }.into_any(),
                        })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn RatesView(data: RatesData, lang: Lang) -> impl IntoView {
    let t = ui(lang);
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
                    <th scope="row">{status_name(lang, *status)}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let cookie_cells = regions
        .iter()
        .map(|id| view! { <td>{format!("{} {}", p.region(*id).cookie_days, t.days)}</td> })
        .collect_view();
    let cis_names = p
        .region(RegionId::Cis)
        .countries
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ");
    let rules = p
        .rules
        .iter()
        .filter(|r| r.kind != RuleKind::Note)
        .map(|r| {
            let when = match r.from {
                Some(d) => format!("{} {d}", t.since),
                None => t.always.to_string(),
            };
            view! {
                <li class="rule" data-code=r.code.clone()>
                    <p>
                        <span class="rule-date">{when}</span>
                        " "
                        {p.message(&r.code, lang)}
                    </p>
                    <blockquote>{r.source.clone()}</blockquote>
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
                .map(|d| format!(" ({} {d})", t.since))
                .unwrap_or_default();
            view! {
                <li>
                    {p.message(&r.code, lang)}
                    {when}
                </li>
            }
        })
        .collect_view();
    let [lo, hi] = p.programme.confirmation_days;
    view! {
        <table class="rates-table">
            <caption>{t.table_caption}</caption>
            <thead>
                <tr>
                    <th scope="col">{t.status}</th>
                    {header_cells}
                </tr>
            </thead>
            <tbody>
                {rows}
                <tr>
                    <th scope="row">{t.cookie}</th>
                    {cookie_cells}
                </tr>
            </tbody>
        </table>
        <p class="hint">{format!("{}: {cis_names}.", t.cis_members)}</p>
        <p>
            {format!(
                "{} {} USD. {} {lo}–{hi} {}.",
                t.cap,
                percent(p.programme.order_cap_usd),
                t.confirmation,
                t.days,
            )}
        </p>
        <h2>{t.rules}</h2>
        <ul class="rules-list">{rules}</ul>
        <h2>{t.notes}</h2>
        <ul class="notes-list">{notes}</ul>
        <Calculator data=data lang=lang />
    }
}

/// Recomputes the band and the commission in the browser as the user types: no request.
#[component]
fn Calculator(data: RatesData, lang: Lang) -> impl IntoView {
    let t = ui(lang);
    let programme = StoredValue::new(data.programme.clone());
    let today = data.today;
    let country = RwSignal::new("US".to_string());
    let status = RwSignal::new(Status::Affiliate.as_str().to_string());
    let amount = RwSignal::new("100".to_string());
    let cis: Vec<Country> = data.programme.region(RegionId::Cis).countries.clone();
    let mut others: Vec<(Country, &'static str)> =
        Country::all().filter(|(c, _)| !cis.contains(c)).collect();
    others.sort_by_key(|(_, name)| *name);
    let option = |c: Country| {
        let code = c.code().to_string();
        view! { <option value=code.clone() selected=code == "US">{format!("{} ({code})", c.name())}</option> }
    };
    let cis_options = cis.iter().map(|c| option(*c)).collect_view();
    let other_options = others.iter().map(|(c, _)| option(*c)).collect_view();
    let status_options = Status::ALL
        .iter()
        .map(|s| {
            view! {
                <option value=s.as_str() selected=*s == Status::Affiliate>{status_name(lang, *s)}</option>
            }
        })
        .collect_view();

    let answer = Memo::new(move |_| {
        let country = Country::parse(&country.get()).map_err(|e| e.to_string())?;
        let status: Status = serde_json::from_value(serde_json::Value::String(status.get()))
            .map_err(|e| e.to_string())?;
        let text = amount.get();
        let amount = if text.trim().is_empty() {
            None
        } else {
            Some(Amount::parse(&text).map_err(|e| e.to_string())?)
        };
        let order = Order {
            country,
            status,
            exact_percent: None,
            kind: PageKind::Product,
            site: Site::Com,
            tmall: false,
            category: None,
            ships_from: None,
            amount,
            date: today,
        };
        Ok::<_, String>(programme.with_value(|p| p.assess(&order, lang)))
    });
    let money = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into());

    view! {
        <h2 id="calculator">{t.calculator}</h2>
        <form class="calculator" on:submit=|ev| ev.prevent_default()>
            <label>
                {t.country}
                <select
                    name="country"
                    data-testid="calc-country"
                    on:change=move |ev| country.set(event_target_value(&ev))
                >
                    <optgroup label=t.cis_group>{cis_options}</optgroup>
                    <optgroup label=t.other_group>{other_options}</optgroup>
                </select>
            </label>
            <label>
                {t.status}
                <select name="status" data-testid="calc-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    {status_options}
                </select>
            </label>
            <label>
                {t.amount}
                <input
                    name="amount"
                    data-testid="calc-amount"
                    inputmode="decimal"
                    autocomplete="off"
                    prop:value=move || amount.get()
                    on:input=move |ev| amount.set(event_target_value(&ev))
                />
                <span class="hint">{t.amount_hint}</span>
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
                    let warnings = a.warnings.iter().map(|w| view! { <li data-code=w.code.clone()>{w.message.clone()}</li> }).collect_view();
                    view! {
                        <p>
                            <strong>{t.band} ": "</strong>
                            <span data-testid="calc-band">{a.rate.label.clone()}</span>
                        </p>
                        {commission.map(|c| view! {
                            <p>
                                <strong>{t.commission} ": "</strong>
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
