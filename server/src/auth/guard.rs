//! The door of every request: cross-site writes are refused, and every path but the few public ones
//! needs a session of an account (pages redirect to the sign-in page, everything else answers 401).

use std::net::SocketAddr;
use std::sync::Arc;

use app::ssr::{ClientIp, CurrentUser};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::AnyPool;

use super::sessions;

/// Paths anyone may reach. Webhooks authenticate by the account key in their path instead.
const PUBLIC_PATHS: &[&str] = &[
    app::SIGN_IN_PATH,
    "/api/sign_in",
    "/api/set_language",
    "/healthz",
    "/readyz",
    // Counters only, no account data: Prometheus scrapes it without a browser session.
    "/metrics",
    "/favicon.ico",
    // The Megaplan widget's script: Megaplan pages load it in their users' browsers; no secrets.
    crate::telephony::megaplan_contract::WIDGET_SCRIPT,
];
const PUBLIC_PREFIXES: &[&str] = &["/pkg/", "/hooks/"];
/// Only in the e2e/demo mode, where it describes the emulators.
const E2E_PREFIX: &str = "/_e2e/";

pub fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.contains(&path) || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
}

#[derive(Clone)]
pub struct Guard {
    pub db: AnyPool,
    /// The origin (`scheme://host[:port]`) the server is published at, accepted besides the Host header.
    pub public_origin: String,
    /// `UIS_MEGAPLAN_E2E=1`: `/_e2e/…` is open too.
    pub e2e: bool,
}

pub async fn guard(State(g): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = addr.ip();
        req.extensions_mut().insert(ClientIp(ip));
    }
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !path.starts_with("/hooks/") && !same_origin(req.headers(), &g.public_origin) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    // Open paths need no session lookup (static files, probes, webhooks), but the sign-in page does:
    // a signed-in admin is sent on to the settings.
    if (is_public(&path) && path != app::SIGN_IN_PATH) || (g.e2e && path.starts_with(E2E_PREFIX)) {
        return next.run(req).await;
    }
    let user = match session_of(&g.db, req.headers()).await {
        Ok(user) => user,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable").into_response();
        }
    };
    match user {
        Some(user) => {
            if path == app::SIGN_IN_PATH && safe {
                return Redirect::to("/").into_response();
            }
            req.extensions_mut().insert(user);
        }
        None if path == app::SIGN_IN_PATH => {}
        None => return refuse(&path),
    }
    next.run(req).await
}

/// Without a session: a page sends the browser to sign in; anything else is a plain 401.
pub fn refuse(path: &str) -> Response {
    if path.starts_with("/api/") {
        (StatusCode::UNAUTHORIZED, "sign in first").into_response()
    } else {
        Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, app::SIGN_IN_PATH)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::UNAUTHORIZED.into_response())
    }
}

async fn session_of(db: &AnyPool, headers: &HeaderMap) -> anyhow::Result<Option<CurrentUser>> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(sessions::token_in);
    match token {
        Some(token) => sessions::lookup(db, token).await,
        None => Ok(None),
    }
}

/// CSRF: a state-changing request must say where it comes from (Origin, else Referer), and that must be
/// this server — as the browser addressed it (Host) or as it is published (public URL).
pub fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|s| url::Url::parse(s).ok());
    let Some(from) = from else {
        return false;
    };
    let origin = from.origin().ascii_serialization();
    if origin == public_origin {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let from_host = match (from.host_str(), from.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return false,
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(&from_host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_must_match_the_host_or_the_public_url() {
        let public = "https://int.example.ru";
        let ok = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert!(same_origin(&ok, public));
        let evil = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(!same_origin(&evil, public));
        let proxied = headers(&[
            (header::HOST, "10.0.0.5:3000"),
            (header::ORIGIN, "https://int.example.ru"),
        ]);
        assert!(same_origin(&proxied, public));
        let referer = headers(&[
            (header::HOST, "a:1"),
            (header::REFERER, "http://a:1/settings"),
        ]);
        assert!(same_origin(&referer, public));
        let none = headers(&[(header::HOST, "a:1")]);
        assert!(!same_origin(&none, public), "no Origin and no Referer");
        let null = headers(&[(header::HOST, "a:1"), (header::ORIGIN, "null")]);
        assert!(!same_origin(&null, public));
    }

    #[test]
    fn only_sign_in_health_assets_and_hooks_are_public() {
        for p in [
            "/sign-in",
            "/api/sign_in",
            "/healthz",
            "/pkg/x.js",
            "/hooks/uis/k/call_started",
            "/megaplan-telephony-widget.js",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/",
            "/api/overview",
            "/settings",
            "/sign-in/x",
            "/api/sign_out",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }
}
