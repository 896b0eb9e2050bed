//! T1 «Синхронизировать настройки телефонии из Megaplan» (seed 2.1): which Megaplan user has which PBX
//! extension (`callUserConfig`), matched to the UIS employee with that extension (else by e-mail),
//! stored per account in `telephony_staff`. The worker reads it to pick whom the pop-up card goes to
//! (UIS employee → extension → Megaplan user; UIS → Megaplan by e-mail), routing for the manager's phone.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use super::access::{Access, AccessError};
use crate::accounts::now_ms;

/// One Megaplan employee and what they are in UIS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StaffRow {
    pub megaplan_user_id: String,
    pub megaplan_name: String,
    pub email: Option<String>,
    /// `None`: not in Megaplan's «Телефония → Пользователи».
    pub extension: Option<String>,
    pub uis_employee_id: Option<i64>,
    pub uis_employee_name: Option<String>,
    pub uis_phone: Option<String>,
    /// `extension` | `email`
    pub matched_by: Option<String>,
}

impl StaffRow {
    /// The seed's warning: an employee whose extension no UIS employee has gets no pop-up card.
    pub fn card_will_not_pop_up(&self) -> bool {
        self.extension.is_none() || self.matched_by.as_deref() != Some("extension")
    }
}

/// What the sync found, for the settings page's table and warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelephonySync {
    pub staff: Vec<StaffRow>,
    /// Employees with an extension that no UIS employee has: the call card will not pop up.
    pub extension_without_uis_employee: Vec<StaffRow>,
    /// Working employees not listed in Megaplan's telephony settings at all.
    pub not_in_telephony_settings: Vec<StaffRow>,
}

