//! 4.1 «Создавать контакт при звонке» and 4.2 «Передавать дополнительные поля в клиента».
//!
//! The seed says both «при начале разговора» (4.1) and «автоматическое создание контакта при любом
//! звонке» (feature list), and 4.1's responsible choice is «за успешный звонок от нового клиента».
//! Read together: an answered call creates the client at the start of the talk, responsible the
//! first or last talked employee; a call without a talk (lost inbound, failed outbound) creates it
//! when the call finishes, responsible the default one. «Завершение звонка» also re-issues the
//! creation of an answered call (same key, found-or-created) in case «Начало разговора» was lost.

use std::collections::BTreeMap;

use super::{Action, ClientRef, Ctx};
use crate::call::{CallEvent, CallOutcome, Finished};
use crate::ids::UisEmployeeId;
use crate::settings::{TalkedEmployee, UisCallField};

const RESPONSIBLE: &str = "Ответственный за нового клиента";

/// «Начало разговора».
pub(super) fn on_talk_start(ctx: &mut Ctx<'_>, employee: UisEmployeeId) {
    let who = match ctx.settings.call_processing.create_client.responsible {
        TalkedEmployee::FirstTalked => ctx.known.talked.first.unwrap_or(employee),
        // At the start of the talk the answering employee is the last one so far; a transfer
        // is fixed when the call finishes.
        TalkedEmployee::LastTalked => employee,
    };
    ensure_or_update(ctx, Some(Some(who)));
}

/// «Завершение звонка».
pub(super) fn on_finish(ctx: &mut Ctx<'_>, f: &Finished, outcome: CallOutcome) {
    let cc = &ctx.settings.call_processing.create_client;
    let talked = &ctx.known.talked;
    let who = outcome.is_talked().then(|| match cc.responsible {
        TalkedEmployee::FirstTalked => f
            .first_talked
            .or(talked.first)
            .or(f.last_talked)
            .or(f.employee),
        TalkedEmployee::LastTalked => f.last_talked.or(talked.last).or(f.employee),
    });
    ensure_or_update(ctx, who);

    // 4.1 «последний разговаривавший»: the client this call created got the first one.
    let e = ctx.event;
    let created_here = ctx
        .known
        .client
        .as_ref()
        .filter(|c| c.created_by_call == Some(e.call_session_id));
    if let Some(client) = created_here
        && outcome.is_talked()
        && cc.enabled
        && cc.responsible == TalkedEmployee::LastTalked
        && let Some(last) = f.last_talked.or(talked.last)
        && Some(last) != talked.first
        && let Some(mp) = ctx.known.staff.megaplan(last)
    {
        ctx.push(Action::SetClientResponsible {
            call_session_id: e.call_session_id,
            client: ClientRef::Id(client.id.clone()),
            responsible: mp.clone(),
        });
    }
}

/// `who`: `Some(employee)` for a talked call (its responsible per 4.1), `None` for a call without
/// a talk (the default responsible).
fn ensure_or_update(ctx: &mut Ctx<'_>, who: Option<Option<UisEmployeeId>>) {
    let e = ctx.event;
    let cp = &ctx.settings.call_processing;
    let Some(phone) = e.contact_phone.clone() else {
        if cp.create_client.enabled {
            ctx.note("Клиент не создаётся: номер абонента скрыт или не распознан");
        }
        return;
    };
    let extra_on = cp.extra_fields.enabled;
    let update_always = extra_on && cp.extra_fields.update_always;
    let extra_fields = if extra_on {
        extra_field_values(e, &cp.extra_fields.mapping)
    } else {
        BTreeMap::new()
    };
    match &ctx.known.client {
        Some(c) => {
            if update_always
                && c.created_by_call != Some(e.call_session_id)
                && !extra_fields.is_empty()
            {
                ctx.push(Action::UpdateClientExtraFields {
                    call_session_id: e.call_session_id,
                    client: ClientRef::Id(c.id.clone()),
                    extra_fields,
                });
            }
        }
        None if cp.create_client.enabled => {
            let responsible = match who {
                Some(employee) => ctx.responsible_for(employee, RESPONSIBLE),
                None => ctx.default_responsible(RESPONSIBLE),
            };
            ctx.push(Action::EnsureClient {
                call_session_id: e.call_session_id,
                phone,
                responsible,
                extra_fields,
                update_existing_extra_fields: update_always,
            });
        }
        None => {
            if update_always && !extra_fields.is_empty() {
                ctx.push(Action::UpdateClientExtraFields {
                    call_session_id: e.call_session_id,
                    client: ClientRef::Phone(phone),
                    extra_fields,
                });
            }
        }
    }
}

