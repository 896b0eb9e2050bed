//! The call card (T12: `callInfo` calling → talking → finished), call history (T14) and
//! recordings (T13). One Megaplan `CallInfo` per call session (`providerId` = call_session_id):
//! a group call moves the card from one ringing employee to the next instead of creating a call
//! — and later a "missed" — per extension.

use super::{Action, CallType, CardState, Ctx};
use crate::call::{CallOutcome, Finished};
use crate::ids::UisEmployeeId;

/// «Ожидание ответа» / «Исходящий звонок»: pop the card up for the employee whose extension
/// rings (or dials out).
pub(super) fn calling(ctx: &mut Ctx<'_>, employee: UisEmployeeId) {
    if ctx.known.call_finished || ctx.known.talked.first.is_some() {
        ctx.note("Карточка звонка не показывается: разговор уже начался или звонок завершён");
        return;
    }
    let Some(mp) = linked_by_extension(ctx, employee) else {
        return;
    };
    let e = ctx.event;
    let extension = ctx.known.staff.extension(employee).cloned();
    if ctx.known.call_card_shown {
        ctx.push(Action::UpdateCallCard {
            call_session_id: e.call_session_id,
            state: CardState::Calling,
            uis_employee: Some(employee),
            employee: Some(mp),
            extension,
            client: ctx.client_ref(),
            at: e.at,
        });
    } else {
        show(ctx, employee, mp);
    }
}

/// «Начало разговора»: the card goes to `talking` (popping up first if no ringing was seen).
pub(super) fn answered(ctx: &mut Ctx<'_>, employee: UisEmployeeId) {
    if ctx.known.call_finished {
        ctx.note("Карточка звонка не обновляется: звонок уже завершён");
        return;
    }
    let mut card_exists = ctx.known.call_card_shown;
    if !card_exists && let Some(mp) = linked_by_extension(ctx, employee) {
        show(ctx, employee, mp);
        card_exists = true;
    }
    if !card_exists {
        return;
    }
    let e = ctx.event;
    ctx.push(Action::UpdateCallCard {
        call_session_id: e.call_session_id,
        state: CardState::Talking,
        uis_employee: Some(employee),
        employee: ctx.known.staff.megaplan(employee).cloned(),
        extension: ctx.known.staff.extension(employee).cloned(),
        client: ctx.client_ref(),
        at: e.at,
    });
}

/// «Завершение звонка»: finish the card, or log the call into history when no card was shown
/// (employee without extension in Megaplan, call from reconciliation) — every call lands (T14).
pub(super) fn finished(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    let e = ctx.event;
    let employee = f.last_talked.or(f.employee).or(ctx.known.talked.last);
    let megaplan = employee.and_then(|x| ctx.known.staff.megaplan(x)).cloned();
    let extension = employee.and_then(|x| ctx.known.staff.extension(x)).cloned();
    let client = ctx.client_ref();
    if ctx.known.call_card_shown {
        ctx.push(Action::UpdateCallCard {
            call_session_id: e.call_session_id,
            state: CardState::Finished(CallType::from(outcome)),
            uis_employee: employee,
            employee: megaplan,
            extension,
            client,
            at: e.at,
        });
    } else {
        ctx.push(Action::LogCall {
            call_session_id: e.call_session_id,
            call_type: CallType::from(outcome),
            direction: e.direction,
            phone: e.contact_phone.clone(),
            employee: megaplan,
            extension,
            client,
            start: e.call_started_at(),
            end: e.at,
        });
    }
}

/// «Записанный разговор»: attach the link; it may come after the call finished (T13).
pub(super) fn recorded(ctx: &mut Ctx<'_>, file_link: &str) {
    let url = file_link.trim();
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        ctx.note(format!(
            "Запись разговора не прикреплена: «{url}» — не ссылка"
        ));
        return;
    }
    ctx.push(Action::AttachRecording {
        call_session_id: ctx.event.call_session_id,
        url: url.to_owned(),
    });
}

fn show(ctx: &mut Ctx<'_>, employee: UisEmployeeId, mp: crate::ids::MegaplanId) {
    let e = ctx.event;
    ctx.push(Action::ShowCallCard {
        call_session_id: e.call_session_id,
        direction: e.direction,
        phone: e.contact_phone.clone(),
        employee: mp,
        extension: ctx.known.staff.extension(employee).cloned(),
        virtual_number: e.virtual_number.clone(),
        client: ctx.client_ref(),
        at: e.at,
    });
}

