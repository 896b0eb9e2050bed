//! The telephony section of the settings page (`app::telephony::TelephonyAdmin`): the saved form,
//! the pick-lists read now from Megaplan (employees, schemes with their states, todo categories)
//! and from UIS (employees, statuses, virtual numbers) with the account's saved credentials, the
//! telephony-settings sync (T1) and the employee sync (T2).

use app::api::{ErrorCode, FieldError};
use app::ssr::{BoxFuture, CurrentUser, ServiceError, ServiceResult};
use app::telephony::{
    Choice, Picklists, ProgramChoice, StaffLine, StaffTable, SyncResultLine, SyncRunView,
    TelephonyAdmin, TelephonyForm, TelephonyPage,
};
use domain::settings::TelephonySettings;

use super::access::AccessError;
use super::{Telephony, employee_sync, staff};

fn failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError(e.to_string())
}

/// The saved telephony form with the section's switch; the model's defaults where nothing is saved.
pub async fn saved_form(t: &Telephony, account_id: &str) -> ServiceResult<TelephonyForm> {
    let account = t.access.load(account_id).await.map_err(failed)?;
    form_of(&account.settings, account.section_active)
}

fn form_of(settings: &TelephonySettings, active: bool) -> ServiceResult<TelephonyForm> {
    let mut value = serde_json::to_value(settings).map_err(failed)?;
    value["active"] = serde_json::Value::Bool(active);
    serde_json::from_value(value).map_err(failed)
}

/// Reads every pick-list now; a side that cannot be asked leaves its lists empty with the reason.
pub async fn picklists(t: &Telephony, account_id: &str) -> Picklists {
    let mut lists = Picklists {
        uis_fields: domain::settings::UisCallField::ALL
            .into_iter()
            .map(|f| Choice {
                id: f.param().into(),
                name: f.label().into(),
            })
            .collect(),
        ..Picklists::default()
    };
    let (megaplan, uis) = tokio::join!(megaplan_lists(t, account_id), uis_lists(t, account_id));
    match megaplan {
        Ok((employees, programs, categories)) => {
            lists.employees = employees;
            lists.programs = programs;
            lists.todo_categories = categories;
        }
        Err(e) => lists.megaplan_error = Some(e),
    }
    match uis {
        Ok((employees, statuses, numbers)) => {
            lists.uis_employees = employees;
            lists.statuses = statuses;
            lists.virtual_numbers = numbers;
        }
        Err(e) => lists.uis_error = Some(e),
    }
    lists
}

type MegaplanLists = (Vec<Choice>, Vec<ProgramChoice>, Vec<Choice>);

/// Why a side's lists (or a sync) could not be read, in words the page puts in the admin's language.
fn access_problem(field: &str, e: AccessError) -> FieldError {
    match e {
        AccessError::NoUis => FieldError::new(field, ErrorCode::NoUisAccess),
        AccessError::NoMegaplan => FieldError::new(field, ErrorCode::NoMegaplanCredentials),
        AccessError::MegaplanBroken(name) => {
            FieldError::with_detail(field, ErrorCode::MegaplanCredentialsBroken, name)
        }
        e => FieldError::with_detail(field, ErrorCode::ServerError, e.to_string()),
    }
}

pub(super) fn sync_problem(e: staff::SyncError) -> FieldError {
    match e {
        staff::SyncError::Access(e) => access_problem("sync", e),
        staff::SyncError::Megaplan(e) => megaplan_problem(e),
        staff::SyncError::Uis(e) => uis_problem(e),
        e => FieldError::with_detail("sync", ErrorCode::ServerError, e.to_string()),
    }
}

fn megaplan_problem(e: megaplan::Error) -> FieldError {
    match e {
        megaplan::Error::CredentialsBroken { message } => {
            FieldError::with_detail("megaplan", ErrorCode::MegaplanRejected, message)
        }
        e => FieldError::with_detail("megaplan", ErrorCode::MegaplanUnreachable, e.to_string()),
    }
}

fn uis_problem(e: uis::Error) -> FieldError {
    let code = if e.is_transient() {
        ErrorCode::UisUnreachable
    } else {
        ErrorCode::UisRejected
    };
    FieldError::with_detail("uis", code, e.to_string())
}

async fn megaplan_lists(t: &Telephony, account_id: &str) -> Result<MegaplanLists, FieldError> {
    let client = t
        .access
        .megaplan(account_id)
        .await
        .map_err(|e| access_problem("megaplan", e))?;
    let mut employees: Vec<Choice> = client
        .employees()
        .await
        .map_err(megaplan_problem)?
        .into_iter()
        .filter(|e| e.is_working)
        .map(|e| Choice {
            name: e.display_name(),
            id: e.id.0,
        })
        .collect();
    employees.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    // Schemes and categories are optional extras: an account without deals still gets employees.
    let mut listed = client.programs().await.unwrap_or_default();
    // The list may leave the states out; one read per scheme brings them.
    for p in listed.iter_mut().filter(|p| p.states.is_empty()) {
        if let Ok(full) = client.program(&p.id).await {
            p.states = full.states;
        }
    }
    let programs = listed
        .into_iter()
        .map(|p| ProgramChoice {
            name: p.name.unwrap_or_else(|| p.id.0.clone()),
            id: p.id.0,
            states: p
                .states
                .into_iter()
                .map(|s| Choice {
                    name: s.name.unwrap_or_else(|| s.id.0.clone()),
                    id: s.id.0,
                })
                .collect(),
        })
        .collect();
    let categories = client
        .todo_categories()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| Choice {
            name: c.name.unwrap_or_else(|| c.id.0.clone()),
            id: c.id.0,
        })
        .collect();
    Ok((employees, programs, categories))
}

