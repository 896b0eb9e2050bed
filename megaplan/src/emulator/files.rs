//! File upload and share links (item 16; megaplan-api.md §0 Files).

use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::store::StoredFile;
use super::wire::{ApiError, ApiResult, ok};

/// `POST /api/file` (multipart `files[]`) → File[] (§0; answering an array is inferred).
pub(crate) async fn upload(State(s): State<Shared>, mut mp: Multipart) -> ApiResult {
    let mut out = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::invalid("files", format!("Некорректный multipart: {e}")))?
    {
        if field.name() != Some("files[]") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_string();
        let mime = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::invalid("files", e.to_string()))?;
        let mut store = s.store();
        let id = store.next_id("file");
        let size = bytes.len();
        store.files.insert(
            id,
            StoredFile {
                name: name.clone(),
                mime: mime.clone(),
                bytes: bytes.to_vec(),
            },
        );
        out.push(json!({"contentType":"File","id":id.to_string(),"name":name,"mimeType":mime,"size":size}));
    }
    if out.is_empty() {
        return Err(ApiError::invalid(
            "files",
            "Не передан ни один файл (files[])",
        ));
    }
    if super::inferred::FILE_UPLOAD_ANSWERS_ARRAY {
        ok(Value::Array(out))
    } else {
        ok(out.swap_remove(0))
    }
}

/// `GET /api/v3/attache/shareUrl/{id}` → `data.link` (§0 Files).
pub(crate) async fn share_url(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let id: u64 = id.parse().map_err(|_| ApiError::not_found("Файл"))?;
    if !s.store().files.contains_key(&id) {
        return Err(ApiError::not_found("Файл"));
    }
    let link = s
        .base_url
        .join(&format!("shared/file/{id}"))
        .map_err(|e| ApiError::invalid("id", e.to_string()))?;
    ok(json!({"link": link.as_str()}))
}

/// The public link itself, so a browser in demo mode can open what was shared.
pub(crate) async fn shared_file(State(s): State<Shared>, Path(id): Path<u64>) -> Response {
    match s.store().files.get(&id) {
        Some(f) => ([(header::CONTENT_TYPE, f.mime.clone())], f.bytes.clone()).into_response(),
        None => ApiError::not_found("Файл").into_response(),
    }
}
