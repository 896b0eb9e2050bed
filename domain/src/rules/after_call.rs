//! 4.3 communication, 4.4 todo, 4.5 deal — each «после завершения звонка», for the chosen
//! (direction, outcome) pairs, at most one of each per call (keys on call_session_id).

use chrono::Duration;

use super::text;
use super::{Action, Ctx};
use crate::call::{CallOutcome, Finished};
use crate::ids::{MegaplanId, UisEmployeeId};
use crate::settings::Responsible;

pub(super) fn all(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    communication(ctx, f, outcome);
    todo(ctx, f, outcome);
    deal(ctx, f, outcome);
}

/// 4.3: start = call start, end = start + «Длительность коммуникации».
fn communication(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    let rule = &ctx.settings.call_processing.communication;
    if !rule.enabled || !rule.outcomes.contains(&outcome) {
        return;
    }
    let e = ctx.event;
    let start = e.call_started_at();
    let end = start
        .checked_add_signed(Duration::minutes(i64::from(rule.duration_minutes)))
        .unwrap_or(start);
    let responsible = ctx.responsible_for(call_employee(ctx, f), "Ответственный за коммуникацию");
    let marker = text::communication_marker(e.call_session_id);
    ctx.push(Action::CreateCommunication {
        call_session_id: e.call_session_id,
        outcome,
        client: ctx.client_ref(),
        responsible,
        start,
        end,
        name: format!(
            "{} {marker}",
            text::title(outcome, e.contact_phone.as_ref())
        ),
        description: text::description(e, f, outcome, ctx.known.time_zone, &marker),
    });
}

/// 4.4: the common case is a todo on every lost inbound and failed outbound call.
fn todo(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    let rule = &ctx.settings.call_processing.todo;
    if !rule.enabled || !rule.outcomes.contains(&outcome) {
        return;
    }
    let e = ctx.event;
    let responsible = responsible(ctx, &rule.responsible, f, "Ответственный за дело");
    let marker = text::marker(e.call_session_id);
    ctx.push(Action::CreateTodo {
        call_session_id: e.call_session_id,
        outcome,
        client: ctx.client_ref(),
        responsible,
        name: text::todo_name(outcome, e.contact_phone.as_ref(), &marker),
        description: text::description(e, f, outcome, ctx.known.time_zone, &marker),
        marker,
    });
}

/// 4.5: a deal needs its scheme.
fn deal(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    let rule = &ctx.settings.call_processing.deal;
    if !rule.enabled || !rule.outcomes.contains(&outcome) {
        return;
    }
    let Some(program) = rule.program.clone() else {
        ctx.note("Процесс не создан: не выбрана схема Megaplan");
        return;
    };
    let e = ctx.event;
    let responsible = responsible(ctx, &rule.responsible, f, "Ответственный за процесс");
    let marker = text::marker(e.call_session_id);
    ctx.push(Action::CreateDeal {
        call_session_id: e.call_session_id,
        outcome,
        client: ctx.client_ref(),
        responsible,
        program,
        name: format!(
            "{} {marker}",
            text::title(outcome, e.contact_phone.as_ref())
        ),
        description: text::description(e, f, outcome, ctx.known.time_zone, &marker),
        marker,
    });
}

/// «Сотрудник звонка»: who talked last, else the employee UIS names for the call (for a lost
/// call the last one tried).
fn call_employee(ctx: &Ctx<'_>, f: &Finished) -> Option<UisEmployeeId> {
    f.last_talked.or(f.employee).or(ctx.known.talked.last)
}

