//! What tests and demo mode see of the emulated account, and the knobs they turn.

use axum::extract::State;
use serde_json::{Value, json};

use super::Shared;
use super::faults::Faults;
use super::store::{StoredFile, WidgetEvent};
use super::webhooks::Delivery;

/// A handle on the emulator's in-memory state; cheap to clone.
#[derive(Clone)]
pub struct EmulatorState {
    pub(crate) shared: Shared,
}

impl EmulatorState {
    /// Fault knobs (5xx, 429, slow answers, corrupt bodies, quirks).
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Ticks after every request that may have written; await `changed()` on it to wait for the
    /// integration's next call instead of polling.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    /// Waits until `done` holds of the state (checked now and after each writing request);
    /// false when `timeout` passed first.
    pub async fn wait_until(
        &self,
        timeout: std::time::Duration,
        done: impl Fn(&EmulatorState) -> bool,
    ) -> bool {
        let mut changes = self.changes();
        let wait = async {
            loop {
                changes.borrow_and_update();
                if done(self) {
                    return;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Every client (ContractorHuman and ContractorCompany), oldest first, as stored.
    pub fn contractors(&self) -> Vec<Value> {
        self.shared.store().contractors.values().cloned().collect()
    }

    pub fn contractor(&self, id: &str) -> Option<Value> {
        let id = id.parse().ok()?;
        self.shared.store().contractors.get(&id).cloned()
    }

    /// Every CallInfo, oldest first.
    pub fn call_infos(&self) -> Vec<Value> {
        self.shared.store().call_infos.values().cloned().collect()
    }

    /// The CallInfos created after the one with id `after` (every one when `None`), oldest first:
    /// a test waiting for one call among thousands reads only what is new since it last looked.
    pub fn call_infos_after(&self, after: Option<&str>) -> Vec<Value> {
        use std::ops::Bound;
        let from = after
            .and_then(|id| id.parse::<u64>().ok())
            .map_or(Bound::Unbounded, Bound::Excluded);
        let store = self.shared.store();
        store
            .call_infos
            .range((from, Bound::Unbounded))
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// Pop-up events as the telephony widget received them (calling → talking → finished, record links).
    pub fn widget_events(&self) -> Vec<WidgetEvent> {
        self.shared.store().widget_events.clone()
    }

    pub fn todos(&self) -> Vec<Value> {
        self.shared.store().todos.values().cloned().collect()
    }

    /// Deals as `GET /deal/{id}` shows them.
    pub fn deals(&self) -> Vec<Value> {
        let store = self.shared.store();
        store
            .deals
            .values()
            .map(|d| super::deals::full_deal(&store, d))
            .collect()
    }

    /// Comments with their `subject` link (owner).
    pub fn comments(&self) -> Vec<Value> {
        self.shared.store().comments.values().cloned().collect()
    }

    /// Uploaded files by id.
    pub fn files(&self) -> Vec<(String, StoredFile)> {
        self.shared
            .store()
            .files
            .iter()
            .map(|(id, f)| (id.to_string(), f.clone()))
            .collect()
    }

    /// `callUserConfig` entries.
    pub fn call_user_configs(&self) -> Vec<Value> {
        self.shared
            .store()
            .call_user_configs
            .values()
            .cloned()
            .collect()
    }

    /// How many access tokens were ever issued (password + refresh grants): single-flight tests count them.
    pub fn tokens_issued(&self) -> usize {
        self.shared.store().tokens.len()
    }

    /// How many password logins were refused (wrong login or password): a client that keeps
    /// retrying broken credentials shows here.
    pub fn refused_logins(&self) -> usize {
        self.shared.store().refused_logins
    }

    /// Every access token now answers 401, like an expired or revoked one (item 1 knob).
    pub fn expire_all_tokens(&self) {
        let now = std::time::Instant::now();
        for t in self.shared.store().tokens.values_mut() {
            t.expires_at = now;
        }
    }

    /// The account's admin changed the password in Megaplan: the old one is refused from now on, and
    /// the tokens issued before stop working (inferred: a changed password ends the sessions).
    pub fn change_password(&self, new: &str) {
        self.shared.store().password = Some(new.to_owned());
        self.expire_all_tokens();
        self.revoke_refresh_tokens();
    }

    /// Refresh tokens stop working too, so only a password login helps.
    pub fn revoke_refresh_tokens(&self) {
        self.shared.store().refresh_tokens.clear();
    }

    /// Makes an extra field of clients required (or not), so creates without it get 422.
    pub fn set_contractor_extra_field_required(&self, name: &str, required: bool) {
        for f in self.shared.store().contractor_extra_fields.iter_mut() {
            if f["name"] == name {
                f["isRequired"] = Value::Bool(required);
            }
        }
    }

    /// A user moves a deal to `state_id` in the UI: the deal changes and a webhook goes out (item 17 trigger).
    pub fn change_deal_stage(&self, deal_id: &str, state_id: &str) -> Result<Value, String> {
        let id: u64 = deal_id
            .parse()
            .map_err(|_| format!("bad deal id {deal_id}"))?;
        self.shared
            .move_deal(id, |t| t["to"]["id"] == state_id)
            .map_err(|e| e.message)
    }

    /// A user edits a deal (amount, positions, manager…): `patch` is merged and a webhook goes out.
    pub fn change_deal(&self, deal_id: &str, patch: Value) -> Result<Value, String> {
        let id: u64 = deal_id
            .parse()
            .map_err(|_| format!("bad deal id {deal_id}"))?;
        let updated = {
            let mut store = self.shared.store();
            let d = store.deals.get_mut(&id).ok_or("no such deal")?;
            super::wire::merge(d, &patch);
            let d = d.clone();
            super::deals::full_deal(&store, &d)
        };
        self.shared.emit("on_after_update", "Deal", &updated);
        Ok(updated)
    }

    /// A user edits a client: `patch` is merged and a webhook goes out.
    pub fn change_contractor(&self, id: &str, patch: Value) -> Result<Value, String> {
        let id: u64 = id.parse().map_err(|_| format!("bad contractor id {id}"))?;
        let updated = {
            let mut store = self.shared.store();
            let c = store.contractors.get_mut(&id).ok_or("no such contractor")?;
            super::wire::merge(c, &patch);
            c.clone()
        };
        let model = updated["contentType"]
            .as_str()
            .unwrap_or("ContractorHuman")
            .to_string();
        self.shared.emit("on_after_update", &model, &updated);
        Ok(updated)
    }

    /// Webhook events: delivered ones and the pending queue, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<Delivery> {
        self.shared.webhooks.deliveries()
    }
}

/// `GET /_emulator/state`: everything a newcomer wants to see after a simulated call (demo mode).
pub(crate) async fn snapshot(State(shared): State<Shared>) -> axum::Json<Value> {
    let state = EmulatorState { shared };
    let events: Vec<Value> = state
        .widget_events()
        .into_iter()
        .map(|e| {
            json!({"employeeId":e.employee_id,"callId":e.call_id,"providerId":e.provider_id,
                "type":e.call_type,"state":e.state,"recordLinks":e.record_links})
        })
        .collect();
    let deliveries: Vec<Value> = state
        .webhook_deliveries()
        .into_iter()
        .map(|d| {
            json!({"uuid":d.uuid,"event":d.event,"model":d.model,"entityId":d.entity_id,
                "attempts":d.attempts,"lastStatus":d.last_status,"delivered":d.delivered})
        })
        .collect();
    axum::Json(json!({
        "contractors": state.contractors(),
        "callInfos": state.call_infos(),
        "widgetEvents": events,
        "todos": state.todos(),
        "deals": state.deals(),
        "comments": state.comments(),
        "webhooks": deliveries,
    }))
}
