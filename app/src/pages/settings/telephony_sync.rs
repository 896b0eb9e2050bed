//! Step 1 «Синхронизация данных»: 2.1 the telephony-settings sync from Megaplan (T1) with the
//! extension table and its warnings; 2.2 «Синхронизировать сотрудников» (T2): the Megaplan
//! employees to create in UIS, a «Синхронизировать» button, progress and per-employee results.

use std::time::Duration;

use leptos::prelude::*;

use super::telephony::{Tel, field_error, lens, pick_many, switch};
use super::telephony_api::{
    StaffTable, SyncRunView, TelephonyEmployeeSync, TelephonySettingsSync,
    telephony_employee_sync_run,
};
use crate::api::{ErrorCode, FieldError};

/// Reads the run every half second until it is no longer running.
fn poll(run: RwSignal<Option<SyncRunView>>, id: String) {
    leptos::task::spawn_local(async move {
        if let Ok(Some(r)) = telephony_employee_sync_run(Some(id.clone())).await {
            let running = r.status == "running";
            run.set(Some(r));
            if running {
                set_timeout(move || poll(run, id), Duration::from_millis(500));
            }
        }
    });
}

#[component]
pub fn SyncStep(tel: Tel, staff: StaffTable, last_run: Option<SyncRunView>) -> impl IntoView {
    let sync = ServerAction::<TelephonySettingsSync>::new();
    let table = Signal::derive(move || match sync.value().get() {
        Some(Ok(t)) => t,
        Some(Err(e)) => StaffTable {
            rows: vec![],
            error: Some(FieldError::with_detail(
                "sync",
                ErrorCode::ServerError,
                e.to_string(),
            )),
        },
        None => staff.clone(),
    });
    let start = ServerAction::<TelephonyEmployeeSync>::new();
    let run = RwSignal::new(last_run);
    Effect::watch(
        move || start.version().get(),
        move |_, _, _| {
            if let Some(Ok(id)) = start.value().get_untracked() {
                poll(run, id);
            }
        },
        false,
    );
    let employees = tel.lists.with_value(|l| l.employees.clone());
    let settings_sync = view! {
        <div id="tel-settings-sync" class="space-y-2">
            <p class="text-sm text-slate-600">
                {tel.tr(
                    "2.1. Укажите внутренние номера сотрудников в Megaplan («Настройки» → «Интеграция» → «Телефония» → «Пользователи»), затем синхронизируйте.",
                    "2.1. Give each employee their extension in Megaplan (Settings → Integration → Telephony → Users), then sync.",
                )}
            </p>
            <button
                id="tel-sync-settings"
                type="button"
                class="rounded border border-sky-600 px-3 py-1 text-sky-700 hover:bg-sky-50"
                disabled=move || sync.pending().get()
                on:click=move |_| {
                    sync.dispatch(TelephonySettingsSync {});
                }
            >
                {tel.tr(
                    "Синхронизировать настройки телефонии из Megaplan",
                    "Sync telephony settings from Megaplan",
                )}
            </button>
            {move || {
                let t = table.get();
                let error = t
                    .error
                    .clone()
                    .map(|e| {
                        view! {
                            <p id="tel-sync-error" class="text-sm text-red-700">
                                {move || tel.lang.get().error_text(e.code, e.detail.as_deref())}
                            </p>
                        }
                    });
                let warnings = t.rows.iter().filter(|r| r.warning).count();
                let warning = (warnings > 0)
                    .then(|| {
                        view! {
                            <p id="tel-staff-warning" class="text-sm text-amber-800">
                                {tel.tr(
                                    "У отмеченных сотрудников нет сотрудника UIS с таким внутренним номером: карточка звонка у них не поднимется.",
                                    "The marked employees have no UIS employee with their extension: the call card will not pop up for them.",
                                )}
                            </p>
                        }
                    });
                let rows = t
                    .rows
                    .into_iter()
                    .map(|r| {
                        let class = if r.warning { "staff-warning bg-amber-50" } else { "" };
                        view! {
                            <tr class=class data-user=r.megaplan_user_id.clone()>
                                <td class="pr-4">{r.megaplan_name}</td>
                                <td class="pr-4 font-mono">{r.extension.unwrap_or_default()}</td>
                                <td class="pr-4">
                                    {r.uis_employee_name.unwrap_or_else(|| "—".into())}
                                </td>
                                <td>{r.warning.then_some("⚠")}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    {error}
                    {warning}
                    <table id="tel-staff-table" class="mt-2 text-sm">
                        <thead>
                            <tr class="text-left text-slate-600">
                                <th class="pr-4">{tel.tr("Сотрудник Megaplan", "Megaplan employee")}</th>
                                <th class="pr-4">{tel.tr("Внутренний номер", "Extension")}</th>
                                <th class="pr-4">{tel.tr("Сотрудник UIS", "UIS employee")}</th>
                                <th></th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                    .into_any()
            }}
        </div>
    }
    .into_any();
    let employee_sync = view! {
        <div id="tel-employee-sync-block" class="mt-4 space-y-2">
            {switch(
                tel,
                "tel-sync-employees",
                lens!(sync.sync_employees),
                tel.tr("2.2. Синхронизировать сотрудников", "2.2. Sync employees"),
            )}
            <Show when=move || tel.read(lens!(sync.sync_employees))>
                <div class="ml-6 space-y-2">
                    <span class="text-sm text-slate-700">
                        {tel.tr(
                            "Сотрудники Megaplan, которых нужно создать в UIS (связь по e-mail; синхронизация каждые 2 часа по сохранённому списку)",
                            "Megaplan employees to create in UIS (matched by e-mail; synced every 2 hours from the saved list)",
                        )}
                    </span>
                    {pick_many(tel, "tel-sync-employee", employees.clone(), lens!(sync.employees))}
                    {field_error(tel, "sync.employees", false)}
                    <button
                        id="tel-employee-sync"
                        type="button"
                        class="rounded border border-sky-600 px-3 py-1 text-sky-700 hover:bg-sky-50"
                        disabled=move || {
                            start.pending().get()
                                || run.with(|r| r.as_ref().is_some_and(|r| r.status == "running"))
                        }
                        on:click=move |_| {
                            start.dispatch(TelephonyEmployeeSync {});
                        }
                    >
                        {tel.tr("Синхронизировать", "Synchronize")}
                    </button>
                    {move || {
                        run.get()
                            .map(|r| {
                                let results = r
                                    .results
                                    .into_iter()
                                    .map(|x| {
                                        let class = format!("sync-{}", x.outcome);
                                        view! {
                                            <li class=class>
                                                {x.name}
                                                ": "
                                                {move || tel.lang.get().sync_outcome(&x.outcome)}
                                                {move || {
                                                    x.reason
                                                        .as_deref()
                                                        .map(|why| format!(" — {}", tel.lang.get().sync_reason(why)))
                                                }}
                                            </li>
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <p id="tel-employee-sync-progress" class="text-sm" data-status=r.status.clone()>
                                        {
                                            let status = r.status.clone();
                                            move || tel.lang.get().sync_status(&status)
                                        }
                                        ": "
                                        {r.processed}
                                        " / "
                                        {r.total}
                                        {r
                                            .error
                                            .map(|e| {
                                                view! {
                                                    " — "
                                                    <span id="tel-employee-sync-error">
                                                        {move || {
                                                            tel.lang.get().error_text(e.code, e.detail.as_deref())
                                                        }}
                                                    </span>
                                                }
                                            })}
                                    </p>
                                    <ul id="tel-employee-sync-results" class="text-sm">
                                        {results}
                                    </ul>
                                }
                                    .into_any()
                            })
                    }}
                </div>
            </Show>
        </div>
    }
    .into_any();
    view! {
        {settings_sync}
        {employee_sync}
    }
}