fn responsible(
    ctx: &mut Ctx<'_>,
    choice: &Responsible,
    f: &Finished,
    what: &str,
) -> Option<MegaplanId> {
    match choice {
        Responsible::DefaultResponsible => ctx.default_responsible(what),
        Responsible::CallEmployee => ctx.responsible_for(call_employee(ctx, f), what),
        Responsible::Employee(id) => Some(id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use crate::call::{CallOutcome, Direction};
    use crate::settings::{Responsible, TelephonySettings};

    fn todos(d: &Decision) -> Vec<&Action> {
        d.actions
            .iter()
            .filter(|a| matches!(a, Action::CreateTodo { .. }))
            .collect()
    }

    fn with_todo() -> TelephonySettings {
        let mut s = settings();
        s.call_processing.todo.enabled = true;
        s
    }

    #[test]
    fn lost_inbound_call_creates_one_todo_for_default_responsible() {
        let d = decide(&finished_lost(), &with_todo(), &known());
        let t = todos(&d);
        assert_eq!(t.len(), 1, "{d:?}");
        match t[0] {
            Action::CreateTodo {
                responsible,
                name,
                description,
                marker,
                client,
                outcome,
                ..
            } => {
                assert_eq!(*outcome, CallOutcome::Lost);
                assert_eq!(responsible, &Some(mp(DEFAULT_MP)));
                assert_eq!(marker, "[uis:call:998677427]");
                assert!(
                    name.contains("+7 950 841-85-41") && name.ends_with(marker.as_str()),
                    "{name}"
                );
                assert!(
                    description.contains("24.11.2026 14:40 (Europe/Moscow)"),
                    "{description}"
                );
                assert_eq!(client, &Some(ClientRef::Phone(client_phone())));
            }
            _ => unreachable!(),
        }
        assert_eq!(t[0].idempotency_key(), "todo:call:998677427");
    }

    #[test]
    fn failed_outbound_call_creates_todo() {
        let mut e = finished_lost();
        e.direction = Direction::Out;
        let d = decide(&e, &with_todo(), &known());
        assert_eq!(todos(&d).len(), 1);
    }

    #[test]
    fn answered_call_creates_no_todo_unless_chosen() {
        let d = decide(&finished_answered(ANNA), &with_todo(), &known());
        assert!(todos(&d).is_empty());
        let mut s = with_todo();
        s.call_processing
            .todo
            .outcomes
            .insert(CallOutcome::Answered);
        let d = decide(&finished_answered(ANNA), &s, &known());
        assert_eq!(todos(&d).len(), 1);
    }

    #[test]
    fn todo_responsible_can_be_the_call_employee() {
        let mut s = with_todo();
        s.call_processing.todo.responsible = Responsible::CallEmployee;
        let mut e = finished_lost();
        if let crate::call::CallEventKind::Finished(f) = &mut e.kind {
            f.employee = Some(BORIS);
        }
        let d = decide(&e, &s, &known());
        assert!(
            matches!(todos(&d)[0], Action::CreateTodo { responsible: Some(r), .. } if *r == mp(BORIS_MP))
        );
    }

    #[test]
    fn todo_responsible_can_be_a_chosen_employee() {
        let mut s = with_todo();
        s.call_processing.todo.responsible = Responsible::Employee(mp("777"));
        let d = decide(&finished_lost(), &s, &known());
        assert!(
            matches!(todos(&d)[0], Action::CreateTodo { responsible: Some(r), .. } if *r == mp("777"))
        );
    }

    #[test]
    fn call_employee_unknown_in_megaplan_falls_back_to_default_responsible() {
        let mut s = with_todo();
        s.call_processing.todo.responsible = Responsible::CallEmployee;
        let mut e = finished_lost();
        if let crate::call::CallEventKind::Finished(f) = &mut e.kind {
            f.employee = Some(NOBODY);
        }
        let d = decide(&e, &s, &known());
        assert!(
            matches!(todos(&d)[0], Action::CreateTodo { responsible: Some(r), .. } if *r == mp(DEFAULT_MP))
        );
        assert!(
            d.notes.iter().any(|n| n.contains(&NOBODY.to_string())),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn communication_lasts_120_minutes_by_default() {
        let mut s = settings();
        s.call_processing.communication.enabled = true;
        let d = decide(&finished_answered(ANNA), &s, &known());
        let c = d
            .actions
            .iter()
            .find(|a| matches!(a, Action::CreateCommunication { .. }))
            .unwrap();
        match c {
            Action::CreateCommunication {
                start,
                end,
                responsible,
                name,
                ..
            } => {
                assert_eq!(*end - *start, chrono::Duration::minutes(120));
                assert_eq!(*start, finished_answered(ANNA).call_started_at());
                assert_eq!(responsible, &Some(mp(ANNA_MP)));
                assert!(name.ends_with("[uis:communication:998677427]"), "{name}");
            }
            _ => unreachable!(),
        }
        assert_eq!(c.idempotency_key(), "communication:call:998677427");
    }

    #[test]
    fn communication_duration_setting_is_applied() {
        let mut s = settings();
        s.call_processing.communication.enabled = true;
        s.call_processing.communication.duration_minutes = 15;
        let d = decide(&finished_answered(ANNA), &s, &known());
        assert!(d.actions.iter().any(|a| matches!(
            a,
            Action::CreateCommunication { start, end, .. } if *end - *start == chrono::Duration::minutes(15)
        )));
    }

    #[test]
    fn communication_only_for_chosen_directions() {
        let mut s = settings();
        s.call_processing.communication.enabled = true;
        s.call_processing.communication.outcomes = [CallOutcome::Successful].into();
        let d = decide(&finished_answered(ANNA), &s, &known());
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::CreateCommunication { .. }))
        );
    }

    #[test]
    fn deal_is_created_with_responsible_and_scheme() {
        let mut s = settings();
        s.call_processing.deal.enabled = true;
        s.call_processing.deal.outcomes = [CallOutcome::Answered].into();
        s.call_processing.deal.responsible = Responsible::CallEmployee;
        s.call_processing.deal.program = Some(mp("8"));
        let mut k = known();
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: None,
        });
        let d = decide(&finished_answered(ANNA), &s, &k);
        let deal = d
            .actions
            .iter()
            .find(|a| matches!(a, Action::CreateDeal { .. }))
            .unwrap();
        match deal {
            Action::CreateDeal {
                program,
                responsible,
                client,
                ..
            } => {
                assert_eq!(program, &mp("8"));
                assert_eq!(responsible, &Some(mp(ANNA_MP)));
                assert_eq!(client, &Some(ClientRef::Id(mp("555"))));
            }
            _ => unreachable!(),
        }
        assert_eq!(deal.idempotency_key(), "deal:call:998677427");
    }

    #[test]
    fn deal_without_scheme_is_noted_not_created() {
        let mut s = settings();
        s.call_processing.deal.enabled = true;
        s.call_processing.deal.outcomes = [CallOutcome::Lost].into();
        let d = decide(&finished_lost(), &s, &known());
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::CreateDeal { .. }))
        );
        assert!(d.notes.iter().any(|n| n.contains("схема")));
    }

    #[test]
    fn call_with_talk_seen_earlier_is_not_treated_as_lost() {
        let mut k = known();
        k.talked.first = Some(ANNA);
        let d = decide(&finished_lost(), &with_todo(), &k);
        assert!(todos(&d).is_empty(), "{d:?}");
    }
}
