//! UIS HTTP notifications ("Уведомления", uis-api.md §1, §5.2): event kinds, lenient parsing, templates.

mod fields;
pub mod templates;

use chrono::{DateTime, FixedOffset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use fields::Params;

/// One notification URL per event type: `{base}/hooks/uis/{account_key}/{event}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Входящий звонок на виртуальный номер
    CallStarted,
    /// Ожидание ответа (one per ringing employee leg)
    Ringing,
    /// Начало разговора
    Answered,
    /// Окончание разговора
    TalkFinished,
    /// Исходящий звонок
    Outbound,
    /// Завершение звонка
    CallFinished,
    /// Потерянный звонок
    Lost,
    /// Записанный разговор
    Recorded,
    /// Chat started / finished / tagged
    Chat,
    /// Offline message (заявка)
    Lead,
}

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        EventKind::CallStarted,
        EventKind::Ringing,
        EventKind::Answered,
        EventKind::TalkFinished,
        EventKind::Outbound,
        EventKind::CallFinished,
        EventKind::Lost,
        EventKind::Recorded,
        EventKind::Chat,
        EventKind::Lead,
    ];

    pub fn path_segment(self) -> &'static str {
        match self {
            EventKind::CallStarted => "call_started",
            EventKind::Ringing => "ringing",
            EventKind::Answered => "answered",
            EventKind::TalkFinished => "talk_finished",
            EventKind::Outbound => "outbound",
            EventKind::CallFinished => "call_finished",
            EventKind::Lost => "lost",
            EventKind::Recorded => "recorded",
            EventKind::Chat => "chat",
            EventKind::Lead => "lead",
        }
    }

    pub fn from_path_segment(segment: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.path_segment() == segment)
    }

    /// The event type as the UIS cabinet names it.
    pub fn cabinet_label(self) -> &'static str {
        match self {
            EventKind::CallStarted => "Входящий звонок на виртуальный номер",
            EventKind::Ringing => "Ожидание ответа",
            EventKind::Answered => "Начало разговора",
            EventKind::TalkFinished => "Окончание разговора",
            EventKind::Outbound => "Исходящий звонок",
            EventKind::CallFinished => "Завершение звонка",
            EventKind::Lost => "Потерянный звонок",
            EventKind::Recorded => "Записанный разговор",
            EventKind::Chat => "Чаты (начало, завершение, тег)",
            EventKind::Lead => "Заявка (офлайн-сообщение)",
        }
    }

    pub fn is_call(self) -> bool {
        !matches!(self, EventKind::Chat | EventKind::Lead)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A call event without a usable `call_session_id`: nothing to attach it to.
    #[error("UIS {kind} notification without call_session_id")]
    MissingCallSessionId { kind: &'static str },
    /// A chat / lead event without any id (`chat_id`, `offline_message_id`, `communication_id`).
    #[error("UIS {kind} notification without {expected}")]
    MissingId {
        kind: &'static str,
        expected: &'static str,
    },
}

/// A parsed notification; everything but the identifying id is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: EventKind,
    pub notification_name: Option<String>,
    pub notification_mnemonic: Option<String>,
    /// `notification_time` read in the account's zone (UIS sends local time without a zone).
    pub notification_time: Option<DateTime<FixedOffset>>,
    pub call_session_id: Option<i64>,
    pub communication_id: Option<i64>,
    pub communication_number: Option<i64>,
    pub leg_id: Option<i64>,
    pub leg_ids: Vec<i64>,
    pub direction: Option<Direction>,
    pub virtual_phone_number: Option<String>,
    pub contact_phone_number: Option<String>,
    pub calling_phone_number: Option<String>,
    pub called_phone_number: Option<String>,
    pub contact_id: Option<i64>,
    pub contact_full_name: Option<String>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    pub employee_phone_number: Option<String>,
    pub employee_ids: Vec<i64>,
    pub last_talked_employee_id: Option<i64>,
    pub call_source: Option<String>,
    pub scenario_id: Option<i64>,
    pub scenario_name: Option<String>,
    pub external_id: Option<String>,
    pub is_lost: Option<bool>,
    pub is_transfer: Option<bool>,
    pub is_internal: Option<bool>,
    pub talk_time_duration: Option<i64>,
    pub total_time_duration: Option<i64>,
    pub wait_time_duration: Option<i64>,
    pub file_link: Option<String>,
    pub file_duration: Option<i64>,
    pub tag_ids: Vec<i64>,
    pub tag_names: Vec<String>,
    /// Chats: `chat_started`, `chat_finished` or `tag_set` (a literal in our chat templates).
    pub chat_event: Option<String>,
    pub chat_id: Option<i64>,
    pub chat_channel_type: Option<String>,
    pub chat_channel_name: Option<String>,
    pub offline_message_id: Option<i64>,
    pub visitor_id: Option<i64>,
    pub visitor_name: Option<String>,
    pub visitor_phone_number: Option<String>,
    pub visitor_email: Option<String>,
    pub site_id: Option<i64>,
    pub site_domain_name: Option<String>,
    pub text: Option<String>,
    /// Every parameter that arrived, cleaned (for the event trace and fields not modelled above).
    pub params: Map<String, Value>,
}

/// Cleaned parameters of any UIS request (also used for the routing request).
pub(crate) fn decode_params(
    content_type: Option<&str>,
    query: Option<&str>,
    body: &[u8],
) -> Params {
    fields::decode(content_type, query, body)
}

