//! Fixtures shared by the rule tests, the gates of `decide` (activation, virtual-number filter),
//! whole-call scenarios and property tests.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::call::{CallEvent, CallEventKind, CallOutcome, Direction, Finished};
use crate::ids::{CallSessionId, Extension, MegaplanId, UisEmployeeId};
use crate::phone::Phone;
use crate::settings::{Responsible, TalkedEmployee, TelephonySettings};

pub const CALL: CallSessionId = CallSessionId(998677427);
/// Extension 101 → Megaplan 1001.
pub const ANNA: UisEmployeeId = UisEmployeeId(323409);
pub const ANNA_MP: &str = "1001";
/// Extension 102 → Megaplan 1002.
pub const BORIS: UisEmployeeId = UisEmployeeId(323410);
pub const BORIS_MP: &str = "1002";
/// A UIS employee nobody linked to Megaplan.
pub const NOBODY: UisEmployeeId = UisEmployeeId(323499);
pub const DEFAULT_MP: &str = "1000003";

pub fn mp(s: &str) -> MegaplanId {
    MegaplanId::parse(s).unwrap()
}

pub fn client_phone() -> Phone {
    "79508418541".parse().unwrap()
}

pub fn virtual_number() -> Phone {
    "74993720692".parse().unwrap()
}

/// Active, default responsible set, every rule off.
pub fn settings() -> TelephonySettings {
    TelephonySettings {
        active: true,
        default_responsible: Some(mp(DEFAULT_MP)),
        ..TelephonySettings::default()
    }
}

pub fn known() -> Known {
    let mut k = Known::default();
    for (uis, ext, m) in [(ANNA, "101", ANNA_MP), (BORIS, "102", BORIS_MP)] {
        let ext = Extension::parse(ext).unwrap();
        k.staff.extension_of.insert(uis, ext.clone());
        k.staff.megaplan_by_extension.insert(ext, mp(m));
    }
    k.staff
        .extension_of
        .insert(NOBODY, Extension::parse("199").unwrap());
    k
}

/// 2026-11-24 11:40:47 UTC = 14:40 in Moscow.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 11, 40, 47).unwrap()
}

pub fn event(kind: CallEventKind) -> CallEvent {
    CallEvent {
        call_session_id: CALL,
        kind,
        direction: Direction::In,
        contact_phone: Some(client_phone()),
        virtual_number: Some(virtual_number()),
        at: at(),
        started_at: None,
        external_id: None,
        params: BTreeMap::new(),
    }
}

pub fn ringing(employee: UisEmployeeId) -> CallEvent {
    event(CallEventKind::Ringing {
        leg: Some(1),
        employee,
    })
}

pub fn answered(employee: UisEmployeeId) -> CallEvent {
    event(CallEventKind::Answered { employee })
}

/// Nobody answered; 23 s of ringing.
pub fn finished_lost() -> CallEvent {
    event(CallEventKind::Finished(Finished {
        total_secs: 23,
        wait_secs: 23,
        is_lost: Some(true),
        ..Finished::default()
    }))
}

/// `employee` talked 12 s of a 23 s call.
pub fn finished_answered(employee: UisEmployeeId) -> CallEvent {
    event(CallEventKind::Finished(Finished {
        talk_secs: 12,
        total_secs: 23,
        wait_secs: 11,
        employee: Some(employee),
        last_talked: Some(employee),
        ..Finished::default()
    }))
}

/// Everything on, as an admin would fill the whole form.
fn everything_on() -> TelephonySettings {
    let mut s = settings();
    let cp = &mut s.call_processing;
    cp.create_client.enabled = true;
    cp.communication.enabled = true;
    cp.todo.enabled = true;
    cp.deal.enabled = true;
    cp.deal.outcomes = CallOutcome::ALL.into();
    cp.deal.program = Some(mp("8"));
    s
}

#[test]
fn inactive_integration_does_nothing() {
    let mut s = everything_on();
    s.active = false;
    for e in [
        ringing(ANNA),
        answered(ANNA),
        finished_lost(),
        finished_answered(ANNA),
    ] {
        let d = decide(&e, &s, &known());
        assert!(d.actions.is_empty(), "{d:?}");
        assert_eq!(d.skipped, Some(SkipReason::Inactive));
        assert_eq!(d.skipped.unwrap().to_string(), "Интеграция не активна");
    }
}

