//! The worker: takes an event job from apalis, claims the inbox row, decides, executes the actions,
//! and ends the event as done, retrying (a new job with backoff), failed (permanent) or dead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use apalis::prelude::{BoxDynError, Data};
use rand::Rng;
use sqlx::AnyPool;

use super::connections::MegaplanConnections;
use super::executor::{ActionError, Executor};
use super::interim_rules::{Executed, Plan, PlanInput, Planner};
use super::store::{EventJob, JobConn, JobStore, in_tx};
use super::trace::{self, Step};
use super::{PipelineConfig, metrics, now_ms};

pub struct Worker {
    pub pool: AnyPool,
    pub store: JobStore,
    pub config: PipelineConfig,
    pub connections: Arc<dyn MegaplanConnections>,
    pub planner: Arc<dyn Planner>,
    pub http: reqwest::Client,
    /// This process's name in locks and claims.
    pub holder: String,
    clients: Mutex<HashMap<String, (String, megaplan::Client)>>,
    /// Events processed at once by this worker.
    slots: Arc<tokio::sync::Semaphore>,
}

/// The apalis handler: every outcome of an event is recorded by `process`; an `Err` here means the
/// database failed, and apalis runs the job again (events already finished are passed over).
///
/// Each event runs in a task of its own, at most `concurrency` at once across jobs: apalis polls
/// its job stream whenever the future of a job wakes, and on SQLite each poll of an idle queue is a
/// write (`UPDATE Jobs …`) that competes with the events' own writes — a dozen per event when the
/// event's every query woke it. Dropping the job (a stopped worker) aborts its events' tasks.
pub async fn handle(job: EventJob, w: Data<Arc<Worker>>) -> Result<(), BoxDynError> {
    let w: Arc<Worker> = (*w).clone();
    let runs = job.event_ids.into_iter().map(|event_id| {
        let w = w.clone();
        async move {
            // Permits are granted in request order, so a call's earlier event starts first.
            let _slot = w.slots.clone().acquire_owned().await;
            let id = event_id.clone();
            let run = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(async move {
                w.process(&id).await
            }));
            let result = match run.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the event's task ended: {e}")),
            };
            result.map_err(|e| {
                tracing::warn!(error = %e, event_id = %event_id, "event failed; apalis runs its job again");
                e
            })
        }
    });
    let failed = futures::future::join_all(runs)
        .await
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect::<Vec<_>>();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(BoxDynError::from(failed.join("; ")))
    }
}

/// account, source, type, content type, query, body, attempts, time zone.
type EventRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
);

struct Event {
    account_id: String,
    source: String,
    event_type: String,
    content_type: Option<String>,
    query: Option<String>,
    body: String,
    attempts: i64,
    time_zone: String,
}

enum Outcome {
    Done,
    Permanent(String),
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
}

impl Worker {
    pub fn new(
        pool: AnyPool,
        store: JobStore,
        config: PipelineConfig,
        connections: Arc<dyn MegaplanConnections>,
        planner: Arc<dyn Planner>,
        holder: String,
    ) -> Worker {
        let slots = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
        Worker {
            pool,
            store,
            config,
            connections,
            planner,
            http: reqwest::Client::new(),
            holder,
            clients: Mutex::default(),
            slots,
        }
    }

