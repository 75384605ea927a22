//! What the page keeps outside itself: the address that shows a check again (shared, rendered
//! on the server) and the choices remembered in the browser.

use std::fmt::Write;

use crate::domain::lang::Lang;

/// The address that shows this check again (rendered on the server).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn share_url(text: &str, country: &str, amount: &str, sub: &str, lang: Lang) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let mut url = format!("/?url={}", enc(text.trim()));
    for (k, v) in [("country", country), ("amount", amount), ("sub", sub)] {
        if !v.trim().is_empty() {
            let _ = write!(url, "&{k}={}", enc(v.trim()));
        }
    }
    if lang == Lang::Ru {
        url.push_str("&lang=ru");
    }
    url
}

/// Remembered choices (the browser's local storage).
#[cfg(feature = "hydrate")]
pub mod memory {
    use leptos::prelude::*;

    /// Reads `key` into `signal` once (`read`; nothing if it is missing or unreadable), then keeps
    /// the signal's value there on every change (`write`).
    pub fn keep<T: Send + Sync + 'static>(
        key: &'static str,
        signal: RwSignal<T>,
        read: fn(&str) -> Option<T>,
        write: fn(&T) -> String,
    ) {
        Effect::new(move |first: Option<()>| {
            if first.is_none() {
                if let Some(value) = load(key).as_deref().and_then(read) {
                    signal.set(value);
                }
            }
            save(key, &signal.with(write));
        });
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }
    pub fn load(key: &str) -> Option<String> {
        storage()?.get_item(&format!("linksmith.{key}")).ok()?
    }
    pub fn save(key: &str, value: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(&format!("linksmith.{key}"), value);
        }
    }
}
