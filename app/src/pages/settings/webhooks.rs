//! The addresses the admin gives UIS (notifications) and Megaplan (application events), with copy buttons.

use leptos::prelude::*;

use crate::api::WebhookUrls;
use crate::i18n::use_text;

#[component]
pub fn Webhooks(urls: WebhookUrls) -> impl IntoView {
    let t = use_text();
    view! {
        <section id="webhooks" class="mt-6 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
            <h3 class="text-xl font-semibold">{move || t().webhooks}</h3>
            <p class="text-sm text-slate-600">{move || t().webhooks_hint}</p>
            <h4 class="mt-4 font-medium">{move || t().megaplan_events}</h4>
            <CopyField id="webhook-megaplan".to_string() url=urls.megaplan_events.clone() />
            <h4 class="mt-4 font-medium">{move || t().uis_notifications}</h4>
            <CopyField id="webhook-uis-base".to_string() url=urls.uis_base.clone() />
            {urls
                .uis_events
                .iter()
                .map(|(event, url)| {
                    view! {
                        <div class="mt-2">
                            <span class="font-mono text-xs text-slate-500">{event.clone()}</span>
                            <CopyField id=format!("webhook-uis-{event}") url=url.clone() />
                        </div>
                    }
                })
                .collect_view()}
        </section>
    }
}

#[component]
fn CopyField(id: String, url: String) -> impl IntoView {
    let t = use_text();
    let (copied, set_copied) = signal(false);
    let to_copy = url.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        set_copied.set(true);
    };
    view! {
        <div class="mt-1 flex gap-2">
            <input
                id=id.clone()
                readonly
                value=url
                class="webhook-url block w-full rounded border border-slate-300 bg-slate-50 px-3 py-1 font-mono text-sm"
            />
            <button
                type="button"
                id=format!("{id}-copy")
                class="copy rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100"
                on:click=copy
            >
                {move || if copied.get() { t().copied } else { t().copy }}
            </button>
        </div>
    }
}