#[test]
fn call_on_unlisted_virtual_number_is_filtered_out() {
    let mut s = everything_on();
    s.filters.by_virtual_numbers = true;
    s.filters.virtual_numbers = vec!["74950000000".parse().unwrap()];
    let d = decide(&finished_lost(), &s, &known());
    assert!(d.actions.is_empty());
    assert_eq!(
        d.skipped,
        Some(SkipReason::VirtualNumberFiltered {
            number: virtual_number()
        })
    );
    assert!(d.skipped.unwrap().to_string().contains("+7 499 372-06-92"));
}

#[test]
fn call_on_listed_virtual_number_passes_the_filter() {
    let mut s = everything_on();
    s.filters.by_virtual_numbers = true;
    s.filters.virtual_numbers = vec!["8 (499) 372-06-92".parse().unwrap()];
    let d = decide(&finished_lost(), &s, &known());
    assert!(!d.actions.is_empty());
    assert_eq!(d.skipped, None);
}

#[test]
fn call_with_unknown_virtual_number_is_filtered_out_when_filter_is_on() {
    let mut s = everything_on();
    s.filters.by_virtual_numbers = true;
    s.filters.virtual_numbers = vec![virtual_number()];
    let mut e = finished_lost();
    e.virtual_number = None;
    let d = decide(&e, &s, &known());
    assert_eq!(d.skipped, Some(SkipReason::VirtualNumberUnknown));
}

#[test]
fn events_without_rules_say_why() {
    for kind in [
        CallEventKind::Started,
        CallEventKind::Lost {
            employees_tried: vec![ANNA, BORIS],
        },
        CallEventKind::TalkFinished {
            employee: Some(ANNA),
            talk_secs: 5,
        },
    ] {
        let d = decide(&event(kind), &everything_on(), &known());
        assert!(d.actions.is_empty());
        assert!(
            matches!(d.skipped, Some(SkipReason::NotHandled { .. })),
            "{d:?}"
        );
    }
}

#[test]
fn finished_call_actions_come_in_execution_order() {
    let d = decide(&finished_lost(), &everything_on(), &known());
    let kinds: Vec<String> = d
        .actions
        .iter()
        .map(|a| a.idempotency_key().split(':').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["client", "callinfo", "communication", "todo", "deal"]
    );
    for a in &d.actions {
        assert!(!a.describe().is_empty());
    }
}

/// The worker in miniature: runs each decision's actions once per key and learns what it did.
struct World {
    known: Known,
    done: BTreeSet<String>,
    executed: Vec<Action>,
}

impl World {
    fn new() -> World {
        World {
            known: known(),
            done: BTreeSet::new(),
            executed: Vec::new(),
        }
    }

    fn feed(&mut self, e: &CallEvent, s: &TelephonySettings) {
        let d = decide(e, s, &self.known);
        for a in d.actions {
            if !self.done.insert(a.idempotency_key()) {
                continue;
            }
            match &a {
                Action::ShowCallCard { .. } | Action::LogCall { .. } => {
                    self.known.call_card_shown = true
                }
                Action::EnsureClient {
                    call_session_id, ..
                } => {
                    self.known.client = Some(KnownClient {
                        id: mp("900"),
                        created_by_call: Some(*call_session_id),
                    })
                }
                _ => {}
            }
            self.executed.push(a);
        }
        match &e.kind {
            CallEventKind::Answered { employee } => {
                self.known.talked.first.get_or_insert(*employee);
                self.known.talked.last = Some(*employee);
            }
            CallEventKind::Finished(_) => self.known.call_finished = true,
            _ => {}
        }
    }

    fn count(&self, f: impl Fn(&Action) -> bool) -> usize {
        self.executed.iter().filter(|a| f(a)).count()
    }
}

fn lost_group_call() -> Vec<CallEvent> {
    vec![
        event(CallEventKind::Started),
        ringing(ANNA),
        ringing(BORIS),
        ringing(NOBODY),
        event(CallEventKind::Lost {
            employees_tried: vec![ANNA, BORIS, NOBODY],
        }),
        finished_lost(),
    ]
}

#[test]
fn lost_group_call_makes_one_todo_not_one_per_ringing_extension() {
    let mut w = World::new();
    for e in lost_group_call() {
        w.feed(&e, &everything_on());
    }
    assert_eq!(w.count(|a| matches!(a, Action::CreateTodo { .. })), 1);
    assert_eq!(w.count(|a| matches!(a, Action::ShowCallCard { .. })), 1);
    assert_eq!(
        w.count(|a| matches!(
            a,
            Action::UpdateCallCard {
                state: CardState::Finished(CallType::Miss),
                ..
            }
        )),
        1
    );
    assert_eq!(w.count(|a| matches!(a, Action::EnsureClient { .. })), 1);
}

