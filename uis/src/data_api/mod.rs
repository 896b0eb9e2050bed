//! Data API client (`https://dataapi.uiscom.ru/v2.0`, JSON-RPC 2.0 with `access_token`, uis-api.md §2).

mod types;

pub use types::*;

use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{self, RpcTransport};
use crate::error::{Error, Result};
use crate::rpc::Limits;
use crate::{RetryPolicy, time};

pub const DEFAULT_URL: &str = "https://dataapi.uiscom.ru/v2.0";

/// `filter`: a condition or a tree of them (uis-api.md §2 `get.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Filter {
    Group {
        filters: Vec<Filter>,
        condition: String,
    },
    Condition {
        field: String,
        operator: String,
        value: Value,
    },
}

impl Filter {
    pub fn eq(field: &str, value: impl Into<Value>) -> Filter {
        Filter::cond(field, "=", value)
    }

    pub fn in_list(field: &str, values: impl Into<Value>) -> Filter {
        Filter::cond(field, "in", values)
    }

    pub fn cond(field: &str, operator: &str, value: impl Into<Value>) -> Filter {
        Filter::Condition {
            field: field.into(),
            operator: operator.into(),
            value: value.into(),
        }
    }

    pub fn and(filters: Vec<Filter>) -> Filter {
        Filter::Group {
            filters,
            condition: "and".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sort {
    pub field: String,
    /// `asc` | `desc`
    pub order: String,
}

/// Parameters of a `get.*` method; unknown extras (e.g. `chat_id`) go to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_till: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<Vec<Sort>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Query {
    /// A report period in the account's local time (UIS limits it to 3 months).
    pub fn period(from: NaiveDateTime, till: NaiveDateTime) -> Query {
        Query {
            date_from: Some(time::format(from)),
            date_till: Some(time::format(till)),
            ..Query::default()
        }
    }

    pub fn filter(mut self, filter: Filter) -> Query {
        self.filter = Some(filter);
        self
    }

    pub fn fields(mut self, fields: &[&str]) -> Query {
        self.fields = Some(fields.iter().map(|f| f.to_string()).collect());
        self
    }

    pub fn page(mut self, limit: u32, offset: u32) -> Query {
        self.limit = Some(limit);
        self.offset = Some(offset);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Query {
        self.extra.insert(key.into(), value.into());
        self
    }
}

/// `result.data` plus `metadata.total_items` of a `get.*` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total_items: Option<u64>,
}

pub struct DataApiClient {
    rpc: RpcTransport,
    access_token: String,
}

impl DataApiClient {
    /// `base_url` is the endpoint (`https://dataapi.uiscom.ru/v2.0`) or just the host.
    pub fn new(base_url: &str, access_token: impl Into<String>) -> Result<Self> {
        Ok(DataApiClient {
            rpc: RpcTransport::new(client::endpoint(base_url, "/v2.0")?),
            access_token: access_token.into(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.rpc.set_retry(retry);
        self
    }

    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.rpc.set_http(http);
        self
    }

    pub fn url(&self) -> &url::Url {
        self.rpc.url()
    }

    /// `metadata.limits` of the last successful call.
    pub fn limits(&self) -> Option<Limits> {
        self.rpc.limits()
    }

    /// Any method, params as given plus `access_token`; returns the whole `result`.
    pub async fn call_raw(&self, method: &str, mut params: Map<String, Value>) -> Result<Value> {
        params.insert(
            "access_token".into(),
            Value::String(self.access_token.clone()),
        );
        self.rpc.call(method, params).await
    }

    async fn get<T: DeserializeOwned>(&self, method: &str, query: &Query) -> Result<Page<T>> {
        let result = self
            .call_raw(method, client::to_params(method, query)?)
            .await?;
        let total_items = result
            .pointer("/metadata/total_items")
            .and_then(Value::as_u64);
        let data = client::data(method, result)?;
        Ok(Page { data, total_items })
    }

    /// Every page of a `get.*` method (offset paging, UIS caps `limit` at 10 000).
    async fn get_all<T: DeserializeOwned>(&self, method: &str, query: &Query) -> Result<Vec<T>> {
        let limit = query.limit.unwrap_or(1000).max(1);
        let mut offset = query.offset.unwrap_or(0);
        let mut all = Vec::new();
        loop {
            let page: Page<T> = self.get(method, &query.clone().page(limit, offset)).await?;
            let got = page.data.len() as u32;
            all.extend(page.data);
            offset += got;
            // Without total_items, a short page is the only sign of the end.
            if got < limit || page.total_items.is_some_and(|t| u64::from(offset) >= t) {
                return Ok(all);
            }
        }
    }

    pub async fn get_employees(&self, query: &Query) -> Result<Page<Employee>> {
        self.get("get.employees", query).await
    }

    /// All employees, every page.
    pub async fn employees(&self) -> Result<Vec<Employee>> {
        self.get_all("get.employees", &Query::default()).await
    }

    /// One employee by id; `None` when UIS has no such employee (deleted in UIS).
    pub async fn employee(&self, id: i64) -> Result<Option<Employee>> {
        let page = self
            .get_employees(&Query::default().filter(Filter::eq("id", id)))
            .await?;
        Ok(page.data.into_iter().find(|e| e.id == id))
    }

    /// Creates an employee and returns its id (accepts both documented answer shapes).
    pub async fn create_employee(&self, employee: &NewEmployee) -> Result<i64> {
        let method = "create.employees";
        let result = self
            .call_raw(method, client::to_params(method, employee)?)
            .await?;
        result
            .pointer("/data/id")
            .or_else(|| result.get("id"))
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::Decode {
                method: method.into(),
                detail: format!("no id in {result}"),
            })
    }

    pub async fn update_employee(&self, update: &EmployeeUpdate) -> Result<()> {
        let method = "update.employees";
        self.call_raw(method, client::to_params(method, update)?)
            .await?;
        Ok(())
    }

    /// Sets an employee's status (e.g. the id of the `do_not_disturb` status).
    pub async fn set_employee_status(&self, employee_id: i64, status_id: i64) -> Result<()> {
        self.update_employee(&EmployeeUpdate {
            id: employee_id,
            status_id: Some(status_id),
            ..EmployeeUpdate::default()
        })
        .await
    }

    pub async fn get_statuses(&self) -> Result<Vec<Status>> {
        self.get_all("get.statuses", &Query::default()).await
    }

    pub async fn get_virtual_numbers(&self) -> Result<Vec<VirtualNumber>> {
        self.get_all("get.virtual_numbers", &Query::default()).await
    }

    pub async fn get_sites(&self) -> Result<Vec<Site>> {
        self.get_all("get.sites", &Query::default()).await
    }

    pub async fn get_tags(&self) -> Result<Vec<Tag>> {
        self.get_all("get.tags", &Query::default()).await
    }

    /// Calls of a period; `id` = `call_session_id`. Filter by id to reconcile one call.
    pub async fn get_calls_report(&self, query: &Query) -> Result<Page<CallReport>> {
        self.get("get.calls_report", query).await
    }

    pub async fn get_call_legs_report(&self, query: &Query) -> Result<Page<CallLegReport>> {
        self.get("get.call_legs_report", query).await
    }

    pub async fn get_chats_report(&self, query: &Query) -> Result<Page<ChatReport>> {
        self.get("get.chats_report", query).await
    }

    /// Messages of chats: pass `chat_id` via `Query::with("chat_id", id)` or a period.
    pub async fn get_chat_messages_report(&self, query: &Query) -> Result<Page<ChatMessage>> {
        self.get("get.chat_messages_report", query).await
    }

    pub async fn get_offline_messages_report(&self, query: &Query) -> Result<Page<OfflineMessage>> {
        self.get("get.offline_messages_report", query).await
    }
}
