//! `get.*` semantics: period, `filter`, `sort`, `limit`/`offset`, `fields` (uis-api.md §2).

use std::cmp::Ordering;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::rpc::{Fail, MethodResult};
use crate::rpc::Mnemonic;

/// Longest report period UIS accepts (3 months).
const MAX_PERIOD_DAYS: i64 = 92;

pub(crate) struct Period {
    pub from: NaiveDateTime,
    pub till: NaiveDateTime,
}

/// `date_from`/`date_till`, required for reports; `max_days` for chat messages is 30.
pub(crate) fn period(params: &Map<String, Value>, max_days: Option<i64>) -> Result<Period, Fail> {
    let read = |name: &str| -> Result<NaiveDateTime, Fail> {
        let raw = params.get(name).ok_or_else(|| Fail::missing(name))?;
        raw.as_str()
            .and_then(|s| NaiveDateTime::parse_from_str(s, crate::time::FORMAT).ok())
            .ok_or_else(|| {
                Fail::field(
                    Mnemonic::Other("invalid_date_time".into()),
                    name,
                    format!("Invalid date time in {name}"),
                )
            })
    };
    let (from, till) = (read("date_from")?, read("date_till")?);
    if till < from {
        return Err(Fail::invalid("date_till"));
    }
    if (till - from).num_days() > max_days.unwrap_or(MAX_PERIOD_DAYS) {
        return Err(Fail::field(
            Mnemonic::DateIntervalLimitReached,
            "date_till",
            "Date interval limit reached",
        ));
    }
    Ok(Period { from, till })
}

/// Applies filter, sort, paging and projection; answers `{data, metadata:{total_items}}`.
pub(crate) fn select<T: Serialize>(
    rows: &[T],
    params: &Map<String, Value>,
    period: Option<(&Period, &str)>,
) -> MethodResult {
    let mut rows: Vec<Map<String, Value>> = rows
        .iter()
        .filter_map(|r| match serde_json::to_value(r) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    if let Some((p, field)) = period {
        let (from, till) = (crate::time::format(p.from), crate::time::format(p.till));
        rows.retain(|r| {
            r.get(field)
                .and_then(Value::as_str)
                .is_some_and(|t| t >= from.as_str() && t <= till.as_str())
        });
    }
    if let Some(filter) = params.get("filter") {
        let mut kept = Vec::new();
        for r in rows {
            if matches(&r, filter)? {
                kept.push(r);
            }
        }
        rows = kept;
    }
    if let Some(sort) = params.get("sort") {
        let keys: Vec<(String, bool)> = sort
            .as_array()
            .ok_or_else(|| Fail::invalid("sort"))?
            .iter()
            .map(|s| {
                let field = s
                    .get("field")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Fail::invalid("sort"))?;
                let desc = s.get("order").and_then(Value::as_str) == Some("desc");
                Ok((field.to_string(), desc))
            })
            .collect::<Result<_, Fail>>()?;
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|(f, desc)| {
                    let o = compare(
                        a.get(f).unwrap_or(&Value::Null),
                        b.get(f).unwrap_or(&Value::Null),
                    );
                    if *desc { o.reverse() } else { o }
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
    }
    let total = rows.len();
    let limit = uint(params, "limit", 1000, 10_000)?;
    let offset = uint(params, "offset", 0, 100_000)?;
    let fields: Option<Vec<String>> = match params.get("fields") {
        None => None,
        Some(Value::Array(f)) => Some(
            f.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
        ),
        Some(_) => {
            return Err(Fail::field(
                Mnemonic::DataTypeError,
                "fields",
                "fields must be an array",
            ));
        }
    };
    let data: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|mut r| match &fields {
            Some(f) => Value::Object(
                f.iter()
                    .map(|k| (k.clone(), r.remove(k).unwrap_or(Value::Null)))
                    .collect(),
            ),
            None => Value::Object(r),
        })
        .collect();
    Ok(json!({"data": data, "metadata": {"total_items": total}}))
}

fn uint(
    params: &Map<String, Value>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Fail> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if n as usize <= max => Ok(n as usize),
            Some(_) => Err(Fail::invalid(name)),
            None => Err(Fail::field(
                Mnemonic::DataTypeError,
                name,
                format!("{name} must be an integer"),
            )),
        },
    }
}

fn matches(row: &Map<String, Value>, filter: &Value) -> Result<bool, Fail> {
    if let Some(filters) = filter.get("filters") {
        let list = filters.as_array().ok_or_else(|| Fail::invalid("filter"))?;
        let or = filter.get("condition").and_then(Value::as_str) == Some("or");
        let mut results = Vec::with_capacity(list.len());
        for f in list {
            results.push(matches(row, f)?);
        }
        return Ok(if or {
            results.iter().any(|x| *x)
        } else {
            results.iter().all(|x| *x)
        });
    }
    let field = filter
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::invalid("filter"))?;
    let op = filter
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| Fail::invalid("filter"))?;
    let value = filter.get("value").unwrap_or(&Value::Null);
    let actual = row.get(field).unwrap_or(&Value::Null);
    let list = || value.as_array().cloned().unwrap_or_default();
    Ok(match op {
        "=" => compare(actual, value) == Ordering::Equal,
        "!=" => compare(actual, value) != Ordering::Equal,
        "<" => compare(actual, value) == Ordering::Less,
        ">" => compare(actual, value) == Ordering::Greater,
        "<=" => compare(actual, value) != Ordering::Greater,
        ">=" => compare(actual, value) != Ordering::Less,
        "in" => list().iter().any(|v| compare(actual, v) == Ordering::Equal),
        "not_in" => !list().iter().any(|v| compare(actual, v) == Ordering::Equal),
        "like" | "ilike" => {
            let pattern = value.as_str().unwrap_or_default().replace('%', "");
            let text = text(actual);
            if op == "ilike" {
                text.to_lowercase().contains(&pattern.to_lowercase())
            } else {
                text.contains(&pattern)
            }
        }
        "is_null" => actual.is_null(),
        "is_not_null" => !actual.is_null(),
        _ => {
            return Err(Fail::field(
                Mnemonic::InvalidParameterValue,
                "filter",
                format!("Unsupported operator {op}"),
            ));
        }
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => text(a).cmp(&text(b)),
    }
}
