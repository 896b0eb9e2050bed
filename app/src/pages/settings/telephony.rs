//! «Подключение телефонии»: the seed's steps in order — 1 sync (`telephony_sync`), 2 filters,
//! 3 default responsible, 4 call processing (`telephony_calls`), 5 click-to-call, 6 activation,
//! 7 save. A sub-setting shows only while its switch is on; employees, schemes, virtual numbers
//! are picked from lists read from Megaplan and UIS. Save sends the whole form; the server checks
//! it with `TelephonySettings::validate` and each message appears under its field.

use leptos::prelude::*;

use super::telephony_api::{
    Choice, Picklists, SaveTelephony, TelephonyForm, TelephonyPage, load_telephony,
};
use super::{telephony_calls, telephony_sync};
use crate::api::{FieldError, FormOutcome, Section};
use crate::components::{failure_of, saved, use_unsaved};
use crate::i18n::{Lang, use_lang, use_text};

const FORM_KEY: &str = "section-telephony";

/// A place in the form: read and write the same field.
pub struct Lens<T: 'static> {
    pub get: fn(&TelephonyForm) -> &T,
    pub set: fn(&mut TelephonyForm) -> &mut T,
}

impl<T> Clone for Lens<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Lens<T> {}

macro_rules! lens {
    ($($p:ident).+) => {
        $crate::pages::settings::telephony::Lens {
            get: |f| &f.$($p).+,
            set: |f| &mut f.$($p).+,
        }
    };
}
pub(crate) use lens;

/// What every step of the form shares.
#[derive(Clone, Copy)]
pub struct Tel {
    pub form: RwSignal<TelephonyForm>,
    pub lists: StoredValue<Picklists>,
    pub errors: Signal<Vec<FieldError>>,
    pub lang: RwSignal<Lang>,
}

