//! T2 «Синхронизация сотрудников» (seed 2.2): the Megaplan employees the admin selected are created in
//! UIS, or matched to an existing UIS employee by e-mail. Forced by «Синхронизировать», otherwise every
//! 2 hours (apalis-cron). Each run keeps its progress and a result per employee for the settings page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::api::{ErrorCode, FieldError};
use app::i18n::Lang;
use app::telephony::SyncReason;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use super::access::Access;
use super::staff;
use crate::accounts::now_ms;

/// Period of the scheduled sync (seed: «По умолчанию синхронизация происходит каждые 2 часа»).
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Matched,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Matched => "matched",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct EmployeeResult {
    pub megaplan_user_id: String,
    pub name: String,
    pub email: Option<String>,
    /// `created` | `matched` | `failed`
    pub outcome: String,
    pub uis_employee_id: Option<i64>,
    /// Why it failed (or how it matched).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Run {
    pub id: String,
    /// `manual` | `schedule`
    pub trigger_kind: String,
    /// `running` | `done` | `failed`
    pub status: String,
    pub total: i64,
    pub processed: i64,
    /// Why the run stopped, in English (the JSON API, the logs).
    pub error: Option<String>,
    /// The same as `app::api::ErrorCode`'s name, for the page to word in the admin's language.
    pub error_code: Option<String>,
    /// Megaplan's or UIS's own words (or the set's name) that go with `error_code`.
    pub error_detail: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    #[sqlx(skip)]
    pub results: Vec<EmployeeResult>,
}

/// One run at a time per account: in this process (a map) and across servers (`employee_sync_locks`).
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashMap<String, String>>>);

/// How long a run may hold the account before another server may take over.
const LEASE_MS: i64 = 30 * 60 * 1000;

