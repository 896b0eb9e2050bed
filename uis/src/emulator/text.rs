//! Chats and leads (uis-api.md §5): rows in the Data API reports plus emulator-defined notifications.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Inner;
use super::deliver::{Event, deliver};
use super::simulator::SentNotification;
use crate::data_api::{ChatMessage, ChatReport, CommunicationTag, OfflineMessage};
use crate::notification::EventKind;

/// A chat: started, messages, optionally tagged, finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatScript {
    pub chat_channel_type: String,
    pub visitor_name: Option<String>,
    pub visitor_phone_number: Option<String>,
    pub visitor_email: Option<String>,
    pub employee_id: Option<i64>,
    /// `(source, text)`, source `visitor` or `operator`.
    pub messages: Vec<(String, String)>,
    pub tag_id: Option<i64>,
}

impl Default for ChatScript {
    fn default() -> Self {
        ChatScript {
            chat_channel_type: "whatsapp".into(),
            visitor_name: Some("Посетитель".into()),
            visitor_phone_number: Some("79990000002".into()),
            visitor_email: None,
            employee_id: None,
            messages: vec![
                (
                    "visitor".into(),
                    "Здравствуйте, сколько стоит доставка?".into(),
                ),
                ("operator".into(), "Добрый день! 300 рублей.".into()),
            ],
            tag_id: None,
        }
    }
}

/// A lead (offline message) from a site form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadScript {
    pub visitor_name: Option<String>,
    pub visitor_phone_number: Option<String>,
    pub visitor_email: Option<String>,
    pub text: Option<String>,
    pub form_name: Option<String>,
}

