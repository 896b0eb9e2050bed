//! Step 4 «Обработка звонков»: 4.1 client on call, 4.2 extra fields, 4.3 communication, 4.4 todo,
//! 4.5 deal (process), 4.6 personal-manager routing. Each rule's settings show while it is on.

use leptos::prelude::*;

use super::telephony::{Lens, Tel, field_error, lens, pick, switch};
use super::telephony_api::{FieldMappingForm, ResponsibleForm, TelephonyForm};

/// (value, ru, en) of a call outcome, as the seed's «направления звонков, их статусы».
const OUTCOMES: [(&str, &str, &str); 4] = [
    ("answered", "Входящий принятый", "Inbound answered"),
    ("lost", "Входящий потерянный", "Inbound lost"),
    ("successful", "Исходящий успешный", "Outbound successful"),
    ("failed", "Исходящий неуспешный", "Outbound failed"),
];

fn outcomes(tel: Tel, id: &'static str, path: &'static str, lens: Lens<Vec<String>>) -> AnyView {
    view! {
        <fieldset id=id class="flex flex-wrap gap-4">
            <legend class="text-sm text-slate-700">
                {tel.tr("Направления звонков и их статусы", "Call directions and outcomes")}
            </legend>
            {OUTCOMES
                .into_iter()
                .map(|(value, ru, en)| {
                    let has = move || tel.form.with(|f| (lens.get)(f).iter().any(|x| x == value));
                    view! {
                        <label class="flex items-center gap-1">
                            <input
                                id=format!("{id}-{value}")
                                type="checkbox"
                                checked=has()
                                prop:checked=has
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    tel.form
                                        .update(|f| {
                                            let list = (lens.set)(f);
                                            list.retain(|x| x != value);
                                            if on {
                                                list.push(value.to_string());
                                            }
                                        });
                                }
                            />
                            <span>{tel.tr(ru, en)}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
        {field_error(tel, path, false)}
    }
    .into_any()
}

/// «Ответственный»: the default responsible, the call's employee, or a chosen employee.
fn responsible(
    tel: Tel,
    id: &'static str,
    path: &'static str,
    lens: Lens<ResponsibleForm>,
) -> AnyView {
    let current = move || match tel.read(lens) {
        ResponsibleForm::DefaultResponsible => "default_responsible".to_string(),
        ResponsibleForm::CallEmployee => "call_employee".to_string(),
        ResponsibleForm::Employee(e) => format!("employee:{e}"),
    };
    let mut employees = tel.lists.with_value(|l| l.employees.clone());
    if let ResponsibleForm::Employee(saved) = tel.form.with_untracked(|f| (lens.get)(f).clone())
        && !employees.iter().any(|c| c.id == saved)
    {
        employees.push(super::telephony_api::Choice {
            name: saved.clone(),
            id: saved,
        });
    }
    view! {
        <label class="block">
            <span class="text-sm text-slate-700">{tel.tr("Ответственный", "Responsible")}</span>
            <select
                id=id
                class="mt-1 block w-full rounded border border-slate-300 px-3 py-2"
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let r = match v.as_str() {
                        "call_employee" => ResponsibleForm::CallEmployee,
                        other => match other.strip_prefix("employee:") {
                            Some(e) => ResponsibleForm::Employee(e.to_string()),
                            None => ResponsibleForm::DefaultResponsible,
                        },
                    };
                    tel.write(lens, r);
                }
            >
                <option value="default_responsible" selected=move || current() == "default_responsible">
                    {tel.tr("Ответственный по умолчанию", "Default responsible")}
                </option>
                <option value="call_employee" selected=move || current() == "call_employee">
                    {tel.tr("Сотрудник звонка", "The call's employee")}
                </option>
                {employees
                    .into_iter()
                    .map(|c| {
                        let value = format!("employee:{}", c.id);
                        let v2 = value.clone();
                        view! {
                            <option value=value selected=move || current() == v2>
                                {c.name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {field_error(tel, path, false)}
        </label>
    }
    .into_any()
}

fn extra_fields(tel: Tel) -> AnyView {
    let fields = tel.lists.with_value(|l| l.uis_fields.clone());
    let rows = move || {
        tel.form
            .with(|f| f.call_processing.extra_fields.mapping.len())
    };
    let edit = move |i: usize, change: Box<dyn FnOnce(&mut FieldMappingForm)>| {
        tel.form.update(|f| {
            if let Some(m) = f.call_processing.extra_fields.mapping.get_mut(i) {
                change(m);
            }
        })
    };
    view! {
        <div id="tel-extra-mapping" class="space-y-2">
            <For each=move || 0..rows() key=|i| *i let:i>
                {
                    let fields = fields.clone();
                    let uis = move || {
                        tel.form
                            .with(|f| {
                                f.call_processing
                                    .extra_fields
                                    .mapping
                                    .get(i)
                                    .map(|m| m.uis.clone())
                                    .unwrap_or_default()
                            })
                    };
                    let megaplan = move || {
                        tel.form
                            .with(|f| {
                                f.call_processing
                                    .extra_fields
                                    .mapping
                                    .get(i)
                                    .map(|m| m.megaplan.clone())
                                    .unwrap_or_default()
                            })
                    };
                    let path = format!("call_processing.extra_fields.mapping.{i}.megaplan");
                    let path2 = path.clone();
                    let err = move || {
                        tel.errors
                            .with(|errs| {
                                errs.iter()
                                    .filter(|e| e.field == path)
                                    .filter_map(|e| e.detail.clone())
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                    };
                    view! {
                        <div class="flex flex-wrap items-start gap-2">
                            <select
                                id=format!("tel-extra-uis-{i}")
                                class="rounded border border-slate-300 px-2 py-1"
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    edit(i, Box::new(move |m| m.uis = v));
                                }
                            >
                                {fields
                                    .into_iter()
                                    .map(|c| {
                                        let v = c.id.clone();
                                        view! {
                                            <option value=c.id.clone() selected=move || uis() == v>
                                                {c.name}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            <div>
                                <input
                                    id=format!("tel-extra-megaplan-{i}")
                                    class="rounded border border-slate-300 px-2 py-1 font-mono text-sm"
                                    placeholder="Category183CustomFieldIstochnik"
                                    prop:value=megaplan
                                    value=megaplan()
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        edit(i, Box::new(move |m| m.megaplan = v));
                                    }
                                />
                                <p
                                    id=super::telephony::error_id(&path2)
                                    class="field-error text-sm text-red-700"
                                    role="alert"
                                >
                                    {err}
                                </p>
                            </div>
                            <button
                                type="button"
                                class="text-sm text-red-700 underline"
                                on:click=move |_| {
                                    tel.form
                                        .update(|f| {
                                            if i < f.call_processing.extra_fields.mapping.len() {
                                                f.call_processing.extra_fields.mapping.remove(i);
                                            }
                                        })
                                }
                            >
                                {tel.tr("Удалить", "Remove")}
                            </button>
                        </div>
                    }
                }
            </For>
            <button
                id="tel-extra-add"
                type="button"
                class="rounded border border-slate-300 px-3 py-1 text-sm"
                on:click=move |_| {
                    tel.form
                        .update(|f: &mut TelephonyForm| {
                            f.call_processing
                                .extra_fields
                                .mapping
                                .push(FieldMappingForm {
                                    uis: "utm_source".into(),
                                    megaplan: String::new(),
                                })
                        })
                }
            >
                {tel.tr("Добавить соответствие", "Add a mapping")}
            </button>
            {field_error(tel, "call_processing.extra_fields.mapping", false)}
            {switch(
                tel,
                "tel-extra-update-always",
                lens!(call_processing.extra_fields.update_always),
                tel.tr("Обновлять всегда", "Update always"),
            )}
        </div>
    }
    .into_any()
}

#[component]
pub fn CallSteps(tel: Tel) -> impl IntoView {
    let programs = tel.lists.with_value(|l| l.programs.clone());
    let program_choices: Vec<_> = programs
        .iter()
        .map(|p| super::telephony_api::Choice {
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect();
    let states = move || {
        let chosen = tel.read(lens!(call_processing.deal.program));
        programs
            .iter()
            .find(|p| Some(&p.id) == chosen.as_ref())
            .map(|p| {
                p.states
                    .iter()
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(" → ")
            })
            .unwrap_or_default()
    };
    let duration = move || tel.read(lens!(call_processing.communication.duration_minutes));
    view! {
        {view! {
        {switch(
            tel,
            "tel-create-client",
            lens!(call_processing.create_client.enabled),
            tel.tr("4.1. Создавать контакт при звонке", "4.1. Create a client on a call"),
        )}
        <Show when=move || tel.read(lens!(call_processing.create_client.enabled))>
            <label class="ml-6 block">
                <span class="text-sm text-slate-700">
                    {tel.tr("Назначать ответственного на", "Make responsible")}
                </span>
                <select
                    id="tel-create-client-responsible"
                    class="mt-1 block w-full rounded border border-slate-300 px-3 py-2"
                    on:change=move |ev| {
                        tel.write(lens!(call_processing.create_client.responsible), event_target_value(&ev))
                    }
                >
                    <option
                        value="first_talked"
                        selected=move || tel.read(lens!(call_processing.create_client.responsible)) == "first_talked"
                    >
                        {tel.tr("Первый разговаривавший", "First who talked")}
                    </option>
                    <option
                        value="last_talked"
                        selected=move || tel.read(lens!(call_processing.create_client.responsible)) == "last_talked"
                    >
                        {tel.tr("Последний разговаривавший", "Last who talked")}
                    </option>
                </select>
            </label>
        </Show>
        }
            .into_any()}

        {view! {
        {switch(
            tel,
            "tel-extra-fields",
            lens!(call_processing.extra_fields.enabled),
            tel.tr("4.2. Передавать дополнительные поля в клиента", "4.2. Pass extra fields into the client"),
        )}
        <Show when=move || tel.read(lens!(call_processing.extra_fields.enabled))>
            <div class="ml-6">{extra_fields(tel)}</div>
        </Show>
        }
            .into_any()}

        {view! {
        {switch(
            tel,
            "tel-communication",
            lens!(call_processing.communication.enabled),
            tel.tr("4.3. Создавать коммуникацию по звонку", "4.3. Create a communication per call"),
        )}
        <Show when=move || tel.read(lens!(call_processing.communication.enabled))>
            <div class="ml-6 space-y-2">
                {outcomes(
                    tel,
                    "tel-communication-outcomes",
                    "call_processing.communication.outcomes",
                    lens!(call_processing.communication.outcomes),
                )}
                <label class="block">
                    <span class="text-sm text-slate-700">
                        {tel.tr("Длительность коммуникации, минут", "Communication duration, minutes")}
                    </span>
                    <input
                        id="tel-communication-duration"
                        type="number"
                        min="1"
                        class="mt-1 block w-40 rounded border border-slate-300 px-3 py-2"
                        value=duration()
                        prop:value=move || duration().to_string()
                        on:input=move |ev| {
                            let v = event_target_value(&ev).trim().parse::<u32>().unwrap_or(0);
                            tel.write(lens!(call_processing.communication.duration_minutes), v);
                        }
                    />
                    {field_error(tel, "call_processing.communication.duration_minutes", false)}
                </label>
            </div>
        </Show>
        }
            .into_any()}

        {view! {
        {switch(
            tel,
            "tel-todo",
            lens!(call_processing.todo.enabled),
            tel.tr("4.4. Создавать дело по звонку", "4.4. Create a todo per call"),
        )}
        <Show when=move || tel.read(lens!(call_processing.todo.enabled))>
            <div class="ml-6 space-y-2">
                {outcomes(
                    tel,
                    "tel-todo-outcomes",
                    "call_processing.todo.outcomes",
                    lens!(call_processing.todo.outcomes),
                )}
                {responsible(
                    tel,
                    "tel-todo-responsible",
                    "call_processing.todo.responsible",
                    lens!(call_processing.todo.responsible),
                )}
            </div>
        </Show>
        }
            .into_any()}

        {view! {
        {switch(
            tel,
            "tel-deal",
            lens!(call_processing.deal.enabled),
            tel.tr("4.5. Создавать процесс по звонку", "4.5. Create a deal (process) per call"),
        )}
        <Show when=move || tel.read(lens!(call_processing.deal.enabled))>
            <div class="ml-6 space-y-2">
                {outcomes(
                    tel,
                    "tel-deal-outcomes",
                    "call_processing.deal.outcomes",
                    lens!(call_processing.deal.outcomes),
                )}
                {responsible(
                    tel,
                    "tel-deal-responsible",
                    "call_processing.deal.responsible",
                    lens!(call_processing.deal.responsible),
                )}
                <label class="block">
                    <span class="text-sm text-slate-700">{tel.tr("Схема из Megaplan", "Megaplan scheme")}</span>
                    {pick(tel, "tel-deal-program", program_choices.clone(), lens!(call_processing.deal.program))}
                    <span id="tel-deal-states" class="text-xs text-slate-500">{states.clone()}</span>
                    {field_error(tel, "call_processing.deal.program", false)}
                </label>
            </div>
        </Show>
        }
            .into_any()}

        {switch(
            tel,
            "tel-personal-manager",
            lens!(call_processing.personal_manager_routing),
            tel.tr(
                "4.6. Включить переадресацию на персонального менеджера",
                "4.6. Route to the personal manager",
            ),
        )}
    }
}
