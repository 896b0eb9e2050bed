//! The event log (O1) and replay (O2): every event of the account, filterable, each with its full trace;
//! replay one event, every failed event of a range, or fetch from UIS what was never notified.
//!
//! The list is a plain GET form (`/events?phone=…`), rendered on the server, so it reads without
//! JavaScript; the replay buttons are server actions on the hydrated page.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::events_api::{
    EventDetail, EventFilter, EventPage, RangeOutcome, ReconcileCalls, ReplayEvent, ReplayFailed,
    list_events, load_event,
};
use crate::api::FieldError;
use crate::components::{LangSwitch, hydrated_marker};
use crate::i18n::{Lang, use_lang};

/// A text in both languages, Russian first.
pub fn tr(ru: &'static str, en: &'static str) -> impl Fn() -> &'static str + Copy + Send + Sync {
    let lang = use_lang();
    move || if lang.get() == Lang::Ru { ru } else { en }
}

/// The message under a field: the server's detail, worded per language by `ErrorCode`.
pub fn field_message(errors: &[FieldError], field: &str, lang: Lang) -> String {
    errors
        .iter()
        .filter(|e| e.field == field)
        .map(|e| lang.error_text(e.code, e.detail.as_deref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The header of the observation pages: where to go next.
#[component]
pub fn Nav(current: &'static str) -> impl IntoView {
    let links = [
        ("/", "Настройки", "Settings"),
        ("/events", "Журнал событий", "Event log"),
        ("/health", "Состояние", "Health"),
        ("/preview", "Проверка правил", "Rule preview"),
        ("/demo", "Демо", "Demo"),
    ];
    view! {
        <header class="flex flex-wrap items-center justify-between gap-4">
            <nav id="main-nav" class="flex flex-wrap gap-4 text-sm">
                {links
                    .into_iter()
                    .map(|(href, ru, en)| {
                        let text = tr(ru, en);
                        let class = if href == current {
                            "font-semibold text-slate-900"
                        } else {
                            "text-sky-700 underline"
                        };
                        view! {
                            <a href=href class=class>
                                {text}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <LangSwitch />
        </header>
    }
}

fn filter_from_query() -> impl Fn() -> EventFilter + Copy + Send + Sync {
    let q = use_query_map();
    move || {
        q.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            EventFilter {
                source: get("source"),
                event_type: get("event_type"),
                status: get("status"),
                phone: get("phone"),
                call_id: get("call_id"),
                from: get("from"),
                to: get("to"),
            }
        })
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let hydrated = hydrated_marker();
    let title = tr("Журнал событий", "Event log");
    let filter = filter_from_query();
    let page = Resource::new(filter, list_events);
    view! {
        <main id="root" class="mx-auto max-w-6xl p-8" data-hydrated=hydrated>
            <Nav current="/events" />
            <h1 class="mt-6 text-3xl font-semibold text-sky-700">{title}</h1>
            <Transition fallback=|| view! { <p>"…"</p> }>
                {move || {
                    page.get()
                        .map(|answer| match answer {
                            Ok(p) => view! { <Loaded page=p filter=filter() /> }.into_any(),
                            Err(e) => {
                                view! { <p id="load-error" class="text-red-700">{e.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <RangeForms />
        </main>
    }
}

#[component]
fn FilterInput(
    name: &'static str,
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    value: String,
    errors: Vec<FieldError>,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    let id = format!("filter-{name}");
    let msg = move || field_message(&errors, name, lang.get());
    view! {
        <label class="block text-sm" for=id.clone()>
            <span class="font-medium text-slate-700">{label}</span>
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                class="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
            />
            <p id=format!("{id}-error") class="field-error text-sm text-red-700" role="alert">
                {msg}
            </p>
        </label>
    }
}

#[component]
fn Select(
    name: &'static str,
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    value: String,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <label class="block text-sm" for=id.clone()>
            <span class="font-medium text-slate-700">{label}</span>
            <select
                id=id.clone()
                name=name
                class="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
            >
                {options
                    .into_iter()
                    .map(|(v, text)| {
                        view! {
                            <option value=v selected=v == value>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn Loaded(page: EventPage, filter: EventFilter) -> impl IntoView {
    let errors = page.errors.clone();
    let empty = tr("Событий нет.", "No events.");
    let events = page.events.clone();
    let n = events.len();
    view! {
        <form
            id="event-filter"
            method="get"
            action="/events"
            class="mt-6 grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-4"
        >
            <Select
                name="source"
                label=tr("Источник", "Source")
                value=filter.source.clone()
                options=vec![
                    ("", "—"),
                    ("uis", "UIS"),
                    ("megaplan", "Megaplan"),
                    ("reconcile", "reconcile"),
                ]
            />
            <FilterInput
                name="event_type"
                label=tr("Тип", "Type")
                value=filter.event_type.clone()
                errors=errors.clone()
            />
            <Select
                name="status"
                label=tr("Статус", "Status")
                value=filter.status.clone()
                options=vec![
                    ("", "—"),
                    ("queued", "queued"),
                    ("processing", "processing"),
                    ("retrying", "retrying"),
                    ("done", "done"),
                    ("failed", "failed"),
                    ("dead", "dead"),
                    ("rejected", "rejected (400)"),
                ]
            />
            <FilterInput
                name="phone"
                label=tr("Телефон", "Phone")
                value=filter.phone.clone()
                errors=errors.clone()
            />
            <FilterInput
                name="call_id"
                label=tr("ID звонка", "Call id")
                value=filter.call_id.clone()
                errors=errors.clone()
            />
            <FilterInput
                name="from"
                label=tr("С", "From")
                value=filter.from.clone()
                errors=errors.clone()
                kind="datetime-local"
            />
            <FilterInput
                name="to"
                label=tr("По", "To")
                value=filter.to.clone()
                errors=errors.clone()
                kind="datetime-local"
            />
            <div class="flex items-end">
                <button
                    id="filter-apply"
                    type="submit"
                    class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                >
                    {tr("Показать", "Show")}
                </button>
            </div>
        </form>
        <p class="mt-2 text-xs text-slate-500">
            {tr("Время — в часовом поясе аккаунта: ", "Times are in the account's zone: ")}
            {page.time_zone.clone()}
        </p>
        <table id="events" class="mt-4 w-full border-collapse bg-white text-sm">
            <thead>
                <tr class="border-b text-left">
                    <th class="p-2">{tr("Получено", "Received")}</th>
                    <th class="p-2">{tr("Источник", "Source")}</th>
                    <th class="p-2">{tr("Тип", "Type")}</th>
                    <th class="p-2">{tr("Телефон", "Phone")}</th>
                    <th class="p-2">{tr("Звонок", "Call")}</th>
                    <th class="p-2">{tr("Статус", "Status")}</th>
                    <th class="p-2">{tr("Ошибка", "Error")}</th>
                </tr>
            </thead>
            <tbody>
                {events
                    .into_iter()
                    .map(|e| {
                        view! {
                            <tr
                                class="event-row border-b"
                                data-status=e.status.clone()
                                data-type=e.event_type.clone()
                            >
                                <td class="p-2 whitespace-nowrap">
                                    <a class="text-sky-700 underline" href=format!("/events/{}", e.id)>
                                        {e.received.clone()}
                                    </a>
                                </td>
                                <td class="p-2">{e.source.clone()}</td>
                                <td class="p-2">{e.event_type.clone()}</td>
                                <td class="p-2">{e.phone.clone()}</td>
                                <td class="p-2">{e.call_id.clone()}</td>
                                <td class=format!("p-2 status status-{}", e.status)>{e.status.clone()}</td>
                                <td class="p-2 text-red-700">{e.last_error.clone()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {(n == 0).then(|| view! { <p id="no-events" class="mt-2 text-slate-600">{empty}</p> })}
        <Rejected rows=page.rejected />
    }
}

#[component]
fn Rejected(rows: Vec<super::events_api::RejectedRow>) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <section id="rejected" class="mt-8">
            <h2 class="text-xl font-semibold">
                {tr("Отклонённые запросы (400)", "Rejected requests (400)")}
            </h2>
            {rows
                .into_iter()
                .map(|r| {
                    view! {
                        <details class="rejected-row mt-2 rounded border border-red-200 bg-white p-2 text-sm">
                            <summary>
                                {r.received.clone()} " · " {r.source.clone()} " · "
                                {r.event_type.clone()} " · " <b>{r.reason.clone()}</b>
                            </summary>
                            <p class="text-xs text-slate-500">
                                {r.content_type.clone().unwrap_or_default()} " "
                                {r.query.clone().unwrap_or_default()}
                            </p>
                            <pre class="overflow-x-auto whitespace-pre-wrap">{r.body.clone()}</pre>
                        </details>
                    }
                })
                .collect_view()}
        </section>
    }
    .into_any()
}

/// Replay of a range and reconciliation from UIS: two forms with a message next to each field.
#[component]
fn RangeForms() -> impl IntoView {
    let replay = ServerAction::<ReplayFailed>::new();
    let reconcile = ServerAction::<ReconcileCalls>::new();
    view! {
        <section id="replay-range" class="mt-10 grid gap-6 md:grid-cols-2">
            <RangeForm
                prefix="replay"
                title=tr("Повторить все неудачные за период", "Replay every failed event of a range")
                done=tr("Поставлено в очередь снова: ", "Queued again: ")
                pending=replay.pending()
                value=Signal::derive(move || replay.value().get())
            >
                <ActionForm action=replay attr:id="replay-form">
                    <RangeFields prefix="replay" value=Signal::derive(move || replay.value().get()) />
                    <button
                        id="replay-submit"
                        type="submit"
                        class="mt-2 rounded bg-sky-600 px-4 py-2 text-white"
                    >
                        {tr("Повторить", "Replay")}
                    </button>
                </ActionForm>
            </RangeForm>
            <RangeForm
                prefix="reconcile"
                title=tr(
                    "Забрать из UIS и обработать то, о чём UIS не уведомил",
                    "Fetch from UIS and process what was never notified",
                )
                done=tr("Добавлено событий: ", "Events enqueued: ")
                pending=reconcile.pending()
                value=Signal::derive(move || reconcile.value().get())
            >
                <ActionForm action=reconcile attr:id="reconcile-form">
                    <RangeFields prefix="reconcile" value=Signal::derive(move || reconcile.value().get()) />
                    <button
                        id="reconcile-submit"
                        type="submit"
                        class="mt-2 rounded bg-sky-600 px-4 py-2 text-white"
                    >
                        {tr("Забрать", "Fetch")}
                    </button>
                </ActionForm>
            </RangeForm>
        </section>
    }
}

type RangeValue = Signal<Option<Result<RangeOutcome, ServerFnError>>>;

#[component]
fn RangeForm(
    prefix: &'static str,
    title: impl Fn() -> &'static str + Send + Sync + 'static,
    done: impl Fn() -> &'static str + Send + Sync + Copy + 'static,
    pending: Memo<bool>,
    value: RangeValue,
    children: Children,
) -> impl IntoView {
    let working = tr("Выполняется…", "Working…");
    let calls = tr(" · звонков в отчёте UIS: ", " · calls in the UIS report: ");
    let result = move || {
        if pending.get() {
            return working().to_string();
        }
        match value.get() {
            Some(Ok(o)) if o.errors.is_empty() => match (&o.failure, o.calls) {
                (Some(f), _) => f.clone(),
                (None, Some(c)) => format!("{}{}{}{c}", done(), o.queued, calls()),
                (None, None) => format!("{}{}", done(), o.queued),
            },
            Some(Ok(_)) => String::new(),
            Some(Err(e)) => e.to_string(),
            None => String::new(),
        }
    };
    view! {
        <div class="rounded-lg border border-slate-200 bg-white p-4">
            <h2 class="font-semibold">{title}</h2>
            {children()}
            <p id=format!("{prefix}-result") class="mt-2 text-sm" role="status">
                {result}
            </p>
        </div>
    }
}

#[component]
fn RangeFields(prefix: &'static str, value: RangeValue) -> impl IntoView {
    let lang = use_lang();
    let errors = move || match value.get() {
        Some(Ok(o)) => o.errors,
        _ => Vec::new(),
    };
    let field = move |name: &'static str, ru: &'static str, en: &'static str| {
        let id = format!("{prefix}-{name}");
        view! {
            <label class="mt-2 block text-sm" for=id.clone()>
                <span>{tr(ru, en)}</span>
                <input
                    id=id.clone()
                    name=name
                    type="datetime-local"
                    class="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
                />
                <p id=format!("{id}-error") class="field-error text-sm text-red-700" role="alert">
                    {move || field_message(&errors(), name, lang.get())}
                </p>
            </label>
        }
    };
    view! {
        {field("from", "С", "From")}
        {field("to", "По", "To")}
    }
}

#[component]
pub fn EventPageView() -> impl IntoView {
    let hydrated = hydrated_marker();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let tick = RwSignal::new(0u32);
    let replay = ServerAction::<ReplayEvent>::new();
    Effect::watch(
        move || replay.version().get(),
        move |_, _, _| tick.update(|n| *n += 1),
        false,
    );
    let detail = Resource::new(move || (id(), tick.get()), |(id, _)| load_event(id));
    // While the event is on its way, look again (the replay's progress).
    Effect::new(move |_| {
        if let Some(Ok(Some(d))) = detail.get()
            && d.in_flight()
        {
            #[cfg(feature = "hydrate")]
            set_timeout(
                move || tick.update(|n| *n += 1),
                std::time::Duration::from_millis(600),
            );
        }
    });
    let not_found = tr("Нет такого события.", "No such event.");
    view! {
        <main id="root" class="mx-auto max-w-6xl p-8" data-hydrated=hydrated>
            <Nav current="" />
            <p class="mt-4">
                <a class="text-sky-700 underline" href="/events">
                    {tr("← Журнал событий", "← Event log")}
                </a>
            </p>
            <Transition fallback=|| view! { <p>"…"</p> }>
                {move || {
                    detail
                        .get()
                        .map(|answer| match answer {
                            Ok(Some(d)) => view! { <Detail d replay /> }.into_any(),
                            Ok(None) => {
                                view! { <p id="not-found" class="mt-6">{not_found}</p> }.into_any()
                            }
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
fn Detail(d: EventDetail, replay: ServerAction<ReplayEvent>) -> impl IntoView {
    let queued = tr("Поставлено в очередь.", "Queued.");
    let not_queued = tr(
        "Не поставлено: событие ещё ждёт или обрабатывается.",
        "Not queued: the event is still waiting or running.",
    );
    let working = tr("Отправляем…", "Sending…");
    let replay_result = move || {
        if replay.pending().get() {
            return working().to_string();
        }
        match replay.value().get() {
            Some(Ok(true)) => queued().to_string(),
            Some(Ok(false)) => not_queued().to_string(),
            Some(Err(e)) => e.to_string(),
            None => String::new(),
        }
    };
    let row = d.row.clone();
    let in_flight = d.in_flight();
    view! {
        <h1 class="mt-4 text-2xl font-semibold">
            {row.event_type.clone()} <span class="text-slate-500">" · " {row.source.clone()}</span>
        </h1>
        <dl class="mt-4 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt>{tr("Получено", "Received")}</dt>
            <dd>{row.received.clone()}</dd>
            <dt>{tr("Статус", "Status")}</dt>
            <dd>
                <b id="event-status" data-status=row.status.clone()>
                    {row.status.clone()}
                </b>
                {in_flight.then(|| view! { <span class="ml-2 text-slate-500">"⏳"</span> })}
            </dd>
            <dt>{tr("Попыток", "Attempts")}</dt>
            <dd>{row.attempts}</dd>
            <dt>{tr("Телефон", "Phone")}</dt>
            <dd>{row.phone.clone()}</dd>
            <dt>{tr("Звонок", "Call")}</dt>
            <dd>{row.call_id.clone()}</dd>
            <dt>{tr("Последняя ошибка", "Last error")}</dt>
            <dd id="event-error" class="text-red-700">
                {row.last_error.clone()}
            </dd>
        </dl>
        <ActionForm action=replay attr:id="replay-event-form" attr:class="mt-4">
            <input type="hidden" name="id" value=row.id.clone() />
            <button
                id="replay-event"
                type="submit"
                class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
            >
                {tr("Повторить обработку", "Replay")}
            </button>
        </ActionForm>
        <p id="replay-event-result" class="mt-2 text-sm" role="status">
            {replay_result}
        </p>
        <h2 class="mt-6 text-xl font-semibold">{tr("Полученные данные", "Received payload")}</h2>
        <p class="text-xs text-slate-500">
            {d.content_type.clone().unwrap_or_default()} " "
            {d.query.clone().map(|q| format!("?{q}")).unwrap_or_default()}
        </p>
        <pre id="event-body" class="overflow-x-auto whitespace-pre-wrap rounded bg-white p-3 text-xs">
            {d.body.clone()}
        </pre>
        <h2 class="mt-6 text-xl font-semibold">{tr("Решение", "Decision")}</h2>
        <pre
            id="event-decision"
            class="overflow-x-auto whitespace-pre-wrap rounded bg-white p-3 text-xs"
        >
            {d.decision.clone().unwrap_or_else(|| "—".into())}
        </pre>
        <h2 class="mt-6 text-xl font-semibold">{tr("Ход обработки", "Trace")}</h2>
        <table id="trace" class="mt-2 w-full border-collapse bg-white text-xs">
            <thead>
                <tr class="border-b text-left">
                    <th class="p-1">{tr("Время", "At")}</th>
                    <th class="p-1">{tr("Шаг", "Step")}</th>
                    <th class="p-1">{tr("Действие", "Action")}</th>
                    <th class="p-1">{tr("Запрос", "Request")}</th>
                    <th class="p-1">{tr("Ответ", "Response")}</th>
                    <th class="p-1">{tr("Созданные id", "Created ids")}</th>
                    <th class="p-1">"ms"</th>
                    <th class="p-1">{tr("Подробности", "Detail")}</th>
                </tr>
            </thead>
            <tbody>
                {d
                    .steps
                    .into_iter()
                    .map(|s| {
                        view! {
                            <tr class="trace-step border-b align-top" data-step=s.step.clone()>
                                <td class="p-1 whitespace-nowrap">{s.at}</td>
                                <td class="p-1">{s.step.clone()}</td>
                                <td class="p-1">{s.action_key}</td>
                                <td class="p-1 break-all">{s.request}</td>
                                <td class="p-1">{s.status}</td>
                                <td class="p-1">{s.created_ids}</td>
                                <td class="p-1">{s.duration_ms}</td>
                                <td class="p-1 break-all">{s.detail}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
