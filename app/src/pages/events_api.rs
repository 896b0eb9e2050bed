//! The observation pages' values and `#[server]` functions: event log with traces and replay (O1, O2),
//! health (O3), rule preview (O4) and the demo panel. The server implements [`Observe`]
//! (`server/src/observe/`); every function here needs a signed-in admin and sees only that admin's
//! account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::FieldError;

/// The event log's filter, as typed (strings: the server validates and answers per field).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    pub source: String,
    pub event_type: String,
    pub status: String,
    pub phone: String,
    pub call_id: String,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` input), the account's local time.
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: String,
    pub source: String,
    pub event_type: String,
    pub status: String,
    /// In the account's zone, `YYYY-MM-DD HH:MM:SS`.
    pub received: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub phone: Option<String>,
    pub call_id: Option<String>,
}

/// A body the server refused with 400: kept, so nothing that arrived is lost silently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub id: String,
    pub source: String,
    pub event_type: String,
    pub reason: String,
    pub received: String,
    pub content_type: Option<String>,
    pub query: Option<String>,
    pub body: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPage {
    /// Bad filter fields; nothing is listed then.
    pub errors: Vec<FieldError>,
    pub events: Vec<EventRow>,
    pub rejected: Vec<RejectedRow>,
    /// The account's zone the times are shown in.
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    pub at: String,
    pub step: String,
    pub action_key: Option<String>,
    pub request: Option<String>,
    pub status: Option<String>,
    pub created_ids: Option<String>,
    pub duration_ms: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub row: EventRow,
    pub content_type: Option<String>,
    pub query: Option<String>,
    pub body: String,
    /// The decision as pretty JSON.
    pub decision: Option<String>,
    pub steps: Vec<TraceStep>,
}

impl EventDetail {
    /// Still on its way: the page keeps looking until it is not.
    pub fn in_flight(&self) -> bool {
        matches!(
            self.row.status.as_str(),
            "queued" | "processing" | "retrying"
        )
    }
}

/// The answer of a replay or reconciliation form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeOutcome {
    pub errors: Vec<FieldError>,
    /// Events queued again / enqueued.
    pub queued: u64,
    /// Reconciliation: calls UIS reported for the range.
    pub calls: Option<u64>,
    /// Why it could not run (e.g. no UIS access), in the admin's words.
    pub failure: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSeen {
    pub source: String,
    pub event_type: String,
    pub received: String,
    pub status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `none`, `working` or `broken`: the chosen Megaplan credential set.
    pub megaplan: String,
    pub megaplan_name: Option<String>,
    pub megaplan_checked: Option<String>,
    /// Whether the pipeline holds a Megaplan access token for the credential (it refreshes by itself).
    pub megaplan_token: Option<String>,
    /// `none` or `saved`.
    pub uis: String,
    pub uis_login: Option<String>,
    pub uis_checked: Option<String>,
    pub last_events: Vec<SourceSeen>,
    /// Events waiting or being retried.
    pub queue_depth: i64,
    pub failures_last_hour: i64,
    pub rejected_last_hour: i64,
    pub dead: i64,
}

/// A simulated call for the rule preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewInput {
    /// `in` or `out`.
    pub direction: String,
    /// `answered` (talked) or `missed`.
    pub outcome: String,
    pub phone: String,
    pub virtual_number: String,
    /// UIS employee id (optional).
    pub employee: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewStep {
    /// The notification, as the UIS cabinet names it.
    pub event: String,
    pub actions: Vec<String>,
    pub skipped: Option<String>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewAnswer {
    pub errors: Vec<FieldError>,
    /// Whether the telephony section is switched on.
    pub telephony_active: bool,
    pub steps: Vec<PreviewStep>,
}

/// One line of the emulated Megaplan's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoItem {
    pub id: String,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoState {
    /// False when the server runs without the emulators (normal mode): the panel says so.
    pub enabled: bool,
    pub clients: Vec<DemoItem>,
    pub calls: Vec<DemoItem>,
    pub widget_events: Vec<DemoItem>,
    pub todos: Vec<DemoItem>,
    pub deals: Vec<DemoItem>,
    /// Megaplan answers every request with an error (the fault knob).
    pub fault: bool,
    pub megaplan_state_url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCallOutcome {
    pub errors: Vec<FieldError>,
    /// What was placed, e.g. the call session id.
    pub placed: Option<String>,
    pub notifications: usize,
}

#[cfg(feature = "ssr")]
pub use server_side::*;

#[cfg(feature = "ssr")]
mod server_side {
    use std::sync::Arc;

    use super::*;
    use crate::ssr::{BoxFuture, CurrentUser, ServiceResult};

    /// What the observation pages ask of the server.
    pub trait Observe: Send + Sync + 'static {
        fn events(
            &self,
            user: CurrentUser,
            filter: EventFilter,
        ) -> BoxFuture<'_, ServiceResult<EventPage>>;
        fn event(
            &self,
            user: CurrentUser,
            id: String,
        ) -> BoxFuture<'_, ServiceResult<Option<EventDetail>>>;
        /// True when queued again (false: unknown here, or still waiting/running).
        fn replay_event(&self, user: CurrentUser, id: String)
        -> BoxFuture<'_, ServiceResult<bool>>;
        fn replay_failed(
            &self,
            user: CurrentUser,
            from: String,
            to: String,
        ) -> BoxFuture<'_, ServiceResult<RangeOutcome>>;
        fn reconcile(
            &self,
            user: CurrentUser,
            from: String,
            to: String,
        ) -> BoxFuture<'_, ServiceResult<RangeOutcome>>;
        fn health(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Health>>;
        fn preview(
            &self,
            user: CurrentUser,
            input: PreviewInput,
        ) -> BoxFuture<'_, ServiceResult<PreviewAnswer>>;
        fn demo_state(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<DemoState>>;
        fn demo_place(
            &self,
            user: CurrentUser,
            kind: String,
            phone: String,
        ) -> BoxFuture<'_, ServiceResult<DemoCallOutcome>>;
        fn demo_fault(&self, user: CurrentUser, on: bool) -> BoxFuture<'_, ServiceResult<()>>;
    }

    /// Put into the Leptos context next to `ServerContext`.
    #[derive(Clone)]
    pub struct ObserveContext(pub Arc<dyn Observe>);

    pub fn observe() -> Result<Arc<dyn Observe>, ServerFnError> {
        use_context::<ObserveContext>()
            .map(|c| c.0)
            .ok_or_else(|| ServerFnError::new("observe context missing"))
    }
}

#[server(prefix = "/api", endpoint = "list_events")]
pub async fn list_events(filter: EventFilter) -> Result<EventPage, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.events(user, filter).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "event_detail")]
pub async fn load_event(id: String) -> Result<Option<EventDetail>, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.event(user, id).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "replay_event")]
pub async fn replay_event(id: String) -> Result<bool, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.replay_event(user, id).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "replay_failed")]
pub async fn replay_failed(from: String, to: String) -> Result<RangeOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?
        .replay_failed(user, from, to)
        .await
        .map_err(internal)
}

#[server(prefix = "/api", endpoint = "reconcile_calls")]
pub async fn reconcile_calls(from: String, to: String) -> Result<RangeOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.reconcile(user, from, to).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "health")]
pub async fn load_health() -> Result<Health, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.health(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "preview_rules")]
pub async fn preview_rules(
    direction: String,
    outcome: String,
    phone: String,
    virtual_number: String,
    employee: String,
) -> Result<PreviewAnswer, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    let input = PreviewInput {
        direction,
        outcome,
        phone,
        virtual_number,
        employee,
    };
    observe()?.preview(user, input).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "demo_state")]
pub async fn load_demo() -> Result<DemoState, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?.demo_state(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "demo_place")]
pub async fn demo_place(kind: String, phone: String) -> Result<DemoCallOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?
        .demo_place(user, kind, phone)
        .await
        .map_err(internal)
}

/// `on` is a hidden field: "1" switches the fault on, anything else off.
#[server(prefix = "/api", endpoint = "demo_fault")]
pub async fn demo_fault(on: String) -> Result<(), ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    observe()?
        .demo_fault(user, on == "1")
        .await
        .map_err(internal)
}
