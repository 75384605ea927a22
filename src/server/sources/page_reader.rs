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

/// Breadcrumb entries that are not a category.
fn is_root_crumb(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    matches!(
        n.as_str(),
        "home"
            | "aliexpress"
            | "all categories"
            | "главная"
            | "все категории"
            | "inicio"
            | "todas las categorías"
            | "início"
            | "página inicial"
            | "todas as categorias"
            | "accueil"
            | "toutes les catégories"
            | "startseite"
            | "alle kategorien"
            | "tutte le categorie"
            | ""
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
    // The site's og:title: "8.7US $ 11% OFF|Product|keywords", "1986.69MXN$ |Product|keywords":
    // the price, then the title.
    let mut parts = t.split('|');
    let t = match (parts.next(), parts.next()) {
        (Some(price), Some(title))
            if price.bytes().any(|b| b.is_ascii_digit())
                && ["$", "€", "£", "₽", "¥", "руб"]
                    .iter()
                    .any(|c| price.contains(c)) =>
        {
            title.trim()
        }
        _ => t,
    };
    // The site's own name is the title of pages that are not a product's (its "gone" page).
    let site = ["aliexpress", "aliexpress.com", "aliexpress.ru"]
        .iter()
        .any(|n| t.eq_ignore_ascii_case(n));
    (!t.is_empty() && !site).then(|| t.chars().take(300).collect())
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
        let mut visited = 0;
        while let Some(v) = stack.pop() {
            visited += 1;
            if visited > MAX_NODES {
                break;
            }
            match v {
                Value::Array(items) => stack.extend(items),
                Value::Object(mut o) if o.contains_key("@graph") => {
                    stack.push(o.remove("@graph").unwrap_or(Value::Null));
                }
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
        Value::Array(items) => items.iter().take(MAX_ITEMS).find_map(first_text),
        Value::Object(o) => o.get("url").or_else(|| o.get("name")).and_then(first_text),
        _ => None,
    }
}

/// A list's items, whether the page wrote it as an array or as an object keyed "0", "1", ...
/// (in key order); anything else has none.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().take(MAX_ITEMS).collect(),
        Value::Object(o) => {
            let mut keyed: Vec<(u64, &Value)> = Vec::new();
            for (k, v) in o.iter().take(MAX_ITEMS) {
                match k.parse::<u64>() {
                    Ok(i) => keyed.push((i, v)),
                    Err(_) => return Vec::new(),
                }
            }
            keyed.sort_by_key(|(i, _)| *i);
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

/// A number or the digits of a string, as text (ids are written both ways).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// An https image address (`//host/...` made https), or nothing.
fn image(url: &str) -> Option<String> {
    let url = url.trim();
    let url = if url.starts_with("//") {
        format!("https:{url}")
    } else if url.starts_with("https://") {
        url.to_string()
    } else {
        return None;
    };
    super::open_platform::https_url(&url).then_some(url)
}

/// The store id in a store address: `//es.aliexpress.com/store/1357038`,
/// `https://aliexpress.ru/store/1100036170`.
fn store_id_in(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/store/")?;
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    valid_store_id(&id).then_some(id)
}

fn valid_id(v: &Value) -> Option<String> {
    id_text(v).filter(|id| valid_store_id(id))
}

/// A country by its code ("CN", "uk") or its English name ("China", "Russian Federation").
fn country(text: &str) -> Option<Country> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("UK") {
        return Country::parse("GB").ok();
    }
    if let Ok(c) = Country::parse(t) {
        return Some(c);
    }
    let name = match t.to_ascii_lowercase().as_str() {
        "russian federation" => "Russia",
        "china (mainland)" | "mainland china" => "China",
        _ => t,
    };
    Country::all()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| c)
}

/// The seller's country in seller data: `localSellerTag` ("RU", "CN") or `countryCompleteName`
/// ("Russian Federation", "China"), whichever names a country.
fn seller_country(seller: &Value) -> Option<Country> {
    seller["localSellerTag"]
        .as_str()
        .and_then(|t| Country::parse(t.trim()).ok())
        .or_else(|| seller["countryCompleteName"].as_str().and_then(country))
}

/// An explicit Tmall flag: `isTmall` / `tmall` (true or false), or `platformProductType`
/// (`TMALL`, `PLAZA`) as the Open Platform names it.
fn tmall_flag(o: &Value) -> Option<bool> {
    ["isTmall", "tmall"]
        .iter()
        .find_map(|k| o.get(k).and_then(Value::as_bool))
        .or_else(|| {
            match o
                .get("platformProductType")?
                .as_str()?
                .trim()
                .to_ascii_uppercase()
                .as_str()
            {
                "TMALL" => Some(true),
                "PLAZA" => Some(false),
                _ => None,
            }
        })
}

/// The first category in a breadcrumb: entries with a `cateId` of 0 are the site's own (home, all
/// categories) whatever their language; without ids, the known root names are skipped.
fn first_category<'a>(crumbs: impl IntoIterator<Item = &'a Value>) -> Option<String> {
    crumbs.into_iter().find_map(|c| {
        let root = match c.get("cateId").and_then(number) {
            Some(id) => id == 0,
            None => false,
        };
        let name = first_text(&c["name"]).or_else(|| first_text(&c["item"]["name"]))?;
        (!root && !is_root_crumb(&name)).then_some(name)
    })
}

