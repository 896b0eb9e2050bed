//! The only page open without a session: account, login, password.

use leptos::prelude::*;

use crate::api::SignIn;
use crate::components::{Field, LangSwitch, errors_of, failure_of, hydrated_marker};
use crate::i18n::use_text;

#[component]
pub fn SignInPage() -> impl IntoView {
    let t = use_text();
    let hydrated = hydrated_marker();
    let action = ServerAction::<SignIn>::new();
    let errors = errors_of(action);
    let failure = failure_of(action);
    view! {
        <main id="root" class="mx-auto max-w-md p-8" data-hydrated=hydrated>
            <header class="flex items-center justify-between gap-4">
                <h1 class="text-2xl font-semibold text-sky-700">{move || t().product}</h1>
                <LangSwitch />
            </header>
            <section class="mt-8 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <h2 class="text-lg font-semibold">{move || t().sign_in_title}</h2>
                <ActionForm action=action attr:id="sign-in-form" attr:class="mt-4 space-y-4">
                    <Field form="sign-in" name="account" label=Signal::derive(move || t().account) errors />
                    <Field form="sign-in" name="login" label=Signal::derive(move || t().login) errors />
                    <Field
                        form="sign-in"
                        name="password"
                        kind="password"
                        label=Signal::derive(move || t().password)
                        errors
                    />
                    <button
                        id="sign-in"
                        type="submit"
                        class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                    >
                        {move || t().sign_in}
                    </button>
                    <p id="sign-in-failure" class="text-sm text-red-700">{move || failure.get()}</p>
                </ActionForm>
            </section>
        </main>
    }
}
