//! The HTTP surface: health probes, the Leptos pages and server functions, static files.

use std::net::SocketAddr;
use std::sync::Arc;

use app::{App, shell, ssr::ServerContext};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::AppState;

pub fn router(
    state: AppState,
    site_root: &str,
    addr: SocketAddr,
    services: Arc<dyn app::ssr::Services>,
    observe: Arc<dyn app::observe::Observe>,
    telephony: Arc<dyn app::telephony::TelephonyAdmin>,
) -> Router {
    let options = leptos_options(site_root, addr);
    let context = ServerContext {
        db: state.db.pool.clone(),
        backend: state.db.backend.name(),
        services,
        secrets: Arc::new(crate::accounts::cipher::Cipher::new(&state.secret)),
    };
    let routes = generate_route_list(App);

    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(move || readyz(state.clone())))
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(context.clone());
                provide_context(app::observe::ObserveContext(observe.clone()));
                provide_context(app::telephony::TelephonyContext(telephony.clone()));
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(TraceLayer::new_for_http())
}

/// Ready = the database answers and all migrations are applied.
async fn readyz(state: AppState) -> (StatusCode, String) {
    match state.db.is_ready().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
    }
}

/// Built here rather than read from Cargo.toml, so the binary runs from any directory.
fn leptos_options(site_root: &str, addr: SocketAddr) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => leptos::config::Env::DEV,
        _ => leptos::config::Env::PROD,
    };
    LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "uis-megaplan".into()))
        .site_root(site_root)
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(addr)
        .reload_port(
            std::env::var("LEPTOS_RELOAD_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(3001),
        )
        .env(env)
        .build()
}

/// Every page path of the UI and every server function path: what the guard must cover (tests).
pub fn ui_paths() -> (Vec<String>, Vec<(String, String)>) {
    let pages = generate_route_list(App)
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    let functions = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    (pages, functions)
}
