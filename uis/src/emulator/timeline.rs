//! The timeline of a simulated call: its notifications in order, its report row and its legs.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::Inner;
use super::deliver::Event;
use super::simulator::{CallScript, Flow};
use crate::data_api::{CallEmployee, CallLegReport, CallReport, Employee};
use crate::notification::EventKind;

pub(crate) struct Plan {
    pub id: i64,
    pub t0: NaiveDateTime,
    pub virtual_number: String,
    pub contact: String,
    pub direction: String,
    pub source: String,
    pub external_id: Option<String>,
    pub scenario: (i64, String),
}

impl Plan {
    fn at(&self, secs: i64) -> String {
        (self.t0 + chrono::Duration::seconds(secs))
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string()
    }

    fn base(&self, secs: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("notification_time".into(), json!(self.at(secs)));
        m.insert("call_session_id".into(), json!(self.id));
        m.insert("communication_id".into(), json!(self.id));
        m.insert("communication_number".into(), json!(1));
        m.insert("direction".into(), json!(self.direction));
        m.insert("call_source".into(), json!(self.source));
        m.insert("virtual_phone_number".into(), json!(self.virtual_number));
        m.insert("contact_phone_number".into(), json!(self.contact));
        m.insert("scenario_id".into(), json!(self.scenario.0));
        m.insert("scenario_name".into(), json!(self.scenario.1));
        if let Some(x) = &self.external_id {
            m.insert("external_id".into(), json!(x));
        }
        m
    }

    fn employee(&self, secs: i64, e: &Employee) -> Map<String, Value> {
        let mut m = self.base(secs);
        m.insert("employee_id".into(), json!(e.id));
        m.insert("employee_full_name".into(), json!(e.full_name));
        m.insert(
            "employee_phone_number".into(),
            json!(e.phone_numbers.first().map(|p| &p.phone_number)),
        );
        m
    }
}

fn with(mut m: Map<String, Value>, pairs: &[(&str, Value)]) -> Map<String, Value> {
    for (k, v) in pairs {
        m.insert((*k).to_string(), v.clone());
    }
    m
}

