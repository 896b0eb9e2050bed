//! T10 personal-manager routing (seed 4.6, uis-api.md §4): UIS asks `/hooks/uis/{key}/route` during a
//! ringing call; we answer the manager's UIS phone, or the "not assigned" branch, from a cache of
//! phone → answer filled from Megaplan `callRoute` (megaplan-api.md §10). The answer never waits more
//! than [`BUDGET`]: past it, UIS gets the empty answer (its fallback branch) and the lookup finishes
//! in the background for the next call.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use moka::future::Cache;
use sqlx::AnyPool;
use uis::routing::{RouteAnswer, RouteRequest};

use super::access::Access;

/// The whole answer, Megaplan included; well under the 2 s UIS is assumed to wait (uis-api.md §4.1).
pub const BUDGET: Duration = Duration::from_millis(1500);
/// How long a background lookup may wait for Megaplan.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);
/// `returned_code` of «Персональный CRM менеджер не назначен»: link this code to the scenario's
/// next operation in the UIS cabinet (uis-api.md §4.2).
pub const NOT_ASSIGNED_CODE: i64 = 1;
/// How long an answer is kept without a Megaplan event invalidating it.
const ANSWER_TTL: Duration = Duration::from_secs(300);

/// What routing answers for one caller of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Numbers of the manager(s), in Megaplan's order.
    Manager(Vec<String>),
    NotAssigned,
}

impl Decision {
    pub fn answer(&self) -> RouteAnswer {
        match self {
            Decision::Manager(phones) => RouteAnswer::phones(phones.clone()),
            Decision::NotAssigned => RouteAnswer::returned_code(NOT_ASSIGNED_CODE),
        }
    }
}

type Key = (String, String);

pub struct RouteCache {
    answers: Cache<Key, Decision>,
    /// Megaplan user → UIS phone, per account (from `telephony_staff`).
    staff: Cache<String, Arc<HashMap<String, String>>>,
}

/// Every live cache of this process, so a Megaplan event can reach them (see [`invalidate`]).
static CACHES: LazyLock<Mutex<Vec<Weak<RouteCache>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

impl RouteCache {
    pub fn new() -> Arc<RouteCache> {
        let cache = Arc::new(RouteCache {
            answers: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(ANSWER_TTL)
                .support_invalidation_closures()
                .build(),
            staff: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        });
        let mut all = CACHES.lock().expect("route caches");
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&cache));
        cache
    }

    /// After the telephony-settings sync: who has which phone may have changed.
    pub async fn forget_account(&self, account_id: &str) {
        self.staff.invalidate(account_id).await;
        let account = account_id.to_owned();
        if let Err(e) = self
            .answers
            .invalidate_entries_if(move |k, _| k.0 == account)
        {
            tracing::warn!(error = %e, "routing: cannot forget the account's answers");
        }
    }
}

/// The key of a phone: E.164 digits when it parses, else its digits.
pub fn phone_key(raw: &str) -> String {
    match raw.parse::<domain::phone::Phone>() {
        Ok(p) => p.digits().to_owned(),
        Err(_) => raw.chars().filter(char::is_ascii_digit).collect(),
    }
}

/// In this process only: the next call from `phone` asks Megaplan again. Other servers learn it
/// through [`announce`].
pub async fn invalidate(account_id: &str, phone: &str) {
    apply(account_id, Some(&phone_key(phone))).await;
}

async fn apply(account_id: &str, key: Option<&str>) {
    for c in live_caches() {
        match key {
            Some(k) => {
                c.answers
                    .invalidate(&(account_id.to_owned(), k.to_owned()))
                    .await
            }
            None => c.forget_account(account_id).await,
        }
    }
}

