//! Health (O3): Megaplan credential and token state, UIS access, the last event of each source, queue
//! depth and failures of the last hour. Read-only, rendered on the server.

use leptos::prelude::*;

use super::events::{Nav, tr};
use super::events_api::{Health, load_health};
use crate::components::hydrated_marker;

#[component]
pub fn HealthPage() -> impl IntoView {
    let hydrated = hydrated_marker();
    let health = Resource::new(|| (), |_| load_health());
    view! {
        <main id="root" class="mx-auto max-w-4xl p-8" data-hydrated=hydrated>
            <Nav current="/health" />
            <h1 class="mt-6 text-3xl font-semibold text-sky-700">{tr("Состояние", "Health")}</h1>
            <Transition fallback=|| view! { <p>"…"</p> }>
                {move || {
                    health
                        .get()
                        .map(|answer| match answer {
                            Ok(h) => view! { <Loaded h /> }.into_any(),
                            Err(e) => {
                                view! { <p id="load-error" class="text-red-700">{e.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </main>
    }
}

#[component]
fn Loaded(h: Health) -> impl IntoView {
    let megaplan_state = match h.megaplan.as_str() {
        "working" => tr("работают", "working"),
        "broken" => tr(
            "не работают — введите новый пароль на странице настроек",
            "broken — enter the new password on the settings page",
        ),
        _ => tr(
            "не выбраны — добавьте на странице настроек",
            "not chosen — add them on the settings page",
        ),
    };
    let uis_state = if h.uis == "saved" {
        tr("сохранён", "saved")
    } else {
        tr(
            "не настроен — сохраните ключ на странице настроек",
            "not set — save the key on the settings page",
        )
    };
    let card = "rounded-lg border border-slate-200 bg-white p-4";
    view! {
        <section class="mt-6 grid gap-4 md:grid-cols-2">
            <div id="health-megaplan" class=card data-state=h.megaplan.clone()>
                <h2 class="font-semibold">{tr("Доступ к Megaplan", "Megaplan credentials")}</h2>
                <p>{megaplan_state}</p>
                <p class="text-sm text-slate-600">
                    {h.megaplan_name.clone()} " " {h.megaplan_checked.clone()}
                </p>
                <p id="health-token" class="text-sm text-slate-600">
                    {tr("Токен: ", "Token: ")}
                    {h.megaplan_token.clone().unwrap_or_else(|| "—".into())}
                </p>
            </div>
            <div id="health-uis" class=card data-state=h.uis.clone()>
                <h2 class="font-semibold">{tr("Доступ к UIS", "UIS access")}</h2>
                <p>{uis_state}</p>
                <p class="text-sm text-slate-600">
                    {h.uis_login.clone()} " " {h.uis_checked.clone()}
                </p>
            </div>
            <div id="health-queue" class=card>
                <h2 class="font-semibold">{tr("Очередь", "Queue")}</h2>
                <p>
                    {tr("Ждут обработки: ", "Waiting: ")} <b id="queue-depth">{h.queue_depth}</b>
                </p>
                <p>
                    {tr("Ошибок за час: ", "Failures in the last hour: ")}
                    <b id="failures-hour">{h.failures_last_hour}</b>
                </p>
                <p>
                    {tr("Отклонено (400) за час: ", "Rejected (400) in the last hour: ")}
                    <b>{h.rejected_last_hour}</b>
                </p>
                <p>
                    {tr("Не обработано (dead): ", "Given up (dead): ")} <b>{h.dead}</b>
                    " " <a class="text-sky-700 underline" href="/events?status=dead">"→"</a>
                </p>
            </div>
            <div id="health-sources" class=card>
                <h2 class="font-semibold">
                    {tr("Последнее событие по источникам", "Last event per source")}
                </h2>
                {if h.last_events.is_empty() {
                    view! {
                        <p>
                            {tr(
                                "Событий ещё не было. Проверьте адреса уведомлений в кабинете UIS.",
                                "No events yet. Check the notification URLs in the UIS cabinet.",
                            )}
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <ul>
                            {h
                                .last_events
                                .iter()
                                .map(|s| {
                                    view! {
                                        <li class="text-sm">
                                            <b>{s.source.clone()}</b> ": " {s.received.clone()} " · "
                                            {s.event_type.clone()} " · " {s.status.clone()}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </div>
        </section>
    }
}
