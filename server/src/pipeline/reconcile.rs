//! Reconciliation: calls UIS recorded in `get.calls_report` that never reached us as notifications
//! (UIS does not retry a failed delivery) are fed into the inbox as the notifications they would have
//! been, and processed like any other event.

use chrono::NaiveDateTime;
use serde_json::{Value, json};
use uis::data_api::{CallReport, Query};
use uis::notification::EventKind;

use super::Pipeline;
use super::ingress::{Accepted, InboxRow};
use super::metrics;

/// What one reconciliation found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Calls in the report for the period.
    pub calls: usize,
    /// Events enqueued for calls we had never been notified of.
    pub enqueued: usize,
}

const PAGE: u32 = 500;

impl Pipeline {
    /// Reads `get.calls_report` for `[from, till]` (the account's local time, as UIS reports it) and
    /// enqueues «Завершение звонка» (and «Потерянный звонок» for lost inbound calls) for every call
    /// the inbox has no such event of.
    pub async fn reconcile_calls(
        &self,
        account_id: &str,
        uis: &uis::DataApiClient,
        from: NaiveDateTime,
        till: NaiveDateTime,
    ) -> anyhow::Result<Reconciled> {
        let tz: Option<(String,)> = sqlx::query_as("SELECT time_zone FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.db.pool)
            .await?;
        let tz = tz
            .and_then(|(t,)| t.parse().ok())
            .unwrap_or(chrono_tz::Europe::Moscow);
        let mut out = Reconciled::default();
        let mut offset = 0;
        loop {
            let mut q = Query::period(from, till);
            q.limit = Some(PAGE);
            q.offset = Some(offset);
            let page = uis.get_calls_report(&q).await.inspect_err(|e| {
                metrics::api_error(
                    "uis",
                    if e.is_transient() {
                        "transient"
                    } else {
                        "permanent"
                    },
                );
            })?;
            let n = page.data.len();
            for call in &page.data {
                out.calls += 1;
                let mut kinds = vec![EventKind::CallFinished];
                if call.is_lost == Some(true) && call.direction.as_deref() != Some("out") {
                    kinds.push(EventKind::Lost);
                }
                for kind in kinds {
                    if self.notified(account_id, kind, call.id).await? {
                        continue;
                    }
                    let body = notification(kind, call);
                    let bytes = body.to_string();
                    let n = uis::notification::parse(
                        kind,
                        Some("application/json"),
                        None,
                        bytes.as_bytes(),
                        tz,
                    )?;
                    let mut row = InboxRow::new(
                        account_id,
                        "reconcile",
                        kind.path_segment().to_owned(),
                        n.dedupe_key(),
                    );
                    row.call_session_id = n.call_session_id;
                    row.content_type = Some("application/json".into());
                    row.body = bytes;
                    let accepted = self
                        .inbox
                        .accept(row)
                        .await
                        .map_err(|e| anyhow::anyhow!(e))?;
                    if accepted == Accepted::New {
                        metrics::event_received("reconcile", kind.path_segment());
                        out.enqueued += 1;
                    }
                }
            }
            if n < PAGE as usize {
                break;
            }
            offset += PAGE;
        }
        tracing::info!(
            account_id,
            calls = out.calls,
            enqueued = out.enqueued,
            "reconciled calls"
        );
        Ok(out)
    }

    /// Whether the inbox holds this event type of this call (any leg).
    async fn notified(&self, account_id: &str, kind: EventKind, call: i64) -> anyhow::Result<bool> {
        let key = format!("{}:{call}", kind.path_segment());
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM inbox_events WHERE account_id = $1 AND (dedupe_key = $2 OR dedupe_key LIKE $3)",
        )
        .bind(account_id)
        .bind(&key)
        .bind(format!("{key}:%"))
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n > 0)
    }
}

/// The notification UIS would have sent for the call, from its report row.
fn notification(kind: EventKind, c: &CallReport) -> Value {
    let time = c.finish_time.or(c.start_time).map(uis::time::format);
    json!({
        "notification_name": kind.path_segment(),
        "notification_time": time,
        "call_session_id": c.id,
        "communication_id": c.communication_id,
        "direction": c.direction,
        "contact_phone_number": c.contact_phone_number,
        "virtual_phone_number": c.virtual_phone_number,
        "talk_time_duration": c.talk_duration,
        "total_time_duration": c.total_duration,
        "wait_time_duration": c.wait_duration,
        "is_lost": c.is_lost,
        "last_talked_employee_id": c.last_talked_employee_id,
        "scenario_id": c.scenario_id,
        "scenario_name": c.scenario_name,
        "file_link": c.full_record_file_link,
    })
}
