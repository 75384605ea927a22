//! Page kinds read from the path, in the programme's attribution order:
//! product page > store page > category/campaign page > home.

use std::borrow::Cow;

/// What a path on an AliExpress site shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathKind {
    Product {
        product_id: String,
        store_id: Option<String>,
    },
    Store {
        store_id: String,
    },
    /// Category and search pages: canonical form keeps the path.
    Category,
    /// Campaign and sale pages: canonical form keeps the path (and `productIds`).
    Campaign,
    Home,
    /// The path names a product, but the id is not an AliExpress product id.
    BadProductId(String),
    Unknown,
}

/// Product ids have 10 to 16 digits.
pub fn valid_product_id(id: &str) -> bool {
    (10..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// Store ids have 3 to 12 digits.
pub fn valid_store_id(id: &str) -> bool {
    (3..=12).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn strip_html(file: &str) -> Option<&str> {
    let n = file.len();
    // Compared as bytes: the text may hold multi-byte characters anywhere.
    let b = file.as_bytes();
    if n > 5 && b[n - 5..].eq_ignore_ascii_case(b".html") {
        Some(&file[..n - 5])
    } else if n > 4 && b[n - 4..].eq_ignore_ascii_case(b".htm") {
        Some(&file[..n - 4])
    } else {
        None
    }
}

/// `<id>.html`, `0_<id>.html` (aliexpress.ru), or a bare `<id>`.
fn product_file(file: &str, bare_allowed: bool) -> PathKind {
    let stem = match strip_html(file) {
        Some(stem) => stem,
        None if bare_allowed => file,
        None => return PathKind::Unknown,
    };
    let id = stem.strip_prefix("0_").unwrap_or(stem);
    if valid_product_id(id) {
        PathKind::Product {
            product_id: id.to_string(),
            store_id: None,
        }
    } else if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        PathKind::BadProductId(id.to_string())
    } else {
        PathKind::Unknown
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Percent-decodes a path only when it holds an escape (the common case allocates nothing).
pub fn decode_path(path: &str) -> Cow<'_, str> {
    if path.contains('%') {
        percent_encoding::percent_decode_str(path).decode_utf8_lossy()
    } else {
        Cow::Borrowed(path)
    }
}

/// The first five non-empty segments of a path (what `split('/')` without the empty ones gives),
/// found in one pass over the bytes: a memchr's start-up for each short segment cost more.
fn first_segments(path: &str) -> [Option<&str>; 5] {
    let mut segs = [None; 5];
    let mut found = 0;
    let mut start = 0;
    let slashes = path
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'/')
        .map(|(i, _)| i);
    for end in slashes.chain(std::iter::once(path.len())) {
        if end > start {
            // `/` is ASCII: `start` and `end` are character boundaries.
            segs[found] = Some(&path[start..end]);
            found += 1;
            if found == segs.len() {
                break;
            }
        }
        start = end + 1;
    }
    segs
}

/// Reads the page kind of a path on one of the sites.
pub fn classify(path: &str) -> PathKind {
    let path = decode_path(path);
    match first_segments(&path) {
        [None, ..] => PathKind::Home,
        [Some(f), None, ..] if eq(f, "index.html") || eq(f, "index.htm") => PathKind::Home,
        // /item/<id>.html, /item/0_<id>.html, /item/<id>
        [Some(i), Some(f), None, ..] if eq(i, "item") => product_file(f, true),
        // /item/<slug>/<id>.html, /item/-/<id>.html
        [Some(i), Some(_slug), Some(f), None, ..] if eq(i, "item") => product_file(f, false),
        // /i/<id>.html
        [Some(i), Some(f), None, ..] if eq(i, "i") => product_file(f, false),
        // /s/item/<id>.html (old mobile)
        [Some(s0), Some(i), Some(f), None, ..] if eq(s0, "s") && eq(i, "item") => {
            product_file(f, false)
        }
        [Some(st), Some(second), rest @ ..] if eq(st, "store") => store_path(second, &rest),
        [Some(c), Some(id), ..] if eq(c, "category") && id.bytes().all(|b| b.is_ascii_digit()) => {
            PathKind::Category
        }
        [Some(w), Some(f), None, ..]
            if eq(w, "w")
                && f.len() > 10
                && f.as_bytes()[..10].eq_ignore_ascii_case(b"wholesale-") =>
        {
            PathKind::Category
        }
        [Some(w), ..] if eq(w, "wholesale") || eq(w, "wholesale.html") => PathKind::Category,
        [Some(p), Some(_), ..] if eq(p, "af") || eq(p, "premium") || eq(p, "popular") => {
            PathKind::Category
        }
        [Some(p), Some(_), ..] if eq(p, "ssr") || eq(p, "p") || eq(p, "gcp") => PathKind::Campaign,
        _ => PathKind::Unknown,
    }
}

/// `/store/<id>[/...]`, `/store/product/<slug>/<storeId>_<productId>.html`,
/// `/store/group/<slug>/<storeId>_<groupId>.html`, `/store/<listing>/<storeId>.html`.
fn store_path(second: &str, rest: &[Option<&str>]) -> PathKind {
    if valid_store_id(second) {
        return PathKind::Store {
            store_id: second.to_string(),
        };
    }
    let split_ids = |f: &str| -> Option<(String, String)> {
        let (a, b) = strip_html(f)?.split_once('_')?;
        Some((a.to_string(), b.to_string()))
    };
    match rest {
        [Some(_slug), Some(f), None, ..] if eq(second, "product") => match split_ids(f) {
            Some((store, product)) if valid_store_id(&store) && valid_product_id(&product) => {
                PathKind::Product {
                    product_id: product,
                    store_id: Some(store),
                }
            }
            Some((_, product))
                if !product.is_empty() && product.bytes().all(|b| b.is_ascii_digit()) =>
            {
                PathKind::BadProductId(product)
            }
            _ => PathKind::Unknown,
        },
        [Some(_slug), Some(f), None, ..] if eq(second, "group") => match split_ids(f) {
            Some((store, _group)) if valid_store_id(&store) => PathKind::Store { store_id: store },
            _ => PathKind::Unknown,
        },
        [Some(f), None, ..] => match strip_html(f) {
            Some(id) if valid_store_id(id) => PathKind::Store {
                store_id: id.to_string(),
            },
            _ => PathKind::Unknown,
        },
        _ => PathKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str) -> PathKind {
        PathKind::Product {
            product_id: id.into(),
            store_id: None,
        }
    }

    #[test]
    fn segments_as_split() {
        for p in [
            "",
            "/",
            "//",
            "/a",
            "a/b",
            "/a//b/",
            "/1/2/3/4/5/6/7",
            "/ä/ö//ü",
            "x//",
        ] {
            let mut split = p.split('/').filter(|s| !s.is_empty());
            let want: [Option<&str>; 5] = std::array::from_fn(|_| split.next());
            assert_eq!(first_segments(p), want, "{p:?}");
        }
    }

    #[test]
    fn product_forms() {
        assert_eq!(
            classify("/item/1005006295880104.html"),
            product("1005006295880104")
        );
        assert_eq!(
            classify("/item/0_4001042311625.html"),
            product("4001042311625")
        );
        assert_eq!(
            classify("/item/some-slug/32701818048.html"),
            product("32701818048")
        );
        assert_eq!(classify("/item/-/32701818048.html"), product("32701818048"));
        assert_eq!(classify("/i/32857333905.html"), product("32857333905"));
        assert_eq!(classify("/s/item/2037523901.html"), product("2037523901"));
        assert_eq!(
            classify("/item/123.html"),
            PathKind::BadProductId("123".into())
        );
        assert_eq!(
            classify("/store/product/M5Stack/3226069_32946953374.html"),
            PathKind::Product {
                product_id: "32946953374".into(),
                store_id: Some("3226069".into())
            }
        );
    }

    #[test]
    fn store_category_campaign_home() {
        assert_eq!(
            classify("/store/1101343461"),
            PathKind::Store {
                store_id: "1101343461".into()
            }
        );
        assert_eq!(
            classify("/store/1101343461/search/1.html"),
            PathKind::Store {
                store_id: "1101343461".into()
            }
        );
        assert_eq!(
            classify("/store/group/Sale/1101343461_10000001.html"),
            PathKind::Store {
                store_id: "1101343461".into()
            }
        );
        assert_eq!(
            classify("/store/all-wholesale-products/1101343461.html"),
            PathKind::Store {
                store_id: "1101343461".into()
            }
        );
        assert_eq!(
            classify("/category/6/home-appliances.html"),
            PathKind::Category
        );
        assert_eq!(classify("/w/wholesale-dumbbell.html"), PathKind::Category);
        assert_eq!(classify("/wholesale"), PathKind::Category);
        assert_eq!(classify("/ssr/300000512/BundleDeals2"), PathKind::Campaign);
        assert_eq!(classify("/"), PathKind::Home);
        assert_eq!(classify(""), PathKind::Home);
        assert_eq!(classify("/cart"), PathKind::Unknown);
    }
}
