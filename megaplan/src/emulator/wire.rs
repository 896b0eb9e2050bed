//! The v3 wire conventions as the server sees them: envelope, JSON-in-query, typed JSON checks, pagination
//! (megaplan-api.md "What a faithful Megaplan emulator must implement" items 3, 4, 6, 7).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

/// An error answer in the envelope: `{"meta":{"status","errors":[{"field","message"}]},"data":null}` (§0).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub field: Option<String>,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            field: field.map(str::to_string),
            message: message.into(),
            retry_after: None,
        }
    }
    /// 422 with the offending field, the "bad request" of v3 (§0).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Some(field), message)
    }
    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, None, format!("{what} не найден"))
    }
    pub fn unauthorized(message: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, None, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"meta":{"status":self.status.as_u16(),
            "errors":[{"field":self.field,"message":self.message}]},"data":super::inferred::ERROR_DATA});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// `{"meta":{"status":200,"errors":[]},"data":…}` for one entity or a whole small list.
pub fn ok(data: Value) -> ApiResult {
    Ok(axum::Json(json!({"meta":{"status":200,"errors":[]},"data":data})).into_response())
}

/// Parses the JSON object after `?`: `+` is a space, then percent-decoding (item 3).
pub fn query_json(raw: Option<&str>) -> Result<Value, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(Value::Object(Map::new()));
    };
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy();
    if decoded.trim_start().starts_with('{') {
        return serde_json::from_str(&decoded).map_err(|e| {
            ApiError::invalid("query", format!("Некорректный JSON в параметрах: {e}"))
        });
    }
    if !super::inferred::PLAIN_QUERY_PARAMS_ACCEPTED {
        return Err(ApiError::invalid("query", "Ожидается JSON"));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap_or_default();
    Ok(Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    ))
}

/// A POST body must be one JSON value (item 3).
pub fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid("body", "Пустое тело запроса"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("body", format!("Некорректный JSON: {e}")))
}

/// Ids are accepted as strings or ints (§0).
pub fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The `contentType` must be present and one of `allowed`, else 422 like the real service (item 6).
pub fn require_content_type(body: &Value, allowed: &[&str]) -> Result<String, ApiError> {
    match body.get("contentType").and_then(Value::as_str) {
        None => Err(ApiError::invalid(
            "contentType",
            format!("Не указан contentType, ожидается {}", allowed.join("|")),
        )),
        Some(ct) if allowed.contains(&ct) => Ok(ct.to_string()),
        Some(ct) => Err(ApiError::invalid(
            "contentType",
            format!("'{ct}' is not assignable to '{}'", allowed.join("|")),
        )),
    }
}

/// Every object in a request must be typed; value types must be well-formed (items 6; PYSDK 'stdClass' 422).
pub fn check_typed(v: &Value, path: &str) -> Result<(), ApiError> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_typed(item, &format!("{path}[{i}]"))),
        Value::Object(obj) => {
            let ct = obj
                .get("contentType")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::invalid(
                        path,
                        format!("'stdClass' is not assignable to a typed value at {path}"),
                    )
                })?;
            match ct {
                "DateTime" => check_datetime(obj, path)?,
                "DateOnly" => check_date_only(obj, path)?,
                "Money"
                    if !obj.get("value").is_some_and(|v| {
                        v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok())
                    }) =>
                {
                    return Err(ApiError::invalid(path, "Money.value must be a number"));
                }
                _ => {}
            }
            obj.iter()
                .filter(|(k, _)| k.as_str() != "contentType")
                .try_for_each(|(k, v)| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    check_typed(v, &p)
                })
        }
        _ => Ok(()),
    }
}

fn check_datetime(obj: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    let ok = obj
        .get("value")
        .and_then(Value::as_str)
        .and_then(crate::types::DateTime::parse_value)
        .is_some();
    ok.then_some(())
        .ok_or_else(|| ApiError::invalid(path, "DateTime.value must be ISO-8601"))
}

fn check_date_only(obj: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    let n = |k: &str| obj.get(k).and_then(Value::as_i64);
    let valid = match (n("year"), n("month"), n("day")) {
        // month is 0-based (§0): 0..=11.
        (Some(y), Some(m), Some(d)) if (0..=11).contains(&m) => {
            chrono::NaiveDate::from_ymd_opt(y as i32, m as u32 + 1, d as u32).is_some()
        }
        _ => false,
    };
    valid
        .then_some(())
        .ok_or_else(|| ApiError::invalid(path, "DateOnly needs year, month (0-11) and day"))
}

/// A link entity in `body[field]`, if present: `(contentType, id)` checked against `allowed`.
pub fn link_field(
    body: &Value,
    field: &str,
    allowed: &[&str],
) -> Result<Option<(String, u64)>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => parse_link(v, field, allowed).map(Some),
    }
}

