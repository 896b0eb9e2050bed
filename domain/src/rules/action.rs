//! What the worker must do in Megaplan. Each action carries everything its API call needs and a
//! stable idempotency key, so a retried or duplicated event never creates a second entity.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::call::{CallOutcome, Direction};
use crate::ids::{CallSessionId, Extension, MegaplanId, UisEmployeeId};
use crate::phone::Phone;

/// The client an action is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum ClientRef {
    /// Known Megaplan client id.
    Id(MegaplanId),
    /// The client with this phone: the one an earlier `EnsureClient` of the same decision made,
    /// or found in Megaplan by phone; when there is none, the action goes without a client.
    Phone(Phone),
}

/// Megaplan `CallInfo.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallType {
    In,
    Out,
    Miss,
    Fail,
}

impl From<CallOutcome> for CallType {
    fn from(o: CallOutcome) -> Self {
        match o {
            CallOutcome::Answered => CallType::In,
            CallOutcome::Lost => CallType::Miss,
            CallOutcome::Successful => CallType::Out,
            CallOutcome::Failed => CallType::Fail,
        }
    }
}

impl CallType {
    pub fn as_str(self) -> &'static str {
        match self {
            CallType::In => "in",
            CallType::Out => "out",
            CallType::Miss => "miss",
            CallType::Fail => "fail",
        }
    }
}

/// Megaplan `CallInfo.state` we move a card through (T12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "type", rename_all = "snake_case")]
pub enum CardState {
    /// Ringing at (another) employee: the card pops up for `employee`.
    Calling,
    Talking,
    Finished(CallType),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Find the client by phone; create it when there is none (4.1, T5). The key is the phone, so
    /// concurrent events of one number serialise on it and never make two clients.
    EnsureClient {
        call_session_id: CallSessionId,
        phone: Phone,
        responsible: Option<MegaplanId>,
        /// Megaplan extra field name → value (4.2), set at creation.
        extra_fields: BTreeMap<String, String>,
        /// 4.2 «Обновлять всегда»: also write `extra_fields` when the client is found, not created.
        update_existing_extra_fields: bool,
    },
    /// 4.2 «Обновлять всегда»: extra fields of an existing client, once per call.
    UpdateClientExtraFields {
        call_session_id: CallSessionId,
        client: ClientRef,
        extra_fields: BTreeMap<String, String>,
    },
    /// 4.1 «последний разговаривавший»: the client this call created gets the employee who talked
    /// last once the call is over (at creation only the first was known).
    SetClientResponsible {
        call_session_id: CallSessionId,
        client: ClientRef,
        responsible: MegaplanId,
    },
    /// `POST /callInfo` with state `calling`: creates the call and pops the card up for
    /// `employee` (T12). `providerId` = call_session_id.
    ShowCallCard {
        call_session_id: CallSessionId,
        direction: Direction,
        phone: Option<Phone>,
        employee: MegaplanId,
        extension: Option<Extension>,
        virtual_number: Option<Phone>,
        client: Option<ClientRef>,
        at: DateTime<Utc>,
    },
    /// `POST /callInfo/provider` for the call's card (T12). `Finished` also links the client
    /// (`setContractor`) when the card has none yet (T14).
    UpdateCallCard {
        call_session_id: CallSessionId,
        state: CardState,
        /// The UIS employee the update is about (the key of a calling/talking update).
        uis_employee: Option<UisEmployeeId>,
        employee: Option<MegaplanId>,
        extension: Option<Extension>,
        client: Option<ClientRef>,
        at: DateTime<Utc>,
    },
    /// `POST /callInfo/history`: a finished call that never had a card still lands in the
    /// client's history (T14), without a popup.
    LogCall {
        call_session_id: CallSessionId,
        call_type: CallType,
        direction: Direction,
        phone: Option<Phone>,
        employee: Option<MegaplanId>,
        extension: Option<Extension>,
        client: Option<ClientRef>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// Add a record link to the call's `recordLinks`, also after the call finished (T13). When
    /// the call has no `CallInfo` yet (the recording overtook «Завершение звонка»), the executor
    /// treats it as transient and retries later.
    AttachRecording {
        call_session_id: CallSessionId,
        url: String,
    },
    /// 4.3: a communication (Todo of the `call` category) on the client, `end = start + duration`.
    CreateCommunication {
        call_session_id: CallSessionId,
        outcome: CallOutcome,
        client: Option<ClientRef>,
        responsible: Option<MegaplanId>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        name: String,
        description: String,
    },
    /// 4.4: a todo («Дело»). `name` ends with `marker`, so a retry can find it by a name filter.
    CreateTodo {
        call_session_id: CallSessionId,
        outcome: CallOutcome,
        client: Option<ClientRef>,
        responsible: Option<MegaplanId>,
        name: String,
        description: String,
        marker: String,
    },
    /// 4.5: a deal («Процесс») in `program`, `manager` = responsible.
    CreateDeal {
        call_session_id: CallSessionId,
        outcome: CallOutcome,
        client: Option<ClientRef>,
        responsible: Option<MegaplanId>,
        program: MegaplanId,
        name: String,
        description: String,
        marker: String,
    },
}

impl Action {
    /// The key of the `EnsureClient` of `phone`: its record names the phone's client.
    pub fn client_key(phone: &Phone) -> String {
        format!("client:{}", phone.as_e164())
    }

