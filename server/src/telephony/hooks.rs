//! The telephony webhooks: UIS's routing question (T10) and Megaplan's click-to-call and
//! do-not-disturb requests (T11, T15; contract in [`super::megaplan_contract`]).
// The error side of these helpers is the finished HTTP answer; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uis::call_api::StartEmployeeCall;
use uis::routing::RouteRequest;

use super::Telephony;
use super::megaplan_contract::{
    CallRequest, CallStarted, ContractError, DndQuery, DndRequest, DndState, TOKEN_HEADER, verify,
};
use super::routing;
use super::staff::{self, StaffRow};

/// `GET|POST /hooks/uis/{account_key}/route`
pub async fn route(
    State(t): State<Telephony>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let account = match t.access.by_key(&key).await {
        Ok(Some(a)) => a,
        Ok(None) => return (StatusCode::NOT_FOUND, "unknown account").into_response(),
        Err(e) => {
            // UIS takes the fallback branch on anything but 200 + an answer; say so in the log only.
            tracing::error!(error = %e, "routing: account lookup failed");
            return Json(uis::routing::RouteAnswer::default()).into_response();
        }
    };
    // T16: nothing happens until the telephony section is activated.
    if !account.section_active || !account.settings.call_processing.personal_manager_routing {
        return Json(uis::routing::RouteAnswer::default()).into_response();
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let request = RouteRequest::parse(content_type, query.as_deref(), &body);
    let answer = routing::answer(&t.access, &t.routes, &account.id, &request, started).await;
    Json(answer).into_response()
}

fn fail(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let mut r = (
        status,
        Json(ContractError {
            error: code.into(),
            message: message.into(),
        }),
    )
        .into_response();
    cors(r.headers_mut());
    r
}

fn ok<T: serde::Serialize>(body: T) -> Response {
    let mut r = Json(body).into_response();
    cors(r.headers_mut());
    r
}

/// The widget calls from the Megaplan page in the user's browser: another origin.
fn cors(h: &mut HeaderMap) {
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("content-type, x-uis-megaplan-token"),
    );
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
}

/// `OPTIONS /hooks/megaplan/{key}/telephony/{action}`: the CORS preflight.
pub async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    cors(r.headers_mut());
    r
}

/// The account of the key whose token the request carries, and the employee's row.
async fn authorize(
    t: &Telephony,
    key: &str,
    headers: &HeaderMap,
    employee_id: &str,
) -> Result<(String, StaffRow), Response> {
    let account = match t.access.by_key(key).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            return Err(fail(
                StatusCode::NOT_FOUND,
                "unknown_account",
                "no account has this key",
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "telephony: account lookup failed");
            return Err(fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again",
            ));
        }
    };
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !verify(&t.secret, &account.id, token) {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            format!("missing or wrong {TOKEN_HEADER} header"),
        ));
    }
    if !account.section_active {
        return Err(fail(
            StatusCode::CONFLICT,
            "integration_inactive",
            "the telephony integration is not activated in the settings",
        ));
    }
    let employee_id = employee_id.trim();
    if employee_id.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "employee_id is required",
        ));
    }
    let row = staff::by_megaplan_user(&t.access.pool, &account.id, employee_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "telephony: staff lookup failed");
            fail(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
        })?
        .ok_or_else(|| {
            fail(
                StatusCode::NOT_FOUND,
                "unknown_employee",
                format!(
                    "Megaplan employee {employee_id} is unknown: add them in Megaplan «Телефония → Пользователи» \
                     and synchronise the telephony settings"
                ),
            )
        })?;
    if row.uis_employee_id.is_none() {
        return Err(fail(
            StatusCode::CONFLICT,
            "no_uis_employee",
            format!(
                "{} has no UIS employee: give them the same extension in UIS (or the same e-mail) and synchronise",
                row.megaplan_name
            ),
        ));
    }
    Ok((account.id.clone(), row))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("body is not the expected JSON: {e}"),
        )
    })
}

