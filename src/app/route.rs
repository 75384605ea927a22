//! The site's own router: three pages and a 404, matched on the path, and the query as a signal.
//!
//! It replaced `leptos_router`, whose matching, nested routes and lazy-route machinery were about
//! a sixth of the page's first download (docs/PERFORMANCE.md, "The site's own router and head"), for what
//! the site uses: a page per path, the query (`?lang=`, a shared address's `?url=`), links within
//! the site followed without a reload, and the browser's back and forward.
//!
//! The server renders the page of the request's path (`Page::PATHS` are its routes, the rest is a
//! 404); in the browser, a click on a link to one of the pages changes the address
//! (`history.pushState`) and the signals instead of loading a new document, and the back and
//! forward buttons (`popstate`) do the same. Any other link (another site, a file, an address with
//! only a `#fragment` changed, a new tab) is left to the browser.

use leptos::prelude::*;

/// A page of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Check,
    Rates,
    Campaign,
    NotFound,
}

impl Page {
    /// The pages and their paths: the server's routes (anything else is answered with the 404
    /// page).
    pub const PATHS: [(&'static str, Page); 3] = [
        ("/", Page::Check),
        ("/rates", Page::Rates),
        ("/campaign", Page::Campaign),
    ];

    /// The page at `path` (exactly as written: `/rates/` is not `/rates`).
    pub fn of_path(path: &str) -> Page {
        Page::PATHS
            .iter()
            .find(|(p, _)| *p == path)
            .map_or(Page::NotFound, |(_, page)| *page)
    }
}

/// Where the page is: its path and its query (without the `?`), each a signal.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
    query: RwSignal<String>,
}

impl Location {
    /// The page at the current path, followed by the caller.
    pub fn page(self) -> Page {
        self.path.with(|p| Page::of_path(p))
    }

    /// The first value of `key` in the query, decoded as a form's (`+` is a space), followed by the
    /// caller: it changes only when the address does.
    pub fn query(self, key: &str) -> Option<String> {
        self.query.with(|q| query_value(q, key))
    }

    pub fn query_untracked(self, key: &str) -> Option<String> {
        self.query.with_untracked(|q| query_value(q, key))
    }

    /// Moves to `path` and `query`; only what changed notifies its readers.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set(self, path: String, query: String) {
        if self.path.with_untracked(|p| *p != path) {
            self.path.set(path);
        }
        if self.query.with_untracked(|q| *q != query) {
            self.query.set(query);
        }
    }
}

/// The first value of `key` in a query string (`a=1&b=x+y`), decoded as a form's.
pub fn query_value(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Where the page is, provided by [`provide_location`].
pub fn use_location() -> Location {
    expect_context()
}

/// Provides the [`Location`] of the request (on the server) or of the document (in the browser),
/// and in the browser follows the links to the site's pages without a reload.
pub fn provide_location() -> Location {
    let (path, query) = initial();
    let location = Location {
        path: RwSignal::new(path),
        query: RwSignal::new(query),
    };
    provide_context(location);
    #[cfg(feature = "hydrate")]
    follow_links(location);
    location
}

/// The page of the request's path (for the head the server writes).
#[cfg(feature = "ssr")]
pub fn request_page() -> Page {
    Page::of_path(&initial().0)
}

/// The request's path and query.
#[cfg(feature = "ssr")]
fn initial() -> (String, String) {
    use_context::<axum::http::request::Parts>().map_or_else(
        || ("/".to_string(), String::new()),
        |parts| {
            (
                parts.uri.path().to_string(),
                parts.uri.query().unwrap_or_default().to_string(),
            )
        },
    )
}

/// The document's path and query.
#[cfg(not(feature = "ssr"))]
fn initial() -> (String, String) {
    #[cfg(feature = "hydrate")]
    {
        let location = window().location();
        let search = location.search().unwrap_or_default();
        (
            location.pathname().unwrap_or_else(|_| "/".to_string()),
            search.trim_start_matches('?').to_string(),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    ("/".to_string(), String::new())
}

/// In the browser: a plain click on a link to one of the site's pages moves there without a
/// reload; the back and forward buttons move between the addresses so visited.
#[cfg(feature = "hydrate")]
fn follow_links(location: Location) {
    let click = window_event_listener(leptos::ev::click, move |ev| on_click(location, &ev));
    let history = window_event_listener(leptos::ev::popstate, move |_| {
        let (path, query) = initial();
        location.set(path, query);
    });
    on_cleanup(move || {
        click.remove();
        history.remove();
    });
}

#[cfg(feature = "hydrate")]
fn on_click(location: Location, ev: &web_sys::MouseEvent) {
    use wasm_bindgen::JsCast;
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.alt_key()
        || ev.ctrl_key()
        || ev.shift_key()
    {
        return;
    }
    let Some(a) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("a[href]").ok().flatten())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return;
    };
    let external = a
        .get_attribute("rel")
        .is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "external"));
    if !a.target().is_empty() || a.has_attribute("download") || external {
        return;
    }
    let same_origin = window().location().origin().is_ok_and(|o| o == a.origin());
    let path = a.pathname();
    if !same_origin || Page::of_path(&path) == Page::NotFound {
        return;
    }
    let search = a.search();
    let query = search.trim_start_matches('?').to_string();
    let hash = a.hash();
    let same_address = location.path.with_untracked(|p| *p == path)
        && location.query.with_untracked(|q| *q == query);
    if !hash.is_empty() && same_address {
        // A fragment of the page shown (the skip link): the browser scrolls to it.
        return;
    }
    ev.prevent_default();
    let to = format!("{path}{search}{hash}");
    if let Ok(history) = window().history() {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&to));
    }
    location.set(path, query);
    // As a new document would be: at its fragment, else at its top.
    let target = hash
        .strip_prefix('#')
        .filter(|id| !id.is_empty())
        .and_then(|id| document().get_element_by_id(id));
    match target {
        Some(el) => el.scroll_into_view(),
        None => window().scroll_to_with_x_and_y(0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_its_page_and_anything_else_is_not_found() {
        for (path, page) in Page::PATHS {
            assert_eq!(Page::of_path(path), page);
        }
        for path in [
            "",
            "/rates/",
            "/Rates",
            "/campaign/x",
            "/index.html",
            "//rates",
        ] {
            assert_eq!(Page::of_path(path), Page::NotFound, "{path:?}");
        }
    }

    #[test]
    fn the_query_is_read_as_a_form() {
        let q =
            "url=https%3A%2F%2Faliexpress.com%2Fitem%2F1.html%3Fa%3D1&lang=ru&sub=a+b&lang=en&e=";
        assert_eq!(
            query_value(q, "url").as_deref(),
            Some("https://aliexpress.com/item/1.html?a=1")
        );
        assert_eq!(query_value(q, "lang").as_deref(), Some("ru"));
        assert_eq!(query_value(q, "sub").as_deref(), Some("a b"));
        assert_eq!(query_value(q, "e").as_deref(), Some(""));
        assert_eq!(query_value(q, "none"), None);
        assert_eq!(query_value("", "url"), None);
        // Broken escapes and text that is not UTF-8 are read as the browser reads them.
        assert_eq!(
            query_value("a=%zz%41%ff", "a").as_deref(),
            Some("%zzA\u{fffd}")
        );
    }
}
