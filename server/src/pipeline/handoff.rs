//! The hand-off: events this process accepted go straight from the inbox commit to this process's
//! worker, without a round through the queue — a pop-up card must show while the phone rings, and
//! apalis's fetch is a write of its own (on SQLite it holds the one write lock ~0.2 ms and makes
//! the event's own writes wait in 1 ms sleeps).
//!
//! A handed-off event is committed already claimed by this process (status `processing`, its first
//! attempt, `locked_until` the end of the lease) and without a queue job, so the worker starts on
//! the row it is handed without a claim of its own. Should this process die first, every server
//! looks for claims that lapsed ([`requeue_lapsed`], every few seconds) and gives those events back
//! to the queue, where any server runs them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::ingress::InboxRow;
use super::interim_rules::Planner;
use super::now_ms;
use super::store::{EventJob, JobConn, JobSignal, JobStore, in_tx};
use super::worker::{self, Start, Worker};

/// An accepted event handed to this process's worker with its inbox row, which the commit
/// claimed for it until `claimed_until` (ms).
#[derive(Debug)]
pub struct HandedEvent {
    pub row: InboxRow,
    pub claimed_until: i64,
    /// What the planner's statement in the commit returned for it ([`Planner::at_commit`]).
    pub at_commit: Option<String>,
}

/// The inbox writer's side.
#[derive(Clone)]
pub struct Handoff {
    tx: mpsc::UnboundedSender<Vec<HandedEvent>>,
    /// Events handed over and not finished yet.
    in_hand: Arc<AtomicUsize>,
    /// More than this in hand and new events go through the queue (any server may take them).
    capacity: usize,
    /// How long the commit's claim of a handed-off event lasts.
    pub lease: Duration,
    /// The worker's planner: its statements run in the commit of the events handed over.
    pub planner: Arc<dyn Planner>,
}

impl std::fmt::Debug for Handoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("capacity", &self.capacity)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Handoff {
    /// Room for `n` more events? Reserved if so; give back what is not sent with [`Handoff::release`].
    pub fn reserve(&self, n: usize) -> bool {
        self.in_hand
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held + n <= self.capacity).then_some(held + n)
            })
            .is_ok()
    }

    pub fn release(&self, n: usize) {
        self.in_hand.fetch_sub(n, Ordering::AcqRel);
    }

    /// Gives committed events to the worker. One that has stopped leaves them to their claim
    /// lapsing, then to the queue ([`requeue_lapsed`]).
    pub fn send(&self, events: Vec<HandedEvent>) {
        let n = events.len();
        if self.tx.send(events).is_err() {
            self.release(n);
        }
    }
}

