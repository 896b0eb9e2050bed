//! The demo panel: place a simulated call, chat or lead through the in-process UIS emulator and watch
//! what the emulated Megaplan holds afterwards. Only with the emulators (`uis-megaplan demo`, e2e).

use leptos::prelude::*;

use super::events::{Nav, field_message, tr};
use super::events_api::{DemoFault, DemoItem, DemoPlace, DemoState, load_demo};
use crate::components::hydrated_marker;
use crate::i18n::use_lang;

#[component]
pub fn DemoPage() -> impl IntoView {
    let hydrated = hydrated_marker();
    let lang = use_lang();
    let tick = RwSignal::new(0u32);
    let place = ServerAction::<DemoPlace>::new();
    let fault = ServerAction::<DemoFault>::new();
    Effect::watch(
        move || (place.version().get(), fault.version().get()),
        move |_, _, _| tick.update(|n| *n += 1),
        false,
    );
    let state = Resource::new(move || tick.get(), |_| load_demo());
    // The emulated Megaplan changes as the pipeline works: look again every second and a half.
    Effect::new(move |_| {
        if state.get().is_some() {
            #[cfg(feature = "hydrate")]
            set_timeout(
                move || tick.update(|n| *n += 1),
                std::time::Duration::from_millis(1500),
            );
        }
    });
    let errors = move || match place.value().get() {
        Some(Ok(o)) => o.errors,
        _ => Vec::new(),
    };
    let placed = tr("Отправлено уведомлений: ", "Notifications sent: ");
    let place_result = move || match place.value().get() {
        Some(Ok(o)) if o.errors.is_empty() => format!(
            "{} · {}{}",
            o.placed.unwrap_or_default(),
            placed(),
            o.notifications
        ),
        Some(Err(e)) => e.to_string(),
        _ if place.pending().get() => "…".into(),
        _ => String::new(),
    };
    view! {
        <main id="root" class="mx-auto max-w-6xl p-8" data-hydrated=hydrated>
            <Nav current="/demo" />
            <h1 class="mt-6 text-3xl font-semibold text-sky-700">{tr("Демо", "Demo")}</h1>
            <p class="mt-2 text-slate-600">
                {tr(
                    "Позвоните в эмулятор UIS и посмотрите, как событие пройдёт через журнал событий в эмулятор Megaplan.",
                    "Place a call on the UIS emulator and watch it travel through the event log into the emulated Megaplan.",
                )}
            </p>
            <ActionForm
                action=place
                attr:id="demo-place-form"
                attr:class="mt-4 flex flex-wrap items-start gap-3 rounded-lg border border-slate-200 bg-white p-4"
            >
                <label class="block text-sm" for="demo-kind">
                    <span class="font-medium">{tr("Что", "What")}</span>
                    <select id="demo-kind" name="kind" class="mt-1 block rounded border px-2 py-1">
                        <option value="inbound_lost">{tr("Входящий потерянный звонок", "Inbound lost call")}</option>
                        <option value="inbound_answered">{tr("Входящий принятый звонок", "Inbound answered call")}</option>
                        <option value="chat">{tr("Чат", "Chat")}</option>
                        <option value="lead">{tr("Заявка с сайта", "Site lead")}</option>
                    </select>
                </label>
                <label class="block text-sm" for="demo-phone">
                    <span class="font-medium">{tr("Телефон клиента", "Client's phone")}</span>
                    <input id="demo-phone" name="phone" value="+7 999 111-22-33" class="mt-1 block rounded border px-2 py-1" />
                    <p id="demo-phone-error" class="field-error text-sm text-red-700" role="alert">
                        {move || field_message(&errors(), "phone", lang.get())}
                    </p>
                </label>
                <button id="demo-place" type="submit" class="mt-6 rounded bg-sky-600 px-4 py-2 text-white">
                    {tr("Позвонить", "Place it")}
                </button>
                <p id="demo-place-result" class="mt-7 text-sm" role="status">{place_result}</p>
            </ActionForm>
            <Transition fallback=|| view! { <p>"…"</p> }>
                {move || {
                    state
                        .get()
                        .map(|answer| match answer {
                            Ok(s) => view! { <Panel s fault /> }.into_any(),
                            Err(e) => view! { <p class="text-red-700">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </main>
    }
}

#[component]
fn Panel(s: DemoState, fault: ServerAction<DemoFault>) -> impl IntoView {
    if !s.enabled {
        return view! {
            <p id="demo-off" class="mt-6 rounded bg-slate-100 p-4">
                {tr(
                    "Демо доступно только в режиме `uis-megaplan demo` (эмуляторы внутри сервера).",
                    "The demo works only under `uis-megaplan demo` (emulators inside the server).",
                )}
            </p>
        }
        .into_any();
    }
    let on = s.fault;
    view! {
        <div class="mt-4 flex items-center gap-3 text-sm">
            <ActionForm action=fault attr:id="demo-fault-form">
                <input type="hidden" name="on" value=if on { "0" } else { "1" } />
                <button id="demo-fault" type="submit" data-fault=on.to_string() class="rounded border border-red-300 px-3 py-1 text-red-800">
                    {if on {
                        tr("Megaplan снова работает", "Megaplan works again")
                    } else {
                        tr("Сломать Megaplan (каждый запрос — ошибка 400)", "Break Megaplan (every request answers 400)")
                    }}
                </button>
            </ActionForm>
            <span id="demo-fault-state">{if on { "⚠ Megaplan: 400" } else { "Megaplan: OK" }}</span>
            <a class="text-sky-700 underline" href=s.megaplan_state_url.clone()>"/_emulator/state"</a>
        </div>
        <section id="megaplan-state" class="mt-4 grid gap-4 md:grid-cols-2">
            <List id="mp-clients" title=tr("Клиенты", "Clients") items=s.clients />
            <List id="mp-todos" title=tr("Дела", "Todos") items=s.todos />
            <List id="mp-calls" title=tr("Звонки", "Calls") items=s.calls />
            <List id="mp-widget" title=tr("События карточки звонка", "Call pop-up events") items=s.widget_events />
            <List id="mp-deals" title=tr("Сделки", "Deals") items=s.deals />
        </section>
    }
    .into_any()
}

#[component]
fn List(
    id: &'static str,
    title: impl Fn() -> &'static str + Send + Sync + 'static,
    items: Vec<DemoItem>,
) -> impl IntoView {
    view! {
        <div id=id class="rounded-lg border border-slate-200 bg-white p-3">
            <h2 class="font-semibold">{title} " (" {items.len()} ")"</h2>
            <ul class="mt-1 text-xs">
                {items
                    .into_iter()
                    .map(|i| view! { <li class="mp-item" data-id=i.id>{i.text}</li> })
                    .collect_view()}
            </ul>
        </div>
    }
}