    /// Stable across retries and replays of the same event, distinct within one decision.
    pub fn idempotency_key(&self) -> String {
        match self {
            Action::EnsureClient { phone, .. } => Action::client_key(phone),
            Action::UpdateClientExtraFields {
                call_session_id, ..
            } => format!("client-fields:{call_session_id}"),
            Action::SetClientResponsible {
                call_session_id, ..
            } => format!("client-responsible:{call_session_id}"),
            Action::ShowCallCard {
                call_session_id, ..
            } => format!("callinfo:{call_session_id}:calling"),
            Action::UpdateCallCard {
                call_session_id,
                state,
                uis_employee,
                ..
            } => {
                let who = uis_employee.map_or_else(|| "-".to_owned(), |e| e.to_string());
                match state {
                    CardState::Calling => format!("callinfo:{call_session_id}:calling:{who}"),
                    CardState::Talking => format!("callinfo:{call_session_id}:talking:{who}"),
                    CardState::Finished(_) => format!("callinfo:{call_session_id}:finished"),
                }
            }
            // One-of with UpdateCallCard(Finished): the same key.
            Action::LogCall {
                call_session_id, ..
            } => format!("callinfo:{call_session_id}:finished"),
            Action::AttachRecording {
                call_session_id,
                url,
            } => format!("recording:{call_session_id}:{url}"),
            Action::CreateCommunication {
                call_session_id, ..
            } => format!("communication:call:{call_session_id}"),
            Action::CreateTodo {
                call_session_id, ..
            } => format!("todo:call:{call_session_id}"),
            Action::CreateDeal {
                call_session_id, ..
            } => format!("deal:call:{call_session_id}"),
        }
    }

    pub fn call_session_id(&self) -> CallSessionId {
        match self {
            Action::EnsureClient {
                call_session_id, ..
            }
            | Action::UpdateClientExtraFields {
                call_session_id, ..
            }
            | Action::SetClientResponsible {
                call_session_id, ..
            }
            | Action::ShowCallCard {
                call_session_id, ..
            }
            | Action::UpdateCallCard {
                call_session_id, ..
            }
            | Action::LogCall {
                call_session_id, ..
            }
            | Action::AttachRecording {
                call_session_id, ..
            }
            | Action::CreateCommunication {
                call_session_id, ..
            }
            | Action::CreateTodo {
                call_session_id, ..
            }
            | Action::CreateDeal {
                call_session_id, ..
            } => *call_session_id,
        }
    }