    pub async fn process(&self, event_id: &str) -> anyhow::Result<()> {
        loop {
            let now = now_ms();
            let lease = self.config.lease.as_millis() as i64;
            let claimed = sqlx::query(
                "UPDATE inbox_events SET status = 'processing', attempts = attempts + 1, locked_until = $2 \
                 WHERE id = $1 AND (status = 'queued' \
                   OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= $3)) \
                   OR (status = 'processing' AND locked_until < $3))",
            )
            .bind(event_id)
            .bind(now + lease)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if claimed == 1 {
                break;
            }
            match self.not_claimed(event_id).await? {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Ok(()),
            }
        }
        let row: Option<EventRow> = sqlx::query_as(
            "SELECT e.account_id, e.source, e.event_type, e.content_type, e.query, e.body, \
                 CAST(e.attempts AS BIGINT), a.time_zone \
                 FROM inbox_events e LEFT JOIN accounts a ON a.id = e.account_id WHERE e.id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((account_id, source, event_type, content_type, query, body, attempts, tz)) = row
        else {
            return Ok(());
        };
        let ev = Event {
            account_id,
            source,
            event_type,
            content_type,
            query,
            body,
            attempts,
            time_zone: tz.unwrap_or_else(|| "Europe/Moscow".into()),
        };
        let outcome = self.run(event_id, &ev).await?;
        self.finish(event_id, &ev, outcome).await
    }

    /// Someone else holds the event, it is finished, or its retry is not due yet. A live holder may
    /// still die: a job at the end of its lease makes sure the event is looked at again. A retry
    /// job comes up to a second early (apalis schedules in whole seconds): `Some` is the wait until
    /// the retry is due, so a short backoff is kept instead of spent at once.
    async fn not_claimed(&self, event_id: &str) -> anyhow::Result<Option<Duration>> {
        let row: Option<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT status, locked_until, next_attempt_at FROM inbox_events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((status, _, Some(next))) = &row
            && status == "retrying"
        {
            let wait = Duration::from_millis((next - now_ms()).max(0) as u64);
            if wait <= Duration::from_secs(2) {
                return Ok(Some(wait));
            }
            let at = SystemTime::UNIX_EPOCH + Duration::from_millis(*next as u64);
            self.store.push(&EventJob::one(event_id), Some(at)).await?;
            return Ok(None);
        }
        if let Some((status, Some(until), _)) = row
            && status == "processing"
        {
            let at = SystemTime::UNIX_EPOCH + Duration::from_millis(until.max(0) as u64 + 1000);
            self.store.push(&EventJob::one(event_id), Some(at)).await?;
        }
        Ok(None)
    }

    async fn run(&self, event_id: &str, ev: &Event) -> anyhow::Result<Outcome> {
        let plan = match self.plan(event_id, ev).await {
            Ok(Ok(p)) => p,
            Ok(Err(transient)) => {
                return Ok(Outcome::Transient {
                    message: transient,
                    retry_after: None,
                });
            }
            Err(why) => return Ok(Outcome::Permanent(why)),
        };
        let decision = serde_json::to_string(&plan)?;
        // One commit for both: each SQLite commit on the way to the pop-up card counts.
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE inbox_events SET decision = $2 WHERE id = $1")
            .bind(event_id)
            .bind(&decision)
            .execute(&mut *tx)
            .await?;
        trace::write(
            &mut *tx,
            &ev.account_id,
            event_id,
            Step {
                step: "decision",
                detail: Some(decision),
                ..Step::default()
            },
        )
        .await;
        tx.commit().await?;
        let outcome = self.execute(event_id, ev, &plan).await;
        self.planner
            .executed(Executed {
                account_id: &ev.account_id,
                event_id,
                pool: &self.pool,
                plan: &plan,
                succeeded: matches!(outcome, Ok(Outcome::Done)),
            })
            .await;
        outcome
    }

    async fn execute(&self, event_id: &str, ev: &Event, plan: &Plan) -> anyhow::Result<Outcome> {
        if plan.actions.is_empty() {
            return Ok(Outcome::Done);
        }
        let mp = match self.megaplan(&ev.account_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Ok(Outcome::Permanent(
                    "no Megaplan credential is set for this account".into(),
                ));
            }
            Err(e) => {
                return Ok(Outcome::Transient {
                    message: e,
                    retry_after: None,
                });
            }
        };
        let holder = format!("{}:{event_id}", self.holder);
        let mut exec = Executor::new(
            &self.pool,
            &ev.account_id,
            event_id,
            &mp,
            &self.http,
            &holder,
            self.config.lease,
        );
        for action in &plan.actions {
            let started = Instant::now();
            let result = exec.run(action).await;
            let took = started.elapsed();
            let name = action_name(action);
            metrics::action_latency(name, took);
            let (status, created_ids) = match &result {
                Ok(d) => (
                    d.how.to_owned(),
                    d.megaplan
                        .as_ref()
                        .map(|l| format!("{}:{}", l.content_type, l.id)),
                ),
                Err(e) => (e.message().to_owned(), None),
            };
            trace::write(
                &self.pool,
                &ev.account_id,
                event_id,
                Step {
                    step: "action",
                    action_key: Some(action.idempotency_key()),
                    request: Some(action.describe()),
                    status: Some(status),
                    created_ids,
                    duration_ms: Some(took.as_millis() as i64),
                    detail: None,
                },
            )
            .await;
            match result {
                Ok(_) => {}
                Err(ActionError::Permanent(m)) => return Ok(Outcome::Permanent(m)),
                Err(ActionError::Transient {
                    message,
                    retry_after,
                }) => {
                    return Ok(Outcome::Transient {
                        message,
                        retry_after,
                    });
                }
            }
        }
        Ok(Outcome::Done)
    }

