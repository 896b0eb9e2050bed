//! The job store: apalis's SQLite or PostgreSQL storage over a concrete pool opened beside the
//! `AnyPool`, so an inbox row and its job commit in one transaction.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use apalis::prelude::TaskBuilder;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

use crate::db::Backend;

/// The apalis queue (job type) every event job goes to.
pub const QUEUE: &str = "uis_megaplan.events";

/// apalis keeps its migration history apart from ours, so neither migrator sees the other's versions.
const APALIS_MIGRATIONS_TABLE: &str = "_apalis_migrations";

/// The job: only inbox ids; the worker reads everything else from the inbox rows. An inbox commit
/// enqueues one job for all the events it accepted (one queue row per commit, not per event: the
/// queue's eight indexes made its rows most of a commit's writes); a retry, a replay or a
/// takeover enqueues a job of the one event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventJob {
    pub event_ids: Vec<String>,
}

impl EventJob {
    pub fn one(event_id: &str) -> Self {
        EventJob {
            event_ids: vec![event_id.to_owned()],
        }
    }

    pub fn task(&self, run_at: Option<SystemTime>) -> apalis::prelude::Task<Vec<u8>> {
        let bytes = serde_json::to_vec(self).expect("a job serialises");
        let b = TaskBuilder::new(bytes);
        match run_at {
            Some(t) => b.run_at_time(t).build(),
            None => b.build(),
        }
    }
}

/// Wakes this process's worker when jobs were committed, so a new event is fetched at once instead
/// of at the next poll (the pop-up card must show while the phone rings). Wake-ups coalesce: many
/// commits before the worker looks cost one fetch. Jobs of other servers still arrive by polling.
#[derive(Clone, Debug, Default)]
pub struct JobSignal {
    notify: std::sync::Arc<tokio::sync::Notify>,
}

impl JobSignal {
    /// Jobs were committed.
    pub fn pushed(&self) {
        self.notify.notify_one();
    }

    /// One item per wake-up, for the worker's poll strategy.
    pub fn wakeups(&self) -> impl futures::Stream<Item = ()> + Unpin + Send + Sync + 'static {
        Box::pin(futures::stream::unfold(
            self.notify.clone(),
            |notify| async move {
                notify.notified().await;
                Some(((), notify))
            },
        ))
    }
}

#[derive(Clone, Debug)]
pub enum JobStore {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection that can take jobs inside the caller's transaction.
pub trait JobConn: Send {
    fn push_jobs<'a>(
        &'a mut self,
        jobs: Vec<apalis::prelude::Task<Vec<u8>>>,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

impl JobConn for SqliteConnection {
    /// What `apalis_sqlite::queries::push_tasks` writes (its `queries/task/sink.sql`, same columns,
    /// defaults and conflict rule), as one multi-row INSERT: push_tasks runs one statement per job,
    /// and per-statement round trips to SQLite's thread were most of a group commit's time.
    fn push_jobs<'a>(
        &'a mut self,
        jobs: Vec<apalis::prelude::Task<Vec<u8>>>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            for chunk in jobs.chunks(1000) {
                let mut q = sqlx::QueryBuilder::new("");
                push_sqlite_jobs(&mut q, chunk, now);
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        })
    }
}

/// Appends `INSERT INTO Jobs … ON CONFLICT … DO NOTHING` of `jobs` to `q`; `now`: unix seconds.
pub fn push_sqlite_jobs(
    q: &mut sqlx::QueryBuilder<sqlx::Sqlite>,
    jobs: &[apalis::prelude::Task<Vec<u8>>],
    now: u64,
) {
    q.push("INSERT INTO Jobs ");
    q.push_values(jobs, |mut b, task| {
        let id = task
            .task_id()
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_else(ulid);
        b.push_bind(task.args.clone())
            .push_bind(id)
            .push_bind(QUEUE)
            .push("'Pending'")
            .push("0")
            .push_bind(task.max_attempts().unwrap_or(25) as i64)
            .push_bind(task.run_at().unwrap_or(now) as i64)
            .push("NULL")
            .push("NULL")
            .push("NULL")
            .push("NULL")
            .push_bind(task.priority().unwrap_or_default() as i64)
            .push_bind(serde_json::to_string(task.metadata()).unwrap_or_default())
            .push_bind(task.idempotency_key().map(str::to_owned));
    });
    q.push(" ON CONFLICT(job_type, idempotency_key) DO NOTHING");
}

/// A ULID (48-bit milliseconds + 80 random bits, Crockford base32): apalis-sqlite reads job ids as ULIDs.
fn ulid() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
        & ((1 << 48) - 1);
    let v = (ms << 80) | (rand::random::<u128>() & ((1 << 80) - 1));
    (0..26)
        .rev()
        .map(|i| ALPHABET[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

impl JobConn for PgConnection {
    fn push_jobs<'a>(
        &'a mut self,
        jobs: Vec<apalis::prelude::Task<Vec<u8>>>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            if !jobs.is_empty() {
                apalis_postgres::queries::push_tasks(self, QUEUE, jobs).await?;
            }
            Ok(())
        })
    }
}

/// Runs `$body` with `$conn` = `&mut` a concrete connection inside one transaction of `$store`,
/// committing when it returns `Ok`. The body is expanded once per backend, so the same portable
/// SQL (`$1` placeholders) binds against `SqliteConnection` and `PgConnection`.
macro_rules! in_tx {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store {
            $crate::pipeline::store::JobStore::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let out = {
                    let $conn: &mut sqlx::SqliteConnection = &mut *tx;
                    $body
                };
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
            $crate::pipeline::store::JobStore::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let out = {
                    let $conn: &mut sqlx::PgConnection = &mut *tx;
                    $body
                };
                if out.is_ok() {
                    tx.commit().await?;
                }
                out
            }
        }
    };
}
pub(crate) use in_tx;

impl JobStore {
    /// Opens a concrete pool on `url` and creates apalis's tables.
    pub async fn open(url: &str, backend: Backend) -> anyhow::Result<JobStore> {
        match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .busy_timeout(Duration::from_secs(10))
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma(
                        "wal_autocheckpoint",
                        crate::db::WAL_AUTOCHECKPOINT_PAGES.to_string(),
                    )
                    .create_if_missing(true);
                crate::db::busy_wait::register_everywhere();
                let pool = crate::db::checked_when_idle(SqlitePoolOptions::new(), backend)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(conn, crate::db::busy_wait::INSTALL).await?;
                            Ok(())
                        })
                    })
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                let mut m = apalis_sqlite::SqliteStorage::migrations();
                m.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
                m.run(&pool).await?;
                Ok(JobStore::Sqlite(pool))
            }
            Backend::Postgres => {
                let pool = crate::db::checked_when_idle(PgPoolOptions::new(), backend)
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                let mut m = apalis_postgres::PostgresStorage::migrations();
                m.dangerous_set_table_name(APALIS_MIGRATIONS_TABLE);
                m.run(&pool).await?;
                Ok(JobStore::Postgres(pool))
            }
        }
    }

    /// Enqueues one job (replay, retry, reconciliation) in its own transaction, with `also` run first.
    pub async fn push(&self, job: &EventJob, run_at: Option<SystemTime>) -> anyhow::Result<()> {
        let task = job.task(run_at);
        in_tx!(self, |conn| conn.push_jobs(vec![task]).await)
    }
}
