//! Parser cases: every event type and every malformation UIS produces (uis-api.md §1).

use chrono_tz::Europe::Moscow;
use serde_json::{Map, Value, json};
use uis::notification::templates::{self, Missing};
use uis::notification::{Direction, EventKind, ParseError, parse};

const JSON: Option<&str> = Some("application/json; charset=UTF-8");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn values(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// Renders our cabinet template for `kind` the way UIS does.
fn rendered(kind: EventKind, v: Value) -> String {
    templates::render(&templates::template(kind), &values(v), Missing::Null, false)
}

#[test]
fn event_kinds_round_trip_through_url_segments() {
    let segments = [
        "call_started",
        "ringing",
        "answered",
        "talk_finished",
        "outbound",
        "call_finished",
        "lost",
        "recorded",
        "chat",
        "lead",
    ];
    for s in segments {
        assert_eq!(EventKind::from_path_segment(s).unwrap().path_segment(), s);
    }
    assert_eq!(EventKind::from_path_segment("route"), None);
    assert_eq!(EventKind::from_path_segment(""), None);
}

#[test]
fn every_call_event_type_parses_from_its_rendered_template() {
    let common = json!({
        "notification_time": "2019-12-16 14:40:47.234", "call_session_id": 998677427, "direction": "in",
        "virtual_phone_number": "74993720692", "contact_phone_number": "79508418541", "call_source": "va",
    });
    type Check = fn(&uis::notification::Notification);
    let cases: Vec<(EventKind, Value, Check)> = vec![
        (
            EventKind::CallStarted,
            json!({"communication_id": 55}),
            |n| assert_eq!(n.communication_id, Some(55)),
        ),
        (
            EventKind::Ringing,
            json!({"leg_id": 7, "employee_id": 5001, "employee_full_name": "Анна Смирнова"}),
            |n| {
                assert_eq!(
                    (n.leg_id, n.leg_ids.clone(), n.employee_id),
                    (Some(7), vec![7], Some(5001))
                );
                assert_eq!(n.employee_full_name.as_deref(), Some("Анна Смирнова"));
            },
        ),
        (
            EventKind::Answered,
            json!({"leg_ids": [7, 8], "employee_id": 5001}),
            |n| assert_eq!(n.leg_ids, vec![7, 8]),
        ),
        (
            EventKind::TalkFinished,
            json!({"leg_ids": [7], "talk_time_duration": 12}),
            |n| assert_eq!(n.talk_time_duration, Some(12)),
        ),
        (
            EventKind::Outbound,
            json!({"leg_id": 9, "employee_id": 5002, "external_id": "mp-4711", "direction": "out"}),
            |n| {
                assert_eq!(n.external_id.as_deref(), Some("mp-4711"));
                assert_eq!(n.direction, Some(Direction::Out));
            },
        ),
        (
            EventKind::CallFinished,
            json!({"is_lost": false, "talk_time_duration": 12, "total_time_duration": 23, "wait_time_duration": 11,
                   "tag_names": null, "last_talked_employee_id": 5001, "is_transfer": false}),
            |n| {
                assert_eq!(
                    (n.is_lost, n.total_time_duration, n.wait_time_duration),
                    (Some(false), Some(23), Some(11))
                );
                assert_eq!(n.last_talked_employee_id, Some(5001));
                assert!(n.tag_names.is_empty());
            },
        ),
        (
            EventKind::Lost,
            json!({"employee_ids": [5001, 5002, 5003], "wait_time_duration": 30}),
            |n| {
                assert_eq!(n.employee_ids, vec![5001, 5002, 5003]);
                assert_eq!(n.is_lost, Some(true));
            },
        ),
        (
            EventKind::Recorded,
            json!({"file_link": "https://media.uiscom.ru/998677427/1", "file_duration": 12, "tag_names": ["Целевой"]}),
            |n| {
                assert_eq!(
                    n.file_link.as_deref(),
                    Some("https://media.uiscom.ru/998677427/1")
                );
                assert_eq!(n.tag_names, vec!["Целевой".to_string()]);
            },
        ),
    ];
    for (kind, extra, check) in cases {
        let mut v = values(common.clone());
        v.extend(values(extra));
        let body = rendered(kind, Value::Object(v));
        let n = parse(kind, JSON, None, body.as_bytes(), Moscow)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}\n{body}"));
        assert_eq!(n.kind, kind);
        assert_eq!(n.call_session_id, Some(998677427), "{kind:?}");
        assert_eq!(
            n.contact_phone_number.as_deref(),
            Some("79508418541"),
            "{kind:?}"
        );
        assert_eq!(
            n.notification_time.unwrap().to_rfc3339(),
            "2019-12-16T14:40:47.234+03:00"
        );
        check(&n);
    }
}