/// Starts the receiving side on `worker`; it stops taking events when `stopped` turns true and
/// lets those in hand finish. Aborting the task aborts them (a crash: their claims lapse).
pub fn start(
    worker: Arc<Worker>,
    capacity: usize,
    lease: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> (Handoff, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<HandedEvent>>();
    let in_hand = Arc::new(AtomicUsize::new(0));
    let handoff = Handoff {
        tx,
        in_hand: in_hand.clone(),
        capacity,
        lease,
        planner: worker.planner.clone(),
    };
    let release = handoff.clone();
    let task = tokio::spawn(async move {
        let mut running = JoinSet::new();
        loop {
            tokio::select! {
                events = rx.recv() => {
                    let Some(events) = events else { break };
                    tracing::trace!(target: "latency", stage = "handed off");
                    let (w, release) = (worker.clone(), release.clone());
                    running.spawn(async move {
                        let n = events.len();
                        let starts = events
                            .into_iter()
                            .map(|h| Start::Handed(Box::new(h)))
                            .collect();
                        if let Err(e) = worker::run_events(&w, starts).await {
                            // Their claim lapses and `requeue_lapsed` gives them to the queue.
                            tracing::warn!(error = %e, "handed-off events left to the queue");
                        }
                        release.release(n);
                    });
                }
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = stopped.wait_for(|s| *s) => break,
            }
        }
        while running.join_next().await.is_some() {}
    });
    (handoff, task)
}

/// Gives events whose claim lapsed back to the queue, with one job for them in their arrival order:
/// a handed-off event has no job of its own, so this is how any server gets the events of a
/// process that died (or of a run that outlived its lease), each with a trace step saying its
/// attempt was interrupted. Returns how many.
pub async fn requeue_lapsed(store: &JobStore) -> anyhow::Result<usize> {
    let now = now_ms();
    // Nearly always nothing: reads first, not a write that takes SQLite's one write lock every
    // time. The attempt that lapsed wrote no trace (its steps are written when it ends): the event
    // log says it was interrupted and what it had recorded in Megaplan by then, read here too,
    // outside the write lock, through the records of the event's call (indexed by call).
    let (candidates, mut recorded) = in_tx!(store, |conn| {
        let events: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, CAST(attempts AS BIGINT) FROM inbox_events \
             WHERE status = 'processing' AND locked_until < $1 ORDER BY id LIMIT 500",
        )
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.event_id AS event_id, r.action_key AS action_key, r.state AS state, \
             r.megaplan_type AS megaplan_type, r.megaplan_id AS megaplan_id \
             FROM inbox_events e JOIN action_records r \
               ON r.account_id = e.account_id AND r.call_session_id = e.call_session_id \
             WHERE e.id IN ({}) AND r.event_id = e.id ORDER BY r.started_at",
            super::placeholders(1, events.len())
        )));
        for (id, _) in &events {
            q = q.bind(id.as_str());
        }
        let rows: Vec<RecordedAction> = if events.is_empty() {
            Vec::new()
        } else {
            q.fetch_all(&mut *conn).await?
        };
        let mut recorded: HashMap<String, Vec<RecordedAction>> = HashMap::new();
        for r in rows {
            recorded.entry(r.event_id.clone()).or_default().push(r);
        }
        Ok::<_, anyhow::Error>((events, recorded))
    })?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let attempts: HashMap<&str, i64> = candidates.iter().map(|(id, a)| (id.as_str(), *a)).collect();
    in_tx!(store, |conn| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE inbox_events SET status = 'queued', locked_until = NULL \
             WHERE status = 'processing' AND locked_until < $1 AND id IN ({}) \
             RETURNING id, account_id",
            super::placeholders(2, candidates.len())
        )))
        .bind(now);
        for (id, _) in &candidates {
            q = q.bind(id.as_str());
        }
        let mut lapsed: Vec<(String, String)> = q.fetch_all(&mut *conn).await?;
        // Inbox ids are time-ordered: a call's earlier event first.
        lapsed.sort();
        let n = lapsed.len();
        for (event_id, account_id) in &lapsed {
            let attempt = attempts.get(event_id.as_str()).copied().unwrap_or_default();
            let detail =
                interrupted_detail(attempt, &recorded.remove(event_id).unwrap_or_default());
            sqlx::query(
                "INSERT INTO event_trace (id, event_id, account_id, at, step, status, detail) \
                 VALUES ($1, $2, $3, $4, 'interrupted', 'claim lapsed', $5)",
            )
            .bind(super::trace::step_id(now))
            .bind(event_id.as_str())
            .bind(account_id.as_str())
            .bind(now)
            .bind(detail)
            .execute(&mut *conn)
            .await?;
        }
        if n > 0 {
            let job = EventJob {
                event_ids: lapsed.into_iter().map(|(id, _)| id).collect(),
            };
            conn.push_jobs(vec![job.task(None)]).await?;
            tracing::warn!(
                events = n,
                "claims lapsed; the events are back in the queue"
            );
        }
        Ok::<_, anyhow::Error>(n)
    })
}

/// An action an attempt recorded (its idempotency record).
#[derive(sqlx::FromRow)]
struct RecordedAction {
    event_id: String,
    action_key: String,
    state: String,
    megaplan_type: Option<String>,
    megaplan_id: Option<String>,
}

/// What the trace says of an attempt whose claim lapsed before it ended.
fn interrupted_detail(attempt: i64, recorded: &[RecordedAction]) -> String {
    let head = format!(
        "attempt {attempt} did not end: its server stopped, or it ran past its claim; the event \
         is queued again and what is recorded is not done twice"
    );
    if recorded.is_empty() {
        return format!("{head}. Nothing was recorded in Megaplan by then.");
    }
    let actions = recorded
        .iter()
        .map(|r| {
            let key = &r.action_key;
            match (r.state.as_str(), &r.megaplan_type, &r.megaplan_id) {
                ("done", Some(kind), Some(id)) => format!("{key} → {kind}:{id}"),
                ("done", _, _) => format!("{key} → done"),
                _ => format!(
                    "{key} → started, Megaplan's answer not recorded (looked up before posting again)"
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!("{head}. Recorded in Megaplan by then: {actions}.")
}

/// Runs [`requeue_lapsed`] every `every` until `stopped`; a queue job follows each find.
pub async fn requeue_lapsed_every(
    store: JobStore,
    signal: JobSignal,
    every: Duration,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    crate::every(every, stopped, || async {
        match requeue_lapsed(&store).await {
            Ok(0) => {}
            Ok(_) => signal.pushed(),
            Err(e) => tracing::warn!(error = %e, "cannot look for lapsed claims; next time"),
        }
        std::ops::ControlFlow::Continue(())
    })
    .await
}