/// The seed (2.1.b «Важно»): without the employee's extension in Megaplan's telephony users the
/// card does not pop up.
fn linked_by_extension(
    ctx: &mut Ctx<'_>,
    employee: UisEmployeeId,
) -> Option<crate::ids::MegaplanId> {
    let found = ctx.known.staff.megaplan_by_extension_of(employee).cloned();
    if found.is_none() {
        ctx.note(format!(
            "Карточка звонка не показывается: внутренний номер сотрудника UIS {employee} не указан в Megaplan («Телефония» → «Пользователи»)"
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use crate::call::{CallEventKind, Direction, Finished};

    #[test]
    fn ringing_shows_card_to_employee_whose_extension_rings() {
        let (s, k) = (settings(), known());
        let d = decide(&ringing(ANNA), &s, &k);
        assert_eq!(d.actions.len(), 1, "{d:?}");
        match &d.actions[0] {
            Action::ShowCallCard {
                employee,
                extension,
                direction,
                phone,
                ..
            } => {
                assert_eq!(employee, &mp(ANNA_MP));
                assert_eq!(extension.as_ref().unwrap().as_str(), "101");
                assert_eq!(*direction, Direction::In);
                assert_eq!(phone.as_ref(), Some(&client_phone()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.actions[0].idempotency_key(), "callinfo:998677427:calling");
    }

    #[test]
    fn next_ringing_leg_moves_the_card_instead_of_creating_another() {
        let mut k = known();
        k.call_card_shown = true;
        let d = decide(&ringing(BORIS), &settings(), &k);
        assert!(
            matches!(
                &d.actions[..],
                [Action::UpdateCallCard { state: CardState::Calling, employee: Some(e), .. }] if *e == mp(BORIS_MP)
            ),
            "{d:?}"
        );
    }

    #[test]
    fn employee_without_extension_in_megaplan_gets_no_card() {
        let d = decide(&ringing(NOBODY), &settings(), &known());
        assert!(d.actions.is_empty());
        assert_eq!(d.skipped, Some(SkipReason::NoRuleApplied));
        assert!(d.notes[0].contains("не указан в Megaplan"), "{:?}", d.notes);
    }

    #[test]
    fn outbound_call_shows_card_to_the_caller() {
        let mut e = event(CallEventKind::Outbound { employee: ANNA });
        e.direction = Direction::Out;
        let d = decide(&e, &settings(), &known());
        assert!(
            matches!(
                &d.actions[..],
                [Action::ShowCallCard {
                    direction: Direction::Out,
                    ..
                }]
            ),
            "{d:?}"
        );
    }

    #[test]
    fn answer_sets_card_talking() {
        let mut k = known();
        k.call_card_shown = true;
        let d = decide(&answered(ANNA), &settings(), &k);
        assert!(
            matches!(
                &d.actions[..],
                [Action::UpdateCallCard {
                    state: CardState::Talking,
                    ..
                }]
            ),
            "{d:?}"
        );
    }

    #[test]
    fn answer_without_seen_ringing_pops_the_card_first() {
        let d = decide(&answered(ANNA), &settings(), &known());
        assert!(
            matches!(
                &d.actions[..],
                [
                    Action::ShowCallCard { .. },
                    Action::UpdateCallCard {
                        state: CardState::Talking,
                        ..
                    }
                ]
            ),
            "{d:?}"
        );
    }

    #[test]
    fn late_ringing_after_talk_started_does_not_pop_up() {
        let mut k = known();
        k.call_card_shown = true;
        k.talked.first = Some(ANNA);
        let d = decide(&ringing(BORIS), &settings(), &k);
        assert!(d.actions.is_empty(), "{d:?}");
    }

    #[test]
    fn finished_call_updates_card_with_type() {
        let mut k = known();
        k.call_card_shown = true;
        let d = decide(&finished_lost(), &settings(), &k);
        assert!(
            d.actions.iter().any(|a| matches!(
                a,
                Action::UpdateCallCard {
                    state: CardState::Finished(CallType::Miss),
                    ..
                }
            )),
            "{d:?}"
        );
        let d = decide(&finished_answered(ANNA), &settings(), &k);
        assert!(
            d.actions.iter().any(|a| matches!(
                a,
                Action::UpdateCallCard {
                    state: CardState::Finished(CallType::In),
                    ..
                }
            )),
            "{d:?}"
        );
    }

    #[test]
    fn finished_call_without_card_is_logged_into_history() {
        let mut e = finished_answered(NOBODY);
        e.direction = Direction::Out;
        let d = decide(&e, &settings(), &known());
        match d
            .actions
            .iter()
            .find(|a| matches!(a, Action::LogCall { .. }))
        {
            Some(Action::LogCall {
                call_type,
                start,
                end,
                ..
            }) => {
                assert_eq!(*call_type, CallType::Out);
                assert_eq!((*end - *start).num_seconds(), 23);
            }
            _ => panic!("{d:?}"),
        }
    }

    #[test]
    fn recording_is_attached_also_after_the_call_finished() {
        let mut k = known();
        k.call_finished = true;
        let e = event(CallEventKind::Recorded {
            file_link: "https://media.uiscom.ru/998677427/1".into(),
            employee: None,
        });
        let d = decide(&e, &settings(), &k);
        assert_eq!(
            d.actions,
            [Action::AttachRecording {
                call_session_id: e.call_session_id,
                url: "https://media.uiscom.ru/998677427/1".into(),
            }]
        );
    }

    #[test]
    fn recording_without_a_link_is_noted_not_attached() {
        let e = event(CallEventKind::Recorded {
            file_link: "{{file_link}}".into(),
            employee: None,
        });
        let d = decide(&e, &settings(), &known());
        assert!(d.actions.is_empty());
        assert_eq!(d.notes.len(), 1);
    }

    #[test]
    fn finished_card_keeps_talked_employee() {
        let mut k = known();
        k.call_card_shown = true;
        let f = Finished {
            talk_secs: 5,
            last_talked: Some(BORIS),
            ..Finished::default()
        };
        let d = decide(&event(CallEventKind::Finished(f)), &settings(), &k);
        assert!(
            d.actions.iter().any(|a| matches!(
                a,
                Action::UpdateCallCard { employee: Some(e), .. } if *e == mp(BORIS_MP)
            )),
            "{d:?}"
        );
    }
}
