//! Clients: search, create, partial update, extra fields (item 10; megaplan-api.md §3).

use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, normalize_ids, ok, paginate, parse_link,
    query_json, require_content_type,
};
use crate::types::phone_digits;

const HUMAN: &str = "ContractorHuman";
const COMPANY: &str = "ContractorCompany";
/// `ContactInfo.type` enum (RAML, §2).
const CONTACT_TYPES: [&str; 11] = [
    "email",
    "jabber",
    "icq",
    "skype",
    "link",
    "phone",
    "telegram",
    "whatsapp",
    "viber",
    "instagram",
    "max_messenger",
];

fn contact_values<'a>(c: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    c["contactInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |ci| ci["type"] == kind)
        .filter_map(|ci| ci["value"].as_str())
}

/// `q` is a substring over names, phones (digits) and emails (item 10).
fn matches_q(c: &Value, q: &str) -> bool {
    let digits = phone_digits(q);
    if !digits.is_empty() && digits.len() == q.chars().filter(|ch| !ch.is_whitespace()).count() {
        return contact_values(c, "phone").any(|p| phone_digits(p).contains(&digits));
    }
    let q = q.to_lowercase();
    ["name", "firstName", "lastName", "middleName"]
        .iter()
        .filter_map(|k| c[*k].as_str())
        .chain(contact_values(c, "email"))
        .any(|s| s.to_lowercase().contains(&q))
}

/// The employee ids a `CrmFilter` with a `responsibles` FilterTermRef asks for; other terms are ignored (§0).
fn responsible_filter(q: &Value) -> Option<Vec<String>> {
    let terms = q.pointer("/filter/config/termGroup/terms")?.as_array()?;
    let term = terms.iter().find(|t| t["field"] == "responsibles")?;
    Some(
        term["value"]
            .as_array()?
            .iter()
            .filter_map(|l| {
                l.get("id").map(|id| {
                    id.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| id.to_string())
                })
            })
            .collect(),
    )
}

/// `GET /api/v3/contractor` (§3 Find 1, filter by responsible).
pub(crate) async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let index_empty = s.faults.state.lock().expect("faults").search_index_empty;
    let wanted = responsible_filter(&q);
    let items: Vec<Value> = s
        .store()
        .contractors
        .values()
        .filter(
            |c| match q.get("q").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(text) => !index_empty && matches_q(c, text),
                None => true,
            },
        )
        .filter(|c| match &wanted {
            Some(ids) => c["responsibles"].as_array().is_some_and(|rs| {
                rs.iter().any(|r| {
                    r["id"]
                        .as_str()
                        .is_some_and(|id| ids.iter().any(|w| w == id))
                })
            }),
            None => true,
        })
        .cloned()
        .collect();
    paginate(items, &q)
}