/// Takes the account's lease for `run`; `Some(other run)` when another run holds it.
async fn lease(pool: &AnyPool, account_id: &str, run: &str) -> Result<Option<String>, sqlx::Error> {
    let now = now_ms();
    let taken = sqlx::query(
        "INSERT INTO employee_sync_locks (account_id, run_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at \
         WHERE employee_sync_locks.expires_at < $4",
    )
    .bind(account_id)
    .bind(run)
    .bind(now + LEASE_MS)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected();
    if taken == 1 {
        return Ok(None);
    }
    let holder: Option<(String,)> =
        sqlx::query_as("SELECT run_id FROM employee_sync_locks WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    Ok(Some(holder.map(|h| h.0).unwrap_or_default()))
}

async fn release(pool: &AnyPool, account_id: &str, run: &str) {
    let _ = sqlx::query("DELETE FROM employee_sync_locks WHERE account_id = $1 AND run_id = $2")
        .bind(account_id)
        .bind(run)
        .execute(pool)
        .await;
}

/// Starts a run in the background and returns its id; the running one's id if a run is under way.
pub async fn start(
    access: &Access,
    running: &Running,
    account_id: &str,
    trigger: &str,
) -> Result<String, sqlx::Error> {
    let id = {
        let mut r = running.0.lock().expect("running");
        if let Some(id) = r.get(account_id) {
            return Ok(id.clone());
        }
        let id = uuid::Uuid::new_v4().to_string();
        r.insert(account_id.to_owned(), id.clone());
        id
    };
    let forget = || running.0.lock().expect("running").remove(account_id);
    match lease(&access.pool, account_id, &id).await {
        Ok(None) => {}
        Ok(Some(other)) => {
            forget();
            return Ok(other);
        }
        Err(e) => {
            forget();
            return Err(e);
        }
    }
    let inserted = sqlx::query(
        "INSERT INTO employee_sync_runs (id, account_id, trigger_kind, status, total, processed, started_at) \
         VALUES ($1, $2, $3, 'running', 0, 0, $4)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(trigger)
    .bind(now_ms())
    .execute(&access.pool)
    .await;
    if let Err(e) = inserted {
        release(&access.pool, account_id, &id).await;
        forget();
        return Err(e);
    }
    let (access, running, account, run) = (
        access.clone(),
        running.clone(),
        account_id.to_owned(),
        id.clone(),
    );
    tokio::spawn(async move {
        let outcome = execute(&access, &account, &run).await;
        let (status, error) = match outcome {
            Ok(()) => ("done", None),
            Err(e) => {
                tracing::warn!(account, run, error = %e, "employee sync failed");
                ("failed", Some(super::picklists::sync_problem(e)))
            }
        };
        if let Err(e) = finish(&access.pool, &account, &run, status, error).await {
            tracing::warn!(account, run, error = %e, "employee sync's end not recorded");
            release(&access.pool, &account, &run).await;
        }
        running.0.lock().expect("running").remove(&account);
    });
    Ok(id)
}

/// Ends a run. A finished run's matches join the staff directory (`known_staff`): the account's
/// `staff_version` moves on with it, so every server reads the directory again.
async fn finish(
    pool: &AnyPool,
    account_id: &str,
    run: &str,
    status: &str,
    error: Option<FieldError>,
) -> Result<(), sqlx::Error> {
    let english = error
        .as_ref()
        .map(|e| Lang::En.error_text(e.code, e.detail.as_deref()));
    let code = error.as_ref().map(|e| error_code_name(e.code));
    let detail = error.and_then(|e| e.detail);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE employee_sync_runs SET status = $1, error = $2, error_code = $3, error_detail = $4, \
         finished_at = $5 WHERE id = $6",
    )
    .bind(status)
    .bind(english)
    .bind(code)
    .bind(detail)
    .bind(now_ms())
    .bind(run)
    .execute(&mut *tx)
    .await?;
    // The lease goes with the end, so no one sees the run finished and the account still held.
    sqlx::query("DELETE FROM employee_sync_locks WHERE account_id = $1 AND run_id = $2")
        .bind(account_id)
        .bind(run)
        .execute(&mut *tx)
        .await?;
    super::staff::bump_version(&mut tx, account_id).await?;
    tx.commit().await?;
    // A manager's UIS phone may have come with it: every server's routing asks again.
    super::routing::announce(pool, account_id, &[]).await;
    Ok(())
}

/// `ErrorCode`'s name as stored (`NoUisAccess`), and back.
pub fn error_code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn error_code_parse(name: &str) -> Option<ErrorCode> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

async fn execute(access: &Access, account_id: &str, run: &str) -> Result<(), staff::SyncError> {
    let account = access.load(account_id).await?;
    let selected = account.settings.sync.employees.clone();
    let pool = &access.pool;
    sqlx::query("UPDATE employee_sync_runs SET total = $1 WHERE id = $2")
        .bind(selected.len() as i64)
        .bind(run)
        .execute(pool)
        .await?;
    let mp = access.megaplan(account_id).await?;
    let data = access.uis_data(account_id).await?;
    let employees = mp.employees().await?;
    let extensions: HashMap<String, String> = mp
        .call_user_configs()
        .await?
        .into_iter()
        .filter_map(|c| {
            let ext = staff::extension_of(c.internal_number.as_deref()?);
            (!ext.is_empty()).then(|| (c.employee.id.as_str().to_owned(), ext))
        })
        .collect();
    let mut uis_employees = data.employees().await?;
    for (n, id) in selected.iter().enumerate() {
        let id = id.to_string();
        let result = match employees.iter().find(|e| e.id.as_str() == id) {
            None => failed(&id, &id, None, SyncReason::NotFound.stored(None)),
            Some(e) => one(&data, e, extensions.get(e.id.as_str()), &mut uis_employees).await,
        };
        save_result(pool, run, &result).await?;
        sqlx::query("UPDATE employee_sync_runs SET processed = $1 WHERE id = $2")
            .bind(n as i64 + 1)
            .bind(run)
            .execute(pool)
            .await?;
    }
    Ok(())
}

fn failed(id: &str, name: &str, email: Option<&str>, reason: impl Into<String>) -> EmployeeResult {
    EmployeeResult {
        megaplan_user_id: id.to_owned(),
        name: name.to_owned(),
        email: email.map(str::to_owned),
        outcome: Outcome::Failed.as_str().into(),
        uis_employee_id: None,
        reason: Some(reason.into()),
    }
}

async fn one(
    data: &uis::DataApiClient,
    e: &megaplan::Employee,
    extension: Option<&String>,
    uis_employees: &mut Vec<uis::data_api::Employee>,
) -> EmployeeResult {
    let id = e.id.as_str();
    let name = e.display_name();
    if !e.is_working {
        return failed(id, &name, None, SyncReason::Fired.stored(None));
    }
    let Some(email) = e.email().filter(|m| !m.trim().is_empty()) else {
        return failed(id, &name, None, SyncReason::NoEmail.stored(None));
    };
    let done = |outcome: Outcome, uis_id: i64, reason: SyncReason| EmployeeResult {
        megaplan_user_id: id.to_owned(),
        name: name.clone(),
        email: Some(email.to_owned()),
        outcome: outcome.as_str().into(),
        uis_employee_id: Some(uis_id),
        reason: Some(reason.stored(None)),
    };
    if let Some(u) = uis_employees.iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(email.trim()))
    }) {
        return done(Outcome::Matched, u.id, SyncReason::SameEmail);
    }
    // UIS requires at least one phone number for a new employee (uis-api.md §6).
    let phones: Vec<String> = e
        .phones()
        .filter_map(|p| p.parse::<domain::phone::Phone>().ok())
        .map(|p| p.digits().to_owned())
        .collect();
    if phones.is_empty() {
        return failed(id, &name, Some(email), SyncReason::NoPhone.stored(None));
    }
    let new = uis::data_api::NewEmployee {
        first_name: e.first_name.clone().filter(|s| !s.is_empty()),
        last_name: e
            .last_name
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| name.clone()),
        patronymic: None,
        email: Some(email.to_owned()),
        phone_numbers: phones
            .iter()
            .map(|p| uis::data_api::EmployeePhone {
                phone_number: p.clone(),
                status: Some("active".into()),
                ..Default::default()
            })
            .collect(),
        extension: extension.map(|x| uis::data_api::Extension {
            extension_phone_number: Some(x.clone()),
            ..Default::default()
        }),
    };
    match data.create_employee(&new).await {
        Ok(uis_id) => {
            uis_employees.push(uis::data_api::Employee {
                id: uis_id,
                email: Some(email.to_owned()),
                ..Default::default()
            });
            done(Outcome::Created, uis_id, SyncReason::Created)
        }
        Err(err) => failed(
            id,
            &name,
            Some(email),
            SyncReason::UisRefused.stored(Some(&err.to_string())),
        ),
    }
}

