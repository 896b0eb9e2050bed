//! Programs with states and transitions, deals, applyTransition (item 13; megaplan-api.md §6).

use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::contractors::now;
use super::store::Store;
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, id_of, link_field, normalize_ids, ok, paginate,
    query_json, require_content_type,
};

/// `GET /api/v3/program`: a list holds only collection fields (§0), so no states here.
pub(crate) async fn programs(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = s
        .store()
        .programs
        .values()
        .map(|p| json!({"contentType":"Program","id":p["id"],"name":p["name"]}))
        .collect();
    paginate(items, &q)
}

fn program_of(s: &Shared, id: &str) -> Result<Value, ApiError> {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Схема"))?;
    s.store()
        .programs
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Схема"))
}

/// `GET /api/v3/program/{id}` with states and transitions (§6).
pub(crate) async fn program(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    ok(program_of(&s, &id)?)
}

/// `GET /api/v3/program/{id}/states` (§6, TS).
pub(crate) async fn program_states(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    ok(program_of(&s, &id)?["states"].clone())
}

/// `GET /api/v3/program/{id}/fields` (§6).
pub(crate) async fn program_fields(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    program_of(&s, &id)?;
    ok(Value::Array(s.store().deal_fields.clone()))
}

/// A deal as GET returns it: with `possibleTransitions` from its current state (§6).
pub(crate) fn full_deal(store: &Store, deal: &Value) -> Value {
    let mut d = deal.clone();
    let pid = deal["program"]["id"]
        .as_str()
        .and_then(|p| p.parse::<u64>().ok());
    let transitions: Vec<Value> = pid
        .and_then(|p| store.programs.get(&p))
        .and_then(|p| p["transitions"].as_array())
        .into_iter()
        .flatten()
        .filter(|t| t["from"]["id"] == deal["state"]["id"])
        .cloned()
        .collect();
    d["possibleTransitions"] = Value::Array(transitions);
    d
}

fn validate_links(store: &Store, body: &Value) -> Result<(), ApiError> {
    let checks: [(&str, &[&str]); 4] = [
        ("manager", &["Employee"]),
        ("contractor", &["ContractorHuman", "ContractorCompany"]),
        ("contact", &["ContractorHuman"]),
        ("program", &["Program"]),
    ];
    for (field, allowed) in checks {
        if let Some((ct, id)) = link_field(body, field, allowed)?
            && !store.link_exists(&ct, id)
        {
            return Err(ApiError::invalid(field, format!("{ct} {id} не найден")));
        }
    }
    Ok(())
}

/// `POST /api/v3/deal`: `program` is required and the deal enters its entry state (§6 Create).
pub(crate) async fn create(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let mut body = body_json(&body)?;
    require_content_type(&body, &["Deal"])?;
    check_typed(&body, "")?;
    let (_, pid) = link_field(&body, "program", &["Program"])?
        .ok_or_else(|| ApiError::invalid("program", "Не указана схема (program)"))?;
    normalize_ids(&mut body);
    let deal = {
        let mut store = s.store();
        validate_links(&store, &body)?;
        let program = store
            .programs
            .get(&pid)
            .cloned()
            .ok_or_else(|| ApiError::invalid("program", format!("Схема {pid} не найдена")))?;
        let entry = program["states"]
            .as_array()
            .and_then(|st| st.iter().find(|x| x["isEntry"] == true))
            .cloned()
            .unwrap_or(Value::Null);
        let id = store.next_id("deal");
        let obj = body.as_object_mut().expect("typed body is an object");
        obj.insert("id".into(), json!(id.to_string()));
        obj.insert("number".into(), json!(format!("ДЛ-{id}")));
        obj.insert(
            "program".into(),
            json!({"contentType":"Program","id":pid.to_string(),"name":program["name"]}),
        );
        // A state in the body is ignored; deals always start at the entry state (§6).
        obj.insert("state".into(), entry);
        obj.insert("result".into(), json!("active"));
        obj.insert("timeCreated".into(), now());
        obj.insert("timeUpdated".into(), now());
        store.deals.insert(id, body.clone());
        full_deal(&store, &body)
    };
    s.emit("on_after_create", "Deal", &deal);
    ok(deal)
}

/// `POST /api/v3/deal/{id}`: partial update; `state` and `program` are ignored (§6).
pub(crate) async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let mut body = body_json(&body)?;
    require_content_type(&body, &["Deal"])?;
    check_typed(&body, "")?;
    normalize_ids(&mut body);
    if let Some(obj) = body.as_object_mut() {
        obj.remove("state");
        obj.remove("program");
        obj.remove("number");
    }
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Сделка"))?;
    let deal = {
        let mut store = s.store();
        validate_links(&store, &body)?;
        let d = store
            .deals
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("Сделка"))?;
        super::wire::merge(d, &body);
        d["timeUpdated"] = now();
        let d = d.clone();
        full_deal(&store, &d)
    };
    s.emit("on_after_update", "Deal", &deal);
    ok(deal)
}

/// `GET /api/v3/deal/{id}` (§6).
pub(crate) async fn get(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Сделка"))?;
    let store = s.store();
    let d = store
        .deals
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Сделка"))?;
    ok(full_deal(&store, d))
}

/// `GET /api/v3/deal` (§6 List).
pub(crate) async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let items: Vec<Value> = {
        let store = s.store();
        store.deals.values().map(|d| full_deal(&store, d)).collect()
    };
    paginate(items, &q)
}

/// `POST /api/v3/deal/{id}/applyTransition` with a transition from `possibleTransitions` (§6).
pub(crate) async fn apply_transition(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = body_json(&body)?;
    require_content_type(&body, &["ProgramTransition"])?;
    let tid = body
        .get("id")
        .and_then(id_of)
        .ok_or_else(|| ApiError::invalid("id", "Не указан переход"))?;
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Сделка"))?;
    let deal = s.move_deal(id, |t| {
        t["id"].as_str().and_then(|x| x.parse::<u64>().ok()) == Some(tid)
    })?;
    ok(deal)
}

impl super::Inner {
    /// Moves a deal along the first possible transition `pick` accepts, emitting on_after_update.
    pub(crate) fn move_deal(
        &self,
        deal: u64,
        pick: impl Fn(&Value) -> bool,
    ) -> Result<Value, ApiError> {
        let updated = {
            let mut store = self.store();
            let d = store
                .deals
                .get(&deal)
                .ok_or_else(|| ApiError::not_found("Сделка"))?;
            let full = full_deal(&store, d);
            let t = full["possibleTransitions"]
                .as_array()
                .and_then(|ts| ts.iter().find(|t| pick(t)))
                .cloned()
                .ok_or_else(|| {
                    ApiError::invalid("transition", "Переход недоступен из текущего состояния")
                })?;
            let d = store.deals.get_mut(&deal).expect("checked above");
            d["state"] = t["to"].clone();
            d["result"] = t["to"]["type"].clone();
            d["stateTimeUpdated"] = now();
            d["timeUpdated"] = now();
            let d = d.clone();
            full_deal(&store, &d)
        };
        self.emit("on_after_update", "Deal", &updated);
        Ok(updated)
    }
}