/// `GET /api/v3/contractor/possibleDuplicates?{"contactInfo":[…]}` by phone or email (§3 Find 2).
pub(crate) async fn possible_duplicates(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = query_json(q.as_deref())?;
    let wanted: Vec<(String, String)> = q["contactInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ci| {
            Some((
                ci["type"].as_str()?.to_string(),
                ci["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    let found: Vec<Value> = s
        .store()
        .contractors
        .values()
        .filter(|c| {
            wanted.iter().any(|(kind, value)| match kind.as_str() {
                "phone" => {
                    contact_values(c, "phone").any(|p| phone_digits(p) == phone_digits(value))
                }
                _ => contact_values(c, kind).any(|v| v.eq_ignore_ascii_case(value)),
            })
        })
        .cloned()
        .collect();
    ok(Value::Array(found))
}

/// `GET /api/v3/contractor/{id}` and the typed variants (§3).
pub(crate) async fn get_any(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    fetch(&s, &id, None)
}
pub(crate) async fn get_human(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    fetch(&s, &id, Some(HUMAN))
}
pub(crate) async fn get_company(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    fetch(&s, &id, Some(COMPANY))
}

fn fetch(s: &Shared, id: &str, kind: Option<&str>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Клиент"))?;
    let c = s.store().contractors.get(&id).cloned();
    match c {
        Some(c) if kind.is_none_or(|k| c["contentType"] == k) => ok(c),
        _ => Err(ApiError::not_found("Клиент")),
    }
}

/// Checks shared by create and update: contact info, responsibles, extra fields (§3).
fn validate(s: &Shared, body: &Value, creating: bool, kind: &str) -> Result<(), ApiError> {
    check_typed(body, "")?;
    if let Some(items) = body.get("contactInfo") {
        let items = items
            .as_array()
            .ok_or_else(|| ApiError::invalid("contactInfo", "contactInfo must be an array"))?;
        for ci in items {
            if ci["contentType"] != "ContactInfo"
                || !ci["type"]
                    .as_str()
                    .is_some_and(|t| CONTACT_TYPES.contains(&t))
            {
                return Err(ApiError::invalid("contactInfo", "Неверный тип контакта"));
            }
            if !ci["value"].is_string() {
                return Err(ApiError::invalid("contactInfo", "Контакт без значения"));
            }
        }
    }
    let store = s.store();
    if let Some(rs) = body.get("responsibles") {
        for r in rs
            .as_array()
            .ok_or_else(|| ApiError::invalid("responsibles", "responsibles must be an array"))?
        {
            let (_, id) = parse_link(r, "responsibles", &["Employee"])?;
            if !store.employee_exists(id) {
                return Err(ApiError::invalid(
                    "responsibles",
                    format!("Сотрудник {id} не найден"),
                ));
            }
        }
    }
    if creating {
        let name = |k: &str| body[k].as_str().is_some_and(|v| !v.trim().is_empty());
        if kind == COMPANY && !name("name") {
            return Err(ApiError::invalid("name", "Поле name обязательно"));
        }
        if super::inferred::HUMAN_NEEDS_A_NAME
            && kind == HUMAN
            && !["firstName", "lastName", "middleName", "name"]
                .iter()
                .any(|k| name(k))
        {
            return Err(ApiError::invalid("firstName", "Укажите имя или фамилию"));
        }
        for f in &store.contractor_extra_fields {
            let field = f["name"].as_str().unwrap_or("");
            if f["isRequired"] == true && body.get(field).is_none_or(|v| v.is_null() || v == "") {
                return Err(ApiError::invalid(
                    field,
                    format!(
                        "Обязательное поле «{}» не заполнено",
                        f["hrName"].as_str().unwrap_or(field)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `POST /api/v3/contractorHuman` (§3 Create).
pub(crate) async fn create_human(State(s): State<Shared>, body: Bytes) -> ApiResult {
    create(&s, body, HUMAN)
}

/// `POST /api/v3/contractorCompany` (§3 Create).
pub(crate) async fn create_company(State(s): State<Shared>, body: Bytes) -> ApiResult {
    create(&s, body, COMPANY)
}

fn create(s: &Shared, body: Bytes, kind: &str) -> ApiResult {
    let mut body = body_json(&body)?;
    require_content_type(&body, &[kind])?;
    validate(s, &body, true, kind)?;
    normalize_ids(&mut body);
    let created = {
        let mut store = s.store();
        let id = store.next_id("contractor");
        let obj = body.as_object_mut().expect("typed body is an object");
        obj.insert("id".into(), json!(id.to_string()));
        obj.entry("contactInfo").or_insert(json!([]));
        obj.entry("responsibles").or_insert(json!([]));
        obj.insert("timeCreated".into(), now());
        if kind == HUMAN {
            // `name` may be empty right after create (TS, §3): keep what was sent.
            obj.entry("name").or_insert(json!(""));
        }
        store.contractors.insert(id, body.clone());
        body
    };
    s.emit("on_after_create", kind, &created);
    ok(created)
}

/// `POST /api/v3/contractorHuman/{id}` partial update (§3 Update).
pub(crate) async fn update_human(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    update(&s, &id, body, HUMAN)
}

/// `POST /api/v3/contractorCompany/{id}` partial update (§3 Update).
pub(crate) async fn update_company(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    update(&s, &id, body, COMPANY)
}

fn update(s: &Shared, id: &str, body: Bytes, kind: &str) -> ApiResult {
    let mut body = body_json(&body)?;
    require_content_type(&body, &[kind])?;
    validate(s, &body, false, kind)?;
    normalize_ids(&mut body);
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Клиент"))?;
    let updated = {
        let mut store = s.store();
        let c = store
            .contractors
            .get_mut(&id)
            .filter(|c| c["contentType"] == kind)
            .ok_or_else(|| ApiError::not_found("Клиент"))?;
        super::wire::merge(c, &body);
        c.clone()
    };
    s.emit("on_after_update", kind, &updated);
    ok(updated)
}

/// `GET /api/v3/contractorHuman|contractorCompany/extraFields` (§3 catalogue).
pub(crate) async fn extra_fields(State(s): State<Shared>) -> ApiResult {
    ok(Value::Array(s.store().contractor_extra_fields.clone()))
}

pub(crate) fn now() -> Value {
    json!({"contentType":"DateTime","value":chrono::Utc::now().fixed_offset().to_rfc3339()})
}