#[test]
fn real_rendered_sample_from_public_code_parses() {
    let body = r#"{"notification_time":"2019-12-16 14:40:47.234","external_id":null,"contact_phone_number":"79508418541",
"employee_id":323409,"call_source":"va","direction":"in","call_session_id":998677427,"talk_time_duration":12,"total_time_duration":23,
"wait_time_duration":11,"tag_names":null,"is_transfer":false,"last_talked_employee_id":323409}"#;
    let n = parse(EventKind::CallFinished, JSON, None, body.as_bytes(), Moscow).unwrap();
    assert_eq!(
        (n.employee_id, n.external_id.clone(), n.is_transfer),
        (Some(323409), None, Some(false))
    );
    assert_eq!(n.dedupe_key(), "call_finished:998677427");
}

/// (what goes wrong, body, content type, query) → what must still come out.
#[test]
fn malformed_bodies_still_yield_the_call() {
    struct Case {
        what: &'static str,
        ct: Option<&'static str>,
        query: Option<&'static str>,
        body: &'static str,
        phone: Option<&'static str>,
        employee: Option<i64>,
        time: Option<&'static str>,
    }
    let cases = [
        Case {
            what: "nulls",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"contact_phone_number":null,"employee_id":null,"notification_time":null}"#,
            phone: None,
            employee: None,
            time: None,
        },
        Case {
            what: "missing keys",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1}"#,
            phone: None,
            employee: None,
            time: None,
        },
        Case {
            what: "double-quoted strings (admin quoted placeholders)",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":"1","contact_phone_number":""79508418541"","notification_time":""2024-03-01 10:00:00""}"#,
            phone: Some("79508418541"),
            employee: None,
            time: Some("2024-03-01T10:00:00+03:00"),
        },
        Case {
            what: "escaped quotes inside a valid string",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"contact_phone_number":"\"79508418541\"","employee_id":"\"5001\""}"#,
            phone: Some("79508418541"),
            employee: Some(5001),
            time: None,
        },
        Case {
            what: "unrendered placeholder, quoted",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"contact_phone_number":"{{contact_phone_number}}","employee_id":"{{employee_id}}"}"#,
            phone: None,
            employee: None,
            time: None,
        },
        Case {
            what: "unrendered placeholder, bare (invalid JSON)",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"employee_id":{{employee_id}},"contact_phone_number":"79508418541"}"#,
            phone: Some("79508418541"),
            employee: None,
            time: None,
        },
        Case {
            what: "time without milliseconds",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"notification_time":"2024-03-01 10:00:00"}"#,
            phone: None,
            employee: None,
            time: Some("2024-03-01T10:00:00+03:00"),
        },
        Case {
            what: "time with milliseconds",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"notification_time":"2024-03-01 10:00:00.5"}"#,
            phone: None,
            employee: None,
            time: Some("2024-03-01T10:00:00.500+03:00"),
        },
        Case {
            what: "unix notification_timestamp only",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":1,"notification_timestamp":1709276400}"#,
            phone: None,
            employee: None,
            time: Some("2024-03-01T10:00:00+03:00"),
        },
        Case {
            what: "numbers as strings",
            ct: JSON,
            query: None,
            body: r#"{"call_session_id":"1","employee_id":"5001.0"}"#,
            phone: None,
            employee: Some(5001),
            time: None,
        },
        Case {
            what: "form body",
            ct: FORM,
            query: None,
            body: "call_session_id=1&contact_phone_number=79508418541&employee_id=5001&notification_time=2024-03-01+10%3A00%3A00",
            phone: Some("79508418541"),
            employee: Some(5001),
            time: Some("2024-03-01T10:00:00+03:00"),
        },
        Case {
            what: "form body with JSON-encoded values",
            ct: FORM,
            query: None,
            body: "call_session_id=1&contact_phone_number=%2279508418541%22&employee_id=null",
            phone: Some("79508418541"),
            employee: None,
            time: None,
        },
        Case {
            what: "GET query string, no body",
            ct: None,
            query: Some(
                "call_session_id=1&contact_phone_number=%2279508418541%22&employee_id=5001",
            ),
            body: "",
            phone: Some("79508418541"),
            employee: Some(5001),
            time: None,
        },
        Case {
            what: "GET query with unrendered placeholders",
            ct: None,
            query: Some("?call_session_id=1&employee_id={{employee_id}}"),
            body: "",
            phone: None,
            employee: None,
            time: None,
        },
        Case {
            what: "JSON without content type",
            ct: None,
            query: None,
            body: r#"{"call_session_id":1,"contact_phone_number":"79508418541"}"#,
            phone: Some("79508418541"),
            employee: None,
            time: None,
        },
        Case {
            what: "trailing comma and garbage",
            ct: JSON,
            query: None,
            body: "{\"call_session_id\":1,\"contact_phone_number\":\"79508418541\",}xyz",
            phone: Some("79508418541"),
            employee: None,
            time: None,
        },
        Case {
            what: "body in text/plain",
            ct: Some("text/plain"),
            query: None,
            body: r#"{"call_session_id":1,"employee_id":5001}"#,
            phone: None,
            employee: Some(5001),
            time: None,
        },
        Case {
            what: "body and query both: body wins, query fills",
            ct: JSON,
            query: Some("employee_id=5001&call_session_id=2"),
            body: r#"{"call_session_id":1}"#,
            phone: None,
            employee: Some(5001),
            time: None,
        },
    ];
    for c in cases {
        let n = parse(
            EventKind::Answered,
            c.ct,
            c.query,
            c.body.as_bytes(),
            Moscow,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", c.what));
        assert_eq!(n.call_session_id, Some(1), "{}", c.what);
        assert_eq!(n.contact_phone_number.as_deref(), c.phone, "{}", c.what);
        assert_eq!(n.employee_id, c.employee, "{}", c.what);
        assert_eq!(
            n.notification_time.map(|t| t.to_rfc3339()).as_deref(),
            c.time,
            "{}",
            c.what
        );
    }
}

