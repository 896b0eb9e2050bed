//! The seed's three sections, each with its "active" switch and its own save.
//!
//! Hook: the settings are an opaque JSON object for now; when the telephony model of
//! `domain::settings` is wired in (server/src/accounts/settings.rs validates it), this form becomes the
//! seed's steps — keep the section ids, the `active` switch and the save action.

use leptos::prelude::*;

use crate::api::{SaveSection, SectionView};
use crate::components::{errors_of, failure_of, saved, use_unsaved};
use crate::i18n::{use_lang, use_text};

#[component]
pub fn SectionForm(view: SectionView, action: ServerAction<SaveSection>) -> impl IntoView {
    let t = use_text();
    let lang = use_lang();
    let section = view.section;
    let id = section.as_str();
    let form_key = format!("section-{id}");
    let errors = errors_of(action);
    let failure = failure_of(action);
    let ok = saved(action);
    let unsaved = use_unsaved();
    let mark = move |_| {
        if let Some(u) = unsaved {
            u.mark(&form_key)
        }
    };
    let settings_error = move || {
        errors.with(|errs| {
            errs.iter()
                .filter(|e| e.field == "settings")
                .map(|e| lang.get().error_text(e.code, e.detail.as_deref()))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! {
        <section
            id=id
            class="settings-section mt-6 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
            on:input=mark
        >
            <h3 class="text-xl font-semibold">{move || lang.get().section_title(section)}</h3>
            <ActionForm action=action attr:id=format!("{id}-form") attr:class="mt-4 space-y-4">
                <input type="hidden" name="section" value=id />
                <label class="flex items-center gap-2">
                    <input
                        id=format!("{id}-active")
                        type="checkbox"
                        name="active"
                        checked=view.active
                    />
                    <span>{move || t().active}</span>
                </label>
                <label class="block" for=format!("{id}-settings")>
                    <span class="text-sm font-medium text-slate-700">{move || t().section_json}</span>
                    <textarea
                        id=format!("{id}-settings")
                        name="settings"
                        rows="6"
                        aria-describedby=format!("{id}-settings-error")
                        class="mt-1 block w-full rounded border border-slate-300 px-3 py-2 font-mono text-sm"
                    >
                        {view.settings.clone()}
                    </textarea>
                    <span class="text-xs text-slate-500">{move || t().section_hint}</span>
                    <p id=format!("{id}-settings-error") class="field-error mt-1 text-sm text-red-700" role="alert">
                        {settings_error}
                    </p>
                </label>
                <div class="flex items-center gap-4">
                    <button
                        id=format!("{id}-save")
                        type="submit"
                        class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                        disabled=move || action.pending().get()
                    >
                        {move || if action.pending().get() { t().saving } else { t().save }}
                    </button>
                    <span id=format!("{id}-result") class="text-sm text-green-800">
                        {move || ok.get().then(|| t().saved)}
                        {move || failure.get()}
                    </span>
                </div>
            </ActionForm>
        </section>
    }
}
