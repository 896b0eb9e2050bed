//! Replay (one event, or every failed event of a time range) — what the event log's buttons call.
//! A replayed event runs its actions again; the idempotency records keep it from creating twice.

use super::store::{EventJob, JobConn, in_tx};
use super::trace::{self, Step};
use super::{Pipeline, now_ms};

impl Pipeline {
    /// Queues the event again unless it is waiting or running; true when it was queued.
    pub async fn replay_event(&self, event_id: &str) -> anyhow::Result<bool> {
        let job = EventJob::one(event_id).task(None);
        let queued = in_tx!(&self.store, |conn| {
            let n = sqlx::query(
                "UPDATE inbox_events SET status = 'queued', attempts = 0, last_error = NULL, \
                 locked_until = NULL, next_attempt_at = NULL \
                 WHERE id = $1 AND status IN ('failed', 'dead', 'done')",
            )
            .bind(event_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if n == 1 {
                conn.push_jobs(vec![job]).await?;
            }
            Ok::<_, anyhow::Error>(n == 1)
        })?;
        if queued {
            self.signal.pushed();
            let account: Option<(String,)> =
                sqlx::query_as("SELECT account_id FROM inbox_events WHERE id = $1")
                    .bind(event_id)
                    .fetch_optional(&self.db.pool)
                    .await?;
            if let Some((account_id,)) = account {
                trace::write(
                    &self.db.pool,
                    &account_id,
                    event_id,
                    Step {
                        step: "replay",
                        ..Step::default()
                    },
                )
                .await;
            }
        }
        Ok(queued)
    }

    /// The account's credential set works again (renewed, added or chosen on the settings page):
    /// every event Megaplan's refusal failed is queued again, so a changed Megaplan password costs
    /// no call — now, and once more after `refused_again_after` for an attempt that read the broken
    /// set just before and ended after this pass. Returns how many were queued now.
    pub async fn credentials_work_again(&self, account_id: &str) -> anyhow::Result<usize> {
        let queued = self.replay_refused(account_id).await?;
        let (pipeline, account) = (self.clone(), account_id.to_owned());
        let after = self.config.refused_again_after;
        let mut stopped = self.stop.subscribe();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(after) => {}
                _ = stopped.changed() => return,
            }
            if let Err(e) = pipeline.replay_refused(&account).await {
                tracing::warn!(account_id = account, error = %e, "cannot queue again the events Megaplan refused");
            }
        });
        Ok(queued)
    }

    /// Queues again every event of `account_id` that failed because Megaplan refused its credential
    /// set. Returns how many were queued.
    pub async fn replay_refused(&self, account_id: &str) -> anyhow::Result<usize> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM inbox_events WHERE account_id = $1 AND status IN ('failed', 'dead') \
             AND last_error LIKE $2 ORDER BY received_at",
        )
        .bind(account_id)
        .bind(format!("{}%", super::connections::REFUSED))
        .fetch_all(&self.db.pool)
        .await?;
        let n = self.replay_all(ids).await?;
        if n > 0 {
            tracing::info!(
                account_id,
                replayed = n,
                "replayed the events Megaplan refused the credentials for"
            );
        }
        Ok(n)
    }

    /// Queues again every failed or dead event of `account_id` received in `[from_ms, to_ms)`.
    pub async fn replay_failed(
        &self,
        account_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<usize> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM inbox_events WHERE account_id = $1 AND status IN ('failed', 'dead') \
             AND received_at >= $2 AND received_at < $3",
        )
        .bind(account_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.db.pool)
        .await?;
        let n = self.replay_all(ids).await?;
        tracing::info!(
            account_id,
            replayed = n,
            at = now_ms(),
            "replayed failed events"
        );
        Ok(n)
    }

    /// Queues again each of these events not waiting or running; how many were queued.
    async fn replay_all(&self, ids: Vec<(String,)>) -> anyhow::Result<usize> {
        let mut n = 0;
        for (id,) in ids {
            if self.replay_event(&id).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}