    /// `Err`: the event cannot be read (permanent); `Ok(Err)`: the planner failed for now.
    async fn plan(&self, event_id: &str, ev: &Event) -> Result<Result<Plan, String>, String> {
        match ev.source.as_str() {
            "uis" | "reconcile" => {
                let kind = uis::notification::EventKind::from_path_segment(&ev.event_type)
                    .ok_or_else(|| format!("unknown UIS event {}", ev.event_type))?;
                let tz = ev.time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow);
                let n = uis::notification::parse(
                    kind,
                    ev.content_type.as_deref(),
                    ev.query.as_deref(),
                    ev.body.as_bytes(),
                    tz,
                )
                .map_err(|e| e.to_string())?;
                Ok(self
                    .planner
                    .plan(PlanInput {
                        account_id: &ev.account_id,
                        event_id,
                        time_zone: tz,
                        pool: &self.pool,
                        notification: &n,
                    })
                    .await)
            }
            _ => {
                crate::telephony::routing::megaplan_event(&ev.account_id, &ev.body).await;
                Ok(Ok(Plan::skip(
                    "Megaplan application events are recorded (a client's change refreshes its \
                     routing); rules for them come with deals",
                )))
            }
        }
    }

    async fn finish(&self, event_id: &str, ev: &Event, outcome: Outcome) -> anyhow::Result<()> {
        let now = now_ms();
        let (source, ty) = (ev.source.as_str(), ev.event_type.as_str());
        match outcome {
            Outcome::Done => {
                sqlx::query(
                    "UPDATE inbox_events SET status = 'done', processed_at = $2, last_error = NULL, \
                     locked_until = NULL, next_attempt_at = NULL WHERE id = $1",
                )
                .bind(event_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                metrics::event_processed(source, ty);
                self.step(ev, event_id, "done", None).await;
            }
            Outcome::Permanent(why) => {
                self.end(event_id, "failed", &why).await?;
                metrics::event_failed(source, ty, "failed");
                self.step(ev, event_id, "failed", Some(why)).await;
            }
            Outcome::Transient {
                message,
                retry_after,
            } if ev.attempts >= i64::from(self.config.max_attempts) => {
                let why = format!(
                    "gave up after {} attempts; last error: {message}",
                    ev.attempts
                );
                let _ = retry_after;
                self.end(event_id, "dead", &why).await?;
                metrics::event_failed(source, ty, "dead");
                self.step(ev, event_id, "dead", Some(why)).await;
            }
            Outcome::Transient {
                message,
                retry_after,
            } => {
                let delay = self.config.backoff(ev.attempts as u32, retry_after);
                let at = SystemTime::now() + delay;
                let next = now + delay.as_millis() as i64;
                let job = EventJob::one(event_id).task(Some(at));
                in_tx!(&self.store, |conn| {
                    sqlx::query(
                        "UPDATE inbox_events SET status = 'retrying', next_attempt_at = $2, last_error = $3, \
                         locked_until = NULL WHERE id = $1",
                    )
                    .bind(event_id)
                    .bind(next)
                    .bind(&message)
                    .execute(&mut *conn)
                    .await?;
                    conn.push_jobs(vec![job]).await
                })?;
                metrics::event_failed(source, ty, "retry");
                self.step(
                    ev,
                    event_id,
                    "retry",
                    Some(format!(
                        "attempt {}: {message}; next in {delay:?}",
                        ev.attempts
                    )),
                )
                .await;
            }
        }
        Ok(())
    }

    async fn end(&self, event_id: &str, status: &str, why: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE inbox_events SET status = $2, processed_at = $3, last_error = $4, \
             locked_until = NULL, next_attempt_at = NULL WHERE id = $1",
        )
        .bind(event_id)
        .bind(status)
        .bind(now_ms())
        .bind(why)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn step(&self, ev: &Event, event_id: &str, step: &str, detail: Option<String>) {
        trace::write(
            &self.pool,
            &ev.account_id,
            event_id,
            Step {
                step,
                detail,
                ..Step::default()
            },
        )
        .await;
    }

    /// One client per account, kept so its token is reused; rebuilt when the credential changes.
    async fn megaplan(&self, account_id: &str) -> Result<Option<megaplan::Client>, String> {
        let Some(c) = self.connections.connection(account_id).await? else {
            return Ok(None);
        };
        let fingerprint = format!("{}\n{}\n{}", c.base_url, c.login, c.password);
        let mut clients = self.clients.lock().expect("clients");
        if let Some((f, client)) = clients.get(account_id)
            && *f == fingerprint
        {
            return Ok(Some(client.clone()));
        }
        let client = megaplan::Client::with_http(
            self.http.clone(),
            c.base_url,
            megaplan::Credentials {
                login: c.login,
                password: c.password,
            },
            self.config.megaplan_timeout,
        );
        clients.insert(account_id.to_owned(), (fingerprint, client.clone()));
        Ok(Some(client))
    }
}

fn action_name(a: &domain::rules::Action) -> &'static str {
    use domain::rules::Action::*;
    match a {
        EnsureClient { .. } => "ensure_client",
        UpdateClientExtraFields { .. } => "update_client_extra_fields",
        SetClientResponsible { .. } => "set_client_responsible",
        ShowCallCard { .. } => "show_call_card",
        UpdateCallCard { .. } => "update_call_card",
        LogCall { .. } => "log_call",
        AttachRecording { .. } => "attach_recording",
        CreateCommunication { .. } => "create_communication",
        CreateTodo { .. } => "create_todo",
        CreateDeal { .. } => "create_deal",
    }
}

/// Exponential backoff with equal jitter, never shorter than the server's Retry-After.
pub fn backoff(
    base: Duration,
    cap: Duration,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let d = exp.min(cap);
    let half = d / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
    let d = half + Duration::from_millis(jitter);
    d.max(retry_after.unwrap_or_default())
}