type UisLists = (Vec<Choice>, Vec<Choice>, Vec<Choice>);

async fn uis_lists(t: &Telephony, account_id: &str) -> Result<UisLists, FieldError> {
    let client = t
        .access
        .uis_data(account_id)
        .await
        .map_err(|e| access_problem("uis", e))?;
    let employees = client
        .employees()
        .await
        .map_err(uis_problem)?
        .into_iter()
        .map(|e| Choice {
            id: e.id.to_string(),
            name: e.full_name.clone().unwrap_or_else(|| {
                [e.last_name.as_deref(), e.first_name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        })
        .collect();
    let statuses = client
        .get_statuses()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.is_deleted != Some(true))
        .map(|s| Choice {
            id: s.id.to_string(),
            name: s.name.or(s.mnemonic).unwrap_or_else(|| s.id.to_string()),
        })
        .collect();
    let numbers = client
        .get_virtual_numbers()
        .await
        .map_err(uis_problem)?
        .into_iter()
        .filter_map(|n| {
            let phone: domain::phone::Phone = n.virtual_phone_number.parse().ok()?;
            let e164 = phone.to_string();
            let name = match n.name.as_deref().filter(|s| !s.is_empty()) {
                Some(label) => format!("{} — {label}", phone.international()),
                None => phone.international(),
            };
            Some(Choice { id: e164, name })
        })
        .collect();
    Ok((employees, statuses, numbers))
}

fn table_of(sync: staff::TelephonySync) -> StaffTable {
    StaffTable {
        rows: sync
            .staff
            .into_iter()
            .filter(|r| r.extension.is_some())
            .map(|r| StaffLine {
                warning: r.card_will_not_pop_up(),
                megaplan_user_id: r.megaplan_user_id,
                megaplan_name: r.megaplan_name,
                email: r.email,
                extension: r.extension,
                uis_employee_name: r.uis_employee_name,
            })
            .collect(),
        error: None,
    }
}

fn run_of(run: employee_sync::Run) -> SyncRunView {
    SyncRunView {
        id: run.id,
        status: run.status,
        total: run.total,
        processed: run.processed,
        // A run stopped before the codes (error_code NULL) shows its English words as they were.
        error: match (
            run.error_code
                .as_deref()
                .and_then(employee_sync::error_code_parse),
            run.error,
        ) {
            (Some(code), _) => Some(FieldError {
                field: "sync".into(),
                code,
                detail: run.error_detail,
            }),
            (None, Some(text)) => Some(FieldError::with_detail(
                "sync",
                ErrorCode::ServerError,
                text,
            )),
            (None, None) => None,
        },
        results: run
            .results
            .into_iter()
            .map(|r| SyncResultLine {
                megaplan_user_id: r.megaplan_user_id,
                name: r.name,
                outcome: r.outcome,
                reason: r.reason,
            })
            .collect(),
    }
}

impl TelephonyAdmin for Telephony {
    fn page(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<TelephonyPage>> {
        Box::pin(async move {
            let form = saved_form(self, &user.account_id).await?;
            let lists = picklists(self, &user.account_id).await;
            let staff = match staff::table(&self.access.pool, &user.account_id).await {
                Ok(s) => table_of(s),
                Err(e) => StaffTable {
                    rows: vec![],
                    error: Some(FieldError::with_detail(
                        "sync",
                        ErrorCode::ServerError,
                        e.to_string(),
                    )),
                },
            };
            let last_run = employee_sync::run(&self.access.pool, &user.account_id, None)
                .await
                .map_err(failed)?
                .map(run_of);
            Ok(TelephonyPage {
                form,
                lists,
                staff,
                last_run,
            })
        })
    }

    fn picklists(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Picklists>> {
        Box::pin(async move { Ok(picklists(self, &user.account_id).await) })
    }

    fn sync_settings(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<StaffTable>> {
        Box::pin(async move {
            match staff::sync(&self.access, &user.account_id).await {
                Ok(report) => {
                    super::routing::announce(&self.access.pool, &user.account_id, &[]).await;
                    Ok(table_of(report))
                }
                Err(e) => Ok(StaffTable {
                    rows: vec![],
                    error: Some(sync_problem(e)),
                }),
            }
        })
    }

    fn start_employee_sync(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<String>> {
        Box::pin(async move {
            employee_sync::start(&self.access, &self.running, &user.account_id, "manual")
                .await
                .map_err(failed)
        })
    }

    fn employee_sync_run(
        &self,
        user: CurrentUser,
        run: Option<String>,
    ) -> BoxFuture<'_, ServiceResult<Option<SyncRunView>>> {
        Box::pin(async move {
            employee_sync::run(&self.access.pool, &user.account_id, run.as_deref())
                .await
                .map(|r| r.map(run_of))
                .map_err(failed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_carries_the_models_defaults_and_the_switch() {
        let form = form_of(&TelephonySettings::default(), true).unwrap();
        assert!(form.active);
        assert_eq!(form.call_processing.communication.duration_minutes, 120);
        assert_eq!(form.call_processing.todo.outcomes, ["lost", "failed"]);
        let back: TelephonySettings =
            serde_json::from_value(serde_json::to_value(&form).unwrap()).unwrap();
        assert_eq!(
            back,
            TelephonySettings {
                active: true,
                ..TelephonySettings::default()
            }
        );
    }
}
