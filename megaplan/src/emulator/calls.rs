//! CallInfo with widget events, history, setContractor; callRoute (items 14, 15; megaplan-api.md §4, §8, §10).

use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::store::{Store, WidgetEvent};
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, link_field, normalize_ids, ok, paginate,
    query_json, require_content_type,
};
use crate::types::phone_digits;

const TYPES: [&str; 5] = ["unknown", "in", "out", "miss", "fail"];
const STATES: [&str; 5] = ["unknown", "calling", "talking", "finished", "hold"];
const PARTIES: [&str; 3] = ["ContractorCompany", "ContractorHuman", "Employee"];

fn validate(store: &Store, body: &Value) -> Result<(), ApiError> {
    require_content_type(body, &["CallInfo"])?;
    check_typed(body, "")?;
    if let Some(t) = body.get("type").filter(|v| !v.is_null())
        && !t.as_str().is_some_and(|t| TYPES.contains(&t))
    {
        return Err(ApiError::invalid(
            "type",
            format!("type must be one of {}", TYPES.join(", ")),
        ));
    }
    if let Some(st) = body.get("state").filter(|v| !v.is_null())
        && !st.as_str().is_some_and(|s| STATES.contains(&s))
    {
        return Err(ApiError::invalid(
            "state",
            format!("state must be one of {}", STATES.join(", ")),
        ));
    }
    for field in ["fromUser", "toUser"] {
        if let Some((ct, id)) = link_field(body, field, &PARTIES)?
            && !store.link_exists(&ct, id)
        {
            return Err(ApiError::invalid(field, format!("{ct} {id} не найден")));
        }
    }
    if let Some(links) = body.get("recordLinks")
        && !links
            .as_array()
            .is_some_and(|l| l.iter().all(Value::is_string))
    {
        return Err(ApiError::invalid(
            "recordLinks",
            "recordLinks must be an array of strings",
        ));
    }
    for field in ["fromPhone", "toPhone"] {
        if body
            .get(field)
            .is_some_and(|v| !v.is_null() && !v.is_string())
        {
            return Err(ApiError::invalid(field, "phone must be a string"));
        }
    }
    Ok(())
}

/// The employee whose widget shows the call: `toUser` for incoming, `fromUser` for outgoing, else the
/// extension in `toPhone`/`fromPhone` via callUserConfig (§8; the mapping is inferred).
fn recipient(store: &Store, call: &Value) -> Option<String> {
    let (user, phone) = if call["type"] == "out" {
        ("fromUser", "fromPhone")
    } else {
        ("toUser", "toPhone")
    };
    if call[user]["contentType"] == "Employee" {
        return call[user]["id"].as_str().map(str::to_string);
    }
    if !super::inferred::WIDGET_RECIPIENT_FROM_EXTENSION {
        return None;
    }
    let number = call[phone].as_str()?;
    store.employee_by_extension(number).map(|id| id.to_string())
}

fn widget_event(store: &mut Store, call: &Value) {
    let event = WidgetEvent {
        employee_id: recipient(store, call),
        call_id: call["id"].as_str().unwrap_or_default().to_string(),
        provider_id: call.get("providerId").filter(|p| !p.is_null()).map(|p| {
            p.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| p.to_string())
        }),
        call_type: call["type"].as_str().unwrap_or("unknown").to_string(),
        state: call["state"].as_str().unwrap_or("unknown").to_string(),
        record_links: call["recordLinks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect(),
    };
    store.widget_events.push(event);
}

fn insert(store: &mut Store, mut body: Value) -> Value {
    normalize_ids(&mut body);
    let id = store.next_id("callInfo");
    let obj = body.as_object_mut().expect("typed body is an object");
    obj.insert("id".into(), json!(id.to_string()));
    obj.entry("type").or_insert(json!("unknown"));
    obj.entry("state").or_insert(json!("unknown"));
    obj.entry("recordLinks").or_insert(json!([]));
    store.call_infos.insert(id, body.clone());
    body
}

/// `POST /api/v3/callInfo`: creates and pops the widget up (§8 ring).
pub(crate) async fn create(State(s): State<Shared>, body: Bytes) -> ApiResult {
    tracing::trace!(target: "latency", stage = "emulator has the card");
    let body = body_json(&body)?;
    let mut store = s.store();
    validate(&store, &body)?;
    let call = insert(&mut store, body);
    widget_event(&mut store, &call);
    ok(call)
}

fn latest_by_provider(store: &Store, provider: &Value) -> Option<u64> {
    let same = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    store
        .call_infos
        .iter()
        .rev()
        .find(|(_, c)| {
            c.get("providerId")
                .is_some_and(|p| same(p) == same(provider))
        })
        .map(|(id, _)| *id)
}

fn update_existing(s: &Shared, id: u64, mut body: Value, event: bool) -> ApiResult {
    let mut store = s.store();
    validate(&store, &body)?;
    normalize_ids(&mut body);
    let c = store
        .call_infos
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Звонок"))?;
    super::wire::merge(c, &body);
    let c = c.clone();
    if event {
        widget_event(&mut store, &c);
    }
    ok(c)
}

/// `POST /api/v3/callInfo/{id}`: state change or record added, passed to the widget (§8).
pub(crate) async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = body_json(&body)?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Звонок"))?;
    update_existing(&s, id, body, true)
}

