//! `decide`: one UIS call event + the telephony settings + what is known → the actions to take in
//! Megaplan, or why there are none. Pure; the worker loads the inputs and executes the actions.
//!
//! Which event does what (the seed's words in brackets):
//! - «Ожидание ответа» / «Исходящий звонок» → the call card pops up for the employee whose
//!   extension rings or dials (T12).
//! - «Начало разговора» → the card goes to `talking`; the client is created [«при начале
//!   разговора», 4.1] with extra fields [4.2].
//! - «Завершение звонка» → everything that happens once per call: the card finishes or the call is
//!   logged into history (T14); a client for calls without a talk [«автоматическое создание
//!   контакта при любом звонке»]; communication, todo, deal [4.3–4.5, «после завершения звонка»].
//!   It is the *only* trigger of the per-call entities: it comes once per call session, for both
//!   directions, whereas «Ожидание ответа» comes once per ringing leg and «Потерянный звонок» only
//!   for inbound calls — so one lost group call is one todo, not one per ringing extension.
//! - «Записанный разговор» → the record link is attached to the call (T13).
//! - «Входящий звонок на виртуальный номер», «Окончание разговора», «Потерянный звонок» → nothing.

mod action;
mod after_call;
mod card;
mod client;
mod known;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use action::{Action, CallType, CardState, ClientRef};
pub use known::{DEFAULT_TIME_ZONE, Known, KnownClient, Staff, Talked};
pub use text::marker;

use crate::call::{CallEvent, CallEventKind};
use crate::ids::{MegaplanId, UisEmployeeId};
use crate::phone::Phone;
use crate::settings::TelephonySettings;

/// The outcome of [`decide`]: the actions in execution order, and when there are none, why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub actions: Vec<Action>,
    pub skipped: Option<SkipReason>,
    /// Russian remarks for the event log: fallbacks taken, rules that could not apply.
    pub notes: Vec<String>,
}

/// Why an event led to no action at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Step 6 «Активируйте интеграцию» is off.
    Inactive,
    /// 2.1 filter on, the call's virtual number is not in 2.2.
    VirtualNumberFiltered { number: Phone },
    /// 2.1 filter on and the call's virtual number is unknown.
    VirtualNumberUnknown,
    /// This event type triggers nothing by design (see the module docs).
    NotHandled { event: String, why: String },
    /// The event is handled, but no rule applied (the notes say why).
    NoRuleApplied,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Inactive => f.write_str("Интеграция не активна"),
            SkipReason::VirtualNumberFiltered { number } => write!(
                f,
                "Виртуальный номер {} не входит в список фильтра",
                number.international()
            ),
            SkipReason::VirtualNumberUnknown => f.write_str(
                "Виртуальный номер звонка неизвестен, а фильтр по виртуальным номерам включён",
            ),
            SkipReason::NotHandled { event, why } => write!(f, "«{event}»: {why}"),
            SkipReason::NoRuleApplied => f.write_str("Ни одно правило не сработало"),
        }
    }
}

/// Decides what to do about one call event. Never panics, whatever the inputs; every action of a
/// decision has a distinct [`Action::idempotency_key`].
pub fn decide(event: &CallEvent, settings: &TelephonySettings, known: &Known) -> Decision {
    if !settings.active {
        return Decision::skipped(SkipReason::Inactive);
    }
    if !settings.filters.passes(event.virtual_number.as_ref()) {
        return Decision::skipped(match &event.virtual_number {
            Some(n) => SkipReason::VirtualNumberFiltered { number: n.clone() },
            None => SkipReason::VirtualNumberUnknown,
        });
    }
    let mut ctx = Ctx {
        event,
        settings,
        known,
        decision: Decision::default(),
    };
    let not_handled = |why: &str| {
        Decision::skipped(SkipReason::NotHandled {
            event: event.kind.label().to_owned(),
            why: why.to_owned(),
        })
    };
    match &event.kind {
        CallEventKind::Started => {
            return not_handled("карточка звонка показывается по «Ожиданию ответа»");
        }
        CallEventKind::TalkFinished { .. } => {
            return not_handled("звонок может продолжаться; итог — по «Завершению звонка»");
        }
        CallEventKind::Lost { .. } => {
            return not_handled("итог звонка обрабатывается один раз — по «Завершению звонка»");
        }
        CallEventKind::Ringing { employee, .. } | CallEventKind::Outbound { employee } => {
            card::calling(&mut ctx, *employee);
        }
        CallEventKind::Answered { employee } => {
            card::answered(&mut ctx, *employee);
            client::on_talk_start(&mut ctx, *employee);
        }
        CallEventKind::Finished(f) => {
            let outcome = ctx.outcome();
            client::on_finish(&mut ctx, f, outcome);
            card::finished(&mut ctx, f, outcome);
            after_call::all(&mut ctx, f, outcome);
        }
        CallEventKind::Recorded { file_link, .. } => card::recorded(&mut ctx, file_link),
    }
    let mut decision = ctx.decision;
    if decision.actions.is_empty() {
        decision.skipped = Some(SkipReason::NoRuleApplied);
    }
    decision
}

impl Decision {
    fn skipped(reason: SkipReason) -> Decision {
        Decision {
            skipped: Some(reason),
            ..Decision::default()
        }
    }
}

/// The inputs plus the decision being built.
struct Ctx<'a> {
    event: &'a CallEvent,
    settings: &'a TelephonySettings,
    known: &'a Known,
    decision: Decision,
}

impl Ctx<'_> {
    fn push(&mut self, action: Action) {
        self.decision.actions.push(action);
    }

    fn note(&mut self, note: impl Into<String>) {
        self.decision.notes.push(note.into());
    }

    /// The event's outcome, upgraded to "talked" when a talk of this call was already seen.
    fn outcome(&self) -> crate::call::CallOutcome {
        let talked = self.event.outcome().is_some_and(|o| o.is_talked())
            || self.known.talked.first.is_some();
        crate::call::CallOutcome::of(self.event.direction, talked)
    }

    /// The client every action of this call refers to.
    fn client_ref(&self) -> Option<ClientRef> {
        match (&self.known.client, &self.event.contact_phone) {
            (Some(c), _) => Some(ClientRef::Id(c.id.clone())),
            (None, Some(p)) => Some(ClientRef::Phone(p.clone())),
            (None, None) => None,
        }
    }

    /// The Megaplan employee for a UIS employee; the default responsible (step 3) when the
    /// employee is unknown or not linked to Megaplan. `what` names the role for the note.
    fn responsible_for(
        &mut self,
        employee: Option<UisEmployeeId>,
        what: &str,
    ) -> Option<MegaplanId> {
        if let Some(id) = employee.and_then(|e| self.known.staff.megaplan(e)) {
            return Some(id.clone());
        }
        let default = self.settings.default_responsible.clone();
        let who = match employee {
            Some(e) => format!("сотрудник UIS {e} не найден в Megaplan"),
            None => "сотрудник звонка неизвестен".to_owned(),
        };
        self.note(match &default {
            Some(d) => format!("{what}: {who} — назначен ответственный по умолчанию {d}"),
            None => format!(
                "{what}: {who}, а ответственный по умолчанию не выбран — без ответственного"
            ),
        });
        default
    }

    /// The default responsible (step 3), noting its absence.
    fn default_responsible(&mut self, what: &str) -> Option<MegaplanId> {
        let default = self.settings.default_responsible.clone();
        if default.is_none() {
            self.note(format!(
                "{what}: ответственный по умолчанию не выбран — без ответственного"
            ));
        }
        default
    }
}
