//! Rule preview (O4): a simulated call, and the actions the current telephony settings would take for
//! it — nothing is done. When nothing would happen, the reason is shown.

use leptos::prelude::*;

use super::events::{Nav, field_message, tr};
use super::events_api::{PreviewAnswer, PreviewRules};
use crate::components::hydrated_marker;
use crate::i18n::use_lang;

#[component]
pub fn PreviewPage() -> impl IntoView {
    let hydrated = hydrated_marker();
    let lang = use_lang();
    let action = ServerAction::<PreviewRules>::new();
    let errors = move || match action.value().get() {
        Some(Ok(a)) => a.errors,
        _ => Vec::new(),
    };
    let input = move |name: &'static str,
                      ru: &'static str,
                      en: &'static str,
                      value: &'static str| {
        let id = format!("preview-{name}");
        view! {
            <label class="block text-sm" for=id.clone()>
                <span class="font-medium">{tr(ru, en)}</span>
                <input
                    id=id.clone()
                    name=name
                    value=value
                    class="mt-1 block w-full rounded border border-slate-300 px-2 py-1"
                />
                <p id=format!("{id}-error") class="field-error text-sm text-red-700" role="alert">
                    {move || field_message(&errors(), name, lang.get())}
                </p>
            </label>
        }
    };
    view! {
        <main id="root" class="mx-auto max-w-4xl p-8" data-hydrated=hydrated>
            <Nav current="/preview" />
            <h1 class="mt-6 text-3xl font-semibold text-sky-700">
                {tr("Проверка правил", "Rule preview")}
            </h1>
            <p class="mt-2 text-slate-600">
                {tr(
                    "Что сделали бы текущие настройки телефонии для такого звонка. Ничего не выполняется.",
                    "What the current telephony settings would do for such a call. Nothing is done.",
                )}
            </p>
            <ActionForm
                action=action
                attr:id="preview-form"
                attr:class="mt-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-2"
            >
                <label class="block text-sm" for="preview-direction">
                    <span class="font-medium">{tr("Направление", "Direction")}</span>
                    <select id="preview-direction" name="direction" class="mt-1 block w-full rounded border px-2 py-1">
                        <option value="in">{tr("Входящий", "Inbound")}</option>
                        <option value="out">{tr("Исходящий", "Outbound")}</option>
                    </select>
                </label>
                <label class="block text-sm" for="preview-outcome">
                    <span class="font-medium">{tr("Исход", "Outcome")}</span>
                    <select id="preview-outcome" name="outcome" class="mt-1 block w-full rounded border px-2 py-1">
                        <option value="missed">{tr("Без разговора (потерянный)", "No talk (lost)")}</option>
                        <option value="answered">{tr("С разговором", "Talked")}</option>
                    </select>
                </label>
                {input("phone", "Телефон клиента", "Client's phone", "+7 999 111-22-33")}
                {input("virtual_number", "Виртуальный номер", "Virtual number", "")}
                {input("employee", "ID сотрудника UIS", "UIS employee id", "")}
                <div class="flex items-end">
                    <button id="preview-submit" type="submit" class="rounded bg-sky-600 px-4 py-2 text-white">
                        {tr("Показать действия", "Show the actions")}
                    </button>
                </div>
            </ActionForm>
            <div id="preview-result" class="mt-6">
                {move || match action.value().get() {
                    Some(Ok(a)) if a.errors.is_empty() => view! { <Answer a /> }.into_any(),
                    Some(Err(e)) => view! { <p class="text-red-700">{e.to_string()}</p> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </main>
    }
}

#[component]
fn Answer(a: PreviewAnswer) -> impl IntoView {
    let inactive = (!a.telephony_active).then(|| {
        view! {
            <p id="preview-inactive" class="rounded bg-amber-100 p-2 text-amber-900">
                {tr(
                    "Раздел телефонии выключен: ничего не произойдёт.",
                    "The telephony section is off: nothing would happen.",
                )}
            </p>
        }
    });
    view! {
        {inactive}
        <ol class="mt-2 space-y-3">
            {a
                .steps
                .into_iter()
                .map(|s| {
                    view! {
                        <li class="preview-step rounded border border-slate-200 bg-white p-3">
                            <b>{s.event}</b>
                            <ul class="ml-4 list-disc text-sm">
                                {s.actions.into_iter().map(|x| view! { <li class="preview-action">{x}</li> }).collect_view()}
                            </ul>
                            {s.skipped.map(|r| view! { <p class="preview-skip text-sm text-slate-600">{r}</p> })}
                            {s.notes.into_iter().map(|n| view! { <p class="text-xs text-slate-500">{n}</p> }).collect_view()}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