/// The ship-from country of SKU properties: the "Ships From" property's selected value (from
/// `selectedSkuAttr`, "200007763:201336100#CHINA;14:771"), else its only country.
fn sku_ships_from(properties: &Value, selected: Option<&str>) -> Option<Country> {
    let mut codes: Vec<(String, Country)> = Vec::new();
    for p in items(properties) {
        for v in items(
            p.get("skuPropertyValues")
                .or_else(|| p.get("values"))
                .unwrap_or(&Value::Null),
        ) {
            let Some(c) = v["skuPropertySendGoodsCountryCode"]
                .as_str()
                .and_then(country)
            else {
                continue;
            };
            let id = ["propertyValueIdLong", "propertyValueId", "id"]
                .iter()
                .find_map(|k| v.get(k).and_then(id_text))
                .unwrap_or_default();
            codes.push((id, c));
        }
    }
    if let Some(selected) = selected {
        let chosen = selected.split(';').find_map(|pair| {
            let (prop, value) = pair.split_once(':')?;
            let value = value.split('#').next()?.trim();
            (prop.trim().parse::<u64>().ok() == Some(SHIPS_FROM_PROPERTY))
                .then(|| codes.iter().find(|(id, _)| id == value).map(|(_, c)| *c))
                .flatten()
        });
        if chosen.is_some() {
            return chosen;
        }
    }
    let first = codes.first()?.1;
    codes.iter().all(|(_, c)| *c == first).then_some(first)
}

/// `window.runParams`'s data, in either layout.
struct RunParams<'a>(&'a Value);

