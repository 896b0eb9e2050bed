//! The method table of both APIs and the Data API methods of the emulator, over [`super::state::State`].

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Inner;
use super::call_methods::{list_calls, release_call, start_employee_call};
use super::query::{period, select};
use super::rpc::{Api, Fail, MethodResult};
use crate::data_api::{EmployeeUpdate, NewEmployee};
use crate::rpc::Mnemonic;

const GET: &[&str] = &[
    "access_token",
    "user_id",
    "fields",
    "filter",
    "sort",
    "limit",
    "offset",
];
const REPORT: &[&str] = &[
    "access_token",
    "user_id",
    "date_from",
    "date_till",
    "fields",
    "filter",
    "sort",
    "limit",
    "offset",
];

/// Methods each API knows and the params each accepts (anything else is `unexpected_parameters`).
pub(crate) fn allowed_params(api: Api, method: &str) -> Option<&'static [&'static str]> {
    let common: Option<&'static [&'static str]> = match method {
        "login.user" => Some(&["login", "password"]),
        "logout.user" => Some(&["access_token"]),
        _ => None,
    };
    let specific: Option<&'static [&'static str]> = match (api, method) {
        (Api::Data, "get.employees" | "get.virtual_numbers" | "get.sites" | "get.tags") => {
            Some(GET)
        }
        (Api::Data, "get.statuses") => Some(&[
            "access_token",
            "user_id",
            "fields",
            "filter",
            "sort",
            "limit",
            "offset",
            "is_deleted",
        ]),
        (Api::Data, "get.calls_report") => Some(&[
            "access_token",
            "user_id",
            "date_from",
            "date_till",
            "fields",
            "filter",
            "sort",
            "limit",
            "offset",
            "include_ongoing_calls",
        ]),
        (Api::Data, "get.call_legs_report" | "get.chats_report") => Some(REPORT),
        (Api::Data, "get.chat_messages_report") => Some(&[
            "access_token",
            "user_id",
            "date_from",
            "date_till",
            "chat_id",
            "chat_ids",
            "fields",
            "filter",
            "sort",
            "limit",
            "offset",
        ]),
        (Api::Data, "get.offline_messages_report") => Some(&[
            "access_token",
            "user_id",
            "date_from",
            "date_till",
            "fields",
            "filter",
            "sort",
            "limit",
            "offset",
            "include_tech_offline_messages",
        ]),
        (Api::Data, "create.employees") => Some(&[
            "access_token",
            "user_id",
            "first_name",
            "last_name",
            "patronymic",
            "email",
            "phone_numbers",
            "extension",
            "login",
            "password",
        ]),
        (Api::Data, "update.employees") => Some(&[
            "access_token",
            "user_id",
            "id",
            "status_id",
            "status",
            "first_name",
            "last_name",
            "patronymic",
            "email",
            "phone_numbers",
            "extension",
        ]),
        (Api::Call, "start.employee_call") => Some(&[
            "access_token",
            "first_call",
            "virtual_phone_number",
            "contact",
            "employee",
            "show_virtual_phone_number",
            "virtual_phone_usage_rule",
            "virtual_number_group",
            "switch_at_once",
            "early_switching",
            "media_file_id",
            "contact_message",
            "employee_message",
            "dtmf_string",
            "direction",
            "external_id",
        ]),
        (Api::Call, "release.call") => Some(&["access_token", "call_session_id"]),
        (Api::Call, "list.calls") => Some(&["access_token", "direction", "virtual_phone_number"]),
        _ => None,
    };
    common.or(specific)
}

pub(crate) async fn dispatch(
    inner: &Arc<Inner>,
    method: &str,
    params: Map<String, Value>,
) -> MethodResult {
    match method {
        "login.user" => login(inner, &params),
        "logout.user" => {
            let token = params
                .get("access_token")
                .and_then(Value::as_str)
                .unwrap_or_default();
            inner.state().sessions.remove(token);
            Ok(json!({}))
        }
        "start.employee_call" => start_employee_call(inner, params),
        "release.call" => release_call(inner, &params),
        "list.calls" => list_calls(inner, &params),
        "create.employees" => create_employee(inner, params),
        "update.employees" => update_employee(inner, params),
        _ => get(inner, method, &params),
    }
}

