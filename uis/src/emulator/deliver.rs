//! Sends notifications to `{notify_base}/{event}` rendered from the cabinet templates, as UIS does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::Inner;
use super::simulator::{Delivery, SentNotification, delay};
use crate::notification::EventKind;
use crate::notification::templates::{self, Missing};

/// One notification to send; `pause_before` marks where a live call waits (click-to-call talk).
pub(crate) struct Event {
    pub kind: EventKind,
    pub values: Map<String, Value>,
    pub pause_before: bool,
}

pub(crate) async fn deliver(
    inner: &Arc<Inner>,
    mut events: Vec<Event>,
    delivery: &Delivery,
    mut pause: Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Vec<SentNotification> {
    let base = inner.state().notify_base.clone();
    events.retain(|e| !delivery.skip.contains(&e.kind));
    if delivery.out_of_order {
        events.reverse();
    }
    let mut sent = Vec::new();
    let mut paused = false;
    for event in &events {
        if event.pause_before && !paused {
            (&mut pause).await;
            paused = true;
        }
        let copies = if delivery.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            if let Some(d) = delay(delivery.delay_ms) {
                tokio::time::sleep(d).await;
            }
            if let Some(base) = &base {
                sent.push(send(inner, base, event, delivery).await);
            }
        }
    }
    if !paused {
        pause.await;
    }
    sent
}

async fn send(
    inner: &Arc<Inner>,
    base: &url::Url,
    event: &Event,
    delivery: &Delivery,
) -> SentNotification {
    let mut values = event.values.clone();
    values
        .entry("notification_name")
        .or_insert_with(|| Value::String(event.kind.cabinet_label().to_string()));
    // Real mnemonics are not public (uis-api.md §1.2 [U]); the emulator uses its own.
    values
        .entry("notification_mnemonic")
        .or_insert_with(|| Value::String(event.kind.path_segment().to_string()));
    let missing = if delivery.unrendered_placeholders {
        Missing::Unrendered
    } else {
        Missing::Null
    };
    let url = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        event.kind.path_segment()
    );
    let chat_event = values
        .get("chat_event")
        .and_then(Value::as_str)
        .map(str::to_string);
    let request = if delivery.get_mode {
        let mut query = templates::query_template(event.kind);
        if let Some(e) = &chat_event {
            query = format!("chat_event={e}&{query}");
        }
        let url = format!(
            "{url}?{}",
            templates::render(&query, &values, missing, true)
        );
        (inner.http.get(&url), "GET", url, None)
    } else {
        let mut template = match &chat_event {
            Some(e) => templates::chat_template(e),
            None => templates::template(event.kind),
        };
        if delivery.quoted_placeholders {
            template = templates::quote_placeholders(&template);
        }
        let body = templates::render(&template, &values, missing, false);
        let request = inner
            .http
            .post(&url)
            .header("content-type", "application/json; charset=UTF-8")
            .body(body.clone());
        (request, "POST", url, Some(body))
    };
    let (request, method, url, body) = request;
    let (status, error) = match request.send().await {
        Ok(r) => (Some(r.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    tracing::debug!(kind = ?event.kind, %url, ?status, "emulator sent UIS notification");
    SentNotification {
        kind: event.kind,
        method: method.to_string(),
        url,
        body,
        status,
        error,
    }
}