impl RunParams<'_> {
    /// The first of these parts that the page has, with its origin.
    fn part(&self, parts: &[(&str, &'static str)]) -> Option<(&Value, &'static str)> {
        parts.iter().find_map(|(k, origin)| {
            self.0
                .get(*k)
                .filter(|v| v.is_object())
                .map(|v| (v, *origin))
        })
    }

    fn title(&self) -> Found<String> {
        [
            ("productInfoComponent", "runParams.productInfoComponent"),
            ("titleModule", "runParams.titleModule"),
        ]
        .iter()
        .find_map(|(k, origin)| first_text(&self.0[*k]["subject"]).map(|t| (t, *origin)))
    }

    fn image(&self) -> Found<String> {
        [
            ("imageComponent", "runParams.imageComponent"),
            ("imageModule", "runParams.imageModule"),
        ]
        .iter()
        .find_map(|(k, origin)| {
            let first = items(&self.0[*k]["imagePathList"]).into_iter().next()?;
            image(first.as_str()?).map(|u| (u, *origin))
        })
    }

    fn category(&self) -> Found<String> {
        [
            (
                "breadcrumbComponent",
                "pathList",
                "runParams.breadcrumbComponent",
            ),
            (
                "crossLinkModule",
                "breadCrumbPathList",
                "runParams.crossLinkModule",
            ),
        ]
        .iter()
        .find_map(|(k, list, origin)| {
            first_category(items(&self.0[*k][*list])).map(|c| (c, *origin))
        })
    }

    fn seller(&self) -> Option<(&Value, &'static str)> {
        self.part(&[
            ("sellerComponent", "runParams.sellerComponent"),
            ("storeModule", "runParams.storeModule"),
        ])
    }

    fn store_id(&self) -> Found<String> {
        self.seller()
            .and_then(|(seller, origin)| {
                valid_id(&seller["storeNum"])
                    .or_else(|| seller["storeURL"].as_str().and_then(store_id_in))
                    .map(|id| (id, origin))
            })
            .or_else(|| {
                valid_id(&self.0["actionModule"]["storeNum"])
                    .map(|id| (id, "runParams.actionModule"))
            })
    }

    fn store_country(&self) -> Found<Country> {
        let (seller, origin) = self.seller()?;
        seller_country(seller).map(|c| (c, origin))
    }

    fn tmall(&self) -> Found<bool> {
        [
            ("sellerComponent", "runParams.sellerComponent"),
            ("productTagComponent", "runParams.productTagComponent"),
            ("productInfoComponent", "runParams.productInfoComponent"),
            ("storeModule", "runParams.storeModule"),
            ("commonModule", "runParams.commonModule"),
        ]
        .iter()
        .find_map(|(k, origin)| self.0.get(*k).and_then(tmall_flag).map(|t| (t, *origin)))
    }

    fn ships_from(&self) -> Found<Country> {
        let sku = [
            ("skuComponent", "runParams.skuComponent"),
            ("skuModule", "runParams.skuModule"),
        ]
        .iter()
        .find_map(|(k, origin)| {
            let sku = &self.0[*k];
            sku_ships_from(
                &sku["productSKUPropertyList"],
                sku["selectedSkuAttr"].as_str(),
            )
            .map(|c| (c, *origin))
        });
        sku.or_else(|| {
            let freight = &self.0["webGeneralFreightCalculateComponent"];
            items(&freight["originalLayoutResultList"])
                .into_iter()
                .find_map(|r| r["bizData"]["shipFrom"].as_str().and_then(country))
                .map(|c| (c, "runParams.webGeneralFreightCalculateComponent"))
        })
    }

    /// In stock or not, by the page's stock count.
    fn in_stock(&self) -> Found<bool> {
        [
            ("inventoryComponent", "runParams.inventoryComponent"),
            ("quantityModule", "runParams.quantityModule"),
            ("actionModule", "runParams.actionModule"),
        ]
        .iter()
        .find_map(|(k, origin)| number(&self.0[*k]["totalAvailQuantity"]).map(|n| (n > 0, *origin)))
    }
}

/// What aliexpress.ru's server-rendered state says.
#[derive(Default)]
struct Aer {
    title: Option<String>,
    image: Option<String>,
    store_id: Option<String>,
    store_tmall: Option<bool>,
    product_tmall: Option<bool>,
    ships_from: Option<Country>,
    delivery_from: Option<Country>,
    in_stock: Option<bool>,
}

/// Reads the widgets of aliexpress.ru's state: the product is the object with a `name` and a
/// `gallery` or `skuInfo` (`props` of the product widget, or `state.data` in older pages); the
/// store the object with a `name` and a `/store/<id>` `url`; the delivery's `from.countryCode`.
fn read_aer(root: &Value) -> Aer {
    let mut aer = Aer::default();
    let mut stack: Vec<(Option<&str>, &Value)> = vec![(None, root)];
    let mut visited = 0;
    while let Some((key, v)) = stack.pop() {
        visited += 1;
        if visited > MAX_NODES {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().rev().map(|v| (None, v))),
            Value::Object(o) => {
                let name = o.get("name").and_then(first_text);
                let sku = o.get("skuInfo").filter(|s| s.is_object());
                if aer.title.is_none()
                    && name.is_some()
                    && (o.contains_key("gallery") || sku.is_some())
                {
                    aer.title.clone_from(&name);
                    aer.image = items(o.get("gallery").unwrap_or(&Value::Null))
                        .into_iter()
                        .find_map(|g| {
                            g["imageUrl"]
                                .as_str()
                                .or_else(|| g["previewUrl"].as_str())
                                .and_then(image)
                        });
                    aer.product_tmall = tmall_flag(v);
                    if let Some(sku) = sku {
                        aer.ships_from = aer_ships_from(sku, o.get("activeSkuId"));
                        let quantities: Vec<u64> = items(&sku["priceList"])
                            .into_iter()
                            .filter_map(|p| number(&p["availQuantity"]))
                            .collect();
                        aer.in_stock =
                            (!quantities.is_empty()).then(|| quantities.iter().any(|n| *n > 0));
                    }
                }
                if aer.store_id.is_none() && name.is_some() {
                    if let Some(id) = o.get("url").and_then(Value::as_str).and_then(store_id_in) {
                        aer.store_id = Some(id);
                        aer.store_tmall = tmall_flag(v);
                    }
                }
                if key == Some("delivery") && aer.delivery_from.is_none() {
                    aer.delivery_from = v["from"]["countryCode"].as_str().and_then(country);
                }
                stack.extend(o.iter().rev().map(|(k, v)| (Some(k.as_str()), v)));
            }
            _ => {}
        }
    }
    aer
}

