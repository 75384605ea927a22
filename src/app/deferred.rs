//! Hydration in stages. Hydrating the whole check page at once was one long task (about 350 ms on
//! a CPU slowed 4x, two thirds of it the browser compiling the WASM functions the page runs for
//! the first time): a visitor's tap or keystroke waited for all of it. Parts of a page wrapped in
//! [`Deferred`] are hydrated after the rest, each in a task of its own, in the order they were met,
//! so the browser answers input and paints between them (docs/PERFORMANCE.md, "Hydration in
//! stages").
//!
//! The server renders the children inside `<div class="deferred">` (`display: contents`: the
//! wrapper does not change the layout). While the page hydrates, the browser hydrates only the
//! wrapper and queues its children; [`hydrate_in_stages`] (the bundle's entry point), once the
//! rest of the page is hydrated, hydrates each queued part from the wrapper's children, under a
//! child of the part's reactive owner (the part sees the same context: language, location) that is
//! disposed of with it. Parts met while a part hydrates join the end of the queue. Rendered in the
//! browser after a navigation, a `Deferred` renders its children at once.
//!
//! Resources and `Suspense` take their serialized data by the order they are created in: a part
//! may create them only if the parts before it in the queue create none (the routes are one part,
//! and the pages' resources are all created within it).
//!
//! Written for leptos 0.8.23 (pinned in Cargo.toml): it uses Leptos's internals, `tachys`'s
//! hydration `Cursor` and `PositionState`, `hydration_context::HydrateSharedContext` and
//! `any_spawner`, as `leptos::mount::hydrate_from` does in that version. On an upgrade, compare
//! with that function, and measure again.
//!
//! What it buys, measured 2026-12-07 in one run on the release build (`scripts/lighthouse.sh 3
//! mobile-devtools`, `scripts/hydration-trace.sh 5`), against the same build hydrating with
//! `hydrate_from(body, App)`: Lighthouse mobile (devtools throttling) TBT 0 ms in all three runs
//! against 220–270 ms (performance 100 against 94–96); in the trace (CPU slowed 4x) blocking time
//! 37–181 ms (median 108) against 220–329 ms (median 275), longest task median 116 ms against
//! 228 ms; for 329 bytes of the first download. Kept.

use leptos::prelude::*;

/// A part of a page that hydrates after the rest, in a task of its own.
#[component]
pub fn Deferred(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use leptos::either::Either;
        if hydrating() {
            let slot = NodeRef::<leptos::html::Div>::new();
            let owner = Owner::current().unwrap_or_default();
            // The part's owner and view once hydrated: dropped with this component's owner.
            let part = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
            queue(Box::new(move || {
                Box::pin(async move {
                    let Some(el) = slot.get_untracked() else {
                        return;
                    };
                    if part.is_disposed() {
                        return;
                    }
                    let child = owner.child();
                    let state = hydrate_part(&child, el.into(), children).await;
                    part.set_value(Some(Box::new((child, state))));
                })
            }));
            return Either::Left(view! { <div class="deferred" node_ref=slot></div> });
        }
        Either::Right(view! { <div class="deferred">{children()}</div> })
    }
    #[cfg(not(feature = "hydrate"))]
    view! { <div class="deferred">{children()}</div> }
}

#[cfg(feature = "hydrate")]
async fn hydrate_part(
    owner: &Owner,
    el: web_sys::Element,
    children: Children,
) -> <AnyView as Render>::State {
    use leptos::tachys::{
        hydration::Cursor,
        view::{PositionState, RenderHtml},
    };
    let cursor = Cursor::new(el);
    let position = PositionState::default();
    // Drawing the part's views and walking the server's HTML with them are two tasks: neither
    // holds the browser long.
    let view = owner.with(children);
    next_task().await;
    owner.with(|| view.hydrate::<true>(&cursor, &position))
}

#[cfg(feature = "hydrate")]
type Part = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>;

#[cfg(feature = "hydrate")]
thread_local! {
    static HYDRATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static QUEUE: std::cell::RefCell<std::collections::VecDeque<Part>> =
        std::cell::RefCell::default();
    static AFTER: std::cell::RefCell<std::collections::VecDeque<Box<dyn FnOnce()>>> =
        std::cell::RefCell::default();
}

#[cfg(feature = "hydrate")]
fn hydrating() -> bool {
    HYDRATING.with(std::cell::Cell::get)
}

#[cfg(feature = "hydrate")]
fn queue(part: Part) {
    QUEUE.with(|q| q.borrow_mut().push_back(part));
}

/// Runs `f` under the current reactive owner once every part of the page is hydrated, in a task of
/// its own, in the order of the calls (for what the server could not render, such as what the
/// browser remembers: drawn earlier, it would not match the server's HTML); at once when the page
/// is not hydrating.
#[cfg(feature = "hydrate")]
pub fn after_hydration(f: impl FnOnce() + 'static) {
    if !hydrating() {
        f();
        return;
    }
    let owner = Owner::current();
    AFTER.with(|q| {
        q.borrow_mut().push_back(Box::new(move || match owner {
            Some(owner) => owner.with(f),
            None => f(),
        }));
    });
}

/// Hydrates the server-rendered `parent` with `app`: the page first, with its `Deferred` parts
/// queued, then each part in a task of its own. Leptos's `hydrate_from`, save that the hydration
/// context says "hydrating" until the last part is hydrated (a part's resources read the data the
/// server serialized only while it does). The page lives as long as the document.
#[cfg(feature = "hydrate")]
pub async fn hydrate_in_stages<V: IntoView>(
    parent: web_sys::HtmlElement,
    app: impl FnOnce() -> V + 'static,
) {
    use hydration_context::{HydrateSharedContext, SharedContext};
    use leptos::tachys::{
        hydration::Cursor,
        view::{PositionState, RenderHtml},
    };
    use std::sync::Arc;

    // The reactive system runs its tasks on wasm-bindgen's executor (as `hydrate_from` sets up).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let context = Arc::new(HydrateSharedContext::new());
    let owner = Owner::new_root(Some(context.clone()));
    HYDRATING.with(|h| h.set(true));
    // The page's components run in a task of their own (the language, the location, the frame), its
    // HTML is walked in the next.
    next_task().await;
    let view = owner.with(|| app().into_view());
    next_task().await;
    let page =
        owner.with(|| view.hydrate::<true>(&Cursor::new(parent.into()), &PositionState::default()));
    HYDRATING.with(|h| h.set(false));
    hydrate_queued().await;
    context.hydration_complete();
    // Like `UnmountHandle::forget`: the page is never unmounted.
    std::mem::forget((owner, page));
}

/// Hydrates the queued parts, each in a task of its own (the browser handles input and paints
/// between them), in the order they were met; then runs what waits for the whole page.
#[cfg(feature = "hydrate")]
async fn hydrate_queued() {
    while let Some(part) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        next_task().await;
        HYDRATING.with(|h| h.set(true));
        part().await;
        HYDRATING.with(|h| h.set(false));
    }
    while let Some(f) = AFTER.with(|q| q.borrow_mut().pop_front()) {
        next_task().await;
        f();
    }
}

/// Resolves in a new task (a zero timer), after the browser has handled what is waiting.
#[cfg(feature = "hydrate")]
async fn next_task() {
    let promise = web_sys::js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
