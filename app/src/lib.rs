//! The settings UI, rendered on the server (SSR) and hydrated in the browser.
//! `#[server]` functions (in `api`) are the only API between a page and the server.

pub mod api;
mod components;
pub mod i18n;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

pub use api::{DatabaseInfo, DatabaseStatus, database_status};
/// The observation pages' values, server functions and (ssr) the `Observe` trait the server implements.
pub use pages::events_api as observe;
/// The telephony section's values, server functions and (ssr) the `TelephonyAdmin` trait.
pub use pages::settings::telephony_api as telephony;

/// Where a request without a session is sent; the only page open to everyone.
pub const SIGN_IN_PATH: &str = "/sign-in";

/// The HTML document around the app; only ever rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = i18n::initial_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
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
    // Pages to come (event log O1/O2, health O3, rule preview O4, demo) get their <Route> here;
    // the server's guard already requires a session for every path but the sign-in page.
    view! {
        <Stylesheet id="leptos" href="/pkg/uis-megaplan.css" />
        <Title text="UIS ⇄ Megaplan" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route
                    path=StaticSegment("")
                    view=pages::settings::SettingsPage
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("sign-in") view=pages::sign_in::SignInPage />
                <Route
                    path=StaticSegment("events")
                    view=pages::events::EventsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("events"), ParamSegment("id"))
                    view=pages::events::EventPageView
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("health") view=pages::health::HealthPage ssr=SsrMode::Async />
                <Route path=StaticSegment("preview") view=pages::preview::PreviewPage />
                <Route path=StaticSegment("demo") view=pages::demo::DemoPage ssr=SsrMode::Async />
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