async fn save_result(pool: &AnyPool, run: &str, r: &EmployeeResult) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO employee_sync_results (run_id, megaplan_user_id, name, email, outcome, uis_employee_id, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(run)
    .bind(&r.megaplan_user_id)
    .bind(&r.name)
    .bind(&r.email)
    .bind(&r.outcome)
    .bind(r.uis_employee_id)
    .bind(&r.reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// A run with its results; the latest of the account when `run` is `None`.
pub async fn run(
    pool: &AnyPool,
    account_id: &str,
    run: Option<&str>,
) -> Result<Option<Run>, sqlx::Error> {
    let cols = "id, trigger_kind, status, total, processed, error, error_code, error_detail, \
                started_at, finished_at";
    let found = match run {
        Some(id) => {
            sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM employee_sync_runs WHERE account_id = $1 AND id = $2"
            )))
            .bind(account_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        }
        None => {
            sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM employee_sync_runs WHERE account_id = $1 ORDER BY started_at DESC, id LIMIT 1"
            )))
            .bind(account_id)
            .fetch_optional(pool)
            .await?
        }
    };
    let Some(mut found) = found else {
        return Ok(None);
    };
    found.results = sqlx::query_as::<_, EmployeeResult>(
        "SELECT megaplan_user_id, name, email, outcome, uis_employee_id, reason \
         FROM employee_sync_results WHERE run_id = $1 ORDER BY name, megaplan_user_id",
    )
    .bind(&found.id)
    .fetch_all(pool)
    .await?;
    Ok(Some(found))
}

/// The schedule's tick: every account that has the employee sync switched on.
pub async fn scheduled(access: &Access, running: &Running) {
    let rows: Vec<(String, String)> = match sqlx::query_as(
        "SELECT account_id, settings FROM account_settings WHERE section = 'telephony'",
    )
    .fetch_all(&access.pool)
    .await
    {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "scheduled employee sync: cannot read settings");
            return;
        }
    };
    for (account, raw) in rows {
        let on = serde_json::from_str::<domain::settings::TelephonySettings>(&raw)
            .is_ok_and(|s| s.sync.sync_employees && !s.sync.employees.is_empty());
        if on && let Err(e) = start(access, running, &account, "schedule").await {
            tracing::warn!(account, error = %e, "scheduled employee sync not started");
        }
    }
}