/// The ship-from country of aliexpress.ru's SKU data: the active SKU's `sendGoodsCountryCode`,
/// else the properties' only `skuPropertySendGoodsCountryCode`.
fn aer_ships_from(sku: &Value, active: Option<&Value>) -> Option<Country> {
    let active = active.and_then(id_text);
    items(&sku["priceList"])
        .into_iter()
        .find(|p| active.is_some() && p.get("skuId").and_then(id_text) == active)
        .and_then(|p| p["sendGoodsCountryCode"].as_str().and_then(country))
        .or_else(|| sku_ships_from(&sku["propertyList"], None))
}

/// The JSON value at the start of `text` (serde_json reads one value and stops).
fn leading_object(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match de.next() {
        Some(Ok(v)) if v.is_object() => Some(v),
        _ => None,
    }
}

/// The JSON object of a JavaScript object's `data:` member (`{ data: {...}, csrfToken: ... }`,
/// `{ resultCode: 200, data: {...} }`), looked for near its start.
fn data_member(object: &str) -> Option<Value> {
    let mut end = object.len().min(64 * 1024);
    while !object.is_char_boundary(end) {
        end -= 1;
    }
    let head = &object[..end];
    head.match_indices("data").take(16).find_map(|(at, _)| {
        let before = head[..at].chars().next_back()?;
        if !(before == '{' || before == ',' || before == '"' || before.is_whitespace()) {
            return None;
        }
        let after = object[at + 4..]
            .strip_prefix('"')
            .unwrap_or(&object[at + 4..]);
        let after = after.trim_start().strip_prefix(':')?.trim_start();
        after
            .starts_with('{')
            .then(|| leading_object(after))
            .flatten()
    })
}

/// The object assigned to `marker` in a script: `marker = {...}` read as JSON, or, when it is a
/// JavaScript object, its `data` member.
fn assigned_object(text: &str, marker: &str) -> Option<Value> {
    text.match_indices(marker).take(8).find_map(|(at, _)| {
        let rest = &text[at + marker.len()..];
        let open = rest.find('{')?;
        if rest[..open].trim() != "=" {
            return None;
        }
        let object = &rest[open..];
        leading_object(object).or_else(|| data_member(object))
    })
}

/// The page's inline scripts.
fn scripts(doc: &Html) -> Vec<String> {
    select(doc, "script:not([src])")
        .into_iter()
        .map(|s| s.text().collect::<String>())
        .collect()
}

/// `window.runParams`'s data (`{ data: {...} }` or the data itself).
fn run_params(scripts: &[String]) -> Option<Value> {
    scripts.iter().find_map(|text| {
        let v = assigned_object(text, "runParams")?;
        Some(match v {
            Value::Object(mut o) if o.get("data").is_some_and(Value::is_object) => {
                o.remove("data").unwrap_or(Value::Null)
            }
            v => v,
        })
    })
}

/// aliexpress.ru's state: `<script id="__AER_DATA__" type="application/json">`, or
/// `window.__AER_DATA__ = {...}`.
fn aer_data(doc: &Html, scripts: &[String]) -> Option<Value> {
    select(doc, "script#__AER_DATA__")
        .into_iter()
        .find_map(|s| leading_object(s.text().collect::<String>().trim_start()))
        .or_else(|| {
            scripts
                .iter()
                .find_map(|t| assigned_object(t, "__AER_DATA__"))
        })
}

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