#[test]
fn lists_and_flags_arrive_in_any_shape() {
    let cases = [
        (
            r#"{"call_session_id":1,"leg_ids":[3,4],"is_lost":true}"#,
            vec![3, 4],
            Some(true),
        ),
        (
            r#"{"call_session_id":1,"leg_ids":"[3,4]","is_lost":"true"}"#,
            vec![3, 4],
            Some(true),
        ),
        (
            r#"{"call_session_id":1,"leg_ids":"3,4","is_lost":"false"}"#,
            vec![3, 4],
            Some(false),
        ),
        (
            r#"{"call_session_id":1,"leg_ids":3,"is_lost":0}"#,
            vec![3],
            Some(false),
        ),
        (
            r#"{"call_session_id":1,"leg_ids":null,"is_lost":null}"#,
            vec![],
            None,
        ),
        (
            r#"{"call_session_id":1,"leg_ids":"{{leg_ids}}","is_lost":"{{is_lost}}"}"#,
            vec![],
            None,
        ),
    ];
    for (body, legs, lost) in cases {
        let n = parse(EventKind::TalkFinished, JSON, None, body.as_bytes(), Moscow).unwrap();
        assert_eq!(n.leg_ids, legs, "{body}");
        assert_eq!(n.is_lost, lost, "{body}");
    }
}

#[test]
fn account_time_zone_is_applied_to_local_times() {
    let body = br#"{"call_session_id":1,"notification_time":"2024-07-01 09:00:00"}"#;
    let moscow = parse(EventKind::CallStarted, JSON, None, body, Moscow).unwrap();
    let vladivostok = parse(
        EventKind::CallStarted,
        JSON,
        None,
        body,
        chrono_tz::Asia::Vladivostok,
    )
    .unwrap();
    assert_eq!(
        moscow.notification_time.unwrap().to_rfc3339(),
        "2024-07-01T09:00:00+03:00"
    );
    assert_eq!(
        vladivostok.notification_time.unwrap().to_rfc3339(),
        "2024-07-01T09:00:00+10:00"
    );
}

#[test]
fn a_call_without_call_session_id_is_a_clear_error() {
    for body in [
        &b"{}"[..],
        br#"{"call_session_id":null}"#,
        br#"{"call_session_id":"{{call_session_id}}"}"#,
        b"",
        b"not json",
        br#"{"call_session_id":"abc"}"#,
    ] {
        for kind in EventKind::ALL.into_iter().filter(|k| k.is_call()) {
            assert_eq!(
                parse(kind, JSON, None, body, Moscow),
                Err(ParseError::MissingCallSessionId {
                    kind: kind.path_segment()
                })
            );
        }
    }
}

