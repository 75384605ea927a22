//! The product page reader: fetches a product page through the guarded fetcher and reads its
//! title, main image, category (breadcrumb) and availability from meta tags, JSON-LD and the
//! page's embedded data, whichever is present.

use std::time::Duration;

use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use super::fetch::{FetchError, GuardedFetcher, Hop};
use crate::domain::country::Country;

pub use crate::domain::sources::PageFacts;

/// A product page must be fetched within this time (redirects included).
pub const PAGE_BUDGET: Duration = Duration::from_millis(1500);

/// Sentences of the site's "gone" pages, in the languages it serves.
const GONE: &[&str] = &[
    "no longer available",
    "this item is no longer available",
    "page not found",
    "товар больше не доступен",
    "этот товар недоступен",
    "товар закончился",
];

/// Breadcrumb entries that are not a category.
fn is_root_crumb(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    matches!(
        n.as_str(),
        "home" | "aliexpress" | "all categories" | "главная" | "все категории" | ""
    )
}

fn clean_title(t: &str) -> Option<String> {
    let t = t.trim();
    // "Product - AliExpress 44", "Product | AliExpress".
    let t = [
        "- AliExpress",
        "| AliExpress",
        "- Aliexpress",
        "– AliExpress",
    ]
    .iter()
    .find_map(|sep| t.rfind(sep).map(|i| t[..i].trim()))
    .unwrap_or(t);
    (!t.is_empty()).then(|| t.chars().take(300).collect())
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    match Selector::parse(css) {
        Ok(sel) => doc.select(&sel).collect(),
        Err(_) => Vec::new(),
    }
}

fn meta(doc: &Html, property: &str) -> Option<String> {
    select(
        doc,
        &format!("meta[property=\"{property}\"], meta[name=\"{property}\"]"),
    )
    .into_iter()
    .find_map(|m| {
        m.value()
            .attr("content")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
    })
}

/// JSON-LD objects of the page (arrays and `@graph` flattened).
fn json_ld(doc: &Html) -> Vec<Value> {
    let mut out = Vec::new();
    for script in select(doc, "script[type=\"application/ld+json\"]") {
        let text: String = script.text().collect();
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items),
                Value::Object(ref o) if o.contains_key("@graph") => stack.push(o["@graph"].clone()),
                v @ Value::Object(_) => out.push(v),
                _ => {}
            }
        }
    }
    out
}

fn of_type<'a>(objects: &'a [Value], ty: &str) -> Option<&'a Value> {
    objects.iter().find(|o| match &o["@type"] {
        Value::String(t) => t == ty,
        Value::Array(ts) => ts.iter().any(|t| t == ty),
        _ => false,
    })
}

fn first_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(items) => items.iter().find_map(first_text),
        Value::Object(o) => o.get("url").or_else(|| o.get("name")).and_then(first_text),
        _ => None,
    }
}

/// The page's embedded data: `window.runParams = {...};`.
fn run_params(doc: &Html) -> Option<Value> {
    for script in select(doc, "script:not([src])") {
        let text: String = script.text().collect();
        let Some(start) = text.find("runParams") else {
            continue;
        };
        let rest = &text[start..];
        let Some(open) = rest.find('{') else { continue };
        // The object runs to its matching brace; serde_json reads one value and stops.
        let mut de = serde_json::Deserializer::from_str(&rest[open..]).into_iter::<Value>();
        if let Some(Ok(v)) = de.next() {
            return Some(v);
        }
    }
    None
}

/// The seller's country from the page's seller data: `localSellerTag` ("RU", "CN") or
/// `countryCompleteName` ("Russian Federation", "China"), whichever names a country.
fn seller_country(data: &Value) -> Option<Country> {
    let seller = &data["sellerComponent"];
    if let Some(c) = seller["localSellerTag"]
        .as_str()
        .and_then(|t| Country::parse(t.trim()).ok())
    {
        return Some(c);
    }
    let name = seller["countryCompleteName"].as_str()?.trim();
    let name = match name.to_ascii_lowercase().as_str() {
        "russian federation" => "Russia",
        "china (mainland)" | "mainland china" => "China",
        _ => name,
    };
    Country::all()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| c)
}

