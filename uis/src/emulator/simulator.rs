//! Call simulator: plays a scripted call, asks the routing URL, records the call in the reports
//! and sends the notification sequence of uis-api.md §9 "Webhook emitter".

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Inner;
use super::deliver::deliver;
use super::route::{RouteOutcome, ask_route};
use super::timeline::{Plan, build};
use crate::data_api::{CallReport, Employee};
use crate::notification::EventKind;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Rings `employee_ids`, `answered_by` (default: the first) talks.
    #[default]
    InboundAnswered,
    /// Rings `employee_ids`, nobody answers.
    InboundLost,
    /// The first of `employee_ids` calls the contact (also what click-to-call plays).
    Outbound,
    /// The first employee answers and transfers to `transfer_to`.
    Transfer,
}

/// Delivery faults (uis-api.md §9): what a real network and a real admin do to notifications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Delivery {
    /// Every notification is sent twice.
    pub duplicate: bool,
    /// The sequence is sent last-to-first.
    pub out_of_order: bool,
    /// Parameters without a value stay `{{name}}` instead of `null`.
    pub unrendered_placeholders: bool,
    /// The admin wrapped placeholders in quotes, so strings arrive as `""x""`.
    pub quoted_placeholders: bool,
    /// GET with a query-string template instead of a POSTed JSON body.
    pub get_mode: bool,
    /// Real-time pause before each notification.
    pub delay_ms: u64,
    /// Event types the admin did not configure.
    pub skip: Vec<EventKind>,
}

/// A scripted call; JSON-friendly for `POST /_emulator/calls`. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallScript {
    pub flow: Flow,
    pub contact_phone_number: String,
    /// Default: the first seeded virtual number.
    pub virtual_phone_number: Option<String>,
    /// Ringing employees (inbound) or the calling employee (outbound, first). Default: all / the first.
    pub employee_ids: Vec<i64>,
    pub answered_by: Option<i64>,
    pub transfer_to: Option<i64>,
    pub wait_seconds: i64,
    pub talk_seconds: i64,
    /// Outbound: did the contact pick up.
    pub contact_answers: bool,
    pub record: bool,
    pub external_id: Option<String>,
    /// Outbound `direction` (`out` unless a click-to-call asked for `in`).
    pub direction: Option<String>,
    pub call_source: Option<String>,
    /// Inbound: ask the interactive call-processing URL if one is set.
    pub ask_route: bool,
    /// Overrides the emulator-wide delivery knobs for this call.
    pub delivery: Option<Delivery>,
}

impl Default for CallScript {
    fn default() -> Self {
        CallScript {
            flow: Flow::InboundAnswered,
            contact_phone_number: "79990000001".into(),
            virtual_phone_number: None,
            employee_ids: Vec::new(),
            answered_by: None,
            transfer_to: None,
            wait_seconds: 8,
            talk_seconds: 42,
            contact_answers: true,
            record: true,
            external_id: None,
            direction: None,
            call_source: None,
            ask_route: true,
            delivery: None,
        }
    }
}

impl CallScript {
    pub fn inbound_answered(contact: &str) -> Self {
        CallScript {
            contact_phone_number: contact.into(),
            ..CallScript::default()
        }
    }

    /// A lost call that rang `ringing` employees (empty = everybody).
    pub fn inbound_lost(contact: &str, ringing: Vec<i64>) -> Self {
        CallScript {
            flow: Flow::InboundLost,
            contact_phone_number: contact.into(),
            employee_ids: ringing,
            wait_seconds: 30,
            record: false,
            ..CallScript::default()
        }
    }

    pub fn outbound(employee_id: i64, contact: &str) -> Self {
        CallScript {
            flow: Flow::Outbound,
            contact_phone_number: contact.into(),
            employee_ids: vec![employee_id],
            ..CallScript::default()
        }
    }

    pub fn transfer(contact: &str, from: i64, to: i64) -> Self {
        CallScript {
            flow: Flow::Transfer,
            contact_phone_number: contact.into(),
            employee_ids: vec![from],
            transfer_to: Some(to),
            ..CallScript::default()
        }
    }

    pub fn with_delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = Some(delivery);
        self
    }
}

