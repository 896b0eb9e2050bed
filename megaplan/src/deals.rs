//! Programs (schemes) with states, and deals in them (megaplan-api.md §6).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Client, HasLink, Request};
use crate::contractors::ExtraField;
use crate::error::Result;
use crate::types::{Id, Link, Money};

/// A scheme ("Program"), with states when read by id (§6).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Program {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub states: Vec<ProgramState>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub transitions: Vec<ProgramTransition>,
}

impl HasLink for Program {
    fn link(&self) -> Link {
        Link::new("Program", self.id.clone())
    }
}

/// A stage; `type` ∈ active | positive | negative (won / lost) (§6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramState {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_entry: Option<bool>,
}

/// An allowed move; applyTransition wants the raw object verbatim, so it is kept whole (§6, TS live).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramTransition {
    pub id: Id,
    #[serde(default)]
    pub to: Option<ProgramState>,
    #[serde(flatten)]
    pub raw: Map<String, Value>,
}

/// A deal as `GET /api/v3/deal/{id}` returns it (§6, DEALJSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deal {
    pub id: Id,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub program: Option<Link>,
    #[serde(default)]
    pub state: Option<ProgramState>,
    #[serde(default)]
    pub manager: Option<Link>,
    #[serde(default)]
    pub contractor: Option<Link>,
    #[serde(default)]
    pub price: Option<Money>,
    #[serde(default, deserialize_with = "crate::types::null_default")]
    pub possible_transitions: Vec<ProgramTransition>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl HasLink for Deal {
    fn link(&self) -> Link {
        Link::new("Deal", self.id.clone())
    }
}

/// Body of `POST /api/v3/deal`; only `program` is required, `manager` is the responsible (§6 Create).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDeal {
    pub program: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contractor: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(flatten)]
    pub extra_fields: BTreeMap<String, Value>,
}

impl NewDeal {
    pub fn in_program(program: impl Into<Id>) -> Self {
        NewDeal {
            program: Link::new("Program", program),
            name: None,
            description: None,
            manager: None,
            contractor: None,
            price: None,
            extra_fields: BTreeMap::new(),
        }
    }
}

/// Changed fields of `POST /api/v3/deal/{id}`; `state` is absent because Megaplan ignores it (§6).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DealUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contractor: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    #[serde(flatten)]
    pub extra_fields: BTreeMap<String, Value>,
}

fn deal_body(fields: impl Serialize, id: Option<&Id>) -> Value {
    let mut v = serde_json::to_value(fields).expect("serialisable deal");
    v["contentType"] = Value::from("Deal");
    if let Some(id) = id {
        v["id"] = Value::from(id.as_str());
    }
    v
}

impl Client {
    /// `GET /api/v3/program` (§6 Discover).
    pub async fn programs(&self) -> Result<Vec<Program>> {
        self.list_all("api/v3/program", Map::new()).await
    }

    /// `GET /api/v3/program/{id}` with states and transitions (§6).
    pub async fn program(&self, id: &Id) -> Result<Program> {
        self.call(Request::get(format!("api/v3/program/{id}"), None))
            .await
    }

    /// `GET /api/v3/program/{id}/fields`: the program's deal fields incl. extra ones (§6).
    pub async fn program_fields(&self, id: &Id) -> Result<Vec<ExtraField>> {
        self.call(Request::get(format!("api/v3/program/{id}/fields"), None))
            .await
    }

    /// `POST /api/v3/deal` (§6 Create).
    pub async fn create_deal(&self, new: &NewDeal) -> Result<Deal> {
        self.call(Request::post("api/v3/deal", deal_body(new, None)))
            .await
    }

    /// `POST /api/v3/deal/{id}` with the changed fields (§6 Update).
    pub async fn update_deal(&self, id: &Id, update: &DealUpdate) -> Result<Deal> {
        self.call(Request::post(
            format!("api/v3/deal/{id}"),
            deal_body(update, Some(id)),
        ))
        .await
    }

    /// `GET /api/v3/deal/{id}` with `possibleTransitions` (§6).
    pub async fn deal(&self, id: &Id) -> Result<Deal> {
        self.call(Request::get(format!("api/v3/deal/{id}"), None))
            .await
    }

    /// `POST /api/v3/deal/{id}/applyTransition` with the transition verbatim from `possibleTransitions` (§6).
    pub async fn apply_transition(
        &self,
        deal: &Id,
        transition: &ProgramTransition,
    ) -> Result<Deal> {
        let body = serde_json::to_value(transition).expect("serialisable transition");
        self.call(Request::post(
            format!("api/v3/deal/{deal}/applyTransition"),
            body,
        ))
        .await
    }

    /// Moves a deal to `state` if a possible transition leads there (§6: `state` cannot be set directly).
    pub async fn move_deal_to_state(&self, deal: &Id, state: &Id) -> Result<Deal> {
        let current = self.deal(deal).await?;
        let transition = current
            .possible_transitions
            .iter()
            .find(|t| t.to.as_ref().is_some_and(|s| &s.id == state))
            .ok_or_else(|| crate::Error::Validation {
                field: Some("state".into()),
                message: format!("no transition from the deal's current state to state {state}"),
            })?;
        self.apply_transition(deal, transition).await
    }
}