#[test]
fn chat_events_parse_with_their_chat_event_and_natural_id() {
    for event in templates::CHAT_EVENTS {
        let v = values(
            json!({"chat_id": 77, "communication_id": 78, "visitor_name": "Иван", "visitor_phone_number": "79990000002",
            "chat_channel_type": "whatsapp", "tag_ids": [1], "notification_time": "2024-03-01 10:00:00"}),
        );
        let body = templates::render(&templates::chat_template(event), &v, Missing::Null, false);
        let n = parse(EventKind::Chat, JSON, None, body.as_bytes(), Moscow).unwrap();
        assert_eq!(
            (n.chat_id, n.chat_event.as_deref()),
            (Some(77), Some(event))
        );
        assert_eq!(n.visitor_name.as_deref(), Some("Иван"));
        assert!(n.dedupe_key().starts_with(&format!("chat:77:{event}")));
    }
    let nested = br#"{"chat_id":5,"visitor_info":{"visitor_name":"Ann","visitor_id":9}}"#;
    let n = parse(EventKind::Chat, JSON, None, nested, Moscow).unwrap();
    assert_eq!(
        (n.visitor_name.as_deref(), n.visitor_id),
        (Some("Ann"), Some(9))
    );
    assert!(matches!(
        parse(EventKind::Chat, JSON, None, b"{}", Moscow),
        Err(ParseError::MissingId { .. })
    ));
}

#[test]
fn lead_events_parse_with_offline_message_id() {
    let v = values(
        json!({"offline_message_id": 300, "visitor_phone_number": "79990000003", "text": "Перезвоните", "form_name": "Заявка"}),
    );
    let body = templates::render(
        &templates::template(EventKind::Lead),
        &v,
        Missing::Unrendered,
        false,
    );
    let n = parse(EventKind::Lead, JSON, None, body.as_bytes(), Moscow).unwrap();
    assert_eq!(
        (n.offline_message_id, n.text.as_deref()),
        (Some(300), Some("Перезвоните"))
    );
    assert_eq!(n.dedupe_key(), "lead:300");
    let by_communication = parse(
        EventKind::Lead,
        JSON,
        None,
        br#"{"communication_id":12}"#,
        Moscow,
    )
    .unwrap();
    assert_eq!(by_communication.dedupe_key(), "lead:12");
    assert!(matches!(
        parse(EventKind::Lead, JSON, None, b"{}", Moscow),
        Err(ParseError::MissingId { .. })
    ));
}

#[test]
fn dedupe_keys_tell_legs_apart_and_ignore_redelivery() {
    let ringing = |leg: i64| {
        parse(
            EventKind::Ringing,
            JSON,
            None,
            format!(r#"{{"call_session_id":1,"leg_id":{leg}}}"#).as_bytes(),
            Moscow,
        )
        .unwrap()
    };
    assert_eq!(ringing(10).dedupe_key(), "ringing:1:leg=10");
    assert_ne!(ringing(10).dedupe_key(), ringing(11).dedupe_key());
    assert_eq!(ringing(10).dedupe_key(), ringing(10).dedupe_key());
    let by_employee = parse(
        EventKind::Ringing,
        JSON,
        None,
        br#"{"call_session_id":1,"employee_id":5}"#,
        Moscow,
    )
    .unwrap();
    assert_eq!(by_employee.dedupe_key(), "ringing:1:employee=5");
}

#[test]
fn every_template_round_trips_through_the_parser_in_all_render_modes() {
    let v = values(
        json!({"call_session_id": 42, "contact_phone_number": "79990000001", "employee_id": 5001,
        "chat_id": 7, "offline_message_id": 8, "notification_time": "2024-03-01 10:00:00.123"}),
    );
    for kind in EventKind::ALL {
        for missing in [Missing::Null, Missing::Unrendered] {
            let json_body = templates::render(&templates::template(kind), &v, missing, false);
            let quoted = templates::render(
                &templates::quote_placeholders(&templates::template(kind)),
                &v,
                missing,
                false,
            );
            let query = templates::render(&templates::query_template(kind), &v, missing, true);
            for (ct, q, body) in [
                (JSON, None, json_body.as_str()),
                (JSON, None, quoted.as_str()),
                (None, Some(query.as_str()), ""),
            ] {
                let n = parse(kind, ct, q, body.as_bytes(), Moscow)
                    .unwrap_or_else(|e| panic!("{kind:?} {missing:?}: {e}\n{body}{q:?}"));
                assert!(
                    n.notification_time.is_some(),
                    "{kind:?} {missing:?} {body} {q:?}"
                );
                if kind.is_call() {
                    assert_eq!(n.call_session_id, Some(42));
                }
            }
        }
    }
}
