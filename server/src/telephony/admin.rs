//! What the settings page asks of telephony (signed-in admin; the guard puts `CurrentUser` in):
//! the telephony-settings sync (T1), the employee sync (T2) with its progress, the widget's token.
//!
//! - `POST /api/telephony/settings-sync` → the new mapping with its warnings (`staff::TelephonySync`)
//! - `GET  /api/telephony/staff` → the stored mapping
//! - `POST /api/telephony/employee-sync` → 202 `{"run_id": …}` (a running run's id if one runs)
//! - `GET  /api/telephony/employee-sync[?run=ID]` → the run (latest by default) with its results
//! - `GET  /api/telephony/widget` → what the Megaplan widget needs: URLs and the token

use std::collections::HashMap;

use app::ssr::CurrentUser;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::Telephony;
use super::{employee_sync, megaplan_contract, staff};

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": message.to_string()}))).into_response()
}

pub async fn settings_sync(
    State(t): State<Telephony>,
    Extension(user): Extension<CurrentUser>,
) -> Response {
    match staff::sync(&t.access, &user.account_id).await {
        Ok(report) => {
            super::routing::announce(&t.access.pool, &user.account_id, &[]).await;
            Json(report).into_response()
        }
        Err(e) => error(StatusCode::BAD_GATEWAY, e),
    }
}

pub async fn staff_table(
    State(t): State<Telephony>,
    Extension(user): Extension<CurrentUser>,
) -> Response {
    match staff::table(&t.access.pool, &user.account_id).await {
        Ok(report) => Json(report).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

pub async fn start_employee_sync(
    State(t): State<Telephony>,
    Extension(user): Extension<CurrentUser>,
) -> Response {
    match employee_sync::start(&t.access, &t.running, &user.account_id, "manual").await {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({"run_id": id}))).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

pub async fn employee_sync_run(
    State(t): State<Telephony>,
    Extension(user): Extension<CurrentUser>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let run = q.get("run").map(String::as_str);
    match employee_sync::run(&t.access.pool, &user.account_id, run).await {
        Ok(Some(run)) => Json(run).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no employee sync has run yet"),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
    }
}

pub async fn widget(
    State(t): State<Telephony>,
    Extension(user): Extension<CurrentUser>,
) -> Response {
    let key: Option<(String,)> =
        match sqlx::query_as("SELECT webhook_key FROM accounts WHERE id = $1")
            .bind(&user.account_id)
            .fetch_optional(&t.access.pool)
            .await
        {
            Ok(k) => k,
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e),
        };
    let Some((key,)) = key else {
        return error(StatusCode::NOT_FOUND, "no such account");
    };
    let base = t.public_url.as_str().trim_end_matches('/');
    let token = megaplan_contract::token(&t.secret, &user.account_id);
    let w = crate::accounts::service::megaplan_widget(base, &key, &token);
    Json(json!({
        "call_url": w.call_url,
        "dnd_url": w.dnd_url,
        "route_url": format!("{base}/hooks/uis/{key}/route"),
        "token_header": megaplan_contract::TOKEN_HEADER,
        "token": w.token,
        "script_url": w.script_url,
        "configuration": w.configuration,
    }))
    .into_response()
}
