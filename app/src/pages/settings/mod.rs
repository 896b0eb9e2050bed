//! The settings page: the account connection (Megaplan credentials, UIS access), then — once a working
//! Megaplan credential set is chosen — the seed's three sections and the webhook addresses.
//!
//! Everything is read by one server function and rendered on the server (the route is `SsrMode::Async`),
//! so the page reads without JavaScript; forms are server actions and need the hydrated page.

mod connection;
mod sections;
mod telephony;
pub mod telephony_api;
mod telephony_calls;
mod telephony_sync;
mod webhooks;

use leptos::prelude::*;

use crate::api::{
    AddMegaplanCredentials, DatabaseStatus, FormOutcome, Overview, RenewMegaplanCredentials,
    SaveSection, SaveUisAccess, Section, SelectMegaplanCredentials, SignOut, load_overview,
};
use crate::components::{LangSwitch, Unsaved, hydrated_marker};
use crate::i18n::{use_lang, use_text};

/// Bumped after anything is saved, so the page reads the account again.
#[derive(Clone, Copy)]
pub struct Reload(RwSignal<u32>);

impl Reload {
    pub fn bump(self) {
        self.0.update(|n| *n += 1);
    }
}

/// After each answer of a form: when it was saved, the form is no longer "unsaved" and the page reloads.
pub fn on_saved<A>(action: ServerAction<A>, form: String, reload: Reload, unsaved: Unsaved)
where
    A: leptos::server_fn::ServerFn<Output = FormOutcome, Error = ServerFnError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if matches!(action.value().get_untracked(), Some(Ok(FormOutcome::Saved))) {
                unsaved.clear(&form);
                reload.bump();
            }
        },
        false,
    );
}

/// The actions live here, above the part that re-renders on reload, so their answers stay on screen.
#[derive(Clone, Copy)]
pub struct Actions {
    pub add_credentials: ServerAction<AddMegaplanCredentials>,
    pub select_credentials: ServerAction<SelectMegaplanCredentials>,
    pub renew_credentials: ServerAction<RenewMegaplanCredentials>,
    pub uis: ServerAction<SaveUisAccess>,
    pub sections: [ServerAction<SaveSection>; 3],
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let t = use_text();
    let hydrated = hydrated_marker();
    let unsaved = Unsaved::provide();
    let reload = Reload(RwSignal::new(0));
    let actions = Actions {
        add_credentials: ServerAction::new(),
        select_credentials: ServerAction::new(),
        renew_credentials: ServerAction::new(),
        uis: ServerAction::new(),
        sections: [
            ServerAction::new(),
            ServerAction::new(),
            ServerAction::new(),
        ],
    };
    on_saved(
        actions.add_credentials,
        "add-credentials".into(),
        reload,
        unsaved,
    );
    on_saved(
        actions.select_credentials,
        "select-credentials".into(),
        reload,
        unsaved,
    );
    on_saved(
        actions.renew_credentials,
        "renew-credentials".into(),
        reload,
        unsaved,
    );
    on_saved(actions.uis, "uis".into(), reload, unsaved);
    for (action, section) in actions.sections.into_iter().zip(Section::ALL) {
        on_saved(
            action,
            format!("section-{}", section.as_str()),
            reload,
            unsaved,
        );
    }
    let overview = Resource::new(move || reload.0.get(), |_| load_overview());
    let sign_out = ServerAction::<SignOut>::new();

