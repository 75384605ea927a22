//! The script that brings the WASM bundle in, written for the page to paint first.
//!
//! Leptos's `HydrationScripts` puts preload hints for the bundle in the `<head>`: the browser then
//! downloads the bundle (its first module about 240 KB brotli, docs/PERFORMANCE.md) alongside the
//! stylesheet, before anything is on screen. Every page is complete in the server's HTML, so nothing needs the bundle before the first
//! paint: this script starts the download once the first paint is on screen, and hydrates as soon as
//! the bundle has arrived. Server-only: the shell is rendered on the server.

use std::sync::OnceLock;

use leptos::{nonce::use_nonce, prelude::*};

/// The bundle's file names (without extension) under the package directory: cargo-leptos writes the
/// hashes into `options.hash_file` beside the server binary when `hash-files` is on.
fn bundle_names(options: &LeptosOptions) -> (String, String) {
    let name = options.output_name.to_string();
    let mut js = name.clone();
    let mut wasm = name;
    if options.hash_files {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        for (file, hash) in hashes
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
        {
            match file.trim() {
                "js" => js = format!("{js}.{}", hash.trim()),
                "wasm" => wasm = format!("{wasm}.{}", hash.trim()),
                _ => {}
            }
        }
    } else if option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        // Built by plain cargo, not cargo-leptos: wasm-bindgen's own name.
        wasm.push_str("_bg");
    }
    (js, wasm)
}

/// The loader. It waits for the browser's `first-contentful-paint` entry, which is reported once the
/// first frame with content is on screen (a frame callback alone fires before the frame is shown,
/// and in Chromium the bundle then still raced the paint). Where paint timing is missing, the task
/// after the first frame callback; a timer backstops both (a page that never paints, such as a tab
/// opened in the background, hydrates within 3 s anyway). Whichever comes first loads, once.
/// Hydration runs in a task of its own after the module is instantiated (one long task less).
fn loader_script(js_url: &str, wasm_url: &str) -> String {
    // serde_json writes both as JavaScript string literals; `PaintFirstHydration` lets only plain
    // names through, so "</script>" cannot occur.
    let js = serde_json::to_string(js_url).unwrap_or_default();
    let wasm = serde_json::to_string(wasm_url).unwrap_or_default();
    format!(
        "let started=false;\
         const load=()=>{{if(started)return;started=true;\
         import({js}).then(m=>m.default({{module_or_path:{wasm}}}).then(()=>setTimeout(()=>m.hydrate(),0)));}};\
         if(typeof PerformanceObserver!==\"undefined\"&&(PerformanceObserver.supportedEntryTypes||[]).includes(\"paint\")){{\
         new PerformanceObserver((list,observer)=>{{\
         if(list.getEntriesByName(\"first-contentful-paint\").length){{observer.disconnect();setTimeout(load,0);}}\
         }}).observe({{type:\"paint\",buffered:true}});\
         }}else{{requestAnimationFrame(()=>setTimeout(load,0));}}\
         setTimeout(load,3000);"
    )
}

/// Whether a name can go into a URL path and a script literal as it is.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
}

/// Loads and hydrates the WASM bundle after the first paint. Put it in the document's `<head>`.
/// The script is the same for every page: written once, on the first render.
#[component]
pub fn PaintFirstHydration(options: LeptosOptions) -> impl IntoView {
    static SCRIPT: OnceLock<Option<String>> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        let (js, wasm) = bundle_names(&options);
        let pkg = options.site_pkg_dir.to_string();
        [pkg.as_str(), &js, &wasm]
            .iter()
            .all(|name| plain_name(name))
            .then(|| loader_script(&format!("/{pkg}/{js}.js"), &format!("/{pkg}/{wasm}.wasm")))
    });
    let nonce = use_nonce();
    script
        .as_deref()
        .map(|script| view! { <script type="module" nonce=nonce>{script}</script> })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_waits_for_the_first_paint_and_loads_once() {
        let script = loader_script("/pkg/linksmith.abc.js", "/pkg/linksmith.abc.wasm");
        assert!(script.contains(r#"import("/pkg/linksmith.abc.js")"#));
        assert!(script.contains(r#"module_or_path:"/pkg/linksmith.abc.wasm""#));
        assert!(script.contains("setTimeout(()=>m.hydrate(),0)"));
        assert!(script.contains(r#"getEntriesByName("first-contentful-paint")"#));
        assert!(script.contains("requestAnimationFrame(()=>setTimeout(load,0))"));
        assert!(script.contains("setTimeout(load,3000)"));
        assert!(script.contains("if(started)return;started=true;"));
    }

    #[test]
    fn only_plain_names_reach_the_script() {
        assert!(plain_name("linksmith.3F-KTdVoOVSdZwR6qgjyIw"));
        assert!(plain_name("pkg"));
        assert!(!plain_name(""));
        assert!(!plain_name("x\"</script>"));
        assert!(!plain_name("a b"));
    }
}
