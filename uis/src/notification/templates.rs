//! The notification templates an admin pastes into the UIS cabinet, and UIS's way of rendering them.
//!
//! Placeholders stay unquoted: UIS substitutes JSON-encoded values (uis-api.md §1 "Value rendering").

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::EventKind;

/// Chat templates carry this literal so one `chat` URL can serve three cabinet event types.
pub const CHAT_EVENTS: [&str; 3] = ["chat_started", "chat_finished", "tag_set"];

const COMMON: &[&str] = &[
    "notification_name",
    "notification_mnemonic",
    "notification_time",
];

/// Parameters of each event type (uis-api.md §1.1, S4 templates, plus ids we rely on).
pub fn params(kind: EventKind) -> &'static [&'static str] {
    match kind {
        EventKind::CallStarted => &[
            "call_session_id",
            "communication_id",
            "communication_number",
            "direction",
            "call_source",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "contact_full_name",
            "scenario_id",
            "scenario_name",
        ],
        EventKind::Ringing => &[
            "call_session_id",
            "leg_id",
            "direction",
            "call_source",
            "external_id",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "employee_id",
            "employee_full_name",
            "employee_phone_number",
        ],
        EventKind::Answered => &[
            "call_session_id",
            "leg_ids",
            "direction",
            "call_source",
            "external_id",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "employee_id",
            "employee_full_name",
            "employee_phone_number",
        ],
        EventKind::TalkFinished => &[
            "call_session_id",
            "leg_ids",
            "direction",
            "call_source",
            "external_id",
            "virtual_phone_number",
            "contact_phone_number",
            "communication_number",
            "employee_id",
            "employee_full_name",
            "employee_phone_number",
            "scenario_name",
            "talk_time_duration",
        ],
        EventKind::Outbound => &[
            "call_session_id",
            "leg_id",
            "direction",
            "call_source",
            "external_id",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "contact_full_name",
            "employee_id",
            "employee_full_name",
            "employee_phone_number",
        ],
        EventKind::CallFinished => &[
            "call_session_id",
            "communication_id",
            "communication_number",
            "direction",
            "call_source",
            "external_id",
            "is_lost",
            "is_transfer",
            "virtual_phone_number",
            "contact_phone_number",
            "employee_id",
            "employee_full_name",
            "last_talked_employee_id",
            "scenario_name",
            "talk_time_duration",
            "total_time_duration",
            "wait_time_duration",
            "tag_names",
        ],
        EventKind::Lost => &[
            "call_session_id",
            "communication_number",
            "direction",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "contact_full_name",
            "employee_ids",
            "scenario_name",
            "wait_time_duration",
        ],
        EventKind::Recorded => &[
            "call_session_id",
            "direction",
            "call_source",
            "external_id",
            "virtual_phone_number",
            "contact_phone_number",
            "contact_id",
            "contact_full_name",
            "employee_id",
            "employee_full_name",
            "scenario_name",
            "file_link",
            "file_duration",
            "tag_ids",
            "tag_names",
        ],
        EventKind::Chat => &[
            "chat_id",
            "communication_id",
            "chat_channel_type",
            "chat_channel_name",
            "visitor_id",
            "visitor_name",
            "visitor_phone_number",
            "visitor_email",
            "employee_id",
            "employee_full_name",
            "site_id",
            "site_domain_name",
            "tag_ids",
            "tag_names",
        ],
        EventKind::Lead => &[
            "offline_message_id",
            "communication_id",
            "visitor_name",
            "visitor_phone_number",
            "visitor_email",
            "text",
            "form_name",
            "employee_id",
            "employee_full_name",
            "site_id",
            "site_domain_name",
            "tag_names",
        ],
    }
}

/// The URL an admin enters for `kind`: `{base}/hooks/uis/{account_key}/{event}`.
pub fn notification_url(base: &str, account_key: &str, kind: EventKind) -> String {
    format!(
        "{}/hooks/uis/{account_key}/{}",
        base.trim_end_matches('/'),
        kind.path_segment()
    )
}

