//! The campaign check page: brand words in a site's domain, ad title, ad text and keywords,
//! flagged in the browser as the user types, and the negative-keyword list to copy.

use leptos::prelude::*;

use crate::app::i18n::*;

use crate::app::{
    components::CopyButton,
    lang::{use_lang, LangSwitch},
};
use crate::domain::messages::Explain;

use crate::domain::campaign::{check, CampaignInput, Field, Finding};

/// Splits `text` into (segment, is_finding) by the findings' character ranges.
fn segments(text: &str, findings: &[&Finding]) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for f in findings {
        if f.start < at || f.end > chars.len() {
            continue;
        }
        if f.start > at {
            out.push((chars[at..f.start].iter().collect(), false));
        }
        out.push((chars[f.start..f.end].iter().collect(), true));
        at = f.end;
    }
    if at < chars.len() {
        out.push((chars[at..].iter().collect(), false));
    }
    out
}

/// The field's text with its findings marked.
#[component]
fn Highlighted(text: String, findings: Vec<Finding>) -> impl IntoView {
    let refs: Vec<&Finding> = findings.iter().collect();
    let parts = segments(&text, &refs)
        .into_iter()
        .map(|(s, hit)| {
            if hit {
                view! { <mark>{s}</mark> }.into_any()
            } else {
                view! { <span>{s}</span> }.into_any()
            }
        })
        .collect_view();
    view! { <p class="highlight">{parts}</p> }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let lang = use_lang();
    let i18n = use_i18n();
    let domain = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let keywords = RwSignal::new(String::new());

    // The same function the API runs, here in the browser.
    let report = Memo::new(move |_| {
        let input = CampaignInput {
            domain: Some(domain.get()),
            title: Some(title.get()),
            text: Some(text.get()),
            keywords: keywords.with(|k| k.lines().map(str::to_string).collect()),
        };
        check(&input, lang.get())
    });
    let findings_of = move |field: Field| -> Vec<Finding> {
        report.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.findings
                        .iter()
                        .filter(|f| f.field == field)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        })
    };
    let negatives = move || {
        report.with(|r| {
            r.as_ref()
                .map(|r| r.negative_keywords.join("\n"))
                .unwrap_or_default()
        })
    };

    let field_view = move |field: Field, source: RwSignal<String>| {
        move || {
            let found = findings_of(field);
            if found.is_empty() {
                return ().into_any();
            }
            let messages = found
                .iter()
                .map(|f| view! { <li><strong>{f.matched.clone()}</strong> ": " {f.message.clone()} <blockquote>{f.rule.clone()}</blockquote></li> })
                .collect_view();
            let shown = if field == Field::Domain {
                found[0].matched.clone()
            } else {
                String::new()
            };
            let body = if field == Field::Domain {
                view! { <p class="highlight"><mark>{shown}</mark></p> }.into_any()
            } else {
                view! { <Highlighted text=source.get() findings=found.clone() /> }.into_any()
            };
            view! {
                <div class="findings" data-testid=format!("findings-{field:?}").to_ascii_lowercase()>
                    {body}
                    <ul>{messages}</ul>
                </div>
            }
            .into_any()
        }
    };

    let keyword_view = move || {
        let found = findings_of(Field::Keywords);
        let lines: Vec<String> = keywords.with(|k| k.lines().map(str::to_string).collect());
        let items = found
            .iter()
            .map(|f| {
                let line = f
                    .keyword_index
                    .and_then(|i| lines.get(i).cloned())
                    .unwrap_or_default();
                let one = vec![Finding {
                    start: f.start,
                    end: f.end,
                    ..f.clone()
                }];
                view! { <li><Highlighted text=line findings=one /> {f.message.clone()}</li> }
            })
            .collect_view();
        (!found.is_empty())
            .then(|| view! { <ul class="findings" data-testid="findings-keywords">{items}</ul> })
    };

    view! {
        <section class="panel campaign">
            <LangSwitch path="/campaign" lang=lang />
            <h1>{move || t_string!(i18n, campaign.title)}</h1>
            <p class="lead">{move || t_string!(i18n, campaign.lead)}</p>
            <p class="summary" aria-live="polite" data-testid="campaign-summary">
                {move || match report.get() {
                    Err(e) => e.message(lang.get()),
                    Ok(r) if r.findings.is_empty() => t_string!(i18n, campaign.clean).to_string(),
                    Ok(r) => format!("{} {}", r.findings.len(), t_string!(i18n, campaign.found)),
                }}
            </p>
            <form class="campaign-form" on:submit=|ev| ev.prevent_default()>
                <label for="c-domain">{move || t_string!(i18n, campaign.domain)}</label>
                <input id="c-domain" name="domain" autocomplete="off" spellcheck="false" placeholder="deals-example.com"
                    prop:value=move || domain.get() on:input=move |ev| domain.set(event_target_value(&ev)) />
                {field_view(Field::Domain, domain)}
                <label for="c-title">{move || t_string!(i18n, campaign.ad_title)}</label>
                <input id="c-title" name="title" autocomplete="off"
                    prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
                {field_view(Field::Title, title)}
                <label for="c-text">{move || t_string!(i18n, campaign.ad_text)}</label>
                <textarea id="c-text" name="text" rows="3"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                {field_view(Field::Text, text)}
                <label for="c-keywords">{move || t_string!(i18n, campaign.keywords)}</label>
                <textarea id="c-keywords" name="keywords" rows="5" spellcheck="false" aria-describedby="c-keywords-hint"
                    prop:value=move || keywords.get() on:input=move |ev| keywords.set(event_target_value(&ev))></textarea>
                <span id="c-keywords-hint" class="hint">{move || t_string!(i18n, campaign.keywords_hint)}</span>
                {keyword_view}
            </form>
            <h2>{move || t_string!(i18n, campaign.negatives)}</h2>
            <p class="hint">{move || t_string!(i18n, campaign.negatives_hint)}</p>
            <pre class="negatives" data-testid="negative-keywords">{negatives}</pre>
            <div class="form-row">
                <CopyButton
                    text=Signal::derive(negatives)
                    label=Signal::derive(move || t_string!(i18n, campaign.copy).to_string())
                    copied=Signal::derive(move || t_string!(i18n, campaign.copied).to_string())
                    failed=Signal::derive(move || t_string!(i18n, campaign.copy_failed).to_string())
                    testid="copy-negatives"
                />
            </div>
        </section>
    }
}