/// Reads a product page's HTML. `status` is the HTTP status it came with.
pub fn read_page(html: &str, status: u16) -> PageFacts {
    let doc = Html::parse_document(html);
    let ld = json_ld(&doc);
    let product = of_type(&ld, "Product");
    let embedded = run_params(&doc);
    let data = embedded.as_ref().map(|v| v.get("data").unwrap_or(v));

    let title = meta(&doc, "og:title")
        .or_else(|| product.and_then(|p| first_text(&p["name"])))
        .or_else(|| data.and_then(|d| first_text(&d["titleModule"]["subject"])))
        .or_else(|| {
            select(&doc, "title")
                .first()
                .map(|t| t.text().collect::<String>())
        })
        .and_then(|t| clean_title(&t));
    let image_url = meta(&doc, "og:image")
        .or_else(|| product.and_then(|p| first_text(&p["image"])))
        .or_else(|| data.and_then(|d| first_text(&d["imageModule"]["imagePathList"])))
        .filter(|u| u.starts_with("https://") || u.starts_with("//"))
        .map(|u| {
            if u.starts_with("//") {
                format!("https:{u}")
            } else {
                u
            }
        })
        .filter(|u| super::open_platform::https_url(u));

    let crumbs: Vec<String> = of_type(&ld, "BreadcrumbList")
        .and_then(|b| b["itemListElement"].as_array().cloned())
        .map(|items| {
            let mut items = items;
            items.sort_by_key(|i| i["position"].as_u64().unwrap_or(0));
            items
                .iter()
                .filter_map(|i| first_text(&i["name"]).or_else(|| first_text(&i["item"]["name"])))
                .collect()
        })
        .filter(|c: &Vec<String>| !c.is_empty())
        .or_else(|| {
            data.and_then(|d| d["crossLinkModule"]["breadCrumbPathList"].as_array())
                .map(|list| list.iter().filter_map(|c| first_text(&c["name"])).collect())
        })
        .or_else(|| {
            let html_crumbs: Vec<String> = select(&doc, "[class*=\"breadcrumb\"] a")
                .iter()
                .map(|a| a.text().collect::<String>().trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            (!html_crumbs.is_empty()).then_some(html_crumbs)
        })
        .unwrap_or_default();
    let category = crumbs.into_iter().find(|c| !is_root_crumb(c));

    let offer_gone = product.is_some_and(|p| {
        let a = p["offers"]["availability"].as_str().unwrap_or("");
        a.ends_with("OutOfStock") || a.ends_with("Discontinued") || a.ends_with("SoldOut")
    });
    let body_text = select(&doc, "body")
        .first()
        .map(|b| b.text().collect::<String>().to_lowercase())
        .unwrap_or_default();
    let says_gone = GONE.iter().any(|g| body_text.contains(g));
    let available = (200..300).contains(&status) && !offer_gone && !says_gone;
    PageFacts {
        title,
        image_url,
        category,
        available,
        store_country: data.and_then(seller_country),
    }
}

/// Fetches and reads product pages. `base` replaces the scheme, host and port of the product's
/// address (tests point it at a local server; production leaves it unset).
#[derive(Clone)]
pub struct PageReader {
    fetcher: GuardedFetcher,
    base: Option<Url>,
    budget: Duration,
}

impl PageReader {
    pub fn new(fetcher: GuardedFetcher, base: Option<Url>, budget: Duration) -> Self {
        PageReader {
            fetcher,
            base,
            budget,
        }
    }

    pub fn product_url(&self, canonical: &str) -> Option<Url> {
        let url = Url::parse(canonical).ok()?;
        match &self.base {
            None => Some(url),
            Some(base) => base.join(url.path()).ok(),
        }
    }

    /// Reads the product page at the link's canonical address.
    pub async fn read(&self, canonical: &str) -> Result<PageFacts, FetchError> {
        let url = self.product_url(canonical).ok_or(FetchError::BadRedirect)?;
        let fetched = self.fetcher.get(url, self.budget, |_| Hop::Follow).await?;
        let status = fetched.status.as_u16();
        if status == 404 || status == 410 {
            return Ok(PageFacts {
                available: false,
                ..PageFacts::default()
            });
        }
        if !fetched.status.is_success() {
            return Err(FetchError::Status { status });
        }
        // Parsing a 2 MiB page is milliseconds of one core: off the async workers.
        let body = fetched.body;
        tokio::task::spawn_blocking(move || read_page(&body, status))
            .await
            .map_err(|_| FetchError::Network)
    }
}
