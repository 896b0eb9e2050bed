//! The durable event pipeline (issue 6): ingress → inbox + job in one transaction → apalis worker →
//! idempotent actions in Megaplan → trace; retries with backoff, dead letter, replay, metrics.

mod actions;
pub mod connections;
pub mod executor;
pub mod handoff;
pub mod ingress;
pub mod interim_rules;
pub mod metrics;
pub mod reconcile;
pub mod replay;
pub mod store;
pub mod trace;
pub mod worker;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use apalis::prelude::*;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::task::JoinHandle;

use crate::db::Db;
use crate::secret::SecretKey;
use connections::{DbConnections, MegaplanConnections};
use ingress::{Inbox, IngressState};
use interim_rules::Planner;
use store::{EventJob, JobSignal, JobStore, QUEUE};
use worker::Worker;

/// Unix milliseconds: every time in the pipeline's tables.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `$first, $first+1, …`: `n` numbered placeholders (the `Any` driver's QueryBuilder writes `?`,
/// which PostgreSQL refuses), for an `IN (…)` list or the values of a multi-row INSERT.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Knobs of the pipeline; tests shorten the times.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Jobs run at once by this process; 0 = accept events but process none here.
    pub concurrency: usize,
    /// Events this process's worker may hold from its own inbox commits (the hand-off) before
    /// new ones go through the queue for any server to take; 0 = every event through the queue.
    pub handoff: usize,
    /// How often an idle worker looks for due jobs (other servers' events, scheduled retries).
    pub poll_interval: Duration,
    /// apalis worker heartbeat; a worker silent for two of them has its jobs re-enqueued.
    pub heartbeat: Duration,
    /// How long a claim on an event, a phone or an action holds without its holder finishing.
    pub lease: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Attempts of an event before it becomes dead (dead letter).
    pub max_attempts: u32,
    /// Per-request timeout of Megaplan calls.
    pub megaplan_timeout: Duration,
    pub trace_retention_days: u32,
    /// How often old traces are pruned.
    pub prune_every: Duration,
    /// How often this server looks for claims that lapsed (a handed-off event of a server that
    /// died has no queue job; this gives it back to the queue).
    pub requeue_every: Duration,
    /// When an account's credential set works again, what Megaplan's refusal failed is queued
    /// again at once and once more after this: an attempt that read the broken set just before
    /// may end after the first pass.
    pub refused_again_after: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            concurrency: 8,
            handoff: 1024,
            poll_interval: Duration::from_millis(200),
            heartbeat: Duration::from_secs(15),
            lease: Duration::from_secs(120),
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            max_attempts: 12,
            megaplan_timeout: Duration::from_secs(20),
            trace_retention_days: 30,
            prune_every: Duration::from_secs(3600),
            requeue_every: Duration::from_secs(5),
            refused_again_after: Duration::from_secs(10),
        }
    }
}

impl PipelineConfig {
    /// Short times for tests: fast polling, quick takeover of a crashed server's work.
    pub fn for_tests() -> Self {
        PipelineConfig {
            concurrency: 8,
            handoff: 1024,
            poll_interval: Duration::from_millis(25),
            heartbeat: Duration::from_secs(1),
            lease: Duration::from_secs(2),
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(200),
            max_attempts: 40,
            megaplan_timeout: Duration::from_millis(700),
            trace_retention_days: 30,
            prune_every: Duration::from_secs(3600),
            requeue_every: Duration::from_millis(200),
            refused_again_after: Duration::from_millis(300),
        }
    }

    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        worker::backoff(self.backoff_base, self.backoff_cap, attempt, retry_after)
    }
}

/// What the server plugs into the pipeline.
#[derive(Clone)]
pub struct PipelineParts {
    pub config: PipelineConfig,
    /// Where an account's Megaplan credential comes from; `None` = the one the settings page selected.
    pub connections: Option<Arc<dyn MegaplanConnections>>,
    pub planner: Arc<dyn Planner>,
}

impl Default for PipelineParts {
    fn default() -> Self {
        PipelineParts {
            config: PipelineConfig::default(),
            connections: None,
            planner: Arc::new(crate::telephony::planner::TelephonyPlanner::default()),
        }
    }
}

