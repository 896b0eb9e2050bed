//! Comments on clients, deals and todos, both body shapes (item 11; megaplan-api.md §7).

use axum::http::StatusCode;
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{Value, json};

use super::Shared;
use super::contractors::now;
use super::wire::{
    ApiError, ApiResult, body_json, check_typed, normalize_ids, ok, paginate, query_json,
    require_content_type,
};

/// The stored owner type of a `{resource}` path segment.
pub(crate) fn owner_type(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "contractor" => "Contractor",
        "contractorHuman" => "ContractorHuman",
        "contractorCompany" => "ContractorCompany",
        "deal" => "Deal",
        "todo" => "Todo",
        "callInfo" => "CallInfo",
        _ => return None,
    })
}

/// `POST /api/v3/{owner}/{id}/comments` with a `Comment` or `CommentCreateActionRequest` body (§7).
pub(crate) async fn create(s: Shared, resource: &str, id: String, body: Bytes) -> ApiResult {
    let owner = owner_type(resource).ok_or_else(|| ApiError::not_found("Ресурс"))?;
    let owner_id: u64 = id.parse().map_err(|_| ApiError::not_found(owner))?;
    if !s.store().exists(owner, owner_id) {
        return Err(ApiError::not_found(owner));
    }
    if owner.starts_with("Contractor")
        && s.faults
            .state
            .lock()
            .expect("faults")
            .contractor_comments_fail
    {
        // PYSDK: "Contractor comments are not supported by Megaplan API (returns 500)" (§7).
        return Ok(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "Internal Server Error",
        )
        .into_response());
    }
    let body = body_json(&body)?;
    let ct = require_content_type(&body, &["Comment", "CommentCreateActionRequest"])?;
    check_typed(&body, "")?;
    let mut comment = if ct == "Comment" {
        body
    } else {
        body["comment"].clone()
    };
    if comment["contentType"] != "Comment" {
        return Err(ApiError::invalid("comment", "Ожидается Comment"));
    }
    if comment["content"]
        .as_str()
        .is_none_or(|c| c.trim().is_empty())
    {
        return Err(ApiError::invalid("content", "Пустой комментарий"));
    }
    normalize_ids(&mut comment);
    let stored = {
        let mut store = s.store();
        if let Some(files) = comment["attaches"].as_array() {
            for f in files {
                let fid = f.get("id").and_then(super::wire::id_of).unwrap_or(0);
                if f["contentType"] != "File" || !store.files.contains_key(&fid) {
                    return Err(ApiError::invalid("attaches", "Файл не найден"));
                }
            }
        }
        let id = store.next_id("comment");
        // `Contractor` comments land on the concrete client type.
        let subject_type = if owner == "Contractor" {
            store.contractors[&owner_id]["contentType"]
                .as_str()
                .unwrap_or(owner)
                .to_string()
        } else {
            owner.to_string()
        };
        let obj = comment.as_object_mut().expect("typed body is an object");
        obj.insert("id".into(), json!(id.to_string()));
        obj.insert(
            "subject".into(),
            json!({"contentType":subject_type,"id":owner_id.to_string()}),
        );
        obj.insert("timeCreated".into(), now());
        obj.entry("attaches").or_insert(json!([]));
        store.comments.insert(id, comment.clone());
        comment
    };
    ok(stored)
}

/// `GET /api/v3/{owner}/{id}/comments` (§7 dedupe by scanning).
pub(crate) async fn list(
    s: Shared,
    resource: &str,
    id: String,
    raw_q: Option<String>,
) -> ApiResult {
    let q = query_json(raw_q.as_deref())?;
    let owner = owner_type(resource).ok_or_else(|| ApiError::not_found("Ресурс"))?;
    let owner_id = id.clone();
    let items: Vec<Value> = s
        .store()
        .comments
        .values()
        .filter(|c| c["subject"]["id"] == owner_id.as_str())
        .filter(|c| owner == "Contractor" || c["subject"]["contentType"] == owner)
        .cloned()
        .collect();
    paginate(items, &q)
}
