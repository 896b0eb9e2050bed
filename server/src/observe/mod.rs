//! What the observation pages read and do (`app::observe::Observe`): the event log with filters and
//! traces (O1), replay and reconciliation (O2, through `pipeline::replay` / `pipeline::reconcile`),
//! health (O3), the rule preview (O4) and the demo panel. Every query is scoped to the signed-in
//! admin's account: one account never sees another's events.

pub mod preview;
pub mod queries;

use std::sync::Arc;

use app::api::{ErrorCode, FieldError};
use app::observe::{
    DemoCallOutcome, DemoItem, DemoState, EventDetail, EventFilter, EventPage, Health, Observe,
    PreviewAnswer, PreviewInput, RangeOutcome,
};
use app::ssr::{BoxFuture, CurrentUser, ServiceError, ServiceResult};
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde_json::Value;

use crate::demo::Demo;
use crate::pipeline::Pipeline;
use crate::telephony::access::Access;

pub struct ObserveService {
    pub pipeline: Pipeline,
    pub access: Access,
    pub demo: Option<Demo>,
    /// The demo panel's fault knob: every Megaplan request answers 400 while on.
    pub fault: std::sync::atomic::AtomicBool,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    tracing::error!(error = %e, "observe");
    ServiceError(e.to_string())
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM[:SS]`) in `tz`, as unix milliseconds.
pub fn parse_local(raw: &str, tz: Tz) -> Option<i64> {
    let raw = raw.trim();
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .ok()?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// A range of two optional times; errors name the field. Empty `from` = the beginning, empty `to` = now.
pub fn parse_range(
    from: &str,
    to: &str,
    tz: Tz,
    required: bool,
) -> Result<(i64, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut one = |field: &str, raw: &str, default: i64| -> i64 {
        if raw.trim().is_empty() {
            if required {
                errors.push(FieldError::new(field, ErrorCode::Required));
            }
            return default;
        }
        parse_local(raw, tz).unwrap_or_else(|| {
            errors.push(FieldError::new(field, ErrorCode::BadTime));
            default
        })
    };
    let f = one("from", from, 0);
    let t = one("to", to, i64::MAX);
    if errors.is_empty() && t <= f {
        errors.push(FieldError::new("to", ErrorCode::RangeReversed));
    }
    if errors.is_empty() {
        Ok((f, t))
    } else {
        Err(errors)
    }
}

pub fn parse_phone(raw: &str) -> Option<domain::phone::Phone> {
    domain::phone::Phone::parse(raw.trim(), domain::phone::DEFAULT_REGION).ok()
}

impl ObserveService {
    async fn events(&self, user: CurrentUser, f: EventFilter) -> anyhow::Result<EventPage> {
        let tz = queries::time_zone(&self.pipeline.db.pool, &user.account_id).await?;
        let mut errors = Vec::new();
        let phone = if f.phone.trim().is_empty() {
            None
        } else {
            match parse_phone(&f.phone) {
                Some(p) => Some(p.digits().to_owned()),
                None => {
                    errors.push(FieldError::new("phone", ErrorCode::BadPhone));
                    None
                }
            }
        };
        let call_id = f.call_id.trim();
        if !call_id.is_empty() && call_id.parse::<i64>().is_err() {
            errors.push(FieldError::new("call_id", ErrorCode::BadNumber));
        }
        let range = match parse_range(&f.from, &f.to, tz, false) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let mut page = EventPage {
            time_zone: tz.name().to_owned(),
            ..EventPage::default()
        };
        let Some((from, to)) = range.filter(|_| errors.is_empty()) else {
            page.errors = errors;
            return Ok(page);
        };
        let q = queries::Filter {
            source: non_empty(&f.source),
            event_type: non_empty(&f.event_type),
            status: non_empty(&f.status),
            phone,
            call_id: non_empty(call_id),
            from_ms: from,
            to_ms: to,
            limit: 200,
        };
        if q.status.as_deref() != Some("rejected") {
            page.events = queries::events(&self.pipeline.db.pool, &user.account_id, &q, tz).await?;
        }
        if q.status.is_none() || q.status.as_deref() == Some("rejected") {
            page.rejected =
                queries::rejected(&self.pipeline.db.pool, &user.account_id, &q, tz).await?;
        }
        Ok(page)
    }

    async fn range(
        &self,
        user: &CurrentUser,
        from: &str,
        to: &str,
    ) -> anyhow::Result<Result<(i64, i64, Tz), RangeOutcome>> {
        let tz = queries::time_zone(&self.pipeline.db.pool, &user.account_id).await?;
        Ok(match parse_range(from, to, tz, true) {
            Ok((f, t)) => Ok((f, t, tz)),
            Err(errors) => Err(RangeOutcome {
                errors,
                ..RangeOutcome::default()
            }),
        })
    }

    async fn replay_failed(
        &self,
        user: CurrentUser,
        from: String,
        to: String,
    ) -> anyhow::Result<RangeOutcome> {
        let (f, t, _) = match self.range(&user, &from, &to).await? {
            Ok(r) => r,
            Err(o) => return Ok(o),
        };
        let n = self.pipeline.replay_failed(&user.account_id, f, t).await?;
        Ok(RangeOutcome {
            queued: n as u64,
            ..RangeOutcome::default()
        })
    }

    async fn reconcile(
        &self,
        user: CurrentUser,
        from: String,
        to: String,
    ) -> anyhow::Result<RangeOutcome> {
        let (f, t, tz) = match self.range(&user, &from, &to).await? {
            Ok(r) => r,
            Err(o) => return Ok(o),
        };
        // UIS answers at most about three months per request: a month at a time, a year at most.
        const MONTH_MS: i64 = 30 * 86_400_000;
        if t - f > 12 * MONTH_MS {
            return Ok(RangeOutcome {
                errors: vec![FieldError::with_detail(
                    "to",
                    ErrorCode::InvalidSetting,
                    "Не больше 360 дней за раз / at most 360 days at a time",
                )],
                ..RangeOutcome::default()
            });
        }
        let client = match self.access.uis_data(&user.account_id).await {
            Ok(c) => c,
            Err(e) => {
                return Ok(RangeOutcome {
                    failure: Some(format!(
                        "{e} — сохраните доступ к UIS на странице настроек / save the UIS access on the settings page"
                    )),
                    ..RangeOutcome::default()
                });
            }
        };
        let local = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.with_timezone(&tz).naive_local())
                .unwrap_or_default()
        };
        let mut out = RangeOutcome {
            calls: Some(0),
            ..RangeOutcome::default()
        };
        let mut start = f;
        while start < t {
            let end = (start + MONTH_MS).min(t);
            match self
                .pipeline
                .reconcile_calls(&user.account_id, &client, local(start), local(end))
                .await
            {
                Ok(r) => {
                    out.queued += r.enqueued as u64;
                    out.calls = out.calls.map(|c| c + r.calls as u64);
                }
                Err(e) => {
                    out.failure = Some(format!("UIS: {e}"));
                    break;
                }
            }
            start = end;
        }
        Ok(out)
    }

    async fn demo_place(&self, kind: String, phone: String) -> anyhow::Result<DemoCallOutcome> {
        let Some(demo) = &self.demo else {
            anyhow::bail!("the demo needs the emulators (uis-megaplan demo)");
        };
        let Some(phone) = parse_phone(&phone) else {
            return Ok(DemoCallOutcome {
                errors: vec![FieldError::new("phone", ErrorCode::BadPhone)],
                ..DemoCallOutcome::default()
            });
        };
        let digits = phone.digits().to_owned();
        let (placed, n) = match kind.as_str() {
            "inbound_answered" | "inbound_lost" => {
                let script = if kind == "inbound_lost" {
                    uis::emulator::CallScript::inbound_lost(&digits, Vec::new())
                } else {
                    uis::emulator::CallScript::inbound_answered(&digits)
                };
                let s = demo.uis.simulate(script).await;
                (format!("call {}", s.call_session_id), s.sent.len())
            }
            "chat" => {
                let s = demo
                    .uis
                    .simulate_chat(uis::emulator::ChatScript {
                        visitor_phone_number: Some(digits),
                        ..Default::default()
                    })
                    .await;
                (format!("chat {}", s.id), s.sent.len())
            }
            "lead" => {
                let s = demo
                    .uis
                    .simulate_lead(uis::emulator::LeadScript {
                        visitor_phone_number: Some(digits),
                        ..Default::default()
                    })
                    .await;
                (format!("lead {}", s.id), s.sent.len())
            }
            _ => {
                return Ok(DemoCallOutcome {
                    errors: vec![FieldError::new("kind", ErrorCode::Required)],
                    ..DemoCallOutcome::default()
                });
            }
        };
        Ok(DemoCallOutcome {
            errors: Vec::new(),
            placed: Some(placed),
            notifications: n,
        })
    }

    fn demo_state(&self) -> DemoState {
        let Some(demo) = &self.demo else {
            return DemoState::default();
        };
        let st = demo.megaplan.state();
        let text = |v: &Value, keys: &[&str]| -> String {
            keys.iter()
                .filter_map(|k| {
                    let x = v.get(*k)?;
                    let s = match x {
                        Value::String(s) => s.clone(),
                        Value::Null => return None,
                        other => other.to_string(),
                    };
                    Some(format!("{k}: {s}"))
                })
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let items = |vals: Vec<Value>, keys: &[&str]| -> Vec<DemoItem> {
            vals.iter()
                .rev()
                .take(50)
                .map(|v| DemoItem {
                    id: v
                        .get("id")
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .unwrap_or_default(),
                    text: text(v, keys),
                })
                .collect()
        };
        let fault = self.fault.load(std::sync::atomic::Ordering::Relaxed);
        DemoState {
            enabled: true,
            clients: items(
                st.contractors(),
                &["id", "firstName", "lastName", "contactInfo"],
            ),
            calls: items(
                st.call_infos(),
                &["id", "phone", "type", "state", "providerId", "callType"],
            ),
            widget_events: st
                .widget_events()
                .into_iter()
                .rev()
                .take(50)
                .map(|e| DemoItem {
                    id: e.call_id.to_string(),
                    text: format!(
                        "employee {} · call {} · {} · {}",
                        e.employee_id.as_deref().unwrap_or("—"),
                        e.provider_id.as_deref().unwrap_or("—"),
                        e.call_type,
                        e.state
                    ),
                })
                .collect(),
            todos: items(st.todos(), &["id", "name", "responsible", "status"]),
            deals: items(st.deals(), &["id", "name", "program", "manager"]),
            fault,
            megaplan_state_url: format!("{}_emulator/state", demo.megaplan.base_url()),
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl Observe for ObserveService {
    fn events(
        &self,
        user: CurrentUser,
        filter: EventFilter,
    ) -> BoxFuture<'_, ServiceResult<EventPage>> {
        Box::pin(async move { self.events(user, filter).await.map_err(internal) })
    }

    fn event(
        &self,
        user: CurrentUser,
        id: String,
    ) -> BoxFuture<'_, ServiceResult<Option<EventDetail>>> {
        Box::pin(async move {
            queries::event(&self.pipeline.db.pool, &user.account_id, &id)
                .await
                .map_err(internal)
        })
    }

    fn replay_event(&self, user: CurrentUser, id: String) -> BoxFuture<'_, ServiceResult<bool>> {
        Box::pin(async move {
            // Only an event of this account may be replayed.
            let mine = queries::owns(&self.pipeline.db.pool, &user.account_id, &id)
                .await
                .map_err(internal)?;
            if !mine {
                return Ok(false);
            }
            self.pipeline.replay_event(&id).await.map_err(internal)
        })
    }

    fn replay_failed(
        &self,
        user: CurrentUser,
        from: String,
        to: String,
    ) -> BoxFuture<'_, ServiceResult<RangeOutcome>> {
        Box::pin(async move { self.replay_failed(user, from, to).await.map_err(internal) })
    }

    fn reconcile(
        &self,
        user: CurrentUser,
        from: String,
        to: String,
    ) -> BoxFuture<'_, ServiceResult<RangeOutcome>> {
        Box::pin(async move { self.reconcile(user, from, to).await.map_err(internal) })
    }

    fn health(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Health>> {
        Box::pin(async move {
            queries::health(&self.pipeline.db.pool, &user.account_id)
                .await
                .map_err(internal)
        })
    }

    fn preview(
        &self,
        user: CurrentUser,
        input: PreviewInput,
    ) -> BoxFuture<'_, ServiceResult<PreviewAnswer>> {
        Box::pin(async move {
            preview::preview(&self.pipeline.db.pool, &user.account_id, input)
                .await
                .map_err(internal)
        })
    }

    fn demo_state(&self, _user: CurrentUser) -> BoxFuture<'_, ServiceResult<DemoState>> {
        Box::pin(async move { Ok(self.demo_state()) })
    }

    fn demo_place(
        &self,
        _user: CurrentUser,
        kind: String,
        phone: String,
    ) -> BoxFuture<'_, ServiceResult<DemoCallOutcome>> {
        Box::pin(async move { self.demo_place(kind, phone).await.map_err(internal) })
    }

    fn demo_fault(&self, _user: CurrentUser, on: bool) -> BoxFuture<'_, ServiceResult<()>> {
        Box::pin(async move {
            let Some(demo) = &self.demo else {
                return Err(ServiceError("the demo needs the emulators".into()));
            };
            let faults = demo.megaplan.state().faults();
            self.fault.store(on, std::sync::atomic::Ordering::Relaxed);
            if on {
                faults.set_error_probability(1.0, 400);
            } else {
                faults.clear();
            }
            Ok(())
        })
    }
}

pub fn service(pipeline: Pipeline, access: Access, demo: Option<Demo>) -> Arc<dyn Observe> {
    Arc::new(ObserveService {
        pipeline,
        access,
        demo,
        fault: Default::default(),
    })
}
