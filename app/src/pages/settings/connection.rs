//! Seed "Подключение учетной записи": choose saved Megaplan credentials or add new ones (checked against
//! Megaplan first), and the account's UIS access (checked against UIS first).

use leptos::prelude::*;

use super::Actions;
use crate::api::{CredentialView, FieldError, Overview};
use crate::components::{Field, errors_of, failure_of, saved, use_unsaved};
use crate::i18n::{Lang, use_lang, use_text};

/// Marks a form "unsaved" on every keystroke inside it.
fn mark_on_input(form: &'static str) -> impl Fn(leptos::ev::Event) + 'static {
    let unsaved = use_unsaved();
    move |_| {
        if let Some(u) = unsaved {
            u.mark(form)
        }
    }
}

#[component]
pub fn Connection(overview: Overview, actions: Actions) -> impl IntoView {
    let t = use_text();
    let selected = overview.selected.clone();
    let rows = overview
        .credentials
        .iter()
        .cloned()
        .map(|c| {
            let in_use = selected.as_deref() == Some(c.id.as_str());
            view! { <CredentialRow c in_use actions /> }
        })
        .collect_view();
    let empty = overview.credentials.is_empty();
    let select_errors = errors_of(actions.select_credentials);
    let renew_errors = errors_of(actions.renew_credentials);
    let renewed = saved(actions.renew_credentials);
    let lang = use_lang();
    view! {
        <section id="connection" class="mt-8 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-2xl font-semibold">{move || t().connection}</h2>
            <h3 class="mt-4 text-lg font-semibold">{move || t().megaplan_auth}</h3>
            <h4 class="mt-2 text-sm font-medium text-slate-600">{move || t().saved_credentials}</h4>
            {empty
                .then(|| {
                    view! {
                        <p id="no-credentials" class="text-slate-600">
                            {move || t().no_credentials}
                        </p>
                    }
                })}
            <ul id="credentials" class="mt-2 divide-y divide-slate-200">
                {rows}
            </ul>
            <p id="select-credentials-error" class="text-sm text-red-700">
                {move || worded(lang.get(), &select_errors.get())}
            </p>
            <p id="renew-credentials-error" class="text-sm text-red-700">
                {move || worded(lang.get(), &renew_errors.get())}
            </p>
            <p id="renew-credentials-result" class="text-sm text-green-800">
                {move || renewed.get().then(|| t().password_renewed)}
            </p>
            <AddCredentials actions />
            <UisAccess overview actions />
        </section>
    }
}

/// A list's action errors in one line, in the admin's language.
fn worded(lang: Lang, errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| lang.error_text(e.code, e.detail.as_deref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
fn CredentialRow(c: CredentialView, in_use: bool, actions: Actions) -> impl IntoView {
    let t = use_text();
    let working = c.status == "working";
    let id = c.id.clone();
    let renew_id = c.id.clone();
    view! {
        <li
            class="credential flex flex-wrap items-center justify-between gap-4 py-2"
            data-name=c.name.clone()
            data-status=c.status.clone()
        >
            <div>
                <b>{c.name.clone()}</b>
                " · "
                <span class="font-mono text-sm">{c.domain.clone()}</span>
                " · "
                <span class="text-sm">{c.login.clone()}</span>
                " · "
                <span class=if working { "text-green-700" } else { "text-red-700" }>
                    {move || if working { t().status_working } else { t().status_broken }}
                </span>
            </div>
            {if in_use {
                view! {
                    <span class="in-use rounded bg-green-100 px-2 py-1 text-sm text-green-800">
                        {move || t().in_use}
                    </span>
                }
                    .into_any()
            } else {
                view! {
                    <ActionForm action=actions.select_credentials>
                        <input type="hidden" name="id" value=id />
                        <button
                            type="submit"
                            class="use-credentials rounded border border-sky-600 px-3 py-1 text-sm text-sky-700"
                        >
                            {move || t().use_these}
                        </button>
                    </ActionForm>
                }
                    .into_any()
            }}
            // Megaplan's password changed: the set is fixed in place, not added again under a new name.
            <details class="renew w-full" open=!working on:input=mark_on_input("renew-credentials")>
                <summary class="cursor-pointer text-sm text-sky-700">{move || t().new_password}</summary>
                <ActionForm
                    action=actions.renew_credentials
                    attr:class="renew-form mt-2 flex flex-wrap items-center gap-2"
                >
                    <input type="hidden" name="id" value=renew_id />
                    <input
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        aria-label=move || t().new_password
                        class="renew-password rounded border border-slate-300 px-2 py-1"
                    />
                    <button
                        type="submit"
                        class="renew-submit rounded border border-sky-600 px-3 py-1 text-sm text-sky-700"
                        disabled=move || actions.renew_credentials.pending().get()
                    >
                        {move || {
                            if actions.renew_credentials.pending().get() {
                                t().checking_megaplan
                            } else {
                                t().check_and_save
                            }
                        }}
                    </button>
                </ActionForm>
            </details>
        </li>
    }
}

#[component]
fn AddCredentials(actions: Actions) -> impl IntoView {
    let t = use_text();
    let action = actions.add_credentials;
    let errors = errors_of(action);
    let failure = failure_of(action);
    let ok = saved(action);
    view! {
        <div on:input=mark_on_input("add-credentials") class="mt-6">
            <h4 class="text-lg font-semibold">{move || t().add_credentials}</h4>
            <ActionForm action=action attr:id="add-credentials" attr:class="mt-2 grid gap-4 md:grid-cols-2">
                <Field form="cred" name="name" label=Signal::derive(move || t().cred_name) errors />
                <Field
                    form="cred"
                    name="domain"
                    label=Signal::derive(move || t().domain)
                    hint=Signal::derive(move || t().domain_hint)
                    errors
                />
                <Field form="cred" name="login" label=Signal::derive(move || t().login) errors />
                <Field
                    form="cred"
                    name="password"
                    kind="password"
                    label=Signal::derive(move || t().password)
                    errors
                />
                <div class="md:col-span-2 flex items-center gap-4">
                    <button
                        id="add-credentials-submit"
                        type="submit"
                        class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                        disabled=move || action.pending().get()
                    >
                        {move || {
                            if action.pending().get() { t().checking_megaplan } else { t().add_credentials }
                        }}
                    </button>
                    <span id="add-credentials-result" class="text-sm">
                        {move || ok.get().then(|| t().credentials_saved)}
                        {move || failure.get()}
                    </span>
                </div>
            </ActionForm>
            <p class="mt-2 text-xs text-slate-500">{move || t().secret_kept}</p>
        </div>
    }
}

#[component]
fn UisAccess(overview: Overview, actions: Actions) -> impl IntoView {
    let t = use_text();
    let action = actions.uis;
    let errors = errors_of(action);
    let failure = failure_of(action);
    let ok = saved(action);
    let current = overview.uis.clone();
    let login = current
        .as_ref()
        .map(|u| u.call_api_login.clone())
        .unwrap_or_default();
    view! {
        <div on:input=mark_on_input("uis") class="mt-8">
            <h3 class="text-lg font-semibold">{move || t().uis_access}</h3>
            {current
                .map(|u| {
                    view! {
                        <p id="uis-current" class="text-sm text-green-800">
                            {move || t().uis_saved_as}
                            ": "
                            <b>{u.call_api_login.clone()}</b>
                        </p>
                    }
                })}
            <ActionForm action=action attr:id="uis-access" attr:class="mt-2 grid gap-4 md:grid-cols-3">
                <Field
                    form="uis"
                    name="data_api_key"
                    kind="password"
                    label=Signal::derive(move || t().data_api_key)
                    errors
                />
                <Field
                    form="uis"
                    name="call_api_login"
                    value=login
                    label=Signal::derive(move || t().call_api_login)
                    errors
                />
                <Field
                    form="uis"
                    name="call_api_password"
                    kind="password"
                    label=Signal::derive(move || t().call_api_password)
                    errors
                />
                <div class="md:col-span-3 flex items-center gap-4">
                    <button
                        id="uis-access-submit"
                        type="submit"
                        class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                        disabled=move || action.pending().get()
                    >
                        {move || if action.pending().get() { t().saving } else { t().save }}
                    </button>
                    <span id="uis-access-result" class="text-sm">
                        {move || ok.get().then(|| t().saved)}
                        {move || failure.get()}
                    </span>
                </div>
            </ActionForm>
        </div>
    }
}
