//! Prometheus metrics: one process-wide recorder, rendered by `/metrics` (no listener of its own).

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The recorder's handle; installs it on first use (tests start many servers in one process).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ])
            .expect("buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding test); ours still renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub fn event_received(source: &str, event_type: &str) {
    counter!("uis_megaplan_events_received_total", "source" => source.to_owned(), "type" => event_type.to_owned()).increment(1);
}

pub fn event_duplicate(source: &str, event_type: &str) {
    counter!("uis_megaplan_events_duplicate_total", "source" => source.to_owned(), "type" => event_type.to_owned()).increment(1);
}

pub fn event_rejected(source: &str, event_type: &str) {
    counter!("uis_megaplan_events_rejected_total", "source" => source.to_owned(), "type" => event_type.to_owned()).increment(1);
}

pub fn event_processed(source: &str, event_type: &str) {
    counter!("uis_megaplan_events_processed_total", "source" => source.to_owned(), "type" => event_type.to_owned()).increment(1);
}

/// `outcome`: retry | failed | dead.
pub fn event_failed(source: &str, event_type: &str, outcome: &'static str) {
    counter!("uis_megaplan_events_failed_total", "source" => source.to_owned(), "type" => event_type.to_owned(), "outcome" => outcome).increment(1);
}

pub fn action_latency(action: &str, took: Duration) {
    histogram!("uis_megaplan_action_duration_seconds", "action" => action.to_owned())
        .record(took.as_secs_f64());
}

/// `api`: megaplan | uis; `kind`: transient | permanent.
pub fn api_error(api: &'static str, kind: &'static str) {
    counter!("uis_megaplan_api_errors_total", "api" => api, "kind" => kind).increment(1);
}

pub fn queue_depth(waiting: i64) {
    gauge!("uis_megaplan_queue_depth").set(waiting as f64);
}

/// One group commit of the inbox writer: how many events, how long.
pub fn inbox_commit(events: usize, took: Duration) {
    histogram!("uis_megaplan_inbox_batch_events").record(events as f64);
    histogram!("uis_megaplan_inbox_commit_seconds").record(took.as_secs_f64());
}
