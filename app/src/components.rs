//! Pieces every page uses: the hydration marker, form fields with their error, the language switch,
//! the unsaved-changes guard.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::{FieldError, FormOutcome, SetLanguage};
use crate::i18n::{use_lang, use_text};

/// `"true"` once the wasm has hydrated the page (effects run only in the browser); tests wait for it.
pub fn hydrated_marker() -> impl Fn() -> String + Copy {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    move || hydrated.get().to_string()
}

/// The field errors of the last answer of a form action.
pub fn errors_of<A>(action: ServerAction<A>) -> Signal<Vec<FieldError>>
where
    A: leptos::server_fn::ServerFn<Output = FormOutcome, Error = ServerFnError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(Ok(outcome)) => outcome.errors().to_vec(),
        _ => Vec::new(),
    })
}

/// True when the last answer of a form action was "saved".
pub fn saved<A>(action: ServerAction<A>) -> Signal<bool>
where
    A: leptos::server_fn::ServerFn<Output = FormOutcome, Error = ServerFnError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Signal::derive(move || matches!(action.value().get(), Some(Ok(FormOutcome::Saved))))
}

/// The message of an action that failed outright (network, server error).
pub fn failure_of<A>(action: ServerAction<A>) -> Signal<Option<String>>
where
    A: leptos::server_fn::ServerFn<Error = ServerFnError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync,
{
    Signal::derive(move || {
        action.value().with(|v| match v {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    })
}

/// A labelled input with its error message right under it (`#{form}-{name}-error`).
#[component]
pub fn Field(
    form: &'static str,
    name: &'static str,
    #[prop(into)] label: Signal<&'static str>,
    errors: Signal<Vec<FieldError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional, into)] hint: Option<Signal<&'static str>>,
) -> impl IntoView {
    let lang = use_lang();
    let id = format!("{form}-{name}");
    let error_id = format!("{id}-error");
    let message = move || {
        errors.with(|errs| {
            errs.iter()
                .filter(|e| e.field == name)
                .map(|e| lang.get().error_text(e.code, e.detail.as_deref()))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let invalid = move || !message().is_empty();
    view! {
        <label class="block" for=id.clone()>
            <span class="text-sm font-medium text-slate-700">{move || label.get()}</span>
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                autocomplete=match (form, name, kind) {
                    ("sign-in", _, "password") => "current-password",
                    ("sign-in", "login", _) => "username",
                    (_, _, "password") => "new-password",
                    _ => "off",
                }
                aria-invalid=move || invalid().to_string()
                aria-describedby=error_id.clone()
                class=move || {
                    format!(
                        "mt-1 block w-full rounded border px-3 py-2 {}",
                        if invalid() { "border-red-500 bg-red-50" } else { "border-slate-300" },
                    )
                }
            />
            {hint.map(|h| view! { <span class="text-xs text-slate-500">{move || h.get()}</span> })}
            <p id=error_id class="field-error mt-1 text-sm text-red-700" role="alert">
                {message}
            </p>
        </label>
    }
}

/// The set of forms with changes not saved yet; leaving the page then asks first.
#[derive(Clone, Copy)]
pub struct Unsaved(pub RwSignal<BTreeSet<String>>);

impl Unsaved {
    pub fn provide() -> Unsaved {
        let u = Unsaved(RwSignal::new(BTreeSet::new()));
        provide_context(u);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            // The browser shows its own "leave the page?" question when the event is cancelled.
            let handle = window_event_listener(leptos::ev::beforeunload, move |e| {
                if !u.0.get_untracked().is_empty() {
                    e.prevent_default();
                    e.set_return_value("unsaved");
                }
            });
            on_cleanup(move || handle.remove());
        });
        u
    }

    pub fn mark(self, form: &str) {
        if !self.0.with_untracked(|s| s.contains(form)) {
            self.0.update(|s| {
                s.insert(form.to_string());
            });
        }
    }

    pub fn clear(self, form: &str) {
        if self.0.with_untracked(|s| s.contains(form)) {
            self.0.update(|s| {
                s.remove(form);
            });
        }
    }
}

pub fn use_unsaved() -> Option<Unsaved> {
    use_context::<Unsaved>()
}

/// Switches Russian ⇄ English; a plain form, so it works without JavaScript too.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let t = use_text();
    let action = ServerAction::<SetLanguage>::new();
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if matches!(action.value().get_untracked(), Some(Ok(()))) {
                lang.update(|l| *l = l.other());
            }
        },
        false,
    );
    view! {
        <ActionForm action=action>
            <input type="hidden" name="lang" value=move || lang.get().other().code() />
            <button
                id="switch-lang"
                type="submit"
                class="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100"
            >
                {move || t().switch_lang}
            </button>
        </ActionForm>
    }
}