impl TelephonySync {
    fn of(staff: Vec<StaffRow>) -> TelephonySync {
        TelephonySync {
            extension_without_uis_employee: staff
                .iter()
                .filter(|r| r.extension.is_some() && r.matched_by.as_deref() != Some("extension"))
                .cloned()
                .collect(),
            not_in_telephony_settings: staff
                .iter()
                .filter(|r| r.extension.is_none())
                .cloned()
                .collect(),
            staff,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("Megaplan: {0}")]
    Megaplan(#[from] megaplan::Error),
    #[error("UIS: {0}")]
    Uis(#[from] uis::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// `sip:101@pbx.example` → `101`; a plain number stays as it is.
pub fn extension_of(internal_number: &str) -> String {
    let s = internal_number.trim();
    let s = s.strip_prefix("sip:").unwrap_or(s);
    s.split('@').next().unwrap_or(s).trim().to_owned()
}

/// The number routing dials for a UIS employee: the first active one.
pub fn uis_phone_of(e: &uis::data_api::Employee) -> Option<String> {
    e.phone_numbers
        .iter()
        .find(|p| p.status.as_deref().is_none_or(|s| s == "active") && !p.phone_number.is_empty())
        .map(|p| p.phone_number.clone())
}

fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Reads Megaplan's telephony settings and UIS's employees, replaces the account's mapping.
pub async fn sync(access: &Access, account_id: &str) -> Result<TelephonySync, SyncError> {
    let mp = access.megaplan(account_id).await?;
    let data = access.uis_data(account_id).await?;
    let (employees, configs, uis_employees) = tokio::try_join!(
        async { Ok::<_, SyncError>(mp.employees().await?) },
        async { Ok(mp.call_user_configs().await?) },
        async { Ok(data.employees().await?) }
    )?;
    let extensions: HashMap<&str, String> = configs
        .iter()
        .filter_map(|c| {
            let ext = extension_of(c.internal_number.as_deref()?);
            (!ext.is_empty()).then_some((c.employee.id.as_str(), ext))
        })
        .collect();
    let by_extension = |ext: &str| {
        uis_employees.iter().find(|u| {
            u.extension
                .as_ref()
                .and_then(|x| x.extension_phone_number.as_deref())
                .is_some_and(|x| x.trim() == ext)
        })
    };
    let staff: Vec<StaffRow> = employees
        .iter()
        .filter(|e| e.is_working)
        .map(|e| {
            let extension = extensions.get(e.id.as_str()).cloned();
            let email = e
                .email()
                .filter(|m| !m.trim().is_empty())
                .map(str::to_owned);
            let (uis, matched_by) = match extension.as_deref().and_then(by_extension) {
                Some(u) => (Some(u), Some("extension")),
                None => match email.as_deref().and_then(|m| {
                    uis_employees
                        .iter()
                        .find(|u| u.email.as_deref().is_some_and(|x| same_email(x, m)))
                }) {
                    Some(u) => (Some(u), Some("email")),
                    None => (None, None),
                },
            };
            StaffRow {
                megaplan_user_id: e.id.as_str().to_owned(),
                megaplan_name: e.display_name(),
                email,
                extension,
                uis_employee_id: uis.map(|u| u.id),
                uis_employee_name: uis.and_then(|u| u.full_name.clone()),
                uis_phone: uis.and_then(uis_phone_of),
                matched_by: matched_by.map(str::to_owned),
            }
        })
        .collect();
    store(&access.pool, account_id, &staff, &uis_employees).await?;
    Ok(table(&access.pool, account_id).await?)
}

async fn store(
    pool: &AnyPool,
    account_id: &str,
    staff: &[StaffRow],
    uis_employees: &[uis::data_api::Employee],
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    for table in ["telephony_staff", "telephony_uis_employees"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE account_id = $1"
        )))
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    }
    for u in uis_employees {
        sqlx::query(
            "INSERT INTO telephony_uis_employees (account_id, uis_employee_id, full_name, email, extension, phone, synced_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(account_id)
        .bind(u.id)
        .bind(&u.full_name)
        .bind(&u.email)
        .bind(
            u.extension
                .as_ref()
                .and_then(|x| x.extension_phone_number.as_deref())
                .map(str::trim)
                .filter(|x| !x.is_empty()),
        )
        .bind(uis_phone_of(u))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for r in staff {
        sqlx::query(
            "INSERT INTO telephony_staff (account_id, megaplan_user_id, megaplan_name, email, extension, \
             uis_employee_id, uis_employee_name, uis_phone, matched_by, synced_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(account_id)
        .bind(&r.megaplan_user_id)
        .bind(&r.megaplan_name)
        .bind(&r.email)
        .bind(&r.extension)
        .bind(r.uis_employee_id)
        .bind(&r.uis_employee_name)
        .bind(&r.uis_phone)
        .bind(&r.matched_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    bump_version(&mut tx, account_id).await?;
    tx.commit().await
}

/// Marks the account's staff directory changed (in the transaction that changes it): servers
/// keeping it in memory read it again.
pub async fn bump_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET staff_version = staff_version + 1 WHERE id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const COLUMNS: &str = "megaplan_user_id, megaplan_name, email, extension, uis_employee_id, \
                       uis_employee_name, uis_phone, matched_by";

/// The stored mapping with its warnings, as the last sync left it.
pub async fn table(pool: &AnyPool, account_id: &str) -> Result<TelephonySync, sqlx::Error> {
    let staff = sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM telephony_staff WHERE account_id = $1 ORDER BY megaplan_name, megaplan_user_id"
    )))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(TelephonySync::of(staff))
}

/// The row of a Megaplan user (click-to-call, DND, routing).
pub async fn by_megaplan_user(
    pool: &AnyPool,
    account_id: &str,
    megaplan_user_id: &str,
) -> Result<Option<StaffRow>, sqlx::Error> {
    sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM telephony_staff WHERE account_id = $1 AND megaplan_user_id = $2"
    )))
    .bind(account_id)
    .bind(megaplan_user_id)
    .fetch_optional(pool)
    .await
}