/// Megaplan extra field name → value, for the mapped fields this call has a value for.
fn extra_field_values(
    e: &CallEvent,
    mapping: &[crate::settings::FieldMapping],
) -> BTreeMap<String, String> {
    mapping
        .iter()
        .filter_map(|m| {
            let name = m.megaplan.trim();
            let value = field_value(e, m.uis)?;
            (!name.is_empty()).then(|| (name.to_owned(), value))
        })
        .collect()
}

fn field_value(e: &CallEvent, field: UisCallField) -> Option<String> {
    let derived = match field {
        UisCallField::ContactPhoneNumber => e.contact_phone.as_ref().map(|p| p.international()),
        UisCallField::VirtualPhoneNumber => e.virtual_number.as_ref().map(|p| p.international()),
        UisCallField::CallSessionId => Some(e.call_session_id.to_string()),
        _ => None,
    };
    derived
        .or_else(|| e.params.get(field.param()).cloned())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && !v.contains("{{"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use crate::call::{CallEventKind, Finished};
    use crate::settings::{FieldMapping, TalkedEmployee, UisCallField};

    fn creating() -> crate::settings::TelephonySettings {
        let mut s = settings();
        s.call_processing.create_client.enabled = true;
        s
    }

    fn ensure(
        d: &Decision,
    ) -> (
        &Option<crate::ids::MegaplanId>,
        &std::collections::BTreeMap<String, String>,
    ) {
        match d
            .actions
            .iter()
            .find(|a| matches!(a, Action::EnsureClient { .. }))
        {
            Some(Action::EnsureClient {
                responsible,
                extra_fields,
                ..
            }) => (responsible, extra_fields),
            _ => panic!("no EnsureClient in {d:?}"),
        }
    }

    #[test]
    fn client_is_created_at_the_start_of_the_talk() {
        let d = decide(&answered(ANNA), &creating(), &known());
        let a = d
            .actions
            .iter()
            .find(|a| matches!(a, Action::EnsureClient { .. }))
            .unwrap();
        assert_eq!(a.idempotency_key(), "client:+79508418541");
        assert_eq!(ensure(&d).0, &Some(mp(ANNA_MP)));
    }

    #[test]
    fn no_client_is_created_when_the_setting_is_off() {
        let d = decide(&answered(ANNA), &settings(), &known());
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::EnsureClient { .. }))
        );
        let d = decide(&finished_lost(), &settings(), &known());
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::EnsureClient { .. }))
        );
    }

    #[test]
    fn known_client_is_not_created_again() {
        let mut k = known();
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: None,
        });
        let d = decide(&answered(ANNA), &creating(), &k);
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::EnsureClient { .. })),
            "{d:?}"
        );
    }

    #[test]
    fn client_responsible_is_first_talked_employee_by_default() {
        let mut k = known();
        k.talked.first = Some(ANNA);
        let d = decide(&answered(BORIS), &creating(), &k);
        assert_eq!(ensure(&d).0, &Some(mp(ANNA_MP)));
    }

    #[test]
    fn client_responsible_is_last_talked_employee_when_set() {
        let mut s = creating();
        s.call_processing.create_client.responsible = TalkedEmployee::LastTalked;
        // Created at the talk start with the answering employee…
        let d = decide(&answered(ANNA), &s, &known());
        assert_eq!(ensure(&d).0, &Some(mp(ANNA_MP)));
        // …and handed to the last talked one when the call ends after a transfer.
        let mut k = known();
        k.talked = Talked {
            first: Some(ANNA),
            last: Some(BORIS),
        };
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: Some(CALL),
        });
        k.call_card_shown = true;
        let d = decide(&finished_answered(BORIS), &s, &k);
        assert!(
            d.actions.contains(&Action::SetClientResponsible {
                call_session_id: CALL,
                client: ClientRef::Id(mp("555")),
                responsible: mp(BORIS_MP),
            }),
            "{d:?}"
        );
    }

    #[test]
    fn last_talked_does_not_reassign_a_client_created_by_another_call() {
        let mut s = creating();
        s.call_processing.create_client.responsible = TalkedEmployee::LastTalked;
        let mut k = known();
        k.talked = Talked {
            first: Some(ANNA),
            last: Some(BORIS),
        };
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: Some(crate::ids::CallSessionId(1)),
        });
        let d = decide(&finished_answered(BORIS), &s, &k);
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::SetClientResponsible { .. }))
        );
    }

    #[test]
    fn lost_call_creates_client_with_default_responsible() {
        let d = decide(&finished_lost(), &creating(), &known());
        assert_eq!(ensure(&d).0, &Some(mp(DEFAULT_MP)));
    }

    #[test]
    fn finished_answered_call_re_ensures_client_in_case_talk_start_was_lost() {
        let d = decide(&finished_answered(BORIS), &creating(), &known());
        assert_eq!(ensure(&d).0, &Some(mp(BORIS_MP)));
    }

    #[test]
    fn unknown_talking_employee_falls_back_to_default_responsible() {
        let d = decide(&answered(NOBODY), &creating(), &known());
        assert_eq!(ensure(&d).0, &Some(mp(DEFAULT_MP)));
        assert!(
            d.notes.iter().any(|n| n.contains("по умолчанию")),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn hidden_number_creates_no_client() {
        let mut e = answered(ANNA);
        e.contact_phone = None;
        let d = decide(&e, &creating(), &known());
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::EnsureClient { .. }))
        );
        assert!(d.notes.iter().any(|n| n.contains("номер абонента")));
    }

    fn with_extra_fields(update_always: bool) -> crate::settings::TelephonySettings {
        let mut s = creating();
        let x = &mut s.call_processing.extra_fields;
        x.enabled = true;
        x.update_always = update_always;
        x.mapping = vec![
            FieldMapping {
                uis: UisCallField::UtmSource,
                megaplan: "Category1CustomFieldUtm".into(),
            },
            FieldMapping {
                uis: UisCallField::VirtualPhoneNumber,
                megaplan: "Category1CustomFieldNomer".into(),
            },
            FieldMapping {
                uis: UisCallField::TagNames,
                megaplan: "Category1CustomFieldTegi".into(),
            },
        ];
        s
    }

    #[test]
    fn extra_fields_are_set_at_client_creation() {
        let mut e = answered(ANNA);
        e.params.insert("utm_source".into(), "yandex".into());
        let d = decide(&e, &with_extra_fields(false), &known());
        let fields = ensure(&d).1;
        assert_eq!(
            fields.get("Category1CustomFieldUtm").map(String::as_str),
            Some("yandex")
        );
        assert_eq!(
            fields.get("Category1CustomFieldNomer").map(String::as_str),
            Some("+7 499 372-06-92")
        );
        assert!(
            !fields.contains_key("Category1CustomFieldTegi"),
            "no value, no field"
        );
    }

    #[test]
    fn extra_fields_of_existing_client_are_updated_only_with_update_always() {
        let mut e = answered(ANNA);
        e.params.insert("utm_source".into(), "yandex".into());
        let mut k = known();
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: None,
        });
        let d = decide(&e, &with_extra_fields(false), &k);
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::UpdateClientExtraFields { .. }))
        );
        let d = decide(&e, &with_extra_fields(true), &k);
        let update = d
            .actions
            .iter()
            .find(|a| matches!(a, Action::UpdateClientExtraFields { .. }))
            .unwrap();
        assert_eq!(update.idempotency_key(), format!("client-fields:{CALL}"));
    }

    #[test]
    fn fields_of_a_client_created_by_this_call_are_not_updated_again() {
        let mut k = known();
        k.client = Some(KnownClient {
            id: mp("555"),
            created_by_call: Some(CALL),
        });
        let d = decide(&finished_answered(ANNA), &with_extra_fields(true), &k);
        assert!(
            !d.actions
                .iter()
                .any(|a| matches!(a, Action::UpdateClientExtraFields { .. })),
            "{d:?}"
        );
    }

    #[test]
    fn unrendered_placeholder_is_not_a_value() {
        let mut e = event(CallEventKind::Answered { employee: ANNA });
        e.params
            .insert("utm_source".into(), "{{utm_source}}".into());
        e.virtual_number = None;
        let mut s = with_extra_fields(false);
        s.call_processing.extra_fields.mapping.truncate(1);
        let d = decide(&e, &s, &known());
        assert!(ensure(&d).1.is_empty());
        let _ = Finished::default();
    }
}
