//! Recent checks: the last 50 links checked in this browser (status, band, when), with "check
//! again" for one or all; a status or band that moved since is marked. Nothing is kept on the
//! server.

use leptos::{lazy, prelude::*};

use crate::app::i18n::*;
use crate::app::words::{age, status_name};
pub use crate::domain::recent::Recent;

/// Shown once there is a recent check (the list is read from the browser after hydration); its
/// code comes in a bundle of its own (`cargo leptos build --split`).
#[component]
pub fn RecentChecks(list: RwSignal<Vec<Recent>>, again: Callback<String>) -> impl IntoView {
    let any = Memo::new(move |_| !list.with(Vec::is_empty));
    move || {
        any.get().then(|| {
            view! {
                <Suspense fallback=|| ()>
                    {Suspend::new(recent_list(list, again))}
                </Suspense>
            }
        })
    }
}

#[lazy]
fn recent_list(list: RwSignal<Vec<Recent>>, again: Callback<String>) -> AnyView {
    view! { <RecentList list=list again=again /> }.into_any()
}

#[component]
fn RecentList(list: RwSignal<Vec<Recent>>, again: Callback<String>) -> impl IntoView {
    let i18n = use_i18n();
    let now = RwSignal::new(0_i64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        list.track();
        now.set((web_sys::js_sys::Date::now() / 1000.0) as i64);
    });
    view! {
            <section class="panel recent" data-testid="recent">
                <h2>{move || t_string!(i18n, check.recent.title)}</h2>
                <button type="button" class="secondary" data-testid="recent-all"
                    on:click=move |_| again.run(list.with_untracked(|l| l.iter().map(|e| e.link.clone()).collect::<Vec<_>>().join("\n")))>
                    {move || t_string!(i18n, check.recent.all)}
                </button>
                <ul>
                    {move || list.get().into_iter().map(|e| {
                        let link = e.link.clone();
                        let changed = e.was.is_some();
                        view! {
                            <li data-testid="recent-item" data-changed=changed.then_some("true")>
                                <code>{e.link.clone()}</code>
                                " · "
                                {move || status_name(i18n.lang(), e.status)}
                                " · "
                                {e.band.clone()}
                                " · "
                                {move || age(i18n.lang(), now.get() - e.at)}
                                {e.was.clone().map(|(status, band)| view! {
                                    " "
                                    <mark class="changed">{move || format!("{} {} · {band}", t_string!(i18n, check.recent.was), status_name(i18n.lang(), status))}</mark>
                                })}
                                " "
                                <button type="button" class="link" data-testid="recent-again" on:click=move |_| again.run(link.clone())>
                                    {move || t_string!(i18n, check.recent.again)}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
    }
}
