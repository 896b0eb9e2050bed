//! The domain's view of a UIS call event (uis-api.md §1.1). Independent of the `uis` crate's wire
//! types: the server converts a parsed notification (or a `get.calls_report` row) into this.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CallSessionId, UisEmployeeId};
use crate::phone::Phone;

/// Направление звонка.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Входящий
    In,
    /// Исходящий
    Out,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::In => "Входящий",
            Direction::Out => "Исходящий",
        }
    }
}

/// Статус звонка: one value per (direction, outcome) pair the seed's 4.3–4.5 let the admin pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Входящий принятый
    Answered,
    /// Входящий потерянный
    Lost,
    /// Исходящий успешный
    Successful,
    /// Исходящий неуспешный
    Failed,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 4] = [
        CallOutcome::Answered,
        CallOutcome::Lost,
        CallOutcome::Successful,
        CallOutcome::Failed,
    ];

    /// The outcome of a call of `direction` that was (or was not) talked on.
    pub fn of(direction: Direction, talked: bool) -> CallOutcome {
        match (direction, talked) {
            (Direction::In, true) => CallOutcome::Answered,
            (Direction::In, false) => CallOutcome::Lost,
            (Direction::Out, true) => CallOutcome::Successful,
            (Direction::Out, false) => CallOutcome::Failed,
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            CallOutcome::Answered | CallOutcome::Lost => Direction::In,
            CallOutcome::Successful | CallOutcome::Failed => Direction::Out,
        }
    }

    pub fn is_talked(self) -> bool {
        matches!(self, CallOutcome::Answered | CallOutcome::Successful)
    }

    /// As the settings page lists it.
    pub fn label(self) -> &'static str {
        match self {
            CallOutcome::Answered => "Входящий принятый",
            CallOutcome::Lost => "Входящий потерянный",
            CallOutcome::Successful => "Исходящий успешный",
            CallOutcome::Failed => "Исходящий неуспешный",
        }
    }

    /// As a sentence starts: «Пропущенный входящий звонок».
    pub fn call_words(self) -> &'static str {
        match self {
            CallOutcome::Answered => "Входящий звонок",
            CallOutcome::Lost => "Пропущенный входящий звонок",
            CallOutcome::Successful => "Исходящий звонок",
            CallOutcome::Failed => "Неуспешный исходящий звонок",
        }
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What happened, one variant per UIS notification type we subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallEventKind {
    /// «Входящий звонок на виртуальный номер»: the call reached the PBX, nobody rings yet.
    Started,
    /// «Ожидание ответа»: one employee leg rings (one event per leg of a group call).
    Ringing {
        leg: Option<i64>,
        employee: UisEmployeeId,
    },
    /// «Начало разговора»: `employee` answered, the talk starts.
    Answered { employee: UisEmployeeId },
    /// «Окончание разговора»: one employee's talk ended; the call may go on (transfer).
    TalkFinished {
        employee: Option<UisEmployeeId>,
        talk_secs: u32,
    },
    /// «Исходящий звонок»: an employee dials out.
    Outbound { employee: UisEmployeeId },
    /// «Завершение звонка»: the call session is over — once per call, both directions.
    Finished(Finished),
    /// «Потерянный звонок»: an inbound call nobody answered.
    Lost { employees_tried: Vec<UisEmployeeId> },
    /// «Записанный разговор»: a recording is ready (may come after the call finished).
    Recorded {
        file_link: String,
        employee: Option<UisEmployeeId>,
    },
}

/// The facts of «Завершение звонка».
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    /// `talk_time_duration`, seconds.
    pub talk_secs: u32,
    /// `total_time_duration`, seconds.
    pub total_secs: u32,
    /// `wait_time_duration`, seconds.
    pub wait_secs: u32,
    /// `employee_id`: the relevant (last) employee, also of a lost call.
    pub employee: Option<UisEmployeeId>,
    /// `last_talked_employee_id`.
    pub last_talked: Option<UisEmployeeId>,
    /// The first employee who talked, when the source knows it (`get.calls_report` does).
    pub first_talked: Option<UisEmployeeId>,
    /// `is_lost`, when sent.
    pub is_lost: Option<bool>,
}