/// One HTTP notification the emulator sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentNotification {
    pub kind: EventKind,
    pub method: String,
    pub url: String,
    pub body: Option<String>,
    /// HTTP status of the receiver, or `None` with `error` when it could not be reached.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// What a simulated call did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub call_session_id: i64,
    pub flow: Flow,
    pub route: RouteOutcome,
    /// The row `get.calls_report` returns for this call.
    pub report: CallReport,
    pub sent: Vec<SentNotification>,
}

/// Plays `script`; `call_session_id` is preassigned for click-to-call.
pub(crate) async fn run(
    inner: &Arc<Inner>,
    mut script: CallScript,
    call_session_id: Option<i64>,
) -> Simulation {
    let inbound = matches!(
        script.flow,
        Flow::InboundAnswered | Flow::InboundLost | Flow::Transfer
    );
    let (id, t0, virtual_number, delivery, mut ringing, hold, release) = {
        let mut st = inner.state();
        let id = call_session_id.unwrap_or_else(|| st.next_id());
        let t0 = st.now().with_timezone(&inner.tz).naive_local();
        let virtual_number = script
            .virtual_phone_number
            .clone()
            .or_else(|| {
                st.virtual_numbers
                    .first()
                    .map(|n| n.virtual_phone_number.clone())
            })
            .unwrap_or_default();
        let mut ringing: Vec<Employee> = script
            .employee_ids
            .iter()
            .filter_map(|id| st.employee(*id).cloned())
            .collect();
        if script.employee_ids.is_empty() {
            ringing = if inbound {
                st.employees.clone()
            } else {
                st.employees.iter().take(1).cloned().collect()
            };
        }
        if inbound {
            // The scenario skips employees who set "do not disturb", a break, etc. (§6).
            ringing.retain(|e| e.status.as_deref().is_none_or(|s| s == "available"));
        }
        let delivery = script
            .delivery
            .clone()
            .unwrap_or_else(|| st.delivery.clone());
        let release = st.active_calls.get(&id).map(|e| e.release.clone());
        (
            id,
            t0,
            virtual_number,
            delivery,
            ringing,
            st.click_to_call_hold,
            release,
        )
    };
    let mut route = RouteOutcome::NotAsked;
    if inbound && script.ask_route {
        route = ask_route(inner, id, &script.contact_phone_number, &virtual_number, t0).await;
        if let RouteOutcome::Phones { employee_ids, .. } = &route
            && !employee_ids.is_empty()
        {
            // The personal manager rings first and, in an answered call, is the one who answers.
            let st = inner.state();
            ringing = employee_ids
                .iter()
                .filter_map(|id| st.employee(*id).cloned())
                .collect();
            script.answered_by = ringing.first().map(|e| e.id);
        }
    }
    let scenario = match &route {
        RouteOutcome::Phones { .. } => (2, "Переадресация на персонального менеджера".to_string()),
        RouteOutcome::ReturnedCode { code } => (3, format!("Ветка returned_code {code}")),
        _ => (1, "Основной сценарий".to_string()),
    };
    let plan = Plan {
        id,
        t0,
        virtual_number,
        contact: script.contact_phone_number.clone(),
        direction: if inbound {
            "in".into()
        } else {
            script.direction.clone().unwrap_or_else(|| "out".into())
        },
        source: script.call_source.clone().unwrap_or_else(|| "va".into()),
        external_id: script.external_id.clone(),
        scenario,
    };
    let (events, report, legs) = build(inner, &plan, &script, &ringing);
    {
        let mut st = inner.state();
        st.calls.push(report.clone());
        st.call_legs.extend(legs);
    }
    let wait_release = async move {
        if hold.is_zero() {
            return;
        }
        match release {
            Some(r) => {
                let _ = tokio::time::timeout(hold, r.notified()).await;
            }
            None => tokio::time::sleep(hold).await,
        }
    };
    let sent = deliver(inner, events, &delivery, Box::pin(wait_release)).await;
    Simulation {
        call_session_id: id,
        flow: script.flow,
        route,
        report,
        sent,
    }
}

/// Real-time pause helper for deliveries.
pub(crate) fn delay(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}