    view! {
        <main id="root" class="mx-auto max-w-4xl p-8" data-hydrated=hydrated>
            <header class="flex flex-wrap items-center justify-between gap-4">
                <h1 class="text-3xl font-semibold text-sky-700">{move || t().product}</h1>
                <div class="flex items-center gap-3">
                    <LangSwitch />
                    <ActionForm action=sign_out>
                        <button
                            id="sign-out"
                            type="submit"
                            class="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100"
                        >
                            {move || t().sign_out}
                        </button>
                    </ActionForm>
                </div>
            </header>
            <p id="tagline" class="mt-2 text-slate-600">{move || t().tagline}</p>
            <p
                id="unsaved-warning"
                class="sticky top-0 z-10 mt-4 rounded bg-amber-100 px-4 py-2 text-amber-900"
                hidden=move || unsaved.0.with(|s| s.is_empty())
            >
                {move || t().unsaved}
            </p>
            <Transition fallback=move || view! { <p class="mt-8">{move || t().checking}</p> }>
                {move || {
                    overview
                        .get()
                        .map(|answer| match answer {
                            Ok(o) => view! { <Loaded overview=o actions /> }.into_any(),
                            Err(e) => {
                                view! {
                                    <p id="load-error" class="mt-8 text-red-700">
                                        {move || t().error}
                                        ": "
                                        {e.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
            <StatusBox />
        </main>
    }
}

#[component]
fn Loaded(overview: Overview, actions: Actions) -> impl IntoView {
    let t = use_text();
    let lang = use_lang();
    let ready = overview.megaplan_ready();
    let nav = ready.then(|| {
        view! {
            <nav id="section-nav" class="mt-6 flex flex-wrap gap-3 text-sm">
                <a class="text-sky-700 underline" href="#connection">
                    {move || t().connection}
                </a>
                {Section::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <a class="text-sky-700 underline" href=format!("#{}", s.as_str())>
                                {move || lang.get().section_title(s)}
                            </a>
                        }
                    })
                    .collect_view()}
                <a class="text-sky-700 underline" href="#webhooks">
                    {move || t().webhooks}
                </a>
            </nav>
        }
    });
    let integration = if ready {
        let sections = overview.sections.clone();
        let webhooks = overview.webhooks.clone();
        view! {
            <section id="integration" class="mt-8">
                <h2 class="text-2xl font-semibold">{move || t().integration_settings}</h2>
                {sections
                    .into_iter()
                    .map(|s| {
                        let idx = Section::ALL.iter().position(|x| *x == s.section).unwrap_or(0);
                        if s.section == Section::Telephony {
                            return view! { <telephony::TelephonySection /> }.into_any();
                        }
                        view! { <sections::SectionForm view=s action=actions.sections[idx] /> }
                            .into_any()
                    })
                    .collect_view()}
                <webhooks::Webhooks urls=webhooks />
            </section>
        }
        .into_any()
    } else {
        view! {
            <p id="integration-locked" class="mt-8 rounded bg-slate-100 p-4 text-slate-700">
                {move || t().choose_credentials_first}
            </p>
        }
        .into_any()
    };
    view! {
        <p id="signed-in-as" class="mt-4 text-sm text-slate-600">
            {move || t().signed_in_as}
            " "
            <b>{overview.login.clone()}</b>
            " · "
            {move || t().account}
            ": "
            <b id="account-name">{overview.account_name.clone()}</b>
        </p>
        {nav}
        <connection::Connection overview=overview.clone() actions />
        {integration}
    }
}

/// Whether page, server and database talk; the health view (O3) will grow from here.
#[component]
fn StatusBox() -> impl IntoView {
    let t = use_text();
    let check = ServerAction::<DatabaseStatus>::new();
    view! {
        <section id="status" class="mt-12 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-lg font-semibold">{move || t().status_box}</h2>
            <ActionForm action=check attr:class="mt-2">
                <button
                    id="check-db"
                    type="submit"
                    class="rounded bg-sky-600 px-4 py-2 text-white hover:bg-sky-700"
                >
                    {move || t().check_db}
                </button>
            </ActionForm>
            <p id="db-status" class="mt-4 font-mono text-sm">
                {move || {
                    if check.pending().get() {
                        return t().checking.to_string();
                    }
                    match check.value().get() {
                        Some(Ok(s)) => {
                            format!(
                                "{}: {} · {}: {}",
                                t().db_backend,
                                s.backend,
                                t().migrations,
                                s.migrations_applied,
                            )
                        }
                        Some(Err(e)) => format!("{}: {e}", t().error),
                        None => String::new(),
                    }
                }}
            </p>
        </section>
    }
}