impl CallEventKind {
    /// The UIS cabinet's name of the event type.
    pub fn label(&self) -> &'static str {
        match self {
            CallEventKind::Started => "Входящий звонок на виртуальный номер",
            CallEventKind::Ringing { .. } => "Ожидание ответа",
            CallEventKind::Answered { .. } => "Начало разговора",
            CallEventKind::TalkFinished { .. } => "Окончание разговора",
            CallEventKind::Outbound { .. } => "Исходящий звонок",
            CallEventKind::Finished(_) => "Завершение звонка",
            CallEventKind::Lost { .. } => "Потерянный звонок",
            CallEventKind::Recorded { .. } => "Записанный разговор",
        }
    }
}

/// One UIS call event, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    pub call_session_id: CallSessionId,
    pub kind: CallEventKind,
    pub direction: Direction,
    /// The client's number (caller of an inbound, callee of an outbound call); `None` when hidden
    /// or unparsable.
    pub contact_phone: Option<Phone>,
    /// The UIS virtual number of the call. The server fills it from earlier events of the same call
    /// when this notification lacks it (the virtual-number filter needs it on every event).
    pub virtual_number: Option<Phone>,
    /// `notification_time`, converted from the account's zone.
    pub at: DateTime<Utc>,
    /// When the call started, if known (else derived for `Finished` from `total_secs`).
    pub started_at: Option<DateTime<Utc>>,
    /// `external_id` passed to the Call API (click-to-call correlation).
    pub external_id: Option<String>,
    /// Every UIS parameter of the call known so far, cleaned, as text (`tag_names` joined by ", ").
    /// The source of the extra-field mapping (seed 4.2).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl CallEvent {
    /// The outcome this event proves, if it proves one: `Answered` proves a talk, `Lost` proves
    /// a lost inbound call, `Finished` tells from the durations. A `Finished` with any sign of a
    /// talk counts as talked — an answered call must never be shown as missed.
    pub fn outcome(&self) -> Option<CallOutcome> {
        match &self.kind {
            CallEventKind::Answered { .. } => Some(CallOutcome::of(self.direction, true)),
            CallEventKind::Lost { .. } => Some(CallOutcome::Lost),
            CallEventKind::Finished(f) => {
                let talked = f.talk_secs > 0 || f.last_talked.is_some() || f.is_lost == Some(false);
                Some(CallOutcome::of(self.direction, talked))
            }
            _ => None,
        }
    }

    /// A finished call of `outcome`, for the rule preview (O4: «what would happen for an inbound
    /// lost call from +7…») and for calls rebuilt from `get.calls_report`.
    pub fn finished(
        call_session_id: CallSessionId,
        outcome: CallOutcome,
        contact_phone: Option<Phone>,
        virtual_number: Option<Phone>,
        started_at: DateTime<Utc>,
        finished: Finished,
    ) -> CallEvent {
        let at = started_at
            .checked_add_signed(Duration::seconds(i64::from(finished.total_secs)))
            .unwrap_or(started_at);
        let mut f = finished;
        if !outcome.is_talked() {
            f.talk_secs = 0;
            f.last_talked = None;
            f.first_talked = None;
            f.is_lost = Some(true);
        } else if f.talk_secs == 0 && f.last_talked.is_none() {
            f.is_lost = Some(false);
        }
        CallEvent {
            call_session_id,
            kind: CallEventKind::Finished(f),
            direction: outcome.direction(),
            contact_phone,
            virtual_number,
            at,
            started_at: Some(started_at),
            external_id: None,
            params: BTreeMap::new(),
        }
    }

    /// When the call started: `started_at`, else `at − total_secs` for `Finished`, else `at`.
    pub fn call_started_at(&self) -> DateTime<Utc> {
        if let Some(t) = self.started_at {
            return t;
        }
        match &self.kind {
            CallEventKind::Finished(f) => self
                .at
                .checked_sub_signed(Duration::seconds(i64::from(f.total_secs)))
                .unwrap_or(self.at),
            _ => self.at,
        }
    }

    /// When the call ended (`Finished` only: its notification time).
    pub fn call_ended_at(&self) -> Option<DateTime<Utc>> {
        matches!(self.kind, CallEventKind::Finished(_)).then_some(self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(kind: CallEventKind, direction: Direction) -> CallEvent {
        CallEvent {
            call_session_id: CallSessionId(1),
            kind,
            direction,
            contact_phone: None,
            virtual_number: None,
            at: Utc.with_ymd_and_hms(2026, 11, 24, 11, 40, 47).unwrap(),
            started_at: None,
            external_id: None,
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn outcome_pairs_direction_and_talk() {
        assert_eq!(CallOutcome::of(Direction::In, false), CallOutcome::Lost);
        assert_eq!(CallOutcome::of(Direction::Out, false), CallOutcome::Failed);
        for o in CallOutcome::ALL {
            assert_eq!(CallOutcome::of(o.direction(), o.is_talked()), o);
        }
    }

    #[test]
    fn finished_with_talk_time_is_answered() {
        let f = Finished {
            talk_secs: 12,
            total_secs: 23,
            ..Finished::default()
        };
        let e = event(CallEventKind::Finished(f), Direction::In);
        assert_eq!(e.outcome(), Some(CallOutcome::Answered));
        assert_eq!(
            e.call_started_at(),
            Utc.with_ymd_and_hms(2026, 11, 24, 11, 40, 24).unwrap()
        );
        assert_eq!(e.call_ended_at(), Some(e.at));
    }

    #[test]
    fn short_answered_call_is_not_shown_as_lost() {
        let f = Finished {
            talk_secs: 0,
            last_talked: Some(UisEmployeeId(7)),
            ..Finished::default()
        };
        let e = event(CallEventKind::Finished(f), Direction::In);
        assert_eq!(e.outcome(), Some(CallOutcome::Answered));
    }

    #[test]
    fn finished_without_talk_is_lost_or_failed() {
        let e = event(CallEventKind::Finished(Finished::default()), Direction::In);
        assert_eq!(e.outcome(), Some(CallOutcome::Lost));
        let e = event(CallEventKind::Finished(Finished::default()), Direction::Out);
        assert_eq!(e.outcome(), Some(CallOutcome::Failed));
    }

    #[test]
    fn ringing_proves_no_outcome() {
        let e = event(
            CallEventKind::Ringing {
                leg: Some(1),
                employee: UisEmployeeId(7),
            },
            Direction::In,
        );
        assert_eq!(e.outcome(), None);
        assert_eq!(e.call_started_at(), e.at);
    }

    #[test]
    fn preview_event_has_the_asked_outcome() {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0).unwrap();
        for o in CallOutcome::ALL {
            let f = Finished {
                talk_secs: 0,
                total_secs: 30,
                ..Finished::default()
            };
            let e = CallEvent::finished(CallSessionId(1), o, None, None, start, f);
            assert_eq!(e.outcome(), Some(o));
            assert_eq!(e.direction, o.direction());
            assert_eq!(e.call_started_at(), start);
            assert_eq!(e.call_ended_at(), Some(start + Duration::seconds(30)));
        }
    }

    #[test]
    fn event_round_trips_through_json() {
        let e = event(
            CallEventKind::Lost {
                employees_tried: vec![UisEmployeeId(1), UisEmployeeId(2)],
            },
            Direction::In,
        );
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"type\":\"lost\""), "{json}");
        assert_eq!(serde_json::from_str::<CallEvent>(&json).unwrap(), e);
    }
}