#[test]
fn transferred_call_is_one_client_with_last_talked_responsible() {
    let mut s = everything_on();
    s.call_processing.create_client.responsible = TalkedEmployee::LastTalked;
    s.call_processing.todo.responsible = Responsible::CallEmployee;
    let mut fin = finished_answered(BORIS);
    if let CallEventKind::Finished(f) = &mut fin.kind {
        f.talk_secs = 60;
        f.total_secs = 80;
    }
    let mut w = World::new();
    for e in [
        ringing(ANNA),
        answered(ANNA),
        ringing(BORIS),
        answered(BORIS),
        fin,
    ] {
        w.feed(&e, &s);
    }
    assert_eq!(w.count(|a| matches!(a, Action::EnsureClient { .. })), 1);
    assert_eq!(
        w.count(|a| matches!(
            a,
            Action::SetClientResponsible { responsible, .. } if *responsible == mp(BORIS_MP)
        )),
        1
    );
    // Answered calls are not in the default todo set.
    assert_eq!(w.count(|a| matches!(a, Action::CreateTodo { .. })), 0);
}

// ---- properties ----

fn arb_employee() -> impl Strategy<Value = UisEmployeeId> {
    prop_oneof![
        Just(ANNA),
        Just(BORIS),
        Just(NOBODY),
        (1i64..i64::MAX).prop_map(UisEmployeeId)
    ]
}

fn arb_kind() -> impl Strategy<Value = CallEventKind> {
    let opt = || proptest::option::of(arb_employee());
    prop_oneof![
        Just(CallEventKind::Started),
        (proptest::option::of(any::<i64>()), arb_employee())
            .prop_map(|(leg, employee)| CallEventKind::Ringing { leg, employee }),
        arb_employee().prop_map(|employee| CallEventKind::Answered { employee }),
        (opt(), any::<u32>()).prop_map(|(employee, talk_secs)| CallEventKind::TalkFinished {
            employee,
            talk_secs
        }),
        arb_employee().prop_map(|employee| CallEventKind::Outbound { employee }),
        (
            (any::<u32>(), any::<u32>(), any::<u32>()),
            (opt(), opt(), opt()),
            proptest::option::of(any::<bool>())
        )
            .prop_map(
                |(
                    (talk_secs, total_secs, wait_secs),
                    (employee, last_talked, first_talked),
                    is_lost,
                )| {
                    CallEventKind::Finished(Finished {
                        talk_secs,
                        total_secs,
                        wait_secs,
                        employee,
                        last_talked,
                        first_talked,
                        is_lost,
                    })
                }
            ),
        proptest::collection::vec(arb_employee(), 0..4)
            .prop_map(|employees_tried| CallEventKind::Lost { employees_tried }),
        (
            prop_oneof![Just("https://media.uiscom.ru/1/2".to_owned()), ".{0,20}"],
            opt()
        )
            .prop_map(|(file_link, employee)| CallEventKind::Recorded {
                file_link,
                employee
            }),
    ]
}

fn arb_phone() -> impl Strategy<Value = Option<Phone>> {
    proptest::option::of(prop_oneof![
        Just(client_phone()),
        Just(virtual_number()),
        Just("+998903173406".parse::<Phone>().unwrap()),
    ])
}

fn arb_event() -> impl Strategy<Value = CallEvent> {
    (
        (1i64..i64::MAX, arb_kind(), any::<bool>()),
        (arb_phone(), arb_phone()),
        (
            -8_000_000_000i64..8_000_000_000,
            proptest::option::of(-8_000_000_000i64..8_000_000_000),
        ),
        proptest::collection::btree_map("[a-z_]{1,12}", ".{0,8}", 0..4),
    )
        .prop_map(
            |((id, kind, inbound), (contact, virt), (at, started), params)| CallEvent {
                call_session_id: CallSessionId(id),
                kind,
                direction: if inbound {
                    Direction::In
                } else {
                    Direction::Out
                },
                contact_phone: contact,
                virtual_number: virt,
                at: DateTime::from_timestamp(at, 0).unwrap(),
                started_at: started.and_then(|t| DateTime::from_timestamp(t, 0)),
                external_id: None,
                params,
            },
        )
}

fn arb_outcomes() -> impl Strategy<Value = BTreeSet<CallOutcome>> {
    proptest::collection::btree_set(proptest::sample::select(CallOutcome::ALL.to_vec()), 0..=4)
}

fn arb_responsible() -> impl Strategy<Value = Responsible> {
    prop_oneof![
        Just(Responsible::DefaultResponsible),
        Just(Responsible::CallEmployee),
        Just(Responsible::Employee(mp("777"))),
    ]
}