/// The interactive call-processing URL: `{base}/hooks/uis/{account_key}/route`.
pub fn route_url(base: &str, account_key: &str) -> String {
    format!(
        "{}/hooks/uis/{account_key}/route",
        base.trim_end_matches('/')
    )
}

/// JSON body template for `kind` (for chats use [`chat_template`]).
pub fn template(kind: EventKind) -> String {
    json_template(COMMON.iter().chain(params(kind)), None)
}

/// JSON body template for one of the chat event types in [`CHAT_EVENTS`].
pub fn chat_template(chat_event: &str) -> String {
    json_template(
        COMMON.iter().chain(params(EventKind::Chat)),
        Some(chat_event),
    )
}

/// Query-string template for GET mode (appended to the URL after `?`).
pub fn query_template(kind: EventKind) -> String {
    COMMON
        .iter()
        .chain(params(kind))
        .map(|p| format!("{p}={{{{{p}}}}}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn json_template<'a>(names: impl Iterator<Item = &'a &'a str>, chat_event: Option<&str>) -> String {
    let mut lines: Vec<String> = chat_event
        .map(|e| format!("\"chat_event\":\"{e}\""))
        .into_iter()
        .collect();
    lines.extend(names.map(|p| format!("\"{p}\":{{{{{p}}}}}")));
    format!("{{\n  {}\n}}", lines.join(",\n  "))
}

/// How a placeholder without a value is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Missing {
    /// `null`, what UIS does for known parameters without a value.
    #[default]
    Null,
    /// Left as `{{name}}`, what UIS does with parameters it does not know for the event.
    Unrendered,
}

/// Renders a template the way UIS does: each `{{name}}` becomes the JSON encoding of its value.
/// With `url_encode` the encoded value is also percent-encoded (query-string templates).
pub fn render(
    template: &str,
    values: &Map<String, Value>,
    missing: Missing,
    url_encode: bool,
) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = rest[start + 2..start + len].trim();
        let rendered = match (values.get(name), missing) {
            (Some(v), _) => v.to_string(),
            (None, Missing::Null) => "null".to_string(),
            (None, Missing::Unrendered) => format!("{{{{{name}}}}}"),
        };
        if url_encode {
            out.extend(utf8_percent_encode(&rendered, NON_ALPHANUMERIC));
        } else {
            out.push_str(&rendered);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The mistake admins make: `"{{x}}"` in quotes, which UIS renders as `""x""`.
pub fn quote_placeholders(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push('"');
        out.push_str(&rest[start..start + len + 2]);
        out.push('"');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_valid_json_once_rendered() {
        for kind in EventKind::ALL {
            let body = render(&template(kind), &Map::new(), Missing::Null, false);
            let v: Value = serde_json::from_str(&body).expect("valid JSON");
            assert!(v.get("notification_time").is_some(), "{kind:?}");
        }
        for e in CHAT_EVENTS {
            let body = render(&chat_template(e), &Map::new(), Missing::Null, false);
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["chat_event"], e);
        }
    }

    #[test]
    fn urls_follow_the_server_contract() {
        assert_eq!(
            notification_url("https://x.ru/", "k1", EventKind::TalkFinished),
            "https://x.ru/hooks/uis/k1/talk_finished"
        );
        assert_eq!(
            route_url("https://x.ru", "k1"),
            "https://x.ru/hooks/uis/k1/route"
        );
    }

    #[test]
    fn renders_json_encoded_values() {
        let mut m = Map::new();
        m.insert("a".into(), Value::from("x\"y"));
        m.insert("b".into(), Value::from(5));
        assert_eq!(
            render(
                "{\"a\":{{a}},\"b\":{{ b }},\"c\":{{c}}}",
                &m,
                Missing::Null,
                false
            ),
            r#"{"a":"x\"y","b":5,"c":null}"#
        );
        assert_eq!(
            render("a={{a}}&c={{c}}", &m, Missing::Unrendered, true),
            "a=%22x%5C%22y%22&c=%7B%7Bc%7D%7D"
        );
        assert_eq!(quote_placeholders("{\"a\":{{a}}}"), "{\"a\":\"{{a}}\"}");
    }
}
