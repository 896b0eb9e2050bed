//! Telephony: `CallInfo` (pop-up, updates, history, client link) and `callRoute` (megaplan-api.md §4, §8, §10).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, HasLink, Request};
use crate::employees::Employee;
use crate::error::Result;
use crate::types::{DateTime, Id, Link};

/// `type` ∈ unknown, in, out, miss, fail (§4 CallInfo fields, RAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    Unknown,
    In,
    Out,
    Miss,
    Fail,
}

/// `state` ∈ unknown, calling, talking, finished, hold (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    Unknown,
    Calling,
    Talking,
    Finished,
    Hold,
}

/// A call as Megaplan stores it (§4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInfo {
    pub id: Id,
    /// The provider's call id; Megaplan accepts any value, we read strings and numbers (§4).
    #[serde(default, deserialize_with = "crate::types::opt_string_or_number")]
    pub provider_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<CallType>,
    #[serde(default)]
    pub state: Option<CallState>,
    #[serde(default)]
    pub from_phone: Option<String>,
    #[serde(default)]
    pub to_phone: Option<String>,
    #[serde(default)]
    pub from_user: Option<Link>,
    #[serde(default)]
    pub to_user: Option<Link>,
    #[serde(default)]
    pub time_from: Option<DateTime>,
    #[serde(default)]
    pub time_to: Option<DateTime>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub record_links: Vec<String>,
}

impl HasLink for CallInfo {
    fn link(&self) -> Link {
        Link::new("CallInfo", self.id.clone())
    }
}

/// The fields we write on create, update and history; unset ones are left out (§8 examples).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInfoFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CallType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<CallState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_from: Option<DateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to: Option<DateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_links: Option<Vec<String>>,
}

fn call_body(fields: &CallInfoFields) -> Value {
    let mut v = serde_json::to_value(fields).expect("serialisable call");
    v["contentType"] = Value::from("CallInfo");
    v
}

/// `CallRoute`: whom to ring for a phone (§10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRoute {
    /// `responsible` | `random` | `all`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Seconds to wait for the employee.
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub employees: Vec<Employee>,
    /// Clients and employees owning the number.
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub users: Vec<Link>,
}

impl Client {
    /// `POST /api/v3/callInfo`: creates the call and pops the widget up (§8 "ring").
    pub async fn create_call_info(&self, fields: &CallInfoFields) -> Result<CallInfo> {
        tracing::trace!(target: "latency", stage = "card posted");
        self.call(Request::post("api/v3/callInfo", call_body(fields)))
            .await
    }

    /// `POST /api/v3/callInfo/{id}` by Megaplan id (§8 answer/hold/end).
    pub async fn update_call_info_by_id(
        &self,
        id: &Id,
        fields: &CallInfoFields,
    ) -> Result<CallInfo> {
        let mut body = call_body(fields);
        body["id"] = Value::from(id.as_str());
        self.call(Request::post(format!("api/v3/callInfo/{id}"), body))
            .await
    }

    /// `POST /api/v3/callInfo/provider`: updates the latest call with that `providerId` (§8).
    pub async fn update_call_info(
        &self,
        provider_id: &str,
        fields: &CallInfoFields,
    ) -> Result<CallInfo> {
        let mut body = call_body(fields);
        body["providerId"] = Value::from(provider_id);
        self.call(Request::post("api/v3/callInfo/provider", body))
            .await
    }

    /// `POST /api/v3/callInfo/history` (array): upserts finished calls, no widget event (§4 preferred path).
    pub async fn call_info_history(&self, calls: &[CallInfoFields]) -> Result<Vec<CallInfo>> {
        let body = Value::Array(calls.iter().map(call_body).collect());
        self.call(Request::post("api/v3/callInfo/history", body))
            .await
    }

    /// `POST /api/v3/callInfo/{id}/setContractor` with the contractor link as body (§4).
    pub async fn set_call_contractor(&self, call: &Id, contractor: &Link) -> Result<CallInfo> {
        let body = serde_json::to_value(contractor).expect("link");
        self.call(Request::post(
            format!("api/v3/callInfo/{call}/setContractor"),
            body,
        ))
        .await
    }

    /// `GET /api/v3/callInfo/{id}` (§4 Read back).
    pub async fn call_info(&self, id: &Id) -> Result<CallInfo> {
        self.call(Request::get(format!("api/v3/callInfo/{id}"), None))
            .await
    }

    /// `GET /api/v3/callInfo/provider?{"providerId":…}` (§4 Read back).
    pub async fn call_info_by_provider(&self, provider_id: &str) -> Result<CallInfo> {
        let q = json!({"providerId": provider_id});
        self.call(Request::get("api/v3/callInfo/provider", Some(q)))
            .await
    }

    /// `GET /api/v3/callInfo`, every page (§4).
    pub async fn call_infos(&self) -> Result<Vec<CallInfo>> {
        self.list_all("api/v3/callInfo", Map::new()).await
    }

    /// `GET /api/v3/callRoute?{"phone":…}`: the personal manager of a number (§10). Give the client a short timeout.
    pub async fn call_route(&self, phone: &str) -> Result<CallRoute> {
        let q = json!({"phone": phone});
        self.call(Request::get("api/v3/callRoute", Some(q))).await
    }

    /// `callRoute` with its own timeout, for the synchronous routing answer to the PBX (§10: ~1–2 s).
    pub async fn call_route_within(&self, phone: &str, timeout: Duration) -> Result<CallRoute> {
        let mut req = Request::get("api/v3/callRoute", Some(json!({"phone": phone})));
        req.timeout = Some(timeout);
        self.call(req).await
    }
}