fn arb_settings() -> impl Strategy<Value = TelephonySettings> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (arb_outcomes(), arb_outcomes(), arb_outcomes()),
        (
            arb_responsible(),
            arb_responsible(),
            any::<u32>(),
            any::<bool>(),
        ),
    )
        .prop_map(|(a, b, c, d)| {
            let (active, filter, listed, default) = a;
            let (client, last, extra, always, program) = b;
            let mut s = TelephonySettings {
                active,
                default_responsible: default.then(|| mp(DEFAULT_MP)),
                ..TelephonySettings::default()
            };
            s.filters.by_virtual_numbers = filter;
            if listed {
                s.filters.virtual_numbers = vec![virtual_number()];
            }
            let cp = &mut s.call_processing;
            cp.create_client.enabled = client;
            if last {
                cp.create_client.responsible = TalkedEmployee::LastTalked;
            }
            cp.extra_fields.enabled = extra;
            cp.extra_fields.update_always = always;
            cp.extra_fields.mapping = crate::settings::UisCallField::ALL
                .iter()
                .map(|f| crate::settings::FieldMapping {
                    uis: *f,
                    megaplan: format!("Category1CustomField{}", f.param()),
                })
                .collect();
            (
                cp.communication.outcomes,
                cp.todo.outcomes,
                cp.deal.outcomes,
            ) = c.clone();
            cp.communication.enabled = !c.0.is_empty();
            cp.todo.enabled = !c.1.is_empty();
            cp.deal.enabled = d.3;
            cp.todo.responsible = d.0;
            cp.deal.responsible = d.1;
            cp.communication.duration_minutes = d.2;
            cp.deal.program = program.then(|| mp("8"));
            s
        })
}

fn arb_known() -> impl Strategy<Value = Known> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(proptest::option::of(1i64..5)),
        proptest::option::of(arb_employee()),
        proptest::option::of(arb_employee()),
    )
        .prop_map(|(card, finished, client, first, last)| {
            let mut k = known();
            k.call_card_shown = card;
            k.call_finished = finished;
            k.client = client.map(|by| KnownClient {
                id: mp("555"),
                created_by_call: by.map(CallSessionId),
            });
            k.talked = Talked { first, last };
            k
        })
}

proptest! {
    #[test]
    fn decide_never_panics_and_keys_are_unique(
        e in arb_event(), s in arb_settings(), k in arb_known()
    ) {
        let d = decide(&e, &s, &k);
        let keys: BTreeSet<String> = d.actions.iter().map(Action::idempotency_key).collect();
        prop_assert_eq!(keys.len(), d.actions.len(), "duplicate keys in {:?}", d.actions);
        prop_assert_eq!(d.actions.is_empty(), d.skipped.is_some());
        for a in &d.actions {
            prop_assert_eq!(a.call_session_id(), e.call_session_id);
            let _ = a.describe();
        }
        if !s.active {
            prop_assert_eq!(&d.skipped, &Some(SkipReason::Inactive));
        }
        if !s.filters.passes(e.virtual_number.as_ref()) {
            prop_assert!(d.actions.is_empty());
        }
        let per_call = d.actions.iter().filter(|a| matches!(a,
            Action::CreateTodo { .. } | Action::CreateCommunication { .. } | Action::CreateDeal { .. }
        )).count();
        if !matches!(e.kind, CallEventKind::Finished(_)) {
            prop_assert_eq!(per_call, 0, "per-call entities only on «Завершение звонка»");
        }
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), d);
    }

    #[test]
    fn any_order_and_duplication_of_a_lost_group_call_makes_one_todo(
        events in Just(lost_group_call()).prop_shuffle(),
        dup in proptest::collection::vec(0usize..6, 0..6),
    ) {
        let mut all = events.clone();
        all.extend(dup.iter().map(|&i| events[i].clone()));
        let mut w = World::new();
        for e in &all {
            w.feed(e, &everything_on());
        }
        prop_assert_eq!(w.count(|a| matches!(a, Action::CreateTodo { .. })), 1);
        prop_assert_eq!(w.count(|a| matches!(a, Action::CreateCommunication { .. })), 1);
        prop_assert_eq!(w.count(|a| matches!(a, Action::CreateDeal { .. })), 1);
        prop_assert_eq!(w.count(|a| matches!(a, Action::EnsureClient { .. })), 1);
        let shown = w.count(|a| matches!(a, Action::ShowCallCard { .. }));
        prop_assert!(shown <= 1, "cards shown: {}", shown);
        prop_assert_eq!(w.count(|a| matches!(a,
            Action::UpdateCallCard { state: CardState::Finished(_), .. } | Action::LogCall { .. }
        )), 1);
    }
}