/// A running pipeline: the inbox writer, the worker and the prune schedule.
#[derive(Clone)]
pub struct Pipeline {
    pub db: Db,
    pub store: JobStore,
    pub inbox: Inbox,
    /// Wakes this process's worker when jobs are committed.
    pub signal: JobSignal,
    pub config: PipelineConfig,
    tasks: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    /// The inbox writers; stopped after the HTTP server, which waits for their answers.
    writers: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").finish_non_exhaustive()
    }
}

impl Pipeline {
    pub async fn start(
        db: Db,
        url: &str,
        parts: PipelineParts,
        key: &SecretKey,
    ) -> anyhow::Result<Pipeline> {
        let connections = parts
            .connections
            .clone()
            .unwrap_or_else(|| Arc::new(DbConnections::new(db.pool.clone(), key)));
        let _ = metrics::handle();
        let store = JobStore::open(url, db.backend).await?;
        let signal = JobSignal::default();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let holder = format!(
            "uis-megaplan-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut tasks = Vec::new();
        let mut handoff = None;
        if parts.config.concurrency > 0 {
            let w = Arc::new(Worker::new(
                db.pool.clone(),
                store.clone(),
                parts.config.clone(),
                connections,
                parts.planner.clone(),
                holder.clone(),
            ));
            tasks.push(tokio::spawn(handoff::requeue_lapsed_every(
                store.clone(),
                signal.clone(),
                parts.config.requeue_every,
                stopped.clone(),
            )));
            if parts.config.handoff > 0 {
                let (h, task) = handoff::start(
                    w.clone(),
                    parts.config.handoff,
                    parts.config.lease,
                    stopped.clone(),
                );
                handoff = Some(h);
                tasks.push(task);
            }
            tasks.push(spawn_worker(
                &store,
                &parts.config,
                &signal,
                w,
                &holder,
                stopped.clone(),
            ));
        }
        let (inbox, writers) = Inbox::start(store.clone(), signal.clone(), handoff);
        if db.backend == crate::db::Backend::Sqlite {
            tasks.push(tokio::spawn(crate::db::checkpoints(
                db.pool.clone(),
                stopped.clone(),
            )));
        }
        tasks.push(spawn_pruner(db.clone(), &parts.config, &holder, stopped));
        Ok(Pipeline {
            db,
            store,
            inbox,
            signal,
            config: parts.config,
            tasks: Arc::new(std::sync::Mutex::new(tasks)),
            writers: Arc::new(std::sync::Mutex::new(writers)),
            stop,
        })
    }

    /// `/hooks/...` and `/metrics`.
    pub fn routes(&self) -> Router {
        let ingress = ingress::routes(IngressState::new(self.db.pool.clone(), self.inbox.clone()));
        let metrics = Router::new()
            .route("/metrics", get(render_metrics))
            .with_state(self.db.clone());
        ingress.merge(metrics)
    }

    /// The Prometheus text `/metrics` serves.
    pub async fn metrics_text(&self) -> String {
        metrics_text(&self.db).await
    }

    /// Lets the worker finish the jobs in hand (up to `grace`), then stops it.
    pub async fn shutdown(&self, grace: Duration) {
        for w in self.writers.lock().expect("writers").drain(..) {
            w.abort();
        }
        let _ = self.stop.send(true);
        let tasks: Vec<_> = std::mem::take(&mut *self.tasks.lock().expect("tasks"));
        for t in tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout(grace, t).await.is_err() {
                abort.abort();
            }
        }
    }

    /// Stops everything at once, as a crash would: jobs in hand are left to the other servers.
    pub fn kill(&self) {
        for w in self.writers.lock().expect("writers").drain(..) {
            w.abort();
        }
        for t in self.tasks.lock().expect("tasks").drain(..) {
            t.abort();
        }
    }
}