impl Default for LeadScript {
    fn default() -> Self {
        LeadScript {
            visitor_name: Some("Посетитель сайта".into()),
            visitor_phone_number: Some("79990000003".into()),
            visitor_email: Some("visitor@demo.example".into()),
            text: Some("Перезвоните мне, пожалуйста".into()),
            form_name: Some("Обратный звонок".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSimulation {
    /// `chat_id` or `offline_message_id`.
    pub id: i64,
    pub communication_id: i64,
    pub sent: Vec<SentNotification>,
}

pub(crate) async fn run_chat(inner: &Arc<Inner>, s: ChatScript) -> TextSimulation {
    let (id, communication_id, site, delivery, now, employee, tag) = {
        let mut st = inner.state();
        let now = st.now().with_timezone(&inner.tz).naive_local();
        let employee = s
            .employee_id
            .and_then(|id| st.employee(id).cloned())
            .or_else(|| st.employees.first().cloned());
        let tag = s
            .tag_id
            .and_then(|id| st.tags.iter().find(|t| t.id == id).cloned());
        (
            st.next_id(),
            st.next_id(),
            st.sites.first().cloned(),
            st.delivery.clone(),
            now,
            employee,
            tag,
        )
    };
    let mut values = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            values.insert(k.into(), v);
        }
    };
    put(
        "notification_time",
        json!(now.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
    );
    put("chat_id", json!(id));
    put("communication_id", json!(communication_id));
    put("chat_channel_type", json!(s.chat_channel_type));
    put(
        "chat_channel_name",
        json!(format!("Канал {}", s.chat_channel_type)),
    );
    put("visitor_id", json!(id + 1_000_000));
    put("visitor_name", json!(s.visitor_name));
    put("visitor_phone_number", json!(s.visitor_phone_number));
    put("visitor_email", json!(s.visitor_email));
    put("employee_id", json!(employee.as_ref().map(|e| e.id)));
    put(
        "employee_full_name",
        json!(employee.as_ref().and_then(|e| e.full_name.clone())),
    );
    put("site_id", json!(site.as_ref().map(|x| x.id)));
    put(
        "site_domain_name",
        json!(site.as_ref().and_then(|x| x.domain_name.clone())),
    );
    let event = |name: &str, extra: &[(&str, Value)]| {
        let mut v = values.clone();
        v.insert("chat_event".into(), json!(name));
        for (k, x) in extra {
            v.insert((*k).into(), x.clone());
        }
        Event {
            kind: EventKind::Chat,
            values: v,
            pause_before: false,
        }
    };
    let mut events = vec![event("chat_started", &[])];
    let tags: Vec<CommunicationTag> = tag
        .iter()
        .map(|t| CommunicationTag {
            tag_id: t.id,
            tag_name: t.name.clone(),
            tag_type: Some("manual".into()),
            tag_change_time: Some(crate::time::format(now)),
        })
        .collect();
    if let Some(t) = &tag {
        events.push(event(
            "tag_set",
            &[("tag_ids", json!([t.id])), ("tag_names", json!([t.name]))],
        ));
    }
    events.push(event("chat_finished", &[]));
    {
        let mut st = inner.state();
        for (i, (source, text)) in s.messages.iter().enumerate() {
            let message_id = st.next_id();
            st.chat_messages.push(ChatMessage {
                id: message_id,
                chat_id: id,
                channel_type: Some(s.chat_channel_type.clone()),
                date_time: Some(now + chrono::Duration::seconds(i as i64 * 10)),
                text: Some(text.clone()),
                source: Some(source.clone()),
                employee_id: (source == "operator")
                    .then(|| employee.as_ref().map(|e| e.id))
                    .flatten(),
                employee_full_name: (source == "operator")
                    .then(|| employee.as_ref().and_then(|e| e.full_name.clone()))
                    .flatten(),
                resource: None,
            });
        }
        st.chats.push(ChatReport {
            id,
            status: Some("succeed".into()),
            initiator: Some("visitor".into()),
            date_time: Some(now),
            duration: Some(s.messages.len() as i64 * 10),
            communication_id: Some(communication_id),
            chat_channel_type: Some(s.chat_channel_type.clone()),
            messages_count: Some(s.messages.len() as i64),
            release_cause: Some("closed_by_operator".into()),
            employee_id: employee.as_ref().map(|e| e.id),
            employee_full_name: employee.as_ref().and_then(|e| e.full_name.clone()),
            tags,
            site_id: site.as_ref().map(|x| x.id),
            site_domain_name: site.as_ref().and_then(|x| x.domain_name.clone()),
            visitor_id: Some(id + 1_000_000),
            visitor_name: s.visitor_name.clone(),
            visitor_phone_number: s.visitor_phone_number.clone(),
            visitor_email: s.visitor_email.clone(),
            ..ChatReport::default()
        });
    }
    let sent = deliver(inner, events, &delivery, Box::pin(async {})).await;
    TextSimulation {
        id,
        communication_id,
        sent,
    }
}

pub(crate) async fn run_lead(inner: &Arc<Inner>, s: LeadScript) -> TextSimulation {
    let (id, communication_id, site, delivery, now) = {
        let mut st = inner.state();
        let now = st.now().with_timezone(&inner.tz).naive_local();
        (
            st.next_id(),
            st.next_id(),
            st.sites.first().cloned(),
            st.delivery.clone(),
            now,
        )
    };
    let lead = OfflineMessage {
        id,
        date_time: Some(now),
        text: s.text.clone(),
        status: Some("not_processed".into()),
        form_type: Some("offline_message".into()),
        form_name: s.form_name.clone(),
        visitor_name: s.visitor_name.clone(),
        visitor_phone_number: s.visitor_phone_number.clone(),
        visitor_email: s.visitor_email.clone(),
        site_id: site.as_ref().map(|x| x.id),
        site_domain_name: site.as_ref().and_then(|x| x.domain_name.clone()),
        communication_id: Some(communication_id),
        ..OfflineMessage::default()
    };
    inner.state().offline_messages.push(lead.clone());
    let mut values: Map<String, Value> = match serde_json::to_value(&lead) {
        Ok(Value::Object(m)) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    };
    values.remove("id");
    values.remove("date_time");
    values.insert("offline_message_id".into(), json!(id));
    values.insert(
        "notification_time".into(),
        json!(now.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
    );
    let events = vec![Event {
        kind: EventKind::Lead,
        values,
        pause_before: false,
    }];
    let sent = deliver(inner, events, &delivery, Box::pin(async {})).await;
    TextSimulation {
        id,
        communication_id,
        sent,
    }
}
