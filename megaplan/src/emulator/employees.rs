//! Employees, `callUserConfig` and accountInfo (items 8, 9; megaplan-api.md §2).

use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, id_of, link_field, ok, paginate, query_json,
    require_content_type,
};

/// `GET /api/v3/employee` (§2).
pub(crate) async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = s.store().employees.values().cloned().collect();
    paginate(items, &q)
}

/// `GET /api/v3/employee/{id}` (§2).
pub(crate) async fn get(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = id
        .parse::<u64>()
        .map_err(|_| ApiError::not_found("Сотрудник"))?;
    let e = s.store().employees.get(&id).cloned();
    ok(e.ok_or_else(|| ApiError::not_found("Сотрудник"))?)
}

/// `GET /api/v3/callUserConfig` (§2).
pub(crate) async fn list_configs(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = s.store().call_user_configs.values().cloned().collect();
    paginate(items, &q)
}

/// `GET /api/v3/callUserConfig/Employee/{id}` (§2).
pub(crate) async fn config_of_employee(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let found = s
        .store()
        .call_user_configs
        .values()
        .find(|c| c["employee"]["id"].as_str() == Some(id.as_str()))
        .cloned();
    ok(found.ok_or_else(|| ApiError::not_found("Настройка телефонии"))?)
}

/// `DELETE /api/v3/callUserConfig/Employee/{id}` (§2).
pub(crate) async fn delete_config_of_employee(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> ApiResult {
    let mut store = s.store();
    let key = store
        .call_user_configs
        .iter()
        .find(|(_, c)| c["employee"]["id"].as_str() == Some(id.as_str()))
        .map(|(k, _)| *k)
        .ok_or_else(|| ApiError::not_found("Настройка телефонии"))?;
    store.call_user_configs.remove(&key);
    ok(Value::Null)
}

/// `GET /api/v3/callUserConfig/{id}` (§2).
pub(crate) async fn get_config(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id = id
        .parse::<u64>()
        .map_err(|_| ApiError::not_found("Настройка телефонии"))?;
    let c = s.store().call_user_configs.get(&id).cloned();
    ok(c.ok_or_else(|| ApiError::not_found("Настройка телефонии"))?)
}

/// `POST /api/v3/callUserConfig` creates, one per employee (§2).
pub(crate) async fn create_config(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = body_json(&body)?;
    require_content_type(&body, &["CallUserConfig"])?;
    check_typed(&body, "")?;
    let (_, employee) = link_field(&body, "employee", &["Employee"])?
        .ok_or_else(|| ApiError::invalid("employee", "Не указан сотрудник"))?;
    let mut store = s.store();
    if !store.employee_exists(employee) {
        return Err(ApiError::invalid("employee", "Сотрудник не найден"));
    }
    if store
        .call_user_configs
        .values()
        .any(|c| c["employee"]["id"].as_str() == Some(employee.to_string().as_str()))
    {
        return Err(ApiError::invalid(
            "employee",
            "Настройка для сотрудника уже существует",
        ));
    }
    let id = store.next_id("callUserConfig");
    let c = json!({"contentType":"CallUserConfig","id":id.to_string(),
        "employee":{"contentType":"Employee","id":employee.to_string()},
        "internalNumber":body.get("internalNumber").cloned().unwrap_or(Value::Null),
        "settings":body.get("settings").cloned().unwrap_or(json!("{}"))});
    store.call_user_configs.insert(id, c.clone());
    ok(c)
}

/// `POST /api/v3/callUserConfig/{id}` edits one setting (§2).
pub(crate) async fn update_config(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = body_json(&body)?;
    require_content_type(&body, &["CallUserConfig"])?;
    check_typed(&body, "")?;
    let id = id_of(&Value::String(id)).ok_or_else(|| ApiError::not_found("Настройка телефонии"))?;
    let mut store = s.store();
    let c = store
        .call_user_configs
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Настройка телефонии"))?;
    for key in ["internalNumber", "settings"] {
        if let Some(v) = body.get(key) {
            c[key] = v.clone();
        }
    }
    ok(c.clone())
}

/// `GET /api/v3/accountInfo` (§2).
pub(crate) async fn account_info(State(s): State<Shared>) -> ApiResult {
    let host = s.base_url.host_str().unwrap_or("localhost").to_string();
    ok(
        json!({"contentType":"AccountInfo","accountName":s.seed.account_name,"permanentHost":host,
        "buildVersion":"emulator"}),
    )
}