/// A Megaplan application event reached the pipeline: a client created, changed or dropped may have
/// a new responsible, so its phones are asked of Megaplan again. Events often carry a partial
/// entity (megaplan-api.md §9); one without the client's phones forgets the account's answers.
pub async fn megaplan_event(pool: &AnyPool, account_id: &str, body: &str) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return;
    };
    let model = v["accountInfo"]["model"].as_str().unwrap_or_default();
    if !model.starts_with("Contractor") {
        return;
    }
    let phones: Vec<&str> = v["data"]["contactInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"].as_str().is_none_or(|t| t == "phone"))
        .filter_map(|c| c["value"].as_str())
        .collect();
    announce(pool, account_id, &phones).await;
}

/// How often every server reads the invalidations the others wrote.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// Rows are read again this far back, so one committed late or stamped by a server whose clock is
/// a little behind is still seen (servers' clocks must agree within this).
const OVERLAP_MS: i64 = 10_000;
/// Rows older than this are deleted: every running server read them long ago.
const KEEP_MS: i64 = 3_600_000;

/// A row of `route_invalidations`: id, account, phone key (`None`: the whole account), when written.
type Invalidation = (String, String, Option<String>, i64);

/// Invalidations this process already applied (id → when written): each is applied once per process.
static APPLIED: LazyLock<Mutex<HashMap<String, i64>>> = LazyLock::new(Mutex::default);

/// Who the manager of a caller of the account is may have changed (`phones` empty: of any caller —
/// a staff sync, or a client event without its phones). This process forgets at once; the row
/// written tells every other server within [`FOLLOW_EVERY`].
pub async fn announce(pool: &AnyPool, account_id: &str, phones: &[&str]) {
    let keys: Vec<Option<String>> = if phones.is_empty() {
        vec![None]
    } else {
        phones.iter().map(|p| Some(phone_key(p))).collect()
    };
    let now = crate::pipeline::now_ms();
    for key in keys {
        apply(account_id, key.as_deref()).await;
        let id = uuid::Uuid::new_v4().to_string();
        APPLIED.lock().expect("applied").insert(id.clone(), now);
        let written = sqlx::query(
            "INSERT INTO route_invalidations (id, account_id, phone, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&key)
        .bind(now)
        .execute(pool)
        .await;
        if let Err(e) = written {
            tracing::warn!(error = %e, account_id, "routing: other servers keep their answers until they expire");
        }
    }
}

/// Every server runs this: applies what other servers announced, and deletes rows nobody needs.
pub fn follow_invalidations(pool: AnyPool, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut newest = crate::pipeline::now_ms();
        let mut pruned_at = 0;
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let rows: Result<Vec<Invalidation>, _> = sqlx::query_as(
                "SELECT id, account_id, phone, created_at FROM route_invalidations \
                 WHERE created_at >= $1 ORDER BY created_at",
            )
            .bind(newest - OVERLAP_MS)
            .fetch_all(&pool)
            .await;
            match rows {
                Ok(rows) => {
                    for (id, account_id, phone, at) in rows {
                        newest = newest.max(at);
                        let fresh = APPLIED.lock().expect("applied").insert(id, at).is_none();
                        if fresh {
                            apply(&account_id, phone.as_deref()).await;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "routing: cannot read other servers' invalidations")
                }
            }
            // Rows this old are no longer read, so their ids need not be remembered.
            APPLIED
                .lock()
                .expect("applied")
                .retain(|_, at| *at >= newest - 2 * OVERLAP_MS);
            let now = crate::pipeline::now_ms();
            if now - pruned_at > KEEP_MS / 6 {
                pruned_at = now;
                let r = sqlx::query("DELETE FROM route_invalidations WHERE created_at < $1")
                    .bind(now - KEEP_MS)
                    .execute(&pool)
                    .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "routing: cannot delete old invalidations");
                }
            }
        }
    })
}

fn live_caches() -> Vec<Arc<RouteCache>> {
    CACHES
        .lock()
        .expect("route caches")
        .iter()
        .filter_map(Weak::upgrade)
        .collect()
}

