//! The telephony section's values and `#[server]` functions: the form (the serde shape of
//! `domain::settings::TelephonySettings`, with ids and numbers as strings so the page needs no
//! domain types), the pick-lists read from Megaplan and UIS with the account's saved credentials,
//! the telephony-settings sync (T1) and the employee sync (T2). The server implements
//! [`TelephonyAdmin`] (`server/src/telephony/picklists.rs`); saving goes through the section save
//! (`Services::save_section`), which validates the whole form with `TelephonySettings::validate`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{FieldError, FormOutcome};

/// «Подключение телефонии», as the page edits it. Same JSON as `TelephonySettings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TelephonyForm {
    pub sync: SyncForm,
    pub filters: FiltersForm,
    pub default_responsible: Option<String>,
    pub call_processing: CallProcessingForm,
    pub click_to_call: ClickToCallForm,
    pub active: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncForm {
    pub sync_employees: bool,
    pub employees: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FiltersForm {
    pub by_virtual_numbers: bool,
    pub virtual_numbers: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallProcessingForm {
    pub create_client: CreateClientForm,
    pub extra_fields: ExtraFieldsForm,
    pub communication: CommunicationForm,
    pub todo: TodoForm,
    pub deal: DealForm,
    pub personal_manager_routing: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateClientForm {
    pub enabled: bool,
    /// `first_talked` | `last_talked`
    pub responsible: String,
}

impl Default for CreateClientForm {
    fn default() -> Self {
        CreateClientForm {
            enabled: false,
            responsible: "first_talked".into(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtraFieldsForm {
    pub enabled: bool,
    pub mapping: Vec<FieldMappingForm>,
    pub update_always: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldMappingForm {
    /// The UIS parameter, e.g. `utm_source`.
    pub uis: String,
    pub megaplan: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommunicationForm {
    pub enabled: bool,
    /// `answered` | `lost` | `successful` | `failed`
    pub outcomes: Vec<String>,
    pub duration_minutes: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TodoForm {
    pub enabled: bool,
    pub outcomes: Vec<String>,
    pub responsible: ResponsibleForm,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DealForm {
    pub enabled: bool,
    pub outcomes: Vec<String>,
    pub responsible: ResponsibleForm,
    pub program: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "employee", rename_all = "snake_case")]
pub enum ResponsibleForm {
    #[default]
    DefaultResponsible,
    CallEmployee,
    Employee(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickToCallForm {
    pub number: Option<String>,
    pub override_caller_id: bool,
}

/// One choice of a pick-list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// A Megaplan scheme («схема») with its states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramChoice {
    pub id: String,
    pub name: String,
    pub states: Vec<Choice>,
}

/// What the selects offer, read now from Megaplan and UIS with the account's saved credentials.
/// A side that could not be read leaves its lists empty and says why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picklists {
    /// Working Megaplan employees.
    pub employees: Vec<Choice>,
    pub programs: Vec<ProgramChoice>,
    pub todo_categories: Vec<Choice>,
    /// Why the Megaplan lists are empty.
    pub megaplan_error: Option<FieldError>,
    /// UIS employees (id → full name).
    pub uis_employees: Vec<Choice>,
    /// UIS employee statuses.
    pub statuses: Vec<Choice>,
    /// Virtual numbers, `+7…`; the name says what it is.
    pub virtual_numbers: Vec<Choice>,
    /// Why the UIS lists are empty.
    pub uis_error: Option<FieldError>,
    /// UIS call parameters that can feed a client's extra field (4.2): parameter → label.
    pub uis_fields: Vec<Choice>,
}

/// One row of the extension table after the telephony-settings sync (T1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLine {
    pub megaplan_user_id: String,
    pub megaplan_name: String,
    pub email: Option<String>,
    pub extension: Option<String>,
    pub uis_employee_name: Option<String>,
    /// The call card will not pop up for this employee (no UIS employee with the extension).
    pub warning: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffTable {
    pub rows: Vec<StaffLine>,
    /// Why the sync or the table failed.
    pub error: Option<FieldError>,
}

/// Why an employee of the T2 sync ended as it did. Stored and sent as its code (`code`, or
/// `code: detail` for UIS's refusal), so the page words it in the admin's language and a program
/// reading the API can rely on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncReason {
    /// Dismissed in Megaplan: not created in UIS.
    Fired,
    /// Chosen, but no such employee in Megaplan now.
    NotFound,
    /// Employees are matched by e-mail; this one has none.
    NoEmail,
    /// UIS requires a phone number to create an employee.
    NoPhone,
    /// Already in UIS with the same e-mail: linked.
    SameEmail,
    Created,
    /// UIS refused to create it; the detail is UIS's words.
    UisRefused,
}

impl SyncReason {
    pub const ALL: [SyncReason; 7] = [
        SyncReason::Fired,
        SyncReason::NotFound,
        SyncReason::NoEmail,
        SyncReason::NoPhone,
        SyncReason::SameEmail,
        SyncReason::Created,
        SyncReason::UisRefused,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SyncReason::Fired => "fired",
            SyncReason::NotFound => "not_found",
            SyncReason::NoEmail => "no_email",
            SyncReason::NoPhone => "no_phone",
            SyncReason::SameEmail => "same_email",
            SyncReason::Created => "created",
            SyncReason::UisRefused => "uis_refused",
        }
    }

    /// What is stored: the code, then `: detail` when there is one.
    pub fn stored(self, detail: Option<&str>) -> String {
        match detail {
            Some(d) => format!("{}: {d}", self.code()),
            None => self.code().to_owned(),
        }
    }

    /// A stored reason read back; `None` for one written before the codes (shown as it is).
    pub fn parse(stored: &str) -> Option<(SyncReason, Option<&str>)> {
        let (code, detail) = match stored.split_once(": ") {
            Some((c, d)) => (c, Some(d)),
            None => (stored, None),
        };
        let reason = SyncReason::ALL.into_iter().find(|r| r.code() == code)?;
        Some((reason, detail))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResultLine {
    pub megaplan_user_id: String,
    pub name: String,
    /// `created` | `matched` | `failed`
    pub outcome: String,
    pub reason: Option<String>,
}

/// An employee sync run (T2) with its progress and per-employee results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunView {
    pub id: String,
    /// `running` | `done` | `failed`
    pub status: String,
    pub total: i64,
    pub processed: i64,
    /// Why the whole run stopped.
    pub error: Option<FieldError>,
    pub results: Vec<SyncResultLine>,
}

/// Everything the telephony section shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelephonyPage {
    /// The saved form (defaults of the settings model where nothing is saved).
    pub form: TelephonyForm,
    pub lists: Picklists,
    /// The mapping kept by the last telephony-settings sync.
    pub staff: StaffTable,
    pub last_run: Option<SyncRunView>,
}

#[cfg(feature = "ssr")]
pub use ssr_side::*;

#[cfg(feature = "ssr")]
mod ssr_side {
    use std::sync::Arc;

    use leptos::prelude::*;

    use super::*;
    use crate::ssr::{BoxFuture, CurrentUser, ServiceResult};

    /// What the telephony section asks of the server.
    pub trait TelephonyAdmin: Send + Sync + 'static {
        fn page(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<TelephonyPage>>;
        fn picklists(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Picklists>>;
        /// T1: reads `callUserConfig` and the UIS employees now and keeps the mapping.
        fn sync_settings(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<StaffTable>>;
        /// T2: starts (or finds running) the employee sync of the saved selection.
        fn start_employee_sync(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<String>>;
        fn employee_sync_run(
            &self,
            user: CurrentUser,
            run: Option<String>,
        ) -> BoxFuture<'_, ServiceResult<Option<SyncRunView>>>;
    }

    /// Put into the Leptos context next to `ServerContext`.
    #[derive(Clone)]
    pub struct TelephonyContext(pub Arc<dyn TelephonyAdmin>);

    pub fn telephony() -> Result<Arc<dyn TelephonyAdmin>, ServerFnError> {
        use_context::<TelephonyContext>()
            .map(|c| c.0)
            .ok_or_else(|| ServerFnError::new("telephony context missing"))
    }
}

#[server(prefix = "/api", endpoint = "telephony_page")]
pub async fn load_telephony() -> Result<TelephonyPage, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    telephony()?.page(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "telephony_picklists")]
pub async fn telephony_picklists() -> Result<Picklists, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    telephony()?.picklists(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "telephony_settings_sync")]
pub async fn telephony_settings_sync() -> Result<StaffTable, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    telephony()?.sync_settings(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "telephony_employee_sync")]
pub async fn telephony_employee_sync() -> Result<String, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    telephony()?
        .start_employee_sync(user)
        .await
        .map_err(internal)
}

#[server(prefix = "/api", endpoint = "telephony_employee_sync_run")]
pub async fn telephony_employee_sync_run(
    run: Option<String>,
) -> Result<Option<SyncRunView>, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    telephony()?
        .employee_sync_run(user, run)
        .await
        .map_err(internal)
}

/// Saves the whole telephony form; the server validates it with `TelephonySettings::validate` and
/// answers with every wrong field (dotted path) or saves it whole.
#[server(prefix = "/api", endpoint = "save_telephony", input = leptos::server_fn::codec::Json)]
pub async fn save_telephony(form: TelephonyForm) -> Result<FormOutcome, ServerFnError> {
    use crate::api::Section;
    use crate::ssr::*;
    let user = current_user()?;
    let json = serde_json::to_string(&form).map_err(|e| ServerFnError::new(e.to_string()))?;
    services()?
        .save_section(user, Section::Telephony, form.active, json)
        .await
        .map_err(internal)
}