/// `POST /hooks/megaplan/{key}/telephony/call` (T11).
pub async fn call(
    State(t): State<Telephony>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match start_call(&t, &key, &headers, &body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn start_call(
    t: &Telephony,
    key: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Response> {
    let req: CallRequest = parse(body)?;
    let (account_id, row) = authorize(t, key, headers, &req.employee_id).await?;
    let phone: domain::phone::Phone = req.phone.parse().map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "bad_phone",
            format!("phone {:?}: {e}", req.phone),
        )
    })?;
    let external_id = match req.external_id.as_deref().map(str::trim) {
        Some(x) if x.chars().count() > 64 => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "external_id is longer than 64 characters",
            ));
        }
        Some(x) if !x.is_empty() => x.to_owned(),
        _ => format!("mp-c2c-{}", uuid::Uuid::new_v4().simple()),
    };
    let account = t.access.load(&account_id).await.map_err(unavailable)?;
    let c2c = &account.settings.click_to_call;
    // The UIS employee's own SIP line, if any (seed п. 5: the number is for those without one).
    let sip_line = row.uis_phone.as_deref().filter(|p| is_sip(p));
    let virtual_number = match c2c.caller_id(sip_line.is_some()).or(c2c.number.as_ref()) {
        Some(n) => n.digits().to_owned(),
        None => {
            return Err(fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_click_to_call_number",
                "set «Номер для звонка по клику» in the telephony settings",
            ));
        }
    };
    let uis_id = row.uis_employee_id.unwrap_or_default();
    let mut params = StartEmployeeCall::click_to_call(uis_id, phone.digits(), &virtual_number);
    params.external_id = Some(external_id.clone());
    if c2c.override_caller_id {
        // «Переопределять АОН»: exactly this number, never a dynamic one.
        params.virtual_phone_usage_rule = Some("fixed".into());
    } else if let Some(sip) = sip_line {
        // Without the override an employee with a SIP line is rung there and shows that line's number.
        params.employee.phone_number = Some(sip.to_owned());
    }
    let client = t.access.uis_call(&account_id).await.map_err(unavailable)?;
    let call_session_id = client.start_employee_call(&params).await.map_err(|e| {
        fail(
            StatusCode::BAD_GATEWAY,
            "uis_error",
            format!("UIS did not start the call: {e}"),
        )
    })?;
    tracing::info!(
        account = account_id,
        employee = row.megaplan_user_id,
        call_session_id,
        "click-to-call started"
    );
    Ok(ok(CallStarted {
        call_session_id,
        external_id,
    }))
}

fn is_sip(p: &str) -> bool {
    p.starts_with("sip:") || p.contains('@') || p.chars().any(|c| c.is_ascii_alphabetic())
}

fn uis_refused(e: impl std::fmt::Display) -> Response {
    fail(
        StatusCode::BAD_GATEWAY,
        "uis_error",
        format!("UIS refused: {e}"),
    )
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    fail(StatusCode::BAD_GATEWAY, "unavailable", e.to_string())
}

/// `POST /hooks/megaplan/{key}/telephony/dnd` (T15).
pub async fn dnd(
    State(t): State<Telephony>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match set_dnd(&t, &key, &headers, &body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn set_dnd(
    t: &Telephony,
    key: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Response> {
    let req: DndRequest = parse(body)?;
    let (account_id, row) = authorize(t, key, headers, &req.employee_id).await?;
    let data = t.access.uis_data(&account_id).await.map_err(unavailable)?;
    let statuses = t
        .uis_status
        .statuses(&account_id, &data)
        .await
        .map_err(uis_refused)?;
    let mnemonic = if req.dnd {
        "do_not_disturb"
    } else {
        "available"
    };
    let status = statuses
        .iter()
        .find(|s| s.mnemonic.as_deref() == Some(mnemonic) && s.is_deleted != Some(true))
        .ok_or_else(|| {
            fail(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_dnd_status",
                format!("UIS has no status «{mnemonic}»"),
            )
        })?;
    let uis_id = row.uis_employee_id.unwrap_or_default();
    let set = data.set_employee_status(uis_id, status.id).await;
    // Whatever came of it, the next read asks UIS.
    t.uis_status.forget(&account_id).await;
    set.map_err(uis_refused)?;
    Ok(ok(DndState {
        employee_id: row.megaplan_user_id,
        uis_employee_id: uis_id,
        dnd: req.dnd,
        status: mnemonic.into(),
        status_id: Some(status.id),
    }))
}

/// `GET /hooks/megaplan/{key}/telephony/dnd?employee_id=…` (T15): the UIS status as it is now, so
/// the web phone follows a change made in UIS.
pub async fn dnd_state(
    State(t): State<Telephony>,
    Path(key): Path<String>,
    query: Result<Query<DndQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    match read_dnd(&t, &key, &headers, query).await {
        Ok(r) | Err(r) => r,
    }
}

async fn read_dnd(
    t: &Telephony,
    key: &str,
    headers: &HeaderMap,
    query: Result<Query<DndQuery>, QueryRejection>,
) -> Result<Response, Response> {
    let Query(req) = query.map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the query needs employee_id: {}", e.body_text()),
        )
    })?;
    let (account_id, row) = authorize(t, key, headers, &req.employee_id).await?;
    let data = t.access.uis_data(&account_id).await.map_err(unavailable)?;
    let uis_id = row.uis_employee_id.unwrap_or_default();
    let status = t
        .uis_status
        .status_of(&account_id, &data, uis_id)
        .await
        .map_err(uis_refused)?
        .ok_or_else(|| {
            fail(
                StatusCode::CONFLICT,
                "no_uis_employee",
                format!(
                    "UIS has no employee {uis_id} ({}) any more: run the employee sync",
                    row.megaplan_name
                ),
            )
        })?;
    Ok(ok(DndState {
        employee_id: row.megaplan_user_id,
        uis_employee_id: uis_id,
        dnd: status.dnd(),
        status: status.mnemonic,
        status_id: status.status_id,
    }))
}
