//! The settings UI, rendered on the server (SSR) and hydrated in the browser.
//! `#[server]` functions are the only API between a page and the server.

mod home;
pub mod i18n;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

pub use home::{DatabaseInfo, DatabaseStatus, database_status};

/// Server-side state that `#[server]` functions read from the Leptos context.
#[cfg(feature = "ssr")]
pub mod ssr {
    /// What the server provides to every server function.
    #[derive(Clone)]
    pub struct ServerContext {
        pub db: sqlx::AnyPool,
        /// "sqlite" or "postgres": shown on the status page, decides SQL dialect where it differs.
        pub backend: &'static str,
    }
}

/// The HTML document around the app; only ever rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="ru">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    i18n::provide_lang();
    view! {
        <Stylesheet id="leptos" href="/pkg/uis-megaplan.css" />
        <Title text="UIS ⇄ Megaplan" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=StaticSegment("") view=home::HomePage />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = i18n::use_text();
    view! {
        <main class="mx-auto max-w-3xl p-8">
            <h1 class="text-2xl font-semibold">{move || t().not_found}</h1>
        </main>
    }
}
