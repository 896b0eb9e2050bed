//! Todos ("Дела") and communications, their categories and statuses (megaplan-api.md §4–§5).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, HasLink, Request};
use crate::error::Result;
use crate::types::{DateOnly, DateTime, Id, Link};

/// `GET /api/v3/todoCategory` item; `masterType` ∈ event, meeting, call, todo, private (§4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TodoCategory {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub master_type: Option<String>,
}

/// `GET /api/v3/todoStatus` item; `masterType` ∈ scheduled, finished, success, fail, finish_without_result (§4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TodoStatus {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub master_type: Option<String>,
}

/// A Todo as read back (§5 fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Todo {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub responsible: Option<Link>,
    #[serde(default)]
    pub category: Option<Link>,
    #[serde(default)]
    pub status: Option<Link>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub relations: Vec<Link>,
    #[serde(default)]
    pub time_finished: Option<DateTime>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl HasLink for Todo {
    fn link(&self) -> Link {
        Link::new("Todo", self.id.clone())
    }
}

/// `when`: `IntervalTime` of typed DateTimes or `IntervalDates` of DateOnly (§5; the working form is `?`).
#[derive(Debug, Clone, Copy)]
pub enum TodoWhen {
    Time { from: DateTime, to: DateTime },
    Dates { from: DateOnly, to: DateOnly },
}

impl Serialize for TodoWhen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TodoWhen::Time { from, to } => {
                json!({"contentType":"IntervalTime","from":from,"to":to}).serialize(s)
            }
            TodoWhen::Dates { from, to } => {
                json!({"contentType":"IntervalDates","from":from,"to":to}).serialize(s)
            }
        }
    }
}

/// Body of `POST /api/v3/todo` and `POST /api/v3/{entity}/{id}/todos` (§4 example, §5).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTodo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<TodoWhen>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Link>,
}

fn todo_body(new: &NewTodo) -> Value {
    let mut v = serde_json::to_value(new).expect("serialisable todo");
    v["contentType"] = Value::from("Todo");
    v
}

/// The sub-resource name of an owner link, e.g. `ContractorHuman` → `contractorHuman`.
pub(crate) fn resource_of(link: &Link) -> String {
    let mut c = link.content_type.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Client {
    /// `GET /api/v3/todoCategory` (§4: pick the one with `masterType:"call"`).
    pub async fn todo_categories(&self) -> Result<Vec<TodoCategory>> {
        self.call(Request::get("api/v3/todoCategory", None)).await
    }

    /// `GET /api/v3/todoStatus` (§4).
    pub async fn todo_statuses(&self) -> Result<Vec<TodoStatus>> {
        self.call(Request::get("api/v3/todoStatus", None)).await
    }

    /// `POST /api/v3/todo`: a standalone todo, not attached to a deal (§5).
    pub async fn create_todo(&self, new: &NewTodo) -> Result<Todo> {
        self.call(Request::post("api/v3/todo", todo_body(new)))
            .await
    }

    /// `POST /api/v3/{contractorHuman|contractorCompany|deal|callInfo}/{id}/todos` (§4, §5 Binding).
    pub async fn create_todo_on(&self, owner: &Link, new: &NewTodo) -> Result<Todo> {
        let path = format!("api/v3/{}/{}/todos", resource_of(owner), owner.id);
        self.call(Request::post(path, todo_body(new))).await
    }

    /// `GET /api/v3/todo/{id}` (§5).
    pub async fn todo(&self, id: &Id) -> Result<Todo> {
        self.call(Request::get(format!("api/v3/todo/{id}"), None))
            .await
    }

    /// `POST /api/v3/todo/{id}` with `id` in the body, else Megaplan creates a new todo (§5 gotcha).
    pub async fn update_todo(&self, id: &Id, changes: Map<String, Value>) -> Result<Todo> {
        let mut body = changes;
        body.insert("contentType".into(), Value::from("Todo"));
        body.insert("id".into(), Value::from(id.as_str()));
        self.call(Request::post(
            format!("api/v3/todo/{id}"),
            Value::Object(body),
        ))
        .await
    }

    /// `POST /api/v3/todo/{id}/doAction` with `TodoFinishActionRequest` (§4 "Close it").
    pub async fn finish_todo(&self, id: &Id, status: &Id, result_text: &str) -> Result<Todo> {
        let body = json!({"contentType":"TodoFinishActionRequest",
            "status":{"contentType":"TodoStatus","id":status},"resultText":result_text});
        self.call(Request::post(format!("api/v3/todo/{id}/doAction"), body))
            .await
    }
}
