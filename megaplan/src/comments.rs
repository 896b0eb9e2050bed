//! Comments into the journal of a client, deal or todo (megaplan-api.md §7).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, HasLink, Request};
use crate::error::Result;
use crate::todos::resource_of;
use crate::types::{Id, Link};

/// A journal comment; `content` is HTML (§7).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub id: Id,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub attaches: Vec<Link>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl HasLink for Comment {
    fn link(&self) -> Link {
        Link::new("Comment", self.id.clone())
    }
}

/// Escapes user text for the HTML `content` of a comment (§7: "escape user text").
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

impl Client {
    /// `POST /api/v3/{contractor|contractorHuman|contractorCompany|deal|todo}/{id}/comments` (§7, `Comment` body).
    pub async fn add_comment(&self, owner: &Link, html: &str, attaches: &[Id]) -> Result<Comment> {
        let attaches: Vec<Link> = attaches
            .iter()
            .map(|id| Link::new("File", id.clone()))
            .collect();
        let body = json!({"contentType":"Comment","content":html,"attaches":attaches});
        let path = format!("api/v3/{}/{}/comments", resource_of(owner), owner.id);
        self.call(Request::post(path, body)).await
    }

    /// `GET /api/v3/{owner}/{id}/comments`, every page (§7 dedupe by marker).
    pub async fn comments(&self, owner: &Link) -> Result<Vec<Comment>> {
        let path = format!("api/v3/{}/{}/comments", resource_of(owner), owner.id);
        self.list_all(&path, Map::new()).await
    }
}