/// The answer for a request of `account_id` (routing on), within `BUDGET` from `started`.
pub async fn answer(
    access: &Access,
    cache: &Arc<RouteCache>,
    account_id: &str,
    request: &RouteRequest,
    started: Instant,
) -> RouteAnswer {
    let Some(numa) = request
        .numa
        .as_deref()
        .map(phone_key)
        .filter(|p| !p.is_empty())
    else {
        return RouteAnswer::default();
    };
    let key = (account_id.to_owned(), numa);
    if let Some(hit) = cache.answers.get(&key).await {
        return hit.answer();
    }
    // The lookup runs on its own task: when the budget runs out it still fills the cache.
    let lookup = {
        let (access, cache, key) = (access.clone(), cache.clone(), key.clone());
        tokio::spawn(async move {
            let load = lookup(&access, &cache, &key.0, &key.1);
            cache.answers.try_get_with(key.clone(), load).await
        })
    };
    let left = BUDGET.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, lookup).await {
        Ok(Ok(Ok(decision))) => decision.answer(),
        Ok(Ok(Err(e))) => {
            tracing::warn!(account = account_id, error = %e, "routing: Megaplan lookup failed; fallback");
            RouteAnswer::default()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "routing lookup task failed");
            RouteAnswer::default()
        }
        Err(_) => {
            tracing::info!(account = account_id, budget = ?BUDGET, "routing: no answer in time; fallback, lookup continues");
            RouteAnswer::default()
        }
    }
}

async fn lookup(
    access: &Access,
    cache: &RouteCache,
    account_id: &str,
    phone: &str,
) -> Result<Decision, String> {
    let mp = access
        .megaplan(account_id)
        .await
        .map_err(|e| e.to_string())?;
    let route = match mp.call_route_within(phone, LOOKUP_TIMEOUT).await {
        Ok(r) => r,
        Err(e @ megaplan::Error::CredentialsBroken { .. }) => {
            if access.megaplan_refused(account_id).await {
                return Err(e.to_string());
            }
            // The set was renewed since this client was made: once more with what is stored now.
            let mp = access
                .megaplan(account_id)
                .await
                .map_err(|e| e.to_string())?;
            match mp.call_route_within(phone, LOOKUP_TIMEOUT).await {
                Ok(r) => r,
                Err(e) => {
                    if let megaplan::Error::CredentialsBroken { .. } = e {
                        access.megaplan_refused(account_id).await;
                    }
                    return Err(e.to_string());
                }
            }
        }
        Err(e) => return Err(e.to_string()),
    };
    // Any other type is Megaplan's default group: nobody is this caller's manager.
    if route.kind.as_deref() != Some("responsible") || route.employees.is_empty() {
        return Ok(Decision::NotAssigned);
    }
    let staff = cache
        .staff
        .try_get_with(account_id.to_owned(), staff_phones(access, account_id))
        .await
        .map_err(|e| e.to_string())?;
    let phones: Vec<String> = route
        .employees
        .iter()
        .filter_map(|e| staff.get(e.id.as_str()).cloned())
        .collect();
    Ok(if phones.is_empty() {
        Decision::NotAssigned
    } else {
        Decision::Manager(phones)
    })
}

async fn staff_phones(
    access: &Access,
    account_id: &str,
) -> Result<Arc<HashMap<String, String>>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT megaplan_user_id, uis_phone FROM telephony_staff \
         WHERE account_id = $1 AND uis_phone IS NOT NULL",
    )
    .bind(account_id)
    .fetch_all(&access.pool)
    .await?;
    Ok(Arc::new(rows.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_is_keyed_by_its_e164_digits() {
        assert_eq!(phone_key("+7 (999) 123-45-67"), "79991234567");
        assert_eq!(phone_key("89991234567"), "79991234567");
        assert_eq!(phone_key("79991234567"), "79991234567");
    }

    #[test]
    fn not_assigned_is_the_returned_code_branch() {
        assert_eq!(
            Decision::NotAssigned.answer().returned_code,
            Some(NOT_ASSIGNED_CODE)
        );
        assert_eq!(
            Decision::Manager(vec!["79160000101".into()])
                .answer()
                .phones,
            vec!["79160000101".to_string()]
        );
    }
}