impl Tel {
    pub fn read<T: Clone + 'static>(self, lens: Lens<T>) -> T {
        self.form.with(|f| (lens.get)(f).clone())
    }

    pub fn write<T: 'static>(self, lens: Lens<T>, value: T) {
        self.form.update(|f| *(lens.set)(f) = value);
    }

    /// The Russian or English words, as the page's language says.
    pub fn tr(self, ru: &'static str, en: &'static str) -> impl Fn() -> &'static str + Copy {
        let lang = self.lang;
        move || match lang.get() {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

/// `call_processing.todo.responsible` → `tel-err-call_processing-todo-responsible`.
pub fn error_id(path: &str) -> String {
    format!("tel-err-{}", path.replace('.', "-"))
}

/// The messages for `path` (and, with `nested`, for the fields under it), right under the field.
pub fn field_error(tel: Tel, path: &'static str, nested: bool) -> AnyView {
    let text = move || {
        tel.errors.with(|errs| {
            errs.iter()
                .filter(|e| {
                    e.field == path
                        || (nested
                            && e.field.starts_with(path)
                            && e.field[path.len()..].starts_with('.'))
                })
                .filter_map(|e| e.detail.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! {
        <p id=error_id(path) class="field-error mt-1 text-sm text-red-700" role="alert">
            {text}
        </p>
    }
    .into_any()
}

/// A switch bound to a flag of the form.
pub fn switch(
    tel: Tel,
    id: &'static str,
    lens: Lens<bool>,
    label: impl Fn() -> &'static str + Send + Sync + Copy + 'static,
) -> AnyView {
    let on = move || tel.read(lens);
    view! {
        <label class="flex items-center gap-2">
            <input
                id=id
                type="checkbox"
                checked=on()
                prop:checked=on
                on:change=move |ev| tel.write(lens, event_target_checked(&ev))
            />
            <span class="font-medium">{label}</span>
        </label>
    }
    .into_any()
}

/// A pick-list of `choices` bound to an optional id; a saved id that the list no longer offers
/// stays selectable, so nothing is lost when Megaplan or UIS cannot be read.
pub fn pick(
    tel: Tel,
    id: &'static str,
    choices: Vec<Choice>,
    lens: Lens<Option<String>>,
) -> AnyView {
    let current = move || tel.read(lens);
    let mut choices = choices;
    if let Some(saved) = tel.form.with_untracked(|f| (lens.get)(f).clone())
        && !choices.iter().any(|c| c.id == saved)
    {
        choices.push(Choice {
            name: saved.clone(),
            id: saved,
        });
    }
    view! {
        <select
            id=id
            class="mt-1 block w-full rounded border border-slate-300 px-3 py-2"
            on:change=move |ev| {
                let v = event_target_value(&ev);
                tel.write(lens, (!v.is_empty()).then_some(v));
            }
        >
            <option value="" selected=move || current().is_none()>
                "—"
            </option>
            {choices
                .into_iter()
                .map(|c| {
                    let value = c.id.clone();
                    view! {
                        <option
                            value=c.id.clone()
                            selected=move || current().as_deref() == Some(value.as_str())
                        >
                            {c.name}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
    .into_any()
}

/// Checkboxes for a list of ids (employees to sync, virtual numbers).
pub fn pick_many(
    tel: Tel,
    id_prefix: &'static str,
    choices: Vec<Choice>,
    lens: Lens<Vec<String>>,
) -> AnyView {
    let mut choices = choices;
    for saved in tel.form.with_untracked(|f| (lens.get)(f).clone()) {
        if !choices.iter().any(|c| c.id == saved) {
            choices.push(Choice {
                name: saved.clone(),
                id: saved,
            });
        }
    }
    view! {
        <ul id=id_prefix class="mt-1 grid gap-1 sm:grid-cols-2">
            {choices
                .into_iter()
                .map(|c| {
                    let value = c.id.clone();
                    let has = {
                        let value = value.clone();
                        move || tel.form.with(|f| (lens.get)(f).contains(&value))
                    };
                    let input_id = format!("{id_prefix}-{}", c.id.replace('+', ""));
                    view! {
                        <li>
                            <label class="flex items-center gap-2">
                                <input
                                    id=input_id
                                    type="checkbox"
                                    value=c.id.clone()
                                    checked=has()
                                    prop:checked=has
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let value = value.clone();
                                        tel.form
                                            .update(|f| {
                                                let list = (lens.set)(f);
                                                list.retain(|x| *x != value);
                                                if on {
                                                    list.push(value);
                                                }
                                            });
                                    }
                                />
                                <span>{c.name}</span>
                            </label>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

fn step(title: impl Fn() -> &'static str + Send + Sync + 'static, id: &'static str) -> AnyView {
    view! { <h4 id=id class="mt-6 text-lg font-semibold text-slate-800">{title}</h4> }.into_any()
}

/// The telephony section, with its own data: the saved form, the pick-lists, the last syncs.
#[component]
pub fn TelephonySection() -> impl IntoView {
    let lang = use_lang();
    let t = use_text();
    let page = Resource::new(|| (), |_| load_telephony());
    view! {
        <section
            id="telephony"
            class="settings-section mt-6 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
        >
            <h3 class="text-xl font-semibold">{move || lang.get().section_title(Section::Telephony)}</h3>
            <Suspense fallback=move || view! { <p class="mt-4">{move || t().checking}</p> }>
                {move || {
                    page.get()
                        .map(|answer| match answer {
                            Ok(p) => view! { <TelephonyBody page=p /> }.into_any(),
                            Err(e) => {
                                view! {
                                    <p id="telephony-load-error" class="mt-4 text-red-700">
                                        {move || t().error}
                                        ": "
                                        {e.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn TelephonyBody(page: TelephonyPage) -> impl IntoView {
    let t = use_text();
    let lang = use_lang();
    let action = ServerAction::<SaveTelephony>::new();
    let errors = Signal::derive(move || match action.value().get() {
        Some(Ok(FormOutcome::Invalid(e))) => e,
        _ => Vec::new(),
    });
    let tel = Tel {
        form: RwSignal::new(page.form.clone()),
        lists: StoredValue::new(page.lists.clone()),
        errors,
        lang,
    };
    let ok = saved(action);
    let failure = failure_of(action);
    let unsaved = use_unsaved();
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if matches!(action.value().get_untracked(), Some(Ok(FormOutcome::Saved)))
                && let Some(u) = unsaved
            {
                u.clear(FORM_KEY);
            }
        },
        false,
    );
    let mark = move |_| {
        if let Some(u) = unsaved {
            u.mark(FORM_KEY)
        }
    };
    let lists = page.lists.clone();
    let problems = [lists.megaplan_error.clone(), lists.uis_error.clone()]
        .into_iter()
        .flatten()
        .map(|e| {
            view! {
                <p class="picklist-error text-sm text-amber-800">
                    {move || lang.get().error_text(e.code, e.detail.as_deref())}
                </p>
            }
        })
        .collect_view();
    let general = move || {
        errors.with(|errs| {
            errs.iter()
                .filter(|e| e.field == "settings")
                .filter_map(|e| e.detail.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let employees = lists.employees.clone();
    let numbers = lists.virtual_numbers.clone();
    let numbers_for_click = lists.virtual_numbers.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SaveTelephony {
            form: tel.form.get_untracked(),
        });
    };
    view! {
        <form id="telephony-form" class="mt-4 space-y-3" on:submit=save on:input=mark on:change=mark>
            <div id="telephony-picklist-errors">{problems}</div>
            <p id="telephony-settings-error" class="field-error text-sm text-red-700" role="alert">
                {general}
            </p>

            {view! {
            {step(tel.tr("1. Синхронизация данных", "1. Data sync"), "tel-step-sync")}
            <telephony_sync::SyncStep tel staff=page.staff.clone() last_run=page.last_run.clone() />
            }
                .into_any()}

            {view! {
            {step(tel.tr("2. Настройки фильтрации", "2. Filters"), "tel-step-filters")}
            {switch(
                tel,
                "tel-by-virtual-numbers",
                lens!(filters.by_virtual_numbers),
                tel.tr("Фильтровать по виртуальным номерам", "Filter by virtual numbers"),
            )}
            <Show when=move || tel.read(lens!(filters.by_virtual_numbers))>
                <div class="ml-6">
                    <span class="text-sm text-slate-700">
                        {tel.tr("Список виртуальных номеров", "Virtual numbers")}
                    </span>
                    {pick_many(tel, "tel-vn", numbers.clone(), lens!(filters.virtual_numbers))}
                    {field_error(tel, "filters.virtual_numbers", true)}
                </div>
            </Show>
            }
                .into_any()}

            {view! {
            {step(tel.tr("3. Ответственный по умолчанию", "3. Default responsible"), "tel-step-default")}
            <label class="block">
                <span class="text-sm text-slate-700">
                    {tel.tr(
                        "Назначается ответственным на создаваемые сущности",
                        "Made responsible for what is created",
                    )}
                </span>
                {pick(tel, "tel-default-responsible", employees.clone(), lens!(default_responsible))}
                {field_error(tel, "default_responsible", false)}
            </label>
            }
                .into_any()}

            {view! {
            {step(tel.tr("4. Обработка звонков", "4. Call processing"), "tel-step-calls")}
            <telephony_calls::CallSteps tel />
            }
                .into_any()}

            {view! {
            {step(tel.tr("5. Звонки по клику из CRM", "5. Click-to-call from the CRM"), "tel-step-click")}
            <label class="block">
                <span class="text-sm text-slate-700">
                    {tel.tr("Номер для звонка по клику", "Number for click-to-call")}
                </span>
                {pick(tel, "tel-click-number", numbers_for_click.clone(), lens!(click_to_call.number))}
                {field_error(tel, "click_to_call.number", false)}
            </label>
            {switch(
                tel,
                "tel-override-caller-id",
                lens!(click_to_call.override_caller_id),
                tel.tr("Переопределять АОН для исходящих звонков", "Override caller ID for outbound calls"),
            )}
            }
                .into_any()}

            {view! {
            {step(tel.tr("6. Активируйте интеграцию", "6. Activate the integration"), "tel-step-active")}
            {switch(tel, "telephony-active", lens!(active), move || t().active)}
            }
                .into_any()}

            <div class="flex items-center gap-4 pt-2">
                <button
                    id="telephony-save"
                    type="submit"
                    class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                    disabled=move || action.pending().get()
                >
                    {move || if action.pending().get() { t().saving } else { t().save }}
                </button>
                <span
                    id="telephony-result"
                    class="text-sm"
                    class:text-green-800=move || ok.get()
                    class:text-red-700=move || !ok.get()
                >
                    {move || ok.get().then(|| t().saved)}
                    {move || failure.get()}
                    {move || {
                        (!errors.with(Vec::is_empty))
                            .then(|| {
                                tel.tr(
                                    "Не сохранено: исправьте отмеченные поля",
                                    "Not saved: fix the marked fields",
                                )()
                            })
                    }}
                </span>
            </div>
        </form>
    }
}