/// The Megaplan user a UIS employee is (the worker: whom the pop-up card goes to). By extension
/// first, as the seed says calls are matched; by e-mail otherwise.
pub async fn by_uis_employee(
    pool: &AnyPool,
    account_id: &str,
    uis_employee_id: i64,
) -> Result<Option<StaffRow>, sqlx::Error> {
    sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM telephony_staff WHERE account_id = $1 AND uis_employee_id = $2 \
         ORDER BY CASE WHEN matched_by = 'extension' THEN 0 ELSE 1 END LIMIT 1"
    )))
    .bind(account_id)
    .bind(uis_employee_id)
    .fetch_optional(pool)
    .await
}

/// The Megaplan user with this extension.
pub async fn by_extension(
    pool: &AnyPool,
    account_id: &str,
    extension: &str,
) -> Result<Option<StaffRow>, sqlx::Error> {
    sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM telephony_staff WHERE account_id = $1 AND extension = $2 LIMIT 1"
    )))
    .bind(account_id)
    .bind(extension)
    .fetch_optional(pool)
    .await
}

/// The account's directory as the rules want it (`Known.staff`): UIS employee → extension (UIS's own),
/// extension → Megaplan user (Megaplan's telephony settings), UIS employee → Megaplan user by e-mail
/// (the sync's matches, and the employee sync's latest created / matched results). Values that are not
/// valid ids (e.g. a SIP login as extension) are skipped: they cannot link a card anyway.
pub async fn known_staff(
    pool: &AnyPool,
    account_id: &str,
) -> Result<domain::rules::Staff, sqlx::Error> {
    use domain::{Extension, MegaplanId, UisEmployeeId};
    let mut staff = domain::rules::Staff::default();
    type Row = (String, Option<String>, Option<i64>, Option<String>);
    // Three reads side by side: the staff is read on the way to every pop-up card.
    let (uis, rows, synced) = tokio::try_join!(
        sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT uis_employee_id, extension FROM telephony_uis_employees WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_all(pool),
        sqlx::query_as::<_, Row>(
            "SELECT megaplan_user_id, extension, uis_employee_id, matched_by FROM telephony_staff WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_all(pool),
        // The employee sync matches by e-mail too; its latest finished run adds what T1 has not seen.
        sqlx::query_as::<_, (String, i64)>(
            "SELECT r.megaplan_user_id, r.uis_employee_id FROM employee_sync_results r \
             WHERE r.uis_employee_id IS NOT NULL AND r.outcome IN ('created', 'matched') AND r.run_id = \
             (SELECT id FROM employee_sync_runs WHERE account_id = $1 AND status = 'done' \
              ORDER BY started_at DESC, id LIMIT 1)",
        )
        .bind(account_id)
        .fetch_all(pool),
    )?;
    for (id, ext) in uis {
        if let Some(Ok(ext)) = ext.as_deref().map(Extension::parse) {
            staff.extension_of.insert(UisEmployeeId(id), ext);
        }
    }
    for (mp, ext, uis, matched_by) in rows {
        let Ok(mp) = MegaplanId::parse(&mp) else {
            continue;
        };
        if let Some(Ok(ext)) = ext.as_deref().map(Extension::parse) {
            staff.megaplan_by_extension.insert(ext, mp.clone());
        }
        if matched_by.as_deref() == Some("email")
            && let Some(uis) = uis
        {
            staff
                .megaplan_by_uis_employee
                .insert(UisEmployeeId(uis), mp);
        }
    }
    for (mp, uis) in synced {
        if let Ok(mp) = MegaplanId::parse(&mp) {
            staff
                .megaplan_by_uis_employee
                .entry(UisEmployeeId(uis))
                .or_insert(mp);
        }
    }
    Ok(staff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sip_internal_number_is_reduced_to_the_extension() {
        assert_eq!(extension_of("sip:101@pbx.example"), "101");
        assert_eq!(extension_of(" 102 "), "102");
    }
}
