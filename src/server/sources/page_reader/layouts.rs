//! The embedded data AliExpress's pages carry: `window.runParams` (the component and the module
//! layouts) and aliexpress.ru's `__AER_DATA__`, found in the page's scripts and read.

use super::fields::*;
use super::*;

/// `window.runParams`'s data, in either layout.
pub(super) struct RunParams<'a>(pub(super) &'a Value);

impl RunParams<'_> {
    /// The first of these parts that the page has, with its origin.
    pub(super) fn part(&self, parts: &[(&str, &'static str)]) -> Option<(&Value, &'static str)> {
        parts.iter().find_map(|(k, origin)| {
            self.0
                .get(*k)
                .filter(|v| v.is_object())
                .map(|v| (v, *origin))
        })
    }

    pub(super) fn title(&self) -> Found<String> {
        [
            ("productInfoComponent", "runParams.productInfoComponent"),
            ("titleModule", "runParams.titleModule"),
        ]
        .iter()
        .find_map(|(k, origin)| first_text(&self.0[*k]["subject"]).map(|t| (t, *origin)))
    }

    pub(super) fn image(&self) -> Found<String> {
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

    pub(super) fn category(&self) -> Found<String> {
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

    pub(super) fn seller(&self) -> Option<(&Value, &'static str)> {
        self.part(&[
            ("sellerComponent", "runParams.sellerComponent"),
            ("storeModule", "runParams.storeModule"),
        ])
    }

    pub(super) fn store_id(&self) -> Found<String> {
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

    pub(super) fn store_country(&self) -> Found<Country> {
        let (seller, origin) = self.seller()?;
        seller_country(seller).map(|c| (c, origin))
    }

    pub(super) fn tmall(&self) -> Found<bool> {
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

    pub(super) fn ships_from(&self) -> Found<Country> {
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
    pub(super) fn in_stock(&self) -> Found<bool> {
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
pub(super) struct Aer {
    pub(super) title: Option<String>,
    pub(super) image: Option<String>,
    pub(super) store_id: Option<String>,
    pub(super) store_tmall: Option<bool>,
    pub(super) product_tmall: Option<bool>,
    pub(super) ships_from: Option<Country>,
    pub(super) delivery_from: Option<Country>,
    pub(super) in_stock: Option<bool>,
}

/// Reads the widgets of aliexpress.ru's state: the product is the object with a `name` and a
/// `gallery` or `skuInfo` (`props` of the product widget, or `state.data` in older pages); the
/// store the object with a `name` and a `/store/<id>` `url`; the delivery's `from.countryCode`.
pub(super) fn read_aer(root: &Value) -> Aer {
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
pub(super) fn aer_ships_from(sku: &Value, active: Option<&Value>) -> Option<Country> {
    let active = active.and_then(id_text);
    items(&sku["priceList"])
        .into_iter()
        .find(|p| active.is_some() && p.get("skuId").and_then(id_text) == active)
        .and_then(|p| p["sendGoodsCountryCode"].as_str().and_then(country))
        .or_else(|| sku_ships_from(&sku["propertyList"], None))
}

/// The JSON value at the start of `text` (serde_json reads one value and stops).
pub(super) fn leading_object(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match de.next() {
        Some(Ok(v)) if v.is_object() => Some(v),
        _ => None,
    }
}

/// The JSON object of a JavaScript object's `data:` member (`{ data: {...}, csrfToken: ... }`,
/// `{ resultCode: 200, data: {...} }`), looked for near its start.
pub(super) fn data_member(object: &str) -> Option<Value> {
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
pub(super) fn assigned_object(text: &str, marker: &str) -> Option<Value> {
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
pub(super) fn scripts(doc: &Html) -> Vec<String> {
    select(doc, "script:not([src])")
        .into_iter()
        .map(|s| s.text().collect::<String>())
        .collect()
}

/// `window.runParams`'s data (`{ data: {...} }` or the data itself).
pub(super) fn run_params(scripts: &[String]) -> Option<Value> {
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
pub(super) fn aer_data(doc: &Html, scripts: &[String]) -> Option<Value> {
    select(doc, "script#__AER_DATA__")
        .into_iter()
        .find_map(|s| leading_object(s.text().collect::<String>().trim_start()))
        .or_else(|| {
            scripts
                .iter()
                .find_map(|t| assigned_object(t, "__AER_DATA__"))
        })
}