    /// One Russian line for the event log and the rule preview (O1, O4).
    pub fn describe(&self) -> String {
        let who = |r: &Option<MegaplanId>| match r {
            Some(id) => format!("ответственный {id}"),
            None => "без ответственного".to_owned(),
        };
        match self {
            Action::EnsureClient {
                phone, responsible, ..
            } => format!(
                "Найти или создать клиента {}, {}",
                phone.international(),
                who(responsible)
            ),
            Action::UpdateClientExtraFields { extra_fields, .. } => format!(
                "Обновить доп. поля клиента: {}",
                extra_fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Action::SetClientResponsible { responsible, .. } => {
                format!("Назначить ответственным за клиента сотрудника {responsible}")
            }
            Action::ShowCallCard { employee, .. } => {
                format!("Показать карточку звонка сотруднику {employee}")
            }
            Action::UpdateCallCard { state, .. } => match state {
                CardState::Calling => "Карточка звонка: вызов другого сотрудника".to_owned(),
                CardState::Talking => "Карточка звонка: разговор".to_owned(),
                CardState::Finished(t) => format!("Карточка звонка: завершён ({})", t.as_str()),
            },
            Action::LogCall { call_type, .. } => {
                format!("Записать звонок в историю ({})", call_type.as_str())
            }
            Action::AttachRecording { url, .. } => format!("Прикрепить запись разговора {url}"),
            Action::CreateCommunication {
                outcome,
                responsible,
                ..
            } => format!(
                "Создать коммуникацию «{}», {}",
                outcome.label(),
                who(responsible)
            ),
            Action::CreateTodo {
                name, responsible, ..
            } => format!("Создать дело «{name}», {}", who(responsible)),
            Action::CreateDeal {
                name,
                responsible,
                program,
                ..
            } => format!(
                "Создать процесс «{name}» в схеме {program}, {}",
                who(responsible)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_key_is_the_normalised_phone() {
        let a = Action::EnsureClient {
            call_session_id: CallSessionId(1),
            phone: "8 950 841 85 41".parse().unwrap(),
            responsible: None,
            extra_fields: BTreeMap::new(),
            update_existing_extra_fields: false,
        };
        let b = Action::EnsureClient {
            call_session_id: CallSessionId(2),
            phone: "79508418541".parse().unwrap(),
            responsible: None,
            extra_fields: BTreeMap::new(),
            update_existing_extra_fields: false,
        };
        assert_eq!(a.idempotency_key(), "client:+79508418541");
        assert_eq!(a.idempotency_key(), b.idempotency_key());
    }

    #[test]
    fn finished_card_and_history_share_one_key() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let update = Action::UpdateCallCard {
            call_session_id: CallSessionId(7),
            state: CardState::Finished(CallType::Miss),
            uis_employee: None,
            employee: None,
            extension: None,
            client: None,
            at,
        };
        let log = Action::LogCall {
            call_session_id: CallSessionId(7),
            call_type: CallType::Miss,
            direction: Direction::In,
            phone: None,
            employee: None,
            extension: None,
            client: None,
            start: at,
            end: at,
        };
        assert_eq!(update.idempotency_key(), "callinfo:7:finished");
        assert_eq!(update.idempotency_key(), log.idempotency_key());
    }

    #[test]
    fn outcome_maps_to_megaplan_call_type() {
        assert_eq!(CallType::from(CallOutcome::Answered), CallType::In);
        assert_eq!(CallType::from(CallOutcome::Lost), CallType::Miss);
        assert_eq!(CallType::from(CallOutcome::Successful), CallType::Out);
        assert_eq!(CallType::from(CallOutcome::Failed), CallType::Fail);
    }

    #[test]
    fn action_serialises_with_its_name() {
        let a = Action::AttachRecording {
            call_session_id: CallSessionId(5),
            url: "https://media.uiscom.ru/5/1".into(),
        };
        let json = serde_json::to_string(&a).unwrap();
        assert!(
            json.starts_with(r#"{"action":"attach_recording""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), a);
    }
}
