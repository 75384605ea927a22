//! The product page reader: fetches a product page through the guarded fetcher and reads its
//! title, main image, category (breadcrumb), availability, store id and country, Tmall and
//! ship-from country, from whichever of the shapes AliExpress serves the page carries:
//!
//! - `window.runParams`'s component layout (`data: { productInfoComponent, sellerComponent,
//!   skuComponent, ... }`), whose lists are sometimes written as objects (`{"0": …, "1": …}`);
//! - the older module layout (`data: { titleModule, imageModule, storeModule, crossLinkModule,
//!   actionModule, skuModule, ... }`);
//! - aliexpress.ru's server-rendered state (`<script id="__AER_DATA__">`: a tree of widgets whose
//!   `props` or `state.data` hold the product, its store and its delivery);
//! - JSON-LD (`Product`, `BreadcrumbList`), meta tags (`og:title`, `og:image`), the `<title>` and
//!   HTML breadcrumbs.
//!
//! [`read`] is the one reading: the server's [`PageReader`] and `linksmith inspect` both call it.
//! It never panics and its work is bounded by the page's size (JSON nesting is bounded by
//! serde_json's recursion limit, walks over embedded data by [`MAX_NODES`]).

use std::time::Duration;

use scraper::{Html, Node, Selector};
use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use super::fetch::{FetchError, GuardedFetcher, Hop};
use crate::domain::{country::Country, link::path::valid_store_id};

pub use crate::domain::sources::PageFacts;

/// A product page must be fetched within this time (redirects included).
pub const PAGE_BUDGET: Duration = Duration::from_millis(1500);

/// At most this many JSON values of the embedded data are visited in one walk.
pub const MAX_NODES: usize = 200_000;

/// At most this many items of one list are looked at.
const MAX_ITEMS: usize = 500;

/// Sentences of the site's "gone" pages, in the languages it serves (the page's visible text,
/// never its scripts: every product page carries these sentences in its translations).
const GONE: &[&str] = &[
    "no longer available",
    "this item is no longer available",
    "page not found",
    "the page you requested can not be found",
    "товар больше не доступен",
    "этот товар недоступен",
    "товар закончился",
];

/// The AliExpress property whose values are the ship-from countries ("Ships From").
const SHIPS_FROM_PROPERTY: u64 = 200007763;

/// What a page reads, with where each fact came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub facts: PageFacts,
    pub origins: Origins,
}

/// The part of the page each fact came from (`None`: nothing on the page said it), such as
/// `runParams.productInfoComponent`, `__AER_DATA__ product`, `json-ld Product` or `meta og:title`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origins {
    pub title: Option<&'static str>,
    pub image_url: Option<&'static str>,
    pub category: Option<&'static str>,
    pub available: Option<&'static str>,
    pub store_id: Option<&'static str>,
    pub store_country: Option<&'static str>,
    pub tmall: Option<&'static str>,
    pub ships_from: Option<&'static str>,
}

impl Reading {
    /// The reading as `linksmith inspect` prints it: each fact as `{"value": …, "from": …}`.
    pub fn to_json(&self) -> Value {
        let (f, o) = (&self.facts, &self.origins);
        let fact = |value: Value, from: Option<&str>| json!({ "value": value, "from": from });
        json!({
            "title": fact(json!(f.title), o.title),
            "image_url": fact(json!(f.image_url), o.image_url),
            "category": fact(json!(f.category), o.category),
            "available": fact(json!(f.available), o.available),
            "store_id": fact(json!(f.store_id), o.store_id),
            "store_country": fact(json!(f.store_country), o.store_country),
            "tmall": fact(json!(f.tmall), o.tmall),
            "ships_from": fact(json!(f.ships_from), o.ships_from),
        })
    }
}