/// Parses a notification of `kind` from a JSON body, a form body or a query string (GET mode).
pub fn parse(
    kind: EventKind,
    content_type: Option<&str>,
    query: Option<&str>,
    body: &[u8],
    tz: Tz,
) -> Result<Notification, ParseError> {
    let p = fields::decode(content_type, query, body);
    let n = from_params(kind, &p, tz);
    if kind.is_call() && n.call_session_id.is_none() {
        return Err(ParseError::MissingCallSessionId {
            kind: kind.path_segment(),
        });
    }
    if kind == EventKind::Chat && n.chat_id.is_none() && n.communication_id.is_none() {
        return Err(ParseError::MissingId {
            kind: "chat",
            expected: "chat_id or communication_id",
        });
    }
    if kind == EventKind::Lead && n.offline_message_id.is_none() && n.communication_id.is_none() {
        return Err(ParseError::MissingId {
            kind: "lead",
            expected: "offline_message_id or communication_id",
        });
    }
    Ok(n)
}

fn from_params(kind: EventKind, p: &Params, tz: Tz) -> Notification {
    let notification_time = p
        .str("notification_time")
        .and_then(|s| crate::time::parse_local(&s, tz))
        .or_else(|| {
            let ts = p.i64("notification_timestamp")?;
            Some(tz.timestamp_opt(ts, 0).single()?.fixed_offset())
        });
    let direction = p
        .str("direction")
        .and_then(|d| match d.to_ascii_lowercase().as_str() {
            "in" | "incoming" | "inbound" => Some(Direction::In),
            "out" | "outgoing" | "outbound" => Some(Direction::Out),
            _ => None,
        });
    let mut leg_ids = p.i64_list("leg_ids");
    let leg_id = p.i64("leg_id");
    if leg_ids.is_empty()
        && let Some(id) = leg_id
    {
        leg_ids.push(id);
    }
    Notification {
        kind,
        notification_name: p.str("notification_name"),
        notification_mnemonic: p.str("notification_mnemonic"),
        notification_time,
        call_session_id: p.i64("call_session_id"),
        communication_id: p.i64("communication_id"),
        communication_number: p.i64("communication_number"),
        leg_id,
        leg_ids,
        direction: direction.or(match kind {
            EventKind::Outbound => Some(Direction::Out),
            EventKind::CallStarted => Some(Direction::In),
            _ => None,
        }),
        virtual_phone_number: p.str("virtual_phone_number"),
        contact_phone_number: p.str("contact_phone_number"),
        calling_phone_number: p.str("calling_phone_number"),
        called_phone_number: p.str("called_phone_number"),
        contact_id: p.i64("contact_id"),
        contact_full_name: p.str("contact_full_name"),
        employee_id: p.i64("employee_id"),
        employee_full_name: p.str("employee_full_name"),
        employee_phone_number: p.str("employee_phone_number"),
        employee_ids: p.i64_list("employee_ids"),
        last_talked_employee_id: p.i64("last_talked_employee_id"),
        call_source: p.str("call_source"),
        scenario_id: p.i64("scenario_id"),
        scenario_name: p.str("scenario_name"),
        external_id: p.str("external_id"),
        is_lost: p
            .bool("is_lost")
            .or((kind == EventKind::Lost).then_some(true)),
        is_transfer: p.bool("is_transfer"),
        is_internal: p.bool("is_internal"),
        talk_time_duration: p.i64("talk_time_duration"),
        total_time_duration: p.i64("total_time_duration"),
        wait_time_duration: p.i64("wait_time_duration"),
        file_link: p.str("file_link"),
        file_duration: p.i64("file_duration"),
        tag_ids: p.i64_list("tag_ids"),
        tag_names: p.str_list("tag_names"),
        chat_event: p.str("chat_event"),
        chat_id: p.i64("chat_id"),
        chat_channel_type: p.str("chat_channel_type"),
        chat_channel_name: p.str("chat_channel_name"),
        offline_message_id: p.i64("offline_message_id"),
        visitor_id: p.i64("visitor_id"),
        visitor_name: p.str("visitor_name"),
        visitor_phone_number: p.str("visitor_phone_number"),
        visitor_email: p.str("visitor_email"),
        site_id: p.i64("site_id"),
        site_domain_name: p.str("site_domain_name"),
        text: p.str("text"),
        params: p.0.clone().into_iter().collect(),
    }
}

impl Notification {
    /// Idempotency key: event kind + call_session_id + leg (chats: chat id + chat event; leads: lead id).
    pub fn dedupe_key(&self) -> String {
        let kind = self.kind.path_segment();
        match self.kind {
            EventKind::Chat => {
                let id = self.chat_id.or(self.communication_id).unwrap_or_default();
                let event = self.chat_event.as_deref().unwrap_or("event");
                let mut key = format!("{kind}:{id}:{event}");
                if event == "tag_set" {
                    let tags: Vec<String> = self.tag_ids.iter().map(i64::to_string).collect();
                    key.push_str(&format!(":{}", tags.join(",")));
                }
                key
            }
            EventKind::Lead => {
                let id = self
                    .offline_message_id
                    .or(self.communication_id)
                    .unwrap_or_default();
                format!("{kind}:{id}")
            }
            _ => {
                let id = self.call_session_id.unwrap_or_default();
                let leg = match (self.kind, self.leg_ids.as_slice(), self.employee_id) {
                    (_, [], None) => String::new(),
                    (_, [], Some(e))
                        if matches!(
                            self.kind,
                            EventKind::Ringing | EventKind::Answered | EventKind::TalkFinished
                        ) =>
                    {
                        format!(":employee={e}")
                    }
                    (_, [], Some(_)) => String::new(),
                    (_, legs, _) => {
                        let legs: Vec<String> = legs.iter().map(i64::to_string).collect();
                        format!(":leg={}", legs.join(","))
                    }
                };
                format!("{kind}:{id}{leg}")
            }
        }
    }
}
