//! Todo categories/statuses, todos standalone and on an owner, doAction (item 12; megaplan-api.md §4–§5).

use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::contractors::now;
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, link_field, normalize_ids, ok, paginate,
    parse_link, query_json, require_content_type,
};

/// `GET /api/v3/todoCategory` (§4).
pub(crate) async fn categories(State(s): State<Shared>) -> ApiResult {
    ok(Value::Array(s.store().todo_categories.clone()))
}

/// `GET /api/v3/todoStatus` (§4).
pub(crate) async fn statuses(State(s): State<Shared>) -> ApiResult {
    ok(Value::Array(s.store().todo_statuses.clone()))
}

/// `GET /api/v3/todo` (§5).
pub(crate) async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = s.store().todos.values().cloned().collect();
    paginate(items, &q)
}

/// `GET /api/v3/todo/{id}` (§5).
pub(crate) async fn get(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Дело"))?;
    let t = s.store().todos.get(&id).cloned();
    ok(t.ok_or_else(|| ApiError::not_found("Дело"))?)
}

/// Validates a Todo body: `name`, typed `when`, existing links (§5 fields and gotchas).
fn validate(s: &Shared, body: &Value, creating: bool) -> Result<(), ApiError> {
    require_content_type(body, &["Todo"])?;
    check_typed(body, "")?;
    if creating && body["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::invalid("name", "Поле name обязательно"));
    }
    if let Some(when) = body
        .get("when")
        .filter(|w| !w.is_null() && super::inferred::TODO_WHEN_MUST_BE_TYPED)
    {
        // Only the typed intervals are accepted, as PYSDK's 422 'stdClass' reports show (§5).
        let ct = when["contentType"].as_str().unwrap_or("stdClass");
        let inner = match ct {
            "IntervalTime" => "DateTime",
            "IntervalDates" => "DateOnly",
            _ => {
                return Err(ApiError::invalid(
                    "when",
                    format!("'{ct}' is not assignable to 'IntervalDates|IntervalTime'"),
                ));
            }
        };
        if when["from"]["contentType"] != inner || when["to"]["contentType"] != inner {
            return Err(ApiError::invalid(
                "when",
                format!("{ct} needs from/to of type {inner}"),
            ));
        }
    }
    let store = s.store();
    let checks: [(&str, &[&str]); 3] = [
        (
            "responsible",
            &["Employee", "ContractorHuman", "ContractorCompany"],
        ),
        ("category", &["TodoCategory"]),
        ("status", &["TodoStatus"]),
    ];
    for (field, allowed) in checks {
        if let Some((ct, id)) = link_field(body, field, allowed)?
            && !store.link_exists(&ct, id)
        {
            return Err(ApiError::invalid(field, format!("{ct} {id} не найден")));
        }
    }
    if let Some(rel) = body.get("relations") {
        for r in rel
            .as_array()
            .ok_or_else(|| ApiError::invalid("relations", "relations must be an array"))?
        {
            let (ct, id) = parse_link(
                r,
                "relations",
                &[
                    "CallInfo",
                    "ContractorCompany",
                    "ContractorHuman",
                    "Deal",
                    "Project",
                    "Task",
                ],
            )?;
            if !store.link_exists(&ct, id) {
                return Err(ApiError::invalid(
                    "relations",
                    format!("{ct} {id} не найден"),
                ));
            }
        }
    }
    Ok(())
}

fn insert(s: &Shared, mut body: Value, owner: Option<Value>) -> Value {
    normalize_ids(&mut body);
    let todo = {
        let mut store = s.store();
        let id = store.next_id("todo");
        let scheduled = store
            .todo_statuses
            .iter()
            .find(|st| st["masterType"] == "scheduled")
            .cloned();
        let obj = body.as_object_mut().expect("typed body is an object");
        obj.insert("id".into(), json!(id.to_string()));
        obj.insert("timeCreated".into(), now());
        obj.entry("status").or_insert(
            scheduled
                .map(|st| json!({"contentType":"TodoStatus","id":st["id"]}))
                .unwrap_or(Value::Null),
        );
        let rel = obj.entry("relations").or_insert(json!([]));
        if let (Some(owner), Some(list)) = (owner, rel.as_array_mut())
            && !list.contains(&owner)
        {
            list.push(owner);
        }
        store.todos.insert(id, body.clone());
        body
    };
    s.emit("on_after_create", "Todo", &todo);
    todo
}

/// `POST /api/v3/todo`: a standalone todo (§5).
pub(crate) async fn create(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = body_json(&body)?;
    validate(&s, &body, true)?;
    ok(insert(&s, body, None))
}

/// `POST /api/v3/{contractorHuman|contractorCompany|deal|callInfo}/{id}/todos`: bound to the owner (§4, §5 Binding).
pub(crate) async fn create_on(s: Shared, owner_type: &str, id: String, body: Bytes) -> ApiResult {
    let body = body_json(&body)?;
    let owner_id: u64 = id.parse().map_err(|_| ApiError::not_found(owner_type))?;
    if !s.store().exists(owner_type, owner_id) {
        return Err(ApiError::not_found(owner_type));
    }
    validate(&s, &body, true)?;
    ok(insert(
        &s,
        body,
        Some(json!({"contentType":owner_type,"id":owner_id.to_string()})),
    ))
}

/// `POST /api/v3/todo/{id}`: without `id` in the body it creates a new todo, as seen live (§5 gotcha).
pub(crate) async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut body = body_json(&body)?;
    let quirk = s
        .faults
        .state
        .lock()
        .expect("faults")
        .todo_update_without_id_creates;
    if quirk && body.get("id").is_none() {
        validate(&s, &body, true)?;
        return ok(insert(&s, body, None));
    }
    validate(&s, &body, false)?;
    normalize_ids(&mut body);
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Дело"))?;
    let todo = {
        let mut store = s.store();
        let t = store
            .todos
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("Дело"))?;
        super::wire::merge(t, &body);
        t.clone()
    };
    s.emit("on_after_update", "Todo", &todo);
    ok(todo)
}

/// `POST /api/v3/todo/{id}/doAction` with TodoFinishActionRequest (others accepted, no effect) (§5).
pub(crate) async fn do_action(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = body_json(&body)?;
    let ct = require_content_type(
        &body,
        &[
            "TodoFinishActionRequest",
            "TodoRenewActionRequest",
            "TodoTakeActionRequest",
        ],
    )?;
    check_typed(&body, "")?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Дело"))?;
    let todo = {
        let mut store = s.store();
        if !store.todos.contains_key(&id) {
            return Err(ApiError::not_found("Дело"));
        }
        let status = if ct == "TodoFinishActionRequest" {
            let (_, sid) = link_field(&body, "status", &["TodoStatus"])?
                .ok_or_else(|| ApiError::invalid("status", "Не указан статус завершения"))?;
            if !store.link_exists("TodoStatus", sid) {
                return Err(ApiError::invalid("status", "Статус не найден"));
            }
            Some(json!({"contentType":"TodoStatus","id":sid.to_string()}))
        } else {
            None
        };
        let t = store.todos.get_mut(&id).expect("checked above");
        if let Some(status) = status {
            t["status"] = status;
            t["timeFinished"] = now();
            t["resultText"] = body.get("resultText").cloned().unwrap_or(Value::Null);
        }
        t.clone()
    };
    s.emit("on_after_update", "Todo", &todo);
    ok(todo)
}
