//! The event trace (O1): decision, each action with its request, answer, created ids and timing,
//! retries and the outcome. Pruned after `--trace-retention-days` by a cron schedule.

use serde::Serialize;
use sqlx::AnyPool;

use super::now_ms;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Step<'a> {
    pub step: &'a str,
    pub action_key: Option<String>,
    pub request: Option<String>,
    pub status: Option<String>,
    pub created_ids: Option<String>,
    pub duration_ms: Option<i64>,
    pub detail: Option<String>,
}

/// Writes one step; a trace that cannot be written is logged, never fails the event.
pub async fn write(pool: &AnyPool, account_id: &str, event_id: &str, s: Step<'_>) {
    let r = sqlx::query(
        "INSERT INTO event_trace (id, event_id, account_id, at, step, action_key, request, status, created_ids, duration_ms, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(event_id)
    .bind(account_id)
    .bind(now_ms())
    .bind(s.step)
    .bind(s.action_key)
    .bind(s.request)
    .bind(s.status)
    .bind(s.created_ids)
    .bind(s.duration_ms)
    .bind(s.detail)
    .execute(pool)
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, event_id, "cannot write the event trace");
    }
}

/// One step of an event's trace, as the event log shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TraceRow {
    pub at: i64,
    pub step: String,
    pub action_key: Option<String>,
    pub request: Option<String>,
    pub status: Option<String>,
    pub created_ids: Option<String>,
    pub duration_ms: Option<i64>,
    pub detail: Option<String>,
}

pub async fn of_event(pool: &AnyPool, event_id: &str) -> Result<Vec<TraceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, step, action_key, request, status, created_ids, duration_ms, detail \
         FROM event_trace WHERE event_id = $1 ORDER BY at, id",
    )
    .bind(event_id)
    .fetch_all(pool)
    .await
}

/// Deletes traces, finished inbox events and rejected bodies older than `days`. Events still
/// waiting or failed are kept (they can be replayed).
pub async fn prune(pool: &AnyPool, days: u32) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - i64::from(days) * 86_400_000;
    let mut n = sqlx::query("DELETE FROM event_trace WHERE at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM inbox_events WHERE received_at < $1 AND status = 'done'")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    n += sqlx::query("DELETE FROM rejected_events WHERE received_at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n)
}

/// Deletes apalis jobs finished more than a day ago: the inbox row keeps what happened.
pub async fn prune_jobs(db: &crate::db::Db) -> Result<u64, sqlx::Error> {
    let cutoff_secs = now_ms() / 1000 - 86_400;
    let sql = match db.backend {
        crate::db::Backend::Sqlite => {
            "DELETE FROM Jobs WHERE job_type = $1 AND status IN ('Done', 'Killed') AND done_at < $2"
        }
        crate::db::Backend::Postgres => {
            "DELETE FROM apalis.jobs WHERE job_type = $1 AND status IN ('Done', 'Killed') \
             AND done_at < to_timestamp($2)"
        }
    };
    Ok(sqlx::query(sql)
        .bind(super::store::QUEUE)
        .bind(cutoff_secs)
        .execute(&db.pool)
        .await?
        .rows_affected())
}
