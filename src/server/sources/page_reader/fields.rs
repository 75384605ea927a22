//! Reading one field of a product page: titles, breadcrumbs, images, ids, countries, the Tmall
//! flag, the ship-from property; from the HTML (meta tags, JSON-LD) or from embedded data.

use super::*;

/// Breadcrumb entries that are not a category.
pub(super) fn is_root_crumb(name: &str) -> bool {
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

pub(super) fn clean_title(t: &str) -> Option<String> {
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

pub(super) fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    match Selector::parse(css) {
        Ok(sel) => doc.select(&sel).collect(),
        Err(_) => Vec::new(),
    }
}

pub(super) fn meta(doc: &Html, property: &str) -> Option<String> {
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
pub(super) fn json_ld(doc: &Html) -> Vec<Value> {
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

pub(super) fn of_type<'a>(objects: &'a [Value], ty: &str) -> Option<&'a Value> {
    objects.iter().find(|o| match &o["@type"] {
        Value::String(t) => t == ty,
        Value::Array(ts) => ts.iter().any(|t| t == ty),
        _ => false,
    })
}

pub(super) fn first_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(items) => items.iter().take(MAX_ITEMS).find_map(first_text),
        Value::Object(o) => o.get("url").or_else(|| o.get("name")).and_then(first_text),
        _ => None,
    }
}

/// A list's items, whether the page wrote it as an array or as an object keyed "0", "1", ...
/// (in key order); anything else has none.
pub(super) fn items(v: &Value) -> Vec<&Value> {
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
pub(super) fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

pub(super) fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// An https image address (`//host/...` made https), or nothing.
pub(super) fn image(url: &str) -> Option<String> {
    let url = url.trim();
    let url = if url.starts_with("//") {
        format!("https:{url}")
    } else if url.starts_with("https://") {
        url.to_string()
    } else {
        return None;
    };
    crate::server::sources::open_platform::https_url(&url).then_some(url)
}

/// The store id in a store address: `//es.aliexpress.com/store/1357038`,
/// `https://aliexpress.ru/store/1100036170`.
pub(super) fn store_id_in(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/store/")?;
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    valid_store_id(&id).then_some(id)
}

pub(super) fn valid_id(v: &Value) -> Option<String> {
    id_text(v).filter(|id| valid_store_id(id))
}

/// A country by its code ("CN", "uk") or its English name ("China", "Russian Federation").
pub(super) fn country(text: &str) -> Option<Country> {
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
pub(super) fn seller_country(seller: &Value) -> Option<Country> {
    seller["localSellerTag"]
        .as_str()
        .and_then(|t| Country::parse(t.trim()).ok())
        .or_else(|| seller["countryCompleteName"].as_str().and_then(country))
}

/// An explicit Tmall flag: `isTmall` / `tmall` (true or false), or `platformProductType`
/// (`TMALL`, `PLAZA`) as the Open Platform names it.
pub(super) fn tmall_flag(o: &Value) -> Option<bool> {
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
pub(super) fn first_category<'a>(crumbs: impl IntoIterator<Item = &'a Value>) -> Option<String> {
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
pub(super) fn sku_ships_from(properties: &Value, selected: Option<&str>) -> Option<Country> {
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
