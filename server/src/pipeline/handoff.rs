//! The hand-off: events this process accepted go straight from the inbox commit to this process's
//! worker, without a round through the queue — a pop-up card must show while the phone rings, and
//! apalis's fetch is a write of its own (on SQLite it holds the one write lock ~0.2 ms and makes
//! the event's own writes wait in 1 ms sleeps).
//!
//! A handed-off event is committed already claimed by this process (status `processing`, its first
//! attempt, `locked_until` the end of the lease), so the worker starts on the row it is handed
//! without a claim of its own. The queue still holds a job for every accepted event, committed
//! with it; a handed-off commit's job is due only when that claim lapses (the `fallback` delay), so
//! it is fetched only if this process died before finishing the events — then any server runs
//! them. When the job comes due, events already finished are passed over with one read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::ingress::InboxRow;
use super::worker::{self, Start, Worker};

/// An accepted event handed to this process's worker with its inbox row, which the commit
/// claimed for it until `claimed_until` (ms).
#[derive(Debug)]
pub struct HandedEvent {
    pub row: InboxRow,
    pub claimed_until: i64,
}

/// The inbox writer's side.
#[derive(Clone, Debug)]
pub struct Handoff {
    tx: mpsc::UnboundedSender<Vec<HandedEvent>>,
    /// Events handed over and not finished yet.
    in_hand: Arc<AtomicUsize>,
    /// More than this in hand and new events go through the queue (any server may take them).
    capacity: usize,
    /// How long a handed-off commit's job waits before the queue offers it to any server.
    pub fallback: Duration,
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

    /// Gives committed events to the worker; false when it has stopped (their jobs remain).
    pub fn send(&self, events: Vec<HandedEvent>) -> bool {
        let n = events.len();
        if self.tx.send(events).is_err() {
            self.release(n);
            return false;
        }
        true
    }
}

/// Starts the receiving side on `worker`; it stops taking events when `stopped` turns true and
/// lets those in hand finish. Aborting the task aborts them (a crash: their jobs remain).
pub fn start(
    worker: Arc<Worker>,
    capacity: usize,
    fallback: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> (Handoff, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<HandedEvent>>();
    let in_hand = Arc::new(AtomicUsize::new(0));
    let handoff = Handoff {
        tx,
        in_hand: in_hand.clone(),
        capacity,
        fallback,
    };
    let release = handoff.clone();
    let task = tokio::spawn(async move {
        let mut running = JoinSet::new();
        loop {
            tokio::select! {
                events = rx.recv() => {
                    let Some(events) = events else { break };
                    let (w, release) = (worker.clone(), release.clone());
                    running.spawn(async move {
                        let n = events.len();
                        let starts = events.into_iter().map(Start::Handed).collect();
                        if let Err(e) = worker::run_events(&w, starts).await {
                            // Their job comes due after the fallback delay and runs them again.
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