fn spawn_worker(
    store: &JobStore,
    config: &PipelineConfig,
    wake: &JobSignal,
    w: Arc<Worker>,
    name: &str,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    let signal = async move {
        let _ = stopped.wait_for(|s| *s).await;
        Ok::<(), std::io::Error>(())
    };
    let concurrency = config.concurrency;
    let name = name.to_owned();
    // Fetch when this process commits jobs, and every poll interval for the rest (retries that
    // came due, other servers' events, jobs of a server that died).
    let strategy = || {
        apalis::prelude::Strategy::new()
            .stream(wake.wakeups())
            .interval(config.poll_interval)
    };
    match store {
        JobStore::Sqlite(pool) => {
            let cfg = apalis_sqlite::Config::default()
                .queue(QUEUE)
                .batch_size(concurrency.max(1))
                .heartbeat_interval(config.heartbeat)
                .missed_heartbeats(2)
                // The fetch already marks a job with this worker (a dead worker's jobs are
                // re-enqueued); marking it again as Running is one more write per event.
                .lock_tasks(false);
            let backend = apalis_sqlite::SqliteStorage::<EventJob>::new(pool)
                .with_config(cfg)
                .poll_with_strategy(strategy());
            let worker = WorkerBuilder::new(name)
                .backend(backend)
                .concurrency(concurrency)
                .data(w)
                .build(worker::handle);
            tokio::spawn(async move {
                if let Err(e) = worker.run_until(signal).await {
                    tracing::error!(error = %e, "pipeline worker stopped");
                }
            })
        }
        JobStore::Postgres(pool) => {
            let cfg = apalis_postgres::Config::default()
                .queue(QUEUE)
                .batch_size(concurrency.max(1))
                .heartbeat_interval(config.heartbeat)
                .missed_heartbeats(2);
            let backend = apalis_postgres::PostgresStorage::<EventJob>::new(pool)
                .with_config(cfg)
                .poll_with_strategy(strategy());
            let worker = WorkerBuilder::new(name)
                .backend(backend)
                .concurrency(concurrency)
                .data(w)
                .build(worker::handle);
            tokio::spawn(async move {
                if let Err(e) = worker.run_until(signal).await {
                    tracing::error!(error = %e, "pipeline worker stopped");
                }
            })
        }
    }
}

/// A schedule that ticks every `period` (apalis-cron takes any `Schedule`).
#[derive(Clone, Debug)]
pub struct Every(pub Duration);

impl<Tz> apalis_cron::Schedule<Tz> for Every {
    fn next_tick(&mut self, _tz: &Tz) -> Option<apalis_cron::Tick<Tz>> {
        let next = SystemTime::now() + self.0;
        let secs = next
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Some(apalis_cron::Tick::new(secs))
    }
}

#[derive(Clone)]
struct PruneCtx {
    db: Db,
    days: u32,
}

async fn prune_tick(_tick: apalis_cron::Tick, ctx: Data<PruneCtx>) -> Result<(), BoxDynError> {
    let n = trace::prune(&ctx.db.pool, ctx.days).await? + trace::prune_jobs(&ctx.db).await?;
    if n > 0 {
        tracing::info!(rows = n, days = ctx.days, "pruned old event traces");
    }
    Ok(())
}

fn spawn_pruner(
    db: Db,
    config: &PipelineConfig,
    name: &str,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    let worker = WorkerBuilder::new(format!("{name}-prune"))
        .backend(apalis_cron::CronScheduler::new(Every(config.prune_every)))
        .data(PruneCtx {
            db,
            days: config.trace_retention_days,
        })
        .build(prune_tick);
    tokio::spawn(async move {
        let signal = async move {
            let _ = stopped.wait_for(|s| *s).await;
            Ok::<(), std::io::Error>(())
        };
        if let Err(e) = worker.run_until(signal).await {
            tracing::error!(error = %e, "trace pruning schedule stopped");
        }
    })
}

/// Prometheus text; the queue depth is read from the inbox at scrape time.
pub async fn metrics_text(db: &Db) -> String {
    if let Ok((n,)) = sqlx::query_as::<_, (i64,)>(
        "SELECT COUNT(*) FROM inbox_events WHERE status IN ('queued', 'retrying', 'processing')",
    )
    .fetch_one(&db.pool)
    .await
    {
        metrics::queue_depth(n);
    }
    metrics::handle().render()
}

async fn render_metrics(State(db): State<Db>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics_text(&db).await,
    )
}