/// A fact and where it came from.
type Found<T> = Option<(T, &'static str)>;

mod fields;
mod layouts;

use fields::*;
use layouts::*;

/// The visible text of the page's body, lower-cased (scripts, styles and templates left out).
fn visible_text(doc: &Html) -> String {
    let mut out = String::new();
    let Some(body) = select(doc, "body").into_iter().next() else {
        return out;
    };
    for node in body.descendants() {
        let Node::Text(text) = node.value() else {
            continue;
        };
        let hidden = node
            .parent()
            .and_then(|p| p.value().as_element().map(|e| e.name().to_string()))
            .is_some_and(|n| matches!(n.as_str(), "script" | "style" | "noscript" | "template"));
        if !hidden {
            out.push_str(&text.to_lowercase());
            out.push(' ');
        }
    }
    out
}

/// Reads a product page's HTML. `status` is the HTTP status it came with.
pub fn read_page(html: &str, status: u16) -> PageFacts {
    read(html, status).facts
}

/// Reads a product page's HTML, with where each fact came from. `status` is the HTTP status it
/// came with (a saved page: 200).
pub fn read(html: &str, status: u16) -> Reading {
    let doc = Html::parse_document(html);
    let ld = json_ld(&doc);
    let product = of_type(&ld, "Product");
    let scripts = scripts(&doc);
    let run = run_params(&scripts);
    let run = run.as_ref().map(RunParams);
    let aer = aer_data(&doc, &scripts)
        .map(|v| read_aer(&v))
        .unwrap_or_default();

    let title: Found<String> = run
        .as_ref()
        .and_then(RunParams::title)
        .or_else(|| aer.title.clone().map(|t| (t, "__AER_DATA__ product")))
        .or_else(|| {
            product
                .and_then(|p| first_text(&p["name"]))
                .map(|t| (t, "json-ld Product"))
        })
        .or_else(|| meta(&doc, "og:title").map(|t| (t, "meta og:title")))
        .or_else(|| {
            select(&doc, "title")
                .first()
                .map(|t| (t.text().collect::<String>(), "title"))
        })
        .and_then(|(t, origin)| clean_title(&t).map(|t| (t, origin)));

    let image_url: Found<String> = meta(&doc, "og:image")
        .and_then(|u| image(&u))
        .map(|u| (u, "meta og:image"))
        .or_else(|| {
            product
                .and_then(|p| first_text(&p["image"]))
                .and_then(|u| image(&u))
                .map(|u| (u, "json-ld Product"))
        })
        .or_else(|| run.as_ref().and_then(RunParams::image))
        .or_else(|| aer.image.clone().map(|u| (u, "__AER_DATA__ product")));

    let category: Found<String> = of_type(&ld, "BreadcrumbList")
        .and_then(|b| {
            let mut crumbs = items(&b["itemListElement"]);
            crumbs.sort_by_key(|i| i["position"].as_u64().unwrap_or(0));
            first_category(crumbs)
        })
        .map(|c| (c, "json-ld BreadcrumbList"))
        .or_else(|| run.as_ref().and_then(RunParams::category))
        .or_else(|| {
            select(&doc, "[class*=\"breadcrumb\"] a")
                .iter()
                .map(|a| a.text().collect::<String>().trim().to_string())
                .find(|t| !is_root_crumb(t))
                .map(|c| (c, "html breadcrumb"))
        });

    let store_id: Found<String> = run
        .as_ref()
        .and_then(RunParams::store_id)
        .or_else(|| aer.store_id.clone().map(|id| (id, "__AER_DATA__ store")));
    let store_country = run.as_ref().and_then(RunParams::store_country);
    let tmall: Found<bool> = run.as_ref().and_then(RunParams::tmall).or_else(|| {
        aer.product_tmall
            .map(|t| (t, "__AER_DATA__ product"))
            .or_else(|| aer.store_tmall.map(|t| (t, "__AER_DATA__ store")))
    });
    let ships_from: Found<Country> = run
        .as_ref()
        .and_then(RunParams::ships_from)
        .or_else(|| aer.ships_from.map(|c| (c, "__AER_DATA__ product")))
        .or_else(|| aer.delivery_from.map(|c| (c, "__AER_DATA__ delivery")));

    // Availability: gone when anything says so; otherwise available, stated by what says so.
    let offer = product.and_then(|p| {
        let a = p["offers"]["availability"]
            .as_str()
            .or_else(|| p["offers"][0]["availability"].as_str())?;
        let gone =
            a.ends_with("OutOfStock") || a.ends_with("Discontinued") || a.ends_with("SoldOut");
        Some((!gone, "json-ld Product offers"))
    });
    let stock = run
        .as_ref()
        .and_then(RunParams::in_stock)
        .or_else(|| aer.in_stock.map(|s| (s, "__AER_DATA__ product")));
    let text = visible_text(&doc);
    let says_gone = GONE
        .iter()
        .any(|g| text.contains(g))
        .then_some((false, "page text"));
    let http = (!(200..300).contains(&status)).then_some((false, "http status"));
    let said = [http, offer, stock, says_gone];
    let available: Found<bool> = said
        .iter()
        .flatten()
        .find(|(available, _)| !available)
        .or_else(|| said.iter().flatten().next())
        .copied();

    Reading {
        facts: PageFacts {
            title: title.as_ref().map(|(t, _)| t.clone()),
            image_url: image_url.as_ref().map(|(u, _)| u.clone()),
            category: category.as_ref().map(|(c, _)| c.clone()),
            available: available.is_none_or(|(a, _)| a),
            store_country: store_country.map(|(c, _)| c),
            store_id: store_id.as_ref().map(|(id, _)| id.clone()),
            tmall: tmall.map(|(t, _)| t),
            ships_from: ships_from.map(|(c, _)| c),
        },
        origins: Origins {
            title: title.map(|(_, o)| o),
            image_url: image_url.map(|(_, o)| o),
            category: category.map(|(_, o)| o),
            available: available.map(|(_, o)| o),
            store_id: store_id.map(|(_, o)| o),
            store_country: store_country.map(|(_, o)| o),
            tmall: tmall.map(|(_, o)| o),
            ships_from: ships_from.map(|(_, o)| o),
        },
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
        tokio::task::spawn_blocking(move || read(&body, status).facts)
            .await
            .map_err(|_| FetchError::Network)
    }
}

/// `linksmith inspect` reads saved pages of at most this size.
pub const MAX_INSPECT_BYTES: u64 = 8 * 1024 * 1024;

/// `linksmith inspect <file.html>`: prints, as pretty JSON, what [`read`] reads from a saved
/// product page and which part of the page each fact came from. Exit 0 whatever it finds; 2 with
/// one sentence on stderr when the file cannot be read or is over [`MAX_INSPECT_BYTES`]. A file
/// that is not UTF-8 is read with its invalid bytes replaced.
pub fn inspect_cli(file: &str) -> std::process::ExitCode {
    use std::{
        io::{Read, Write},
        process::ExitCode,
    };
    let refuse = |why: String| {
        eprintln!("linksmith inspect: {why}");
        ExitCode::from(2)
    };
    let mut bytes = Vec::new();
    let loaded = std::fs::File::open(file)
        .and_then(|f| f.take(MAX_INSPECT_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = loaded {
        return refuse(format!("cannot read {file}: {e}"));
    }
    if bytes.len() as u64 > MAX_INSPECT_BYTES {
        return refuse(format!(
            "{file} is over 8 MiB; a saved product page is smaller, so it is not read"
        ));
    }
    let html = String::from_utf8_lossy(&bytes);
    let reading = read(&html, 200);
    let json = serde_json::to_string_pretty(&reading.to_json()).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{json}").and_then(|()| out.flush()) {
        // A reader that stopped early (`| head`) has what it wanted.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("linksmith inspect: cannot write the reading: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}
