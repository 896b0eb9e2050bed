//! File upload and public share links (megaplan-api.md §0 "Files").

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Body, Client, Request};
use crate::error::{Error, Result};
use crate::types::{Id, Link};

/// A stored file; reference it as `{"contentType":"File","id":..}` (§0).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct File {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
}

impl File {
    pub fn link(&self) -> Link {
        Link::new("File", self.id.clone())
    }
}

/// A multipart/form-data body with one `files[]` part; built by hand to keep reqwest features small.
fn multipart(file_name: &str, mime: &str, content: &[u8]) -> (String, Bytes) {
    let boundary = format!("mp-boundary-{:016x}", rand_u64(content));
    let safe_name = file_name.replace(['"', '\r', '\n'], "_");
    let mut b = BytesMut::new();
    b.put_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files[]\"; filename=\"{safe_name}\"\r\nContent-Type: {mime}\r\n\r\n").as_bytes());
    b.put_slice(content);
    b.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        b.freeze(),
    )
}

/// A boundary seed from the content and the clock; collisions only matter if the content contains it.
fn rand_u64(content: &[u8]) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one((content.len(), std::time::SystemTime::now()))
}

impl Client {
    /// `POST /api/file` (not under /api/v3), multipart field `files[]` (§0 Files; GO, TS).
    pub async fn upload_file(&self, file_name: &str, mime: &str, content: &[u8]) -> Result<File> {
        let (content_type, bytes) = multipart(file_name, mime, content);
        let req = Request {
            method: reqwest::Method::POST,
            path: "api/file".into(),
            query: None,
            body: Body::Multipart {
                content_type,
                bytes,
            },
            timeout: None,
        };
        // `files[]` may answer one File or an array of them (inferred): accept both.
        let data: Value = self.call(req).await?;
        let file = match data {
            Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            other => other,
        };
        serde_json::from_value(file.clone())
            .map_err(|e| Error::decode(format!("File: {e}"), file.to_string().as_bytes()))
    }

    /// `GET /api/v3/attache/shareUrl/{id}` → `data.link` (§0 Files).
    pub async fn share_url(&self, file: &Id) -> Result<String> {
        #[derive(Deserialize)]
        struct Share {
            link: String,
        }
        let s: Share = self
            .call(Request::get(
                format!("api/v3/attache/shareUrl/{file}"),
                None,
            ))
            .await?;
        Ok(s.link)
    }
}