pub fn parse_link(v: &Value, field: &str, allowed: &[&str]) -> Result<(String, u64), ApiError> {
    let ct = v.get("contentType").and_then(Value::as_str).unwrap_or("");
    if !allowed.contains(&ct) {
        return Err(ApiError::invalid(
            field,
            format!("'{ct}' is not assignable to '{}'", allowed.join("|")),
        ));
    }
    let id = v
        .get("id")
        .and_then(id_of)
        .ok_or_else(|| ApiError::invalid(field, "Ссылка без id"))?;
    Ok((ct.to_string(), id))
}

/// Ids in a stored entity are strings, as Megaplan answers (§0).
pub fn normalize_ids(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(normalize_ids),
        Value::Object(obj) => {
            if let Some(id) = obj.get_mut("id")
                && let Value::Number(n) = id
            {
                *id = Value::String(n.to_string());
            }
            obj.values_mut().for_each(normalize_ids);
        }
        _ => {}
    }
}

/// Copies `patch` onto `target`, skipping `id`, so updates are partial (§3 Update).
pub fn merge(target: &mut Value, patch: &Value) {
    if let (Some(t), Some(p)) = (target.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            if k != "id" {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `sortBy` items need `fieldName`; a `field` key gives 422 (§0, PYSDK).
pub fn check_list_params(q: &Value) -> Result<(), ApiError> {
    if let Some(sort) = q.get("sortBy") {
        let items = sort
            .as_array()
            .ok_or_else(|| ApiError::invalid("sortBy", "sortBy must be an array"))?;
        if items
            .iter()
            .any(|s| s.get("fieldName").and_then(Value::as_str).is_none())
        {
            return Err(ApiError::invalid("sortBy", "SortField requires fieldName"));
        }
    }
    if let Some(limit) = q.get("limit")
        && limit.as_u64().is_none_or(|l| l == 0)
    {
        return Err(ApiError::invalid(
            "limit",
            "limit must be a positive integer",
        ));
    }
    Ok(())
}

use super::inferred::MAX_PAGE_LIMIT as MAX_LIMIT;

/// A page of `items` (sorted by id) per `limit` and `pageAfter`, with `meta.pagination` (item 7).
pub fn paginate(items: Vec<Value>, q: &Value) -> ApiResult {
    check_list_params(q)?;
    let limit = q
        .get("limit")
        .and_then(Value::as_u64)
        .map(|l| (l as usize).min(MAX_LIMIT))
        .unwrap_or(MAX_LIMIT);
    let start = match q.get("pageAfter") {
        None | Some(Value::Null) => 0,
        Some(link) => {
            let after = link
                .get("id")
                .and_then(id_of)
                .ok_or_else(|| ApiError::invalid("pageAfter", "pageAfter must be a link entity"))?;
            items
                .iter()
                .position(|i| i.get("id").and_then(id_of).is_some_and(|id| id > after))
                .unwrap_or(items.len())
        }
    };
    let total = items.len();
    let end = (start + limit).min(total);
    let fields: Option<Vec<String>> = q
        .get("onlyRequestedFields")
        .and_then(Value::as_bool)
        .filter(|b| *b)
        .and_then(|_| q.get("fields"))
        .and_then(|f| serde_json::from_value(f.clone()).ok());
    let page: Vec<Value> = items[start..end]
        .iter()
        .map(|item| match &fields {
            Some(fields) => only_fields(item, fields),
            None => item.clone(),
        })
        .collect();
    let body = json!({"meta":{"status":200,"errors":[],"pagination":{
        "count": total, "limit": limit, "hasMoreNext": end < total, "hasMorePrev": start > 0}},
        "data": page});
    Ok(axum::Json(body).into_response())
}

fn only_fields(item: &Value, fields: &[String]) -> Value {
    let Some(obj) = item.as_object() else {
        return item.clone();
    };
    Value::Object(
        obj.iter()
            .filter(|(k, _)| {
                k.as_str() == "contentType" || k.as_str() == "id" || fields.contains(k)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plus_is_a_space_and_percent_escapes_are_decoded() {
        let v = query_json(Some("%7B%22q%22%3A%22a+b%2Bc%22%7D")).unwrap();
        assert_eq!(v["q"], "a b+c");
    }

    proptest! {
        /// Any query string is a JSON object, string parameters or a 422, never a panic.
        #[test]
        fn any_query_string_is_handled(raw in ".{0,200}") {
            let _ = query_json(Some(&raw));
        }

        /// Any JSON value is either accepted or a typed 422 by the typed-JSON check.
        #[test]
        fn any_body_gets_a_verdict(raw in "[\\[\\]{}\":,a-zA-Z0-9 ]{0,120}") {
            if let Ok(v) = serde_json::from_str::<Value>(&raw) {
                let _ = check_typed(&v, "");
            }
        }
    }
}
