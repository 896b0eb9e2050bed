//! The first page: what the product is, and a live check that page, server and database talk.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::i18n::{use_lang, use_text};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DatabaseInfo {
    pub backend: String,
    pub migrations_applied: i64,
}

/// Reads which database the server runs on and how many migrations it applied.
#[server(prefix = "/api", endpoint = "database_status")]
pub async fn database_status() -> Result<DatabaseInfo, ServerFnError> {
    let ctx = expect_context::<crate::ssr::ServerContext>();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&ctx.db)
        .await
        .map_err(|e| ServerFnError::new(format!("database: {e}")))?;
    Ok(DatabaseInfo {
        backend: ctx.backend.to_string(),
        migrations_applied: n,
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let lang = use_lang();
    let t = use_text();
    // Effects run only in the browser, so this marks the page as hydrated for tests.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let check = ServerAction::<DatabaseStatus>::new();

    view! {
        <main id="root" class="mx-auto max-w-3xl p-8" data-hydrated=move || hydrated.get().to_string()>
            <header class="flex items-center justify-between gap-4">
                <h1 class="text-3xl font-semibold text-sky-700">{move || t().product}</h1>
                <button
                    id="switch-lang"
                    class="rounded border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100"
                    on:click=move |_| lang.update(|l| *l = l.other())
                >
                    {move || t().switch_lang}
                </button>
            </header>
            <p id="tagline" class="mt-4 text-slate-600">{move || t().tagline}</p>
            <section class="mt-8 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <ActionForm action=check>
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
        </main>
    }
}
