//! The addresses the admin gives UIS (notifications) and Megaplan (application events), with copy buttons.

use leptos::prelude::*;

use crate::api::{MegaplanWidget, WebhookUrls};
use crate::i18n::use_text;
use crate::pages::events::tr;

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
            <Widget widget=urls.megaplan_widget.clone() />
        </section>
    }
}

/// The Megaplan widget for click-to-call and do-not-disturb (T11, T15): its script and what to
/// configure it with. The token opens this account's calls: it is shown only to its admins.
#[component]
fn Widget(widget: MegaplanWidget) -> impl IntoView {
    view! {
        <div id="megaplan-widget" class="mt-6 border-t border-slate-200 pt-4">
            <h4 class="font-medium">
                {tr(
                    "Виджет Megaplan: звонок по клику и «не беспокоить»",
                    "Megaplan widget: click-to-call and do-not-disturb",
                )}
            </h4>
            <p class="text-sm text-slate-600">
                {tr(
                    "Подключите скрипт виджета в приложении Megaplan и вставьте после него настройку ниже. \
                     Ключ открывает звонки этого аккаунта: не публикуйте его.",
                    "Add the widget's script to the Megaplan application and paste the configuration below \
                     after it. The token opens this account's calls: keep it private.",
                )}
            </p>
            <h4 class="mt-2 text-sm font-medium">{tr("Скрипт виджета", "The widget's script")}</h4>
            <a
                id="megaplan-widget-script"
                class="font-mono text-sm text-sky-700 underline"
                href=widget.script_url.clone()
                download="megaplan-telephony-widget.js"
            >
                {widget.script_url.clone()}
            </a>
            <h4 class="mt-2 text-sm font-medium">{tr("Звонок по клику", "Click-to-call")}</h4>
            <CopyField id="megaplan-widget-call".to_string() url=widget.call_url.clone() />
            <h4 class="mt-2 text-sm font-medium">{tr("«Не беспокоить»", "Do-not-disturb")}</h4>
            <CopyField id="megaplan-widget-dnd".to_string() url=widget.dnd_url.clone() />
            <h4 class="mt-2 text-sm font-medium">
                {tr("Ключ (заголовок X-Uis-Megaplan-Token)", "Token (header X-Uis-Megaplan-Token)")}
            </h4>
            <CopyField id="megaplan-widget-token".to_string() url=widget.token.clone() />
            <h4 class="mt-2 text-sm font-medium">{tr("Настройка виджета", "The widget's configuration")}</h4>
            <pre
                id="megaplan-widget-config"
                class="mt-1 overflow-x-auto rounded border border-slate-300 bg-slate-50 p-3 font-mono text-xs"
            >
                {widget.configuration.clone()}
            </pre>
        </div>
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
