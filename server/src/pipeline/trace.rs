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
    /// When it happened (unix ms); `None` = when written.
    pub at: Option<i64>,
}

/// Writes one step; a trace that cannot be written is logged, never fails the event.
pub async fn write<'c, E>(db: E, account_id: &str, event_id: &str, s: Step<'_>)
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    write_all(db, account_id, event_id, vec![s]).await
}

/// Writes the steps of an attempt in one statement, in their order; a failure is only logged.
pub async fn write_all<'c, E>(db: E, account_id: &str, event_id: &str, steps: Vec<Step<'_>>)
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if let Err(e) = try_write_all(db, account_id, event_id, steps).await {
        tracing::warn!(error = %e, event_id, "cannot write the event trace");
    }
}

/// Writes the steps of an attempt in one statement, in their order.
pub async fn try_write_all<'c, E>(
    db: E,
    account_id: &str,
    event_id: &str,
    steps: Vec<Step<'_>>,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if steps.is_empty() {
        return Ok(());
    }
    let q = sqlx::query(sqlx::AssertSqlSafe(insert_sql(steps.len(), 1)));
    bind_steps(q, account_id, event_id, steps)
        .execute(db)
        .await?;
    Ok(())
}

const COLUMNS: usize = 11;

/// The `INSERT` of `rows` steps, its placeholders numbered from `$first` (the statement may follow
/// others in one query).
pub(super) fn insert_sql(rows: usize, first: usize) -> String {
    let rows = (0..rows)
        .map(|r| format!("({})", super::placeholders(first + r * COLUMNS, COLUMNS)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO event_trace (id, event_id, account_id, at, step, action_key, request, status, \
         created_ids, duration_ms, detail) VALUES {rows}"
    )
}

/// Binds the values of [`insert_sql`]'s placeholders, in order.
pub(super) fn bind_steps<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    account_id: &str,
    event_id: &str,
    steps: Vec<Step<'_>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let now = now_ms();
    for s in steps {
        let at = s.at.unwrap_or(now);
        q = q
            .bind(step_id(at))
            .bind(event_id.to_owned())
            .bind(account_id.to_owned())
            .bind(at)
            .bind(s.step.to_owned())
            .bind(s.action_key)
            .bind(s.request)
            .bind(s.status)
            .bind(s.created_ids)
            .bind(s.duration_ms)
            .bind(s.detail);
    }
    q
}

/// Sorts like the steps were written (time, then this process's sequence), unique across servers.
pub(super) fn step_id(at: i64) -> String {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tail = &uuid::Uuid::new_v4().simple().to_string()[..8];
    format!("{at:013}-{seq:012}-{tail}")
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
/// waiting or failed are kept (they can be replayed). A call none of whose events is left is
/// forgotten with its last ones: its facts and its action records (the idempotency memory,
/// including the record naming its caller's client: a later call finds that client in Megaplan).
pub async fn prune(pool: &AnyPool, days: u32) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - i64::from(days) * 86_400_000;
    let mut n = sqlx::query("DELETE FROM event_trace WHERE at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    let calls: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT account_id, call_session_id FROM inbox_events \
         WHERE received_at < $1 AND status = 'done' AND call_session_id IS NOT NULL",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await?;
    n += sqlx::query("DELETE FROM inbox_events WHERE received_at < $1 AND status = 'done'")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    n += forget_calls(pool, &calls).await?;
    n += sqlx::query("DELETE FROM rejected_events WHERE received_at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n)
}

macro_rules! forget_call {
    ($table:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " WHERE account_id = $1 AND call_session_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM inbox_events e \
               WHERE e.account_id = $1 AND e.call_session_id = $2)"
        )
    };
}
const FORGET_CALL_RECORDS: &str = forget_call!("action_records");
const FORGET_CALL_FACTS: &str = forget_call!("call_facts");

/// Deletes the facts and action records of those `calls` that have no event left, a hundred calls
/// a transaction (SQLite's write lock is held a few milliseconds at a time).
async fn forget_calls(pool: &AnyPool, calls: &[(String, i64)]) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for chunk in calls.chunks(100) {
        let mut tx = pool.begin().await?;
        for (account, call) in chunk {
            for sql in [FORGET_CALL_RECORDS, FORGET_CALL_FACTS] {
                n += sqlx::query(sql)
                    .bind(account)
                    .bind(call)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
        }
        tx.commit().await?;
    }
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

/// One event as the event log shows it: what arrived, what became of it, and its steps.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    pub account_id: String,
    pub source: String,
    pub event_type: String,
    pub received_at: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The payload as received: the body, or the query string of a GET notification.
    pub body: String,
    pub query: Option<String>,
    pub decision: Option<String>,
    pub steps: Vec<TraceRow>,
}

type EventRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

const EVENT_COLUMNS: &str = "SELECT id, account_id, source, event_type, received_at, status, \
     CAST(attempts AS BIGINT), last_error, body, query, decision FROM inbox_events";

fn view(r: EventRow, steps: Vec<TraceRow>) -> EventView {
    let (
        id,
        account_id,
        source,
        event_type,
        received_at,
        status,
        attempts,
        last_error,
        body,
        query,
        decision,
    ) = r;
    EventView {
        id,
        account_id,
        source,
        event_type,
        received_at,
        status,
        attempts,
        last_error,
        body,
        query,
        decision,
        steps,
    }
}

/// One event of `account_id` with its trace.
pub async fn event(
    pool: &AnyPool,
    account_id: &str,
    event_id: &str,
) -> Result<Option<EventView>, sqlx::Error> {
    let row: Option<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{EVENT_COLUMNS} WHERE id = $1 AND account_id = $2"
    )))
    .bind(event_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(r) => {
            let steps = of_event(pool, event_id).await?;
            Ok(Some(view(r, steps)))
        }
        None => Ok(None),
    }
}

/// The newest `limit` events of `account_id` received in `[from_ms, to_ms)`, without their steps.
pub async fn events(
    pool: &AnyPool,
    account_id: &str,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> Result<Vec<EventView>, sqlx::Error> {
    let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{EVENT_COLUMNS} WHERE account_id = $1 AND received_at >= $2 AND received_at < $3 \
         ORDER BY received_at DESC LIMIT $4"
    )))
    .bind(account_id)
    .bind(from_ms)
    .bind(to_ms)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| view(r, Vec::new())).collect())
}