fn get(inner: &Arc<Inner>, method: &str, params: &Map<String, Value>) -> MethodResult {
    let st = inner.state();
    match method {
        "get.employees" => select(&st.employees, params, None),
        "get.statuses" => select(&st.statuses, params, None),
        "get.virtual_numbers" => select(&st.virtual_numbers, params, None),
        "get.sites" => select(&st.sites, params, None),
        "get.tags" => select(&st.tags, params, None),
        "get.calls_report" => select(
            &st.calls,
            params,
            Some((&period(params, None)?, "start_time")),
        ),
        "get.call_legs_report" => select(
            &st.call_legs,
            params,
            Some((&period(params, None)?, "start_time")),
        ),
        "get.chats_report" => select(
            &st.chats,
            params,
            Some((&period(params, None)?, "date_time")),
        ),
        "get.offline_messages_report" => select(
            &st.offline_messages,
            params,
            Some((&period(params, None)?, "date_time")),
        ),
        "get.chat_messages_report" => {
            let ids: Vec<i64> = match (params.get("chat_id"), params.get("chat_ids")) {
                (Some(id), _) => vec![id.as_i64().ok_or_else(|| Fail::invalid("chat_id"))?],
                (None, Some(ids)) => ids
                    .as_array()
                    .ok_or_else(|| Fail::invalid("chat_ids"))?
                    .iter()
                    .filter_map(Value::as_i64)
                    .collect(),
                (None, None) => Vec::new(),
            };
            if ids.is_empty() {
                // Without chat ids UIS wants a period of at most 30 days.
                return select(
                    &st.chat_messages,
                    params,
                    Some((&period(params, Some(30))?, "date_time")),
                );
            }
            let rows: Vec<_> = st
                .chat_messages
                .iter()
                .filter(|m| ids.contains(&m.chat_id))
                .cloned()
                .collect();
            select(&rows, params, None)
        }
        _ => Err(Fail::new(
            Mnemonic::MethodNotFound,
            format!("Method {method} not found"),
        )),
    }
}

fn login(inner: &Arc<Inner>, params: &Map<String, Value>) -> MethodResult {
    let login = params
        .get("login")
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::missing("login"))?;
    let password = params
        .get("password")
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::missing("password"))?;
    let mut st = inner.state();
    if login != st.seed.login || password != st.seed.password {
        return Err(Fail::new(Mnemonic::AuthError, "Wrong login or password"));
    }
    let token = format!("session-{}-{}", st.next_id(), rand::random::<u32>());
    // Sessions live one hour (uis-api.md §3 "Auth").
    let expire_at = st.now().timestamp() + 3600;
    st.sessions.insert(token.clone(), expire_at);
    Ok(json!({"access_token": token, "expire_at": expire_at, "app_id": st.seed.app_id}))
}

fn create_employee(inner: &Arc<Inner>, params: Map<String, Value>) -> MethodResult {
    for required in ["last_name", "phone_numbers"] {
        if params.get(required).is_none_or(Value::is_null) {
            return Err(Fail::missing(required));
        }
    }
    let new: NewEmployee = serde_json::from_value(Value::Object(params))
        .map_err(|e| Fail::field(Mnemonic::DataTypeError, "params", e.to_string()))?;
    let mut st = inner.state();
    if let Some(email) = &new.email
        && st.employees.iter().any(|e| e.email.as_ref() == Some(email))
    {
        return Err(Fail::field(
            Mnemonic::DuplicateEntity,
            "email",
            "Employee with this email already exists",
        ));
    }
    let id = st.employees.iter().map(|e| e.id).max().unwrap_or(5000) + 1;
    let full_name = [new.first_name.as_deref(), Some(new.last_name.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    st.employees.push(crate::data_api::Employee {
        id,
        first_name: new.first_name,
        last_name: Some(new.last_name),
        patronymic: new.patronymic,
        full_name: Some(full_name),
        email: new.email,
        status: Some("available".into()),
        status_id: Some(1),
        phone_numbers: new.phone_numbers,
        extension: new.extension,
        ..Default::default()
    });
    Ok(json!({"id": id}))
}

fn update_employee(inner: &Arc<Inner>, params: Map<String, Value>) -> MethodResult {
    if params.get("id").is_none() {
        return Err(Fail::missing("id"));
    }
    let update: EmployeeUpdate = serde_json::from_value(Value::Object(params))
        .map_err(|e| Fail::field(Mnemonic::DataTypeError, "params", e.to_string()))?;
    let mut st = inner.state();
    // Either field sets the status; both are resolved against get.statuses.
    let status = match (update.status_id, update.status.as_deref()) {
        (Some(id), _) => Some(
            st.statuses
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .ok_or_else(|| Fail::invalid("status_id"))?,
        ),
        (None, Some(m)) => Some(
            st.statuses
                .iter()
                .find(|s| s.mnemonic.as_deref() == Some(m))
                .cloned()
                .ok_or_else(|| Fail::invalid("status"))?,
        ),
        (None, None) => None,
    };
    let employee = st
        .employees
        .iter_mut()
        .find(|e| e.id == update.id)
        .ok_or_else(|| Fail::field(Mnemonic::EntityNotFound, "id", "Employee not found"))?;
    if let Some(s) = status {
        employee.status_id = Some(s.id);
        employee.status = s.mnemonic;
    }
    if let Some(v) = update.first_name {
        employee.first_name = Some(v);
    }
    if let Some(v) = update.last_name {
        employee.last_name = Some(v);
    }
    if let Some(v) = update.email {
        employee.email = Some(v);
    }
    if let Some(v) = update.phone_numbers {
        employee.phone_numbers = v;
    }
    if let Some(v) = update.extension {
        employee.extension = Some(v);
    }
    Ok(json!({}))
}
