//! Strict JSON-RPC 2.0 front of the emulator: envelope, auth, limits, faults (uis-api.md §9 "Transport").

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Inner;
use super::methods;
use crate::rpc::{Limits, Mnemonic};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Data,
    Call,
}

impl Api {
    pub(crate) const ALL: [Api; 2] = [Api::Data, Api::Call];
}

/// A JSON-RPC error as the emulator answers it.
#[derive(Debug, Clone)]
pub(crate) struct Fail {
    pub mnemonic: Mnemonic,
    pub field: Option<String>,
    pub message: String,
}

impl Fail {
    pub fn new(mnemonic: Mnemonic, message: impl Into<String>) -> Fail {
        Fail {
            mnemonic,
            field: None,
            message: message.into(),
        }
    }

    pub fn field(mnemonic: Mnemonic, field: &str, message: impl Into<String>) -> Fail {
        Fail {
            mnemonic,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn missing(field: &str) -> Fail {
        Fail::field(
            Mnemonic::RequiredParameterMissed,
            field,
            format!("Required parameter {field} is missed"),
        )
    }

    pub fn invalid(field: &str) -> Fail {
        Fail::field(
            Mnemonic::InvalidParameterValue,
            field,
            format!("Invalid value of parameter {field}"),
        )
    }
}

pub(crate) type MethodResult = Result<Value, Fail>;

fn error_body(id: Value, fail: &Fail) -> Value {
    let mut data = Map::new();
    data.insert("mnemonic".into(), json!(fail.mnemonic.as_str()));
    if let Some(f) = &fail.field {
        data.insert("field".into(), json!(f));
    }
    data.insert("params".into(), json!({}));
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": fail.mnemonic.code(), "message": fail.message, "data": data}})
}

fn answer(body: Value) -> Response {
    // UIS always answers 200 with the error inside the JSON-RPC envelope.
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) async fn handle(inner: Arc<Inner>, api: Api, body: axum::body::Bytes) -> Response {
    let (http_fault, delay) = {
        let mut st = inner.state();
        let http = match &mut st.faults.http_status {
            Some((status, times)) if *times > 0 => {
                *times -= 1;
                Some(*status)
            }
            _ => None,
        };
        (http, st.faults.api_delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if let Some(status) = http_fault {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (code, "emulated gateway failure").into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return answer(error_body(
                Value::Null,
                &Fail::new(Mnemonic::ParseError, format!("Parse error: {e}")),
            ));
        }
    };
    let Value::Object(request) = request else {
        let fail = if request.is_array() {
            Fail::new(
                Mnemonic::BatchOperationsNotSupported,
                "Batch operations are not supported",
            )
        } else {
            Fail::new(Mnemonic::InvalidRequest, "Invalid Request")
        };
        return answer(error_body(Value::Null, &fail));
    };
    let Some(id) = request.get("id").filter(|id| !id.is_null()).cloned() else {
        return answer(error_body(
            Value::Null,
            &Fail::new(
                Mnemonic::NotificationsNotSupported,
                "Notifications are not supported",
            ),
        ));
    };
    let method = request.get("method").and_then(Value::as_str);
    let params = match request.get("params") {
        None => Some(Map::new()),
        Some(Value::Object(p)) => Some(p.clone()),
        Some(_) => None,
    };
    let (Some(method), Some(params), Some("2.0")) = (
        method,
        params,
        request.get("jsonrpc").and_then(Value::as_str),
    ) else {
        return answer(error_body(
            id,
            &Fail::new(Mnemonic::InvalidRequest, "Invalid Request"),
        ));
    };
    match run(&inner, api, method, params).await {
        Ok(result) => answer(json!({"jsonrpc": "2.0", "id": id, "result": result})),
        Err(fail) => answer(error_body(id, &fail)),
    }
}

async fn run(
    inner: &Arc<Inner>,
    api: Api,
    method: &str,
    params: Map<String, Value>,
) -> MethodResult {
    let Some(allowed) = methods::allowed_params(api, method) else {
        return Err(Fail::new(
            Mnemonic::MethodNotFound,
            format!("Method {method} not found"),
        ));
    };
    if let Some(extra) = params.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Fail::field(
            Mnemonic::UnexpectedParameters,
            extra,
            format!("Unexpected parameter {extra}"),
        ));
    }
    {
        let mut st = inner.state();
        st.requests.push(method.to_string());
        if st.faults.ip_not_whitelisted {
            return Err(Fail::new(
                Mnemonic::IpNotWhitelisted,
                "IP address is not in the white list",
            ));
        }
        if method != "login.user" {
            authenticate(&st, &params)?;
        }
        charge_check(&mut st)?;
        if let Some(pos) = st
            .faults
            .errors
            .iter()
            .position(|(m, _, times)| *times > 0 && m.as_deref().is_none_or(|m| m == method))
        {
            let entry = &mut st.faults.errors[pos];
            entry.2 -= 1;
            let mnemonic = entry.1.clone();
            return Err(Fail::new(mnemonic.clone(), format!("emulated {mnemonic}")));
        }
    }
    let data = methods::dispatch(inner, method, params).await?;
    let mut st = inner.state();
    st.limits.day_used += 1;
    st.limits.minute_used += 1;
    let limits = current_limits(&st);
    let mut result = match data {
        // Methods that already built `{data, metadata}` (paged reports).
        Value::Object(m) if m.contains_key("data") && m.contains_key("metadata") => m,
        other => {
            let mut m = Map::new();
            m.insert("data".into(), other);
            m.insert("metadata".into(), json!({}));
            m
        }
    };
    if let Some(Value::Object(meta)) = result.get_mut("metadata") {
        meta.insert(
            "limits".into(),
            serde_json::to_value(limits).unwrap_or_default(),
        );
    }
    Ok(Value::Object(result))
}

fn authenticate(st: &super::state::State, params: &Map<String, Value>) -> Result<(), Fail> {
    let Some(token) = params.get("access_token") else {
        return Err(Fail::missing("access_token"));
    };
    let token = token.as_str().unwrap_or_default();
    if st.seed.blocked_api_keys.iter().any(|k| k == token) {
        return Err(Fail::new(
            Mnemonic::AccessTokenBlocked,
            "Access token has been blocked",
        ));
    }
    if st.seed.expired_api_keys.iter().any(|k| k == token) {
        return Err(Fail::new(
            Mnemonic::AccessTokenExpired,
            "Access token has been expired",
        ));
    }
    if token == st.seed.api_key {
        return Ok(());
    }
    match st.sessions.get(token) {
        Some(expire_at) if *expire_at > st.now().timestamp() => Ok(()),
        _ => Err(Fail::new(
            Mnemonic::AccessTokenInvalid,
            "Invalid access token",
        )),
    }
}

/// Refuses with `limit_exceeded` when a budget is used up; rolls the minute window.
fn charge_check(st: &mut super::state::State) -> Result<(), Fail> {
    let now = st.now();
    if (now - st.limits.minute_started).num_seconds() >= 60 {
        st.limits.minute_started = now;
        st.limits.minute_used = 0;
    }
    if st.limits.minute_used >= st.limits.minute_limit || st.limits.day_used >= st.limits.day_limit
    {
        return Err(Fail::new(Mnemonic::LimitExceeded, "Limit exceeded"));
    }
    Ok(())
}

pub(crate) fn current_limits(st: &super::state::State) -> Limits {
    let now = st.now();
    let minute_reset = 60 - (now - st.limits.minute_started).num_seconds().clamp(0, 60);
    let day_reset = 86_400 - now.timestamp().rem_euclid(86_400);
    Limits {
        day_limit: st.limits.day_limit,
        day_remaining: (st.limits.day_limit - st.limits.day_used).max(0),
        day_reset,
        minute_limit: st.limits.minute_limit,
        minute_remaining: (st.limits.minute_limit - st.limits.minute_used).max(0),
        minute_reset,
    }
}