/// `POST /api/v3/callInfo/provider`: updates the latest call with that `providerId`; 422 without it (§8).
pub(crate) async fn update_by_provider(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = body_json(&body)?;
    require_content_type(&body, &["CallInfo"])?;
    let provider = body
        .get("providerId")
        .filter(|p| !p.is_null())
        .cloned()
        .ok_or_else(|| ApiError::invalid("providerId", "Не указан providerId"))?;
    let id =
        latest_by_provider(&s.store(), &provider).ok_or_else(|| ApiError::not_found("Звонок"))?;
    update_existing(&s, id, body, true)
}

/// `GET /api/v3/callInfo/provider?{"providerId":…}` (§4 Read back).
pub(crate) async fn get_by_provider(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let provider = q
        .get("providerId")
        .filter(|p| !p.is_null())
        .cloned()
        .ok_or_else(|| ApiError::invalid("providerId", "Не указан providerId"))?;
    let store = s.store();
    let id = latest_by_provider(&store, &provider).ok_or_else(|| ApiError::not_found("Звонок"))?;
    ok(store.call_infos[&id].clone())
}

/// `POST /api/v3/callInfo/history` (array): upsert in finished state, no widget event (§4).
pub(crate) async fn history(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let body = body_json(&body)?;
    let items = body
        .as_array()
        .ok_or_else(|| ApiError::invalid("body", "Ожидается массив CallInfo"))?;
    let mut store = s.store();
    for item in items {
        validate(&store, item)?;
    }
    let mut out = Vec::new();
    for item in items {
        let mut item = item.clone();
        // History is stored as finished whatever the body says (§4 "created or updated in finished state").
        if super::inferred::HISTORY_FORCES_FINISHED {
            item["state"] = json!("finished");
        }
        let existing = item
            .get("providerId")
            .filter(|p| !p.is_null())
            .and_then(|p| latest_by_provider(&store, p));
        let call = match existing {
            Some(id) => {
                normalize_ids(&mut item);
                let c = store.call_infos.get_mut(&id).expect("found above");
                super::wire::merge(c, &item);
                c.clone()
            }
            None => insert(&mut store, item),
        };
        out.push(call);
    }
    ok(Value::Array(out))
}

/// `POST /api/v3/callInfo/{id}/setContractor`: fromUser for in/miss, toUser for out (§4).
pub(crate) async fn set_contractor(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = body_json(&body)?;
    let ct = require_content_type(&body, &["ContractorHuman", "ContractorCompany"])?;
    let cid = body
        .get("id")
        .and_then(super::wire::id_of)
        .ok_or_else(|| ApiError::invalid("id", "Не указан клиент"))?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Звонок"))?;
    let mut store = s.store();
    if !store.link_exists(&ct, cid) {
        return Err(ApiError::invalid("id", format!("{ct} {cid} не найден")));
    }
    let c = store
        .call_infos
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Звонок"))?;
    let side = if super::inferred::SET_CONTRACTOR_SIDE_BY_TYPE && c["type"] == "out" {
        "toUser"
    } else {
        "fromUser"
    };
    c[side] = json!({"contentType":ct,"id":cid.to_string()});
    ok(c.clone())
}

/// `GET /api/v3/callInfo/{id}` (§4).
pub(crate) async fn get(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Звонок"))?;
    let c = s.store().call_infos.get(&id).cloned();
    ok(c.ok_or_else(|| ApiError::not_found("Звонок"))?)
}

/// `GET /api/v3/callInfo` (§4).
pub(crate) async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = s.store().call_infos.values().cloned().collect();
    paginate(items, &q)
}

/// `GET /api/v3/callRoute?{"phone":…}`: the number's responsibles, else the default group (§10, item 15).
pub(crate) async fn call_route(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let phone = q
        .get("phone")
        .and_then(|p| {
            p.as_str()
                .map(str::to_string)
                .or_else(|| p.as_u64().map(|n| n.to_string()))
        })
        .filter(|p| !phone_digits(p).is_empty())
        .ok_or_else(|| ApiError::invalid("phone", "Не указан номер телефона"))?;
    let delay = s.faults.state.lock().expect("faults").call_route_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let want = phone_digits(&phone);
    let owns = |v: &Value| {
        v["contactInfo"].as_array().into_iter().flatten().any(|ci| {
            ci["type"] == "phone"
                && ci["value"]
                    .as_str()
                    .is_some_and(|p| phone_digits(p) == want)
        })
    };
    let store = s.store();
    let clients: Vec<&Value> = store.contractors.values().filter(|c| owns(c)).collect();
    let mut users: Vec<Value> = clients
        .iter()
        .map(|c| json!({"contentType":c["contentType"],"id":c["id"]}))
        .collect();
    users.extend(
        store
            .employees
            .values()
            .filter(|e| owns(e))
            .map(|e| json!({"contentType":"Employee","id":e["id"]})),
    );
    let working = |id: u64| {
        store
            .employees
            .get(&id)
            .filter(|e| e["isWorking"] == true)
            .cloned()
    };
    let responsibles: Vec<Value> = clients
        .iter()
        .flat_map(|c| c["responsibles"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["id"].as_str().and_then(|id| id.parse().ok()))
        .filter_map(working)
        .collect();
    let (kind, employees) = if responsibles.is_empty() {
        (
            super::inferred::DEFAULT_ROUTE_TYPE,
            store
                .default_route
                .iter()
                .copied()
                .filter_map(working)
                .collect(),
        )
    } else {
        ("responsible", responsibles)
    };
    ok(
        json!({"contentType":"CallRoute","type":kind,"timeout":super::inferred::CALL_ROUTE_TIMEOUT_SECS,"employees":employees,"users":users}),
    )
}
