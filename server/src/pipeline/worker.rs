//! The worker: takes an event job from apalis, claims the inbox row, decides, executes the actions,
//! and ends the event as done, retrying (a new job with backoff), failed (permanent) or dead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use apalis::prelude::{BoxDynError, Data};
use rand::Rng;
use sqlx::AnyPool;

use super::connections::{MegaplanConnections, REFUSED};
use super::executor::{ActionError, Executor};
use super::handoff::HandedEvent;
use super::interim_rules::{AtCommit, Executed, Plan, PlanInput, Planner};
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
    let open = w.unfinished(job.event_ids).await?;
    let starts = open.into_iter().map(Start::Queued).collect();
    run_events(&w, starts).await.map_err(BoxDynError::from)
}

/// How an event reaches the worker.
#[derive(Debug)]
pub enum Start {
    /// From the queue: the worker claims the inbox row first.
    Queued(String),
    /// From this process's inbox commit, which claimed the row for this worker.
    Handed(Box<HandedEvent>),
}

impl Start {
    fn event_id(&self) -> &str {
        match self {
            Start::Queued(id) => id,
            Start::Handed(h) => &h.row.id,
        }
    }
}

/// Runs events in their order, each in a task of its own, at most `concurrency` at once across
/// jobs and hand-offs. `Err` names the events whose database work failed.
pub async fn run_events(w: &Arc<Worker>, starts: Vec<Start>) -> Result<(), String> {
    let runs = starts.into_iter().map(|start| {
        let w = w.clone();
        async move {
            // Permits are granted in request order, so a call's earlier event starts first.
            let _slot = w.slots.clone().acquire_owned().await;
            let event_id = start.event_id().to_owned();
            let run = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(async move {
                w.process(start).await
            }));
            let result = match run.await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the event's task ended: {e}")),
            };
            result.map_err(|e| {
                tracing::warn!(error = %e, event_id = %event_id, "event failed; its job runs again");
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
        Err(failed.join("; "))
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

/// What the worker reads of a claimed event (the columns of [`EventRow`]).
macro_rules! event_columns {
    () => {
        "account_id, source, event_type, content_type, query, body, CAST(attempts AS BIGINT), \
         (SELECT a.time_zone FROM accounts a WHERE a.id = inbox_events.account_id)"
    };
}

struct Event {
    account_id: String,
    source: String,
    event_type: String,
    content_type: Option<String>,
    query: Option<String>,
    body: String,
    attempts: i64,
    time_zone: String,
    /// What the planner's statement in the accepting commit returned (first attempt, handed off).
    at_commit: Option<String>,
    /// The notification as ingress parsed it (handed off).
    notification: Option<Arc<uis::notification::Notification>>,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Event {
        let (account_id, source, event_type, content_type, query, body, attempts, tz) = row;
        Event {
            account_id,
            source,
            event_type,
            content_type,
            query,
            body,
            attempts,
            time_zone: tz.unwrap_or_else(|| "Europe/Moscow".into()),
            at_commit: None,
            notification: None,
        }
    }
}

/// What an attempt did, written when it ends.
#[derive(Default)]
struct Steps {
    decision: Option<String>,
    list: Vec<Step<'static>>,
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

    /// The job's events that are not finished: a job may come up for events another run already
    /// finished (a lapsed claim given back to the queue, a retry's second job); one read passes them
    /// all over.
    async fn unfinished(&self, event_ids: Vec<String>) -> Result<Vec<String>, sqlx::Error> {
        if event_ids.is_empty() {
            return Ok(event_ids);
        }
        let list = super::placeholders(1, event_ids.len());
        let sql = format!(
            "SELECT id FROM inbox_events WHERE id IN ({list}) \
             AND status IN ('queued', 'retrying', 'processing')"
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for id in &event_ids {
            q = q.bind(id.as_str());
        }
        let open: std::collections::HashSet<String> = q
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        // In the job's order: a call's earlier event first.
        Ok(event_ids
            .into_iter()
            .filter(|id| open.contains(id))
            .collect())
    }

    pub async fn process(&self, start: Start) -> anyhow::Result<()> {
        tracing::trace!(target: "latency", stage = "worker");
        let (event_id, ev) = match start {
            Start::Queued(id) => match self.claim(&id).await? {
                Some(ev) => (id, ev),
                None => return Ok(()),
            },
            Start::Handed(h) => match self.handed(*h).await? {
                Some(started) => started,
                None => return Ok(()),
            },
        };
        let mut steps = Steps::default();
        let mut after = None;
        let outcome = self.run(&event_id, &ev, &mut steps, &mut after).await?;
        self.finish(&event_id, &ev, outcome, steps, after).await
    }

    /// Claims a queued event; `None` when it is not to be run now. A claim that lapsed is not
    /// taken here, even when a job of its dead holder comes back: `handoff::requeue_lapsed` gives
    /// it back to the queue first, with the trace step saying the attempt was interrupted.
    async fn claim(&self, event_id: &str) -> anyhow::Result<Option<Event>> {
        loop {
            let now = now_ms();
            let lease = self.config.lease.as_millis() as i64;
            // The claim returns the event: one statement, not a claim and then a read.
            let claimed: Option<EventRow> = sqlx::query_as(concat!(
                "UPDATE inbox_events SET status = 'processing', attempts = attempts + 1, locked_until = $2 \
                 WHERE id = $1 AND (status = 'queued' \
                   OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= $3))) \
                 RETURNING ",
                event_columns!()
            ))
            .bind(event_id)
            .bind(now + lease)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = claimed {
                return Ok(Some(Event::from(row)));
            }
            match self.not_claimed(event_id).await? {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Ok(None),
            }
        }
    }

    /// A handed-off event starts on the row it came with while most of its claim is left; one
    /// that waited longer for a slot renews the claim first, unless the queue gave it to someone
    /// else meanwhile (the claim's end changed: `None`).
    async fn handed(&self, h: HandedEvent) -> anyhow::Result<Option<(String, Event)>> {
        let lease = self.config.lease.as_millis() as i64;
        let now = now_ms();
        let row = h.row;
        if let Some(tz) = row.time_zone
            && h.claimed_until - now > lease / 2
        {
            let ev = Event {
                account_id: row.account_id,
                source: row.source.to_owned(),
                event_type: row.event_type,
                content_type: row.content_type,
                query: row.query,
                body: row.body,
                attempts: 1,
                time_zone: tz.name().to_owned(),
                at_commit: h.at_commit,
                notification: row.notification,
            };
            return Ok(Some((row.id, ev)));
        }
        let renewed: Option<EventRow> = sqlx::query_as(concat!(
            "UPDATE inbox_events SET locked_until = $2 \
             WHERE id = $1 AND status = 'processing' AND locked_until = $3 \
             RETURNING ",
            event_columns!()
        ))
        .bind(row.id.as_str())
        .bind(now + lease)
        .bind(h.claimed_until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(renewed.map(|r| (row.id, Event::from(r))))
    }

    /// Someone else holds the event, it is finished, or its retry is not due yet. A live holder may
    /// still die: its claim then lapses and `handoff::requeue_lapsed` gives the event back to the
    /// queue. A retry job comes up to a second early (apalis schedules in whole seconds): `Some` is the wait until
    /// the retry is due, so a short backoff is kept instead of spent at once.
    async fn not_claimed(&self, event_id: &str) -> anyhow::Result<Option<Duration>> {
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT status, next_attempt_at FROM inbox_events WHERE id = $1")
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        if let Some((status, Some(next))) = &row
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
        Ok(None)
    }

    /// Plans and executes the event; `after` gets the planner's statement for the commit that
    /// ends the attempt.
    async fn run(
        &self,
        event_id: &str,
        ev: &Event,
        steps: &mut Steps,
        after: &mut Option<AtCommit>,
    ) -> anyhow::Result<Outcome> {
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
        // Kept with the attempt's other steps and written with its outcome in one commit: each
        // SQLite commit before the actions is on the way to the pop-up card.
        steps.decision = Some(decision.clone());
        steps.list.push(Step {
            step: "decision",
            detail: Some(decision),
            at: Some(now_ms()),
            ..Step::default()
        });
        let mut created = Vec::new();
        let outcome = self.execute(event_id, ev, &plan, steps, &mut created).await;
        *after = self.planner.executed(Executed {
            account_id: &ev.account_id,
            event_id,
            plan: &plan,
            succeeded: matches!(outcome, Ok(Outcome::Done)),
            created: &created,
        });
        if outcome.is_err()
            && let Some(statement) = after.take()
        {
            // No commit ends this attempt (the database failed): the planner's statement alone.
            if let Err(e) = statement.run(&self.pool).await {
                tracing::warn!(error = %e, event_id, "the planner's record not written");
            }
        }
        outcome
    }

    async fn execute(
        &self,
        event_id: &str,
        ev: &Event,
        plan: &Plan,
        steps: &mut Steps,
        created: &mut Vec<String>,
    ) -> anyhow::Result<Outcome> {
        if plan.actions.is_empty() {
            return Ok(Outcome::Done);
        }
        let (mp, sealed) = match self.megaplan(&ev.account_id).await {
            Ok(c) => c,
            Err(outcome) => return Ok(outcome),
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
        exec.card = plan.card;
        exec.unrecorded_client = plan.unrecorded_client.clone();
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
            if status == "created" {
                created.push(action.idempotency_key());
            }
            steps.list.push(Step {
                step: "action",
                action_key: Some(action.idempotency_key()),
                request: Some(action.describe()),
                status: Some(status),
                created_ids,
                duration_ms: Some(took.as_millis() as i64),
                detail: None,
                at: Some(now_ms()),
            });
            match result {
                Ok(_) => {}
                Err(ActionError::Permanent(m)) => return Ok(Outcome::Permanent(m)),
                Err(ActionError::CredentialsBroken(m)) => {
                    if !self
                        .connections
                        .mark_broken(&ev.account_id, sealed.as_deref())
                        .await
                    {
                        // The set was renewed since this attempt read it: try the new password.
                        return Ok(Outcome::Transient {
                            message: format!(
                                "Megaplan refused a password renewed meanwhile ({m}); trying the new one"
                            ),
                            retry_after: None,
                        });
                    }
                    return Ok(Outcome::Permanent(format!(
                        "{REFUSED}: {m}. It is marked broken: fix it on the settings page, and \
                         the events it failed run again"
                    )));
                }
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
                let n = match &ev.notification {
                    Some(n) => n.clone(),
                    None => Arc::new(
                        uis::notification::parse(
                            kind,
                            ev.content_type.as_deref(),
                            ev.query.as_deref(),
                            ev.body.as_bytes(),
                            tz,
                        )
                        .map_err(|e| e.to_string())?,
                    ),
                };
                Ok(self
                    .planner
                    .plan(PlanInput {
                        account_id: &ev.account_id,
                        event_id,
                        time_zone: tz,
                        pool: &self.pool,
                        notification: &n,
                        at_commit: ev.at_commit.as_deref(),
                    })
                    .await)
            }
            _ => {
                crate::telephony::routing::megaplan_event(&self.pool, &ev.account_id, &ev.body)
                    .await;
                Ok(Ok(Plan::skip(
                    "Megaplan application events are recorded (a client's change refreshes its \
                     routing); rules for them come with deals",
                )))
            }
        }
    }

    /// Ends the attempt: the event's new state, its decision and the attempt's trace in one commit
    /// (a retry's job commits with its state; its trace follows).
    async fn finish(
        &self,
        event_id: &str,
        ev: &Event,
        outcome: Outcome,
        mut steps: Steps,
        after: Option<AtCommit>,
    ) -> anyhow::Result<()> {
        let now = now_ms();
        let (source, ty) = (ev.source.as_str(), ev.event_type.as_str());
        let (status, why) = match outcome {
            Outcome::Done => ("done", None),
            Outcome::Permanent(why) => ("failed", Some(why)),
            Outcome::Transient { message, .. }
                if ev.attempts >= i64::from(self.config.max_attempts) =>
            {
                (
                    "dead",
                    Some(format!(
                        "gave up after {} attempts; last error: {message}",
                        ev.attempts
                    )),
                )
            }
            Outcome::Transient {
                message,
                retry_after,
            } => {
                let delay = self.config.backoff(ev.attempts as u32, retry_after);
                let at = SystemTime::now() + delay;
                let next = now + delay.as_millis() as i64;
                let job = EventJob::one(event_id).task(Some(at));
                // The call is given back before the retry is scheduled.
                if let Some(statement) = &after
                    && let Err(e) = statement.run(&self.pool).await
                {
                    tracing::warn!(error = %e, event_id, "the planner's record not written");
                }
                in_tx!(&self.store, |conn| {
                    sqlx::query(
                        "UPDATE inbox_events SET status = 'retrying', next_attempt_at = $2, last_error = $3, \
                         locked_until = NULL, decision = COALESCE($4, decision) WHERE id = $1",
                    )
                    .bind(event_id)
                    .bind(next)
                    .bind(&message)
                    .bind(steps.decision.as_deref())
                    .execute(&mut *conn)
                    .await?;
                    conn.push_jobs(vec![job]).await
                })?;
                metrics::event_failed(source, ty, "retry");
                steps.list.push(Step {
                    step: "retry",
                    detail: Some(format!(
                        "attempt {}: {message}; next in {delay:?}",
                        ev.attempts
                    )),
                    ..Step::default()
                });
                trace::write_all(&self.pool, &ev.account_id, event_id, steps.list).await;
                return Ok(());
            }
        };
        let decision = steps.decision.as_deref();
        steps.list.push(Step {
            step: status,
            detail: why.clone(),
            ..Step::default()
        });
        let written = match self.store {
            JobStore::Sqlite(_) => {
                self.end_sqlite(
                    event_id,
                    ev,
                    status,
                    now,
                    why.as_deref(),
                    decision,
                    after.as_ref(),
                    steps.list,
                )
                .await
            }
            _ => {
                let mut tx = self.pool.begin().await?;
                end(&mut *tx, event_id, status, now, why.as_deref(), decision).await?;
                let mut written = Ok(());
                if let Some(statement) = &after {
                    written = statement.run(&mut *tx).await;
                }
                if written.is_ok() {
                    written =
                        trace::try_write_all(&mut *tx, &ev.account_id, event_id, steps.list).await;
                }
                match written {
                    Ok(()) => Ok(tx.commit().await?),
                    Err(e) => {
                        tx.rollback().await?;
                        Err(e)
                    }
                }
            }
        };
        if let Err(e) = written {
            // A trace (or a record) that cannot be written never holds the event back (on
            // PostgreSQL the failed statement spoilt the transaction): the state and the planner's
            // record are written alone.
            tracing::warn!(error = %e, event_id, "cannot write the attempt's end with its trace; the end alone");
            end(&self.pool, event_id, status, now, why.as_deref(), decision).await?;
            if let Some(statement) = &after
                && let Err(e) = statement.run(&self.pool).await
            {
                tracing::warn!(error = %e, event_id, "the planner's record not written");
            }
        }
        match status {
            "done" => metrics::event_processed(source, ty),
            other => metrics::event_failed(source, ty, other),
        }
        Ok(())
    }

    /// SQLite: the attempt's end, the planner's record (the call given back) and the trace in one
    /// round trip to SQLite's thread, the write lock taken and let go there — a transaction held
    /// across round trips makes the next event's inbox commit wait for it (back to back, the
    /// pop-up's commit waited ~0.1–0.15 ms).
    #[allow(clippy::too_many_arguments)]
    async fn end_sqlite(
        &self,
        event_id: &str,
        ev: &Event,
        status: &str,
        now: i64,
        why: Option<&str>,
        decision: Option<&str>,
        after: Option<&AtCommit>,
        steps: Vec<Step<'_>>,
    ) -> Result<(), sqlx::Error> {
        // END's five values, the planner's statement's, the trace's.
        let (after_sql, after_args) = match after {
            Some(a) => (format!("{}; ", a.sql_after(5)), a.args.len()),
            None => (String::new(), 0),
        };
        let sql = format!(
            "BEGIN IMMEDIATE; {END}; {after_sql}{}; COMMIT",
            trace::insert_sql(steps.len(), 6 + after_args)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event_id.to_owned())
            .bind(status.to_owned())
            .bind(now)
            .bind(why.map(str::to_owned))
            .bind(decision.map(str::to_owned));
        if let Some(a) = after {
            q = a.bind_to(q);
        }
        let mut conn = self.pool.acquire().await?;
        let written = trace::bind_steps(q, &ev.account_id, event_id, steps)
            .execute(&mut *conn)
            .await;
        if written.is_err() {
            // A statement after BEGIN failed: the connection goes back to the pool without it.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        written.map(|_| ())
    }

    /// One client per account, kept so its token is reused; rebuilt when the credential changes.
    /// With the sealed password it was read with; `Err`: how the attempt ends without one.
    async fn megaplan(
        &self,
        account_id: &str,
    ) -> Result<(megaplan::Client, Option<String>), Outcome> {
        let c = match self.connections.connection(account_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Err(Outcome::Permanent(
                    "no Megaplan credential is set for this account".into(),
                ));
            }
            Err(e) => {
                return Err(Outcome::Transient {
                    message: e,
                    retry_after: None,
                });
            }
        };
        if let Some(name) = c.broken {
            // Another login with a refused password only risks Megaplan locking the account.
            return Err(Outcome::Permanent(format!(
                "{REFUSED} «{name}» earlier: fix it on the settings page, and the events it \
                 failed run again"
            )));
        }
        let fingerprint = format!("{}\n{}\n{}", c.base_url, c.login, c.password);
        let mut clients = self.clients.lock().expect("clients");
        if let Some((f, client)) = clients.get(account_id)
            && *f == fingerprint
        {
            return Ok((client.clone(), c.sealed));
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
        Ok((client, c.sealed))
    }
}

/// Ends an attempt: `status` (done, failed or dead), its reason and the decision ($1–$5).
const END: &str = "UPDATE inbox_events SET status = $2, processed_at = $3, last_error = $4, \
     locked_until = NULL, next_attempt_at = NULL, decision = COALESCE($5, decision) WHERE id = $1";

/// Writes the end of an attempt: `status` (done, failed or dead), its reason and the decision.
async fn end<'c, E>(
    db: E,
    event_id: &str,
    status: &str,
    now: i64,
    why: Option<&str>,
    decision: Option<&str>,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(END)
        .bind(event_id)
        .bind(status)
        .bind(now)
        .bind(why)
        .bind(decision)
        .execute(db)
        .await?;
    Ok(())
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