pub(crate) fn build(
    inner: &Arc<Inner>,
    p: &Plan,
    s: &CallScript,
    ringing: &[Employee],
) -> (Vec<Event>, CallReport, Vec<CallLegReport>) {
    let (wait, talk) = (s.wait_seconds.max(0), s.talk_seconds.max(0));
    let leg = |i: usize| p.id * 10 + i as i64 + 1;
    let mut ev: Vec<Event> = Vec::new();
    let push = |ev: &mut Vec<Event>, kind, values, pause_before| {
        ev.push(Event {
            kind,
            values,
            pause_before,
        })
    };
    let record_id = p.id * 10;
    let file_link = format!("{}/media/{}/{}", inner.base_url, p.id, record_id);
    let mut report = CallReport {
        id: p.id,
        start_time: Some(p.t0),
        direction: Some(p.direction.clone()),
        source: Some(p.source.clone()),
        contact_phone_number: Some(p.contact.clone()),
        virtual_phone_number: Some(p.virtual_number.clone()),
        communication_id: Some(p.id),
        wait_duration: Some(wait),
        scenario_id: Some(p.scenario.0),
        scenario_name: Some(p.scenario.1.clone()),
        call_api_external_id: p.external_id.clone(),
        ..CallReport::default()
    };
    let mut talked: Vec<i64> = Vec::new();
    let answered = match s.flow {
        Flow::InboundLost => None,
        Flow::Outbound if !s.contact_answers => None,
        Flow::Outbound => ringing.first().cloned(),
        _ => s
            .answered_by
            .and_then(|id| ringing.iter().find(|e| e.id == id).cloned())
            .or_else(|| ringing.first().cloned()),
    };
    let mut total = wait;
    match (s.flow, &answered) {
        (Flow::Outbound, _) => {
            let outbound = match ringing.first() {
                Some(o) => with(p.employee(0, o), &[("leg_id", json!(leg(0)))]),
                None => p.base(0),
            };
            push(&mut ev, EventKind::Outbound, outbound, false);
            if let Some(o) = &answered {
                let legs = json!([leg(0), leg(1)]);
                push(
                    &mut ev,
                    EventKind::Answered,
                    with(p.employee(wait, o), &[("leg_ids", legs.clone())]),
                    false,
                );
                push(
                    &mut ev,
                    EventKind::TalkFinished,
                    with(
                        p.employee(wait + talk, o),
                        &[("leg_ids", legs), ("talk_time_duration", json!(talk))],
                    ),
                    true,
                );
                talked.push(o.id);
                total = wait + talk;
            }
        }
        (_, None) => {
            push(&mut ev, EventKind::CallStarted, p.base(0), false);
            for (i, e) in ringing.iter().enumerate() {
                push(
                    &mut ev,
                    EventKind::Ringing,
                    with(p.employee(1, e), &[("leg_id", json!(leg(i)))]),
                    false,
                );
            }
            let ids: Vec<i64> = ringing.iter().map(|e| e.id).collect();
            push(
                &mut ev,
                EventKind::Lost,
                with(
                    p.base(wait),
                    &[
                        ("employee_ids", json!(ids)),
                        ("wait_time_duration", json!(wait)),
                    ],
                ),
                false,
            );
        }
        (_, Some(a)) => {
            push(&mut ev, EventKind::CallStarted, p.base(0), false);
            let mut ring = ringing.to_vec();
            if !ring.iter().any(|e| e.id == a.id) {
                ring.insert(0, a.clone());
            }
            for (i, e) in ring.iter().enumerate() {
                push(
                    &mut ev,
                    EventKind::Ringing,
                    with(p.employee(1, e), &[("leg_id", json!(leg(i)))]),
                    false,
                );
            }
            let a_leg = leg(ring.iter().position(|e| e.id == a.id).unwrap_or(0));
            push(
                &mut ev,
                EventKind::Answered,
                with(p.employee(wait, a), &[("leg_ids", json!([a_leg]))]),
                false,
            );
            talked.push(a.id);
            total = wait + talk;
            let transfer = if s.flow == Flow::Transfer {
                let st = inner.state();
                s.transfer_to
                    .and_then(|id| st.employee(id).cloned())
                    .filter(|t| t.id != a.id)
            } else {
                None
            };
            match transfer {
                None => {
                    push(
                        &mut ev,
                        EventKind::TalkFinished,
                        with(
                            p.employee(wait + talk, a),
                            &[
                                ("leg_ids", json!([a_leg])),
                                ("talk_time_duration", json!(talk)),
                            ],
                        ),
                        false,
                    );
                }
                Some(t) => {
                    let half = wait + talk / 2;
                    let t_leg = leg(ring.len());
                    push(
                        &mut ev,
                        EventKind::Ringing,
                        with(p.employee(half, &t), &[("leg_id", json!(t_leg))]),
                        false,
                    );
                    push(
                        &mut ev,
                        EventKind::Answered,
                        with(p.employee(half + 3, &t), &[("leg_ids", json!([t_leg]))]),
                        false,
                    );
                    push(
                        &mut ev,
                        EventKind::TalkFinished,
                        with(
                            p.employee(half + 3, a),
                            &[
                                ("leg_ids", json!([a_leg])),
                                ("talk_time_duration", json!(talk / 2 + 3)),
                            ],
                        ),
                        false,
                    );
                    push(
                        &mut ev,
                        EventKind::TalkFinished,
                        with(
                            p.employee(wait + talk + 3, &t),
                            &[
                                ("leg_ids", json!([t_leg])),
                                ("talk_time_duration", json!(talk - talk / 2)),
                            ],
                        ),
                        false,
                    );
                    talked.push(t.id);
                    total += 3;
                    report.employees.push(CallEmployee {
                        employee_id: t.id,
                        employee_full_name: t.full_name.clone(),
                        is_answered: Some(true),
                        is_talked: Some(true),
                    });
                }
            }
        }
    }
    let last = talked.last().and_then(|id| {
        ringing
            .iter()
            .chain(answered.iter())
            .find(|e| e.id == *id)
            .cloned()
            .or_else(|| inner.state().employee(*id).cloned())
    });
    let lost = talked.is_empty();
    let mut finished = match &last {
        Some(e) => p.employee(total, e),
        None => p.base(total),
    };
    finished = with(
        finished,
        &[
            ("is_lost", json!(lost)),
            ("is_transfer", json!(talked.len() > 1)),
            (
                "last_talked_employee_id",
                json!(last.as_ref().map(|e| e.id)),
            ),
            ("talk_time_duration", json!(total - wait)),
            ("total_time_duration", json!(total)),
            ("wait_time_duration", json!(wait)),
        ],
    );
    push(&mut ev, EventKind::CallFinished, finished, false);
    if s.record && !lost {
        let mut rec = match &last {
            Some(e) => p.employee(total + 2, e),
            None => p.base(total + 2),
        };
        rec = with(
            rec,
            &[
                ("file_link", json!(file_link)),
                ("file_duration", json!(total - wait)),
            ],
        );
        push(&mut ev, EventKind::Recorded, rec, false);
        report.call_records = vec![record_id.to_string()];
        report.full_record_file_link = Some(file_link);
    }
    report.finish_time = Some(p.t0 + chrono::Duration::seconds(total));
    report.is_lost = Some(lost);
    report.talk_duration = Some(total - wait);
    report.total_duration = Some(total);
    report.finish_reason = Some(
        if lost {
            "no_success_operator_call"
        } else {
            "subscriber_disconnects"
        }
        .into(),
    );
    report.last_talked_employee_id = last.as_ref().map(|e| e.id);
    report.last_talked_employee_full_name = last.as_ref().and_then(|e| e.full_name.clone());
    report.first_answered_employee_id = answered.as_ref().map(|e| e.id);
    report.last_answered_employee_id = last.as_ref().map(|e| e.id);
    let mut legs = Vec::new();
    for (i, e) in ringing.iter().enumerate() {
        let is_talked = talked.contains(&e.id);
        if !report.employees.iter().any(|x| x.employee_id == e.id) {
            report.employees.insert(
                i.min(report.employees.len()),
                CallEmployee {
                    employee_id: e.id,
                    employee_full_name: e.full_name.clone(),
                    is_answered: Some(is_talked),
                    is_talked: Some(is_talked),
                },
            );
        }
        legs.push(CallLegReport {
            id: leg(i),
            call_session_id: p.id,
            start_time: Some(p.t0 + chrono::Duration::seconds(1)),
            connect_time: is_talked.then(|| p.t0 + chrono::Duration::seconds(wait)),
            duration: Some(if is_talked { total - wait } else { 0 }),
            total_duration: Some(total),
            finish_reason: Some(
                if is_talked {
                    "subscriber_disconnects"
                } else {
                    "no_answer"
                }
                .into(),
            ),
            calling_phone_number: Some(if p.direction == "in" {
                p.contact.clone()
            } else {
                p.virtual_number.clone()
            }),
            called_phone_number: e.phone_numbers.first().map(|x| x.phone_number.clone()),
            direction: Some(p.direction.clone()),
            is_transfered: Some(talked.len() > 1),
            is_operator: Some(true),
            employee_id: Some(e.id),
            employee_full_name: e.full_name.clone(),
            employee_phone_number: e.phone_numbers.first().map(|x| x.phone_number.clone()),
            is_failed: Some(!is_talked),
            is_talked: Some(is_talked),
            call_records: Vec::new(),
        });
    }
    (ev, report, legs)
}
