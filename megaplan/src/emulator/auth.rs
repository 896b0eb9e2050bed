//! `POST /api/v3/auth/access_token` and the Bearer check on every call (items 1, 2; megaplan-api.md §1).

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::TokenRec;
use super::wire::{ApiError, query_json};
use super::{Shared, inferred};

/// The OAuth-shaped error, not the envelope (§1 Errors).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Reads the grant fields from form-urlencoded, multipart or JSON bodies: all three are seen in clients (§1).
async fn grant_fields(req: Request) -> Result<HashMap<String, String>, Response> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bad = |m: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", m);
    if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|_| bad("bad multipart body"))?;
        let mut out = HashMap::new();
        while let Ok(Some(field)) = mp.next_field().await {
            let name = field.name().unwrap_or("").to_string();
            out.insert(name, field.text().await.unwrap_or_default());
        }
        return Ok(out);
    }
    let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| bad("body too large"))?;
    if ct.starts_with("application/json") {
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad("invalid JSON body"))?;
        let obj = v
            .as_object()
            .ok_or_else(|| bad("JSON body must be an object"))?;
        return Ok(obj
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect());
    }
    serde_urlencoded::from_bytes(&bytes).map_err(|_| bad("invalid form body"))
}

/// Password and refresh grants (§1).
pub(crate) async fn access_token(State(shared): State<Shared>, req: Request) -> Response {
    let fields = match grant_fields(req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    match get("grant_type") {
        "password" => {
            let refused = {
                let mut store = shared.store();
                let password = store.password.as_deref().unwrap_or(&shared.seed.password);
                let refused = get("username") != shared.seed.login || get("password") != password;
                if refused {
                    store.refused_logins += 1;
                }
                refused
            };
            if refused {
                return oauth_error(
                    StatusCode::from_u16(inferred::BAD_CREDENTIALS_STATUS).expect("status"),
                    "invalid_grant",
                    "Неверный логин или пароль",
                );
            }
        }
        "refresh_token" => {
            let rt = get("refresh_token");
            let known = {
                let mut store = shared.store();
                if inferred::REFRESH_TOKEN_ROTATES {
                    store.refresh_tokens.remove(rt).is_some()
                } else {
                    store.refresh_tokens.contains_key(rt)
                }
            };
            if !known {
                return oauth_error(
                    StatusCode::from_u16(inferred::BAD_REFRESH_STATUS).expect("status"),
                    "invalid_grant",
                    "Invalid refresh token",
                );
            }
        }
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The grant type was not specified in the request",
            );
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("Grant type \"{other}\" not supported"),
            );
        }
    }
    axum::Json(issue_token(&shared)).into_response()
}

/// A new access + refresh token pair; the refresh token rotates (§1, inferred).
pub(crate) fn issue_token(shared: &Shared) -> Value {
    let ttl = shared.faults.state.lock().expect("faults lock").token_ttl;
    let access = format!("at-{}", uuid::Uuid::new_v4().simple());
    let refresh = format!("rt-{}", uuid::Uuid::new_v4().simple());
    let mut store = shared.store();
    store.tokens.insert(
        access.clone(),
        TokenRec {
            expires_at: Instant::now() + ttl,
        },
    );
    store.refresh_tokens.insert(refresh.clone(), ());
    json!({"access_token":access,"expires_in":ttl.as_secs(),"token_type":"bearer","scope":null,"refresh_token":refresh})
}

/// The Bearer token from the header, or `access_token` in the query JSON (§0 Auth header).
fn token_of(req: &Request) -> Option<String> {
    if let Some(h) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let mut parts = h.splitn(2, ' ');
        if parts
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        {
            return parts.next().map(|t| t.trim().to_string());
        }
    }
    query_json(req.uri().query())
        .ok()?
        .get("access_token")?
        .as_str()
        .map(str::to_string)
}

/// 401 in the envelope for a missing, unknown or expired token; 429 over the per-token rate (items 1, 2, 5).
pub(crate) async fn require_bearer(
    State(shared): State<Shared>,
    req: Request,
    next: Next,
) -> Response {
    let Some(token) = token_of(&req) else {
        return ApiError::unauthorized("Требуется авторизация").into_response();
    };
    let valid = shared
        .store()
        .tokens
        .get(&token)
        .is_some_and(|t| t.expires_at > Instant::now());
    if !valid {
        return ApiError::unauthorized("Токен доступа недействителен или истёк").into_response();
    }
    let admitted = shared
        .faults
        .state
        .lock()
        .expect("faults lock")
        .admit(&token);
    if !admitted {
        return super::faults::failure(&shared, 429);
    }
    next.run(req).await
}
