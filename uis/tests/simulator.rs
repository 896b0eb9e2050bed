//! Call simulator: notification sequences, delivery faults, routing, click-to-call, control API.

mod common;

use std::time::Duration;

use common::{Receiver, RouteBehaviour};
use serde_json::{Value, json};
use uis::call_api::StartEmployeeCall;
use uis::data_api::{Filter, Query};
use uis::emulator::{
    CallScript, ChatScript, Delivery, LeadScript, RouteMethod, RouteOutcome, Simulation,
};
use uis::notification::{Direction, EventKind};
use uis::routing::RouteRequest;
use uis::{CallApiClient, DataApiClient};

fn kinds(sim: &Simulation) -> Vec<&'static str> {
    sim.sent.iter().map(|s| s.kind.path_segment()).collect()
}

#[tokio::test]
async fn inbound_answered_call_sends_the_full_sequence_with_one_call_session_id() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let sim = emu
        .simulate(CallScript::inbound_answered("79991112233"))
        .await;
    assert_eq!(
        rx.events(),
        [
            "call_started",
            "ringing",
            "ringing",
            "ringing",
            "answered",
            "talk_finished",
            "call_finished",
            "recorded"
        ]
    );
    assert_eq!(kinds(&sim).len(), 8);
    assert!(
        sim.sent
            .iter()
            .all(|s| s.status == Some(200) && s.method == "POST")
    );
    let parsed: Vec<_> = rx.notifications().iter().map(|r| r.parse()).collect();
    assert!(
        parsed
            .iter()
            .all(|n| n.call_session_id == Some(sim.call_session_id))
    );
    assert!(
        parsed
            .iter()
            .all(|n| n.contact_phone_number.as_deref() == Some("79991112233"))
    );
    let ringing_legs: Vec<i64> = parsed
        .iter()
        .filter(|n| n.kind == EventKind::Ringing)
        .filter_map(|n| n.leg_id)
        .collect();
    assert_eq!(ringing_legs.len(), 3);
    let answered = &parsed[4];
    assert_eq!(
        (answered.employee_id, answered.leg_ids.clone()),
        (Some(5001), vec![ringing_legs[0]])
    );
    let finished = &parsed[6];
    assert_eq!(
        (
            finished.is_lost,
            finished.direction,
            finished.talk_time_duration
        ),
        (Some(false), Some(Direction::In), Some(42))
    );
    assert_eq!(
        (finished.wait_time_duration, finished.total_time_duration),
        (Some(8), Some(50))
    );
    assert!(finished.notification_time > parsed[0].notification_time);
    // The recording link downloads without auth.
    let link = parsed[7].file_link.clone().unwrap();
    let audio = reqwest::get(&link).await.unwrap();
    assert_eq!(audio.headers()["content-type"], "audio/mpeg");
    // Every dedupe key is distinct: nothing of one call is mistaken for a redelivery.
    let mut keys: Vec<String> = parsed.iter().map(|n| n.dedupe_key()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 8);
}

#[tokio::test]
async fn inbound_lost_call_rings_n_employees_then_reports_lost() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let sim = emu
        .simulate(CallScript::inbound_lost("79994445566", vec![5002, 5003]))
        .await;
    assert_eq!(
        rx.events(),
        [
            "call_started",
            "ringing",
            "ringing",
            "lost",
            "call_finished"
        ]
    );
    let parsed: Vec<_> = rx.notifications().iter().map(|r| r.parse()).collect();
    assert_eq!(parsed[3].employee_ids, vec![5002, 5003]);
    assert_eq!(
        (parsed[3].wait_time_duration, parsed[4].is_lost),
        (Some(30), Some(true))
    );
    assert_eq!(parsed[4].employee_id, None);
    assert_eq!(emu.calls()[0].id, sim.call_session_id);
    assert_eq!(emu.calls()[0].is_lost, Some(true));
}

#[tokio::test]
async fn outbound_call_sends_outbound_answered_finished_recorded() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    emu.simulate(CallScript::outbound(5003, "79261234567"))
        .await;
    assert_eq!(
        rx.events(),
        [
            "outbound",
            "answered",
            "talk_finished",
            "call_finished",
            "recorded"
        ]
    );
    let parsed: Vec<_> = rx.notifications().iter().map(|r| r.parse()).collect();
    assert!(parsed.iter().all(|n| n.direction == Some(Direction::Out)));
    assert_eq!(
        (
            parsed[0].employee_id,
            parsed[0].employee_phone_number.as_deref()
        ),
        (Some(5003), Some("79160000103"))
    );
    let no_answer = CallScript {
        contact_answers: false,
        ..CallScript::outbound(5003, "79261234567")
    };
    let sim = emu.simulate(no_answer).await;
    assert_eq!(kinds(&sim), ["outbound", "call_finished"]);
}

#[tokio::test]
async fn transfer_rings_and_answers_the_second_employee() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let sim = emu
        .simulate(CallScript::transfer("79991112233", 5001, 5002))
        .await;
    assert_eq!(
        rx.events(),
        [
            "call_started",
            "ringing",
            "answered",
            "ringing",
            "answered",
            "talk_finished",
            "talk_finished",
            "call_finished",
            "recorded"
        ]
    );
    let finished = rx.notifications()[7].parse();
    assert_eq!(
        (finished.is_transfer, finished.last_talked_employee_id),
        (Some(true), Some(5002))
    );
    assert_eq!(sim.report.employees.len(), 2);
}

#[tokio::test]
async fn click_to_call_plays_the_outbound_sequence_with_external_id() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let (login, password) = emu.login();
    let api = CallApiClient::new(&emu.call_api_url(), login, password).unwrap();
    let mut call = StartEmployeeCall::click_to_call(5002, "79261234567", "74950000002");
    call.external_id = Some("mp-task-4711".into());
    let id = api.start_employee_call(&call).await.unwrap();
    let sim = emu
        .wait_for_simulation(id, Duration::from_secs(5))
        .await
        .expect("click-to-call played");
    assert_eq!(
        kinds(&sim),
        [
            "outbound",
            "answered",
            "talk_finished",
            "call_finished",
            "recorded"
        ]
    );
    for n in rx.notifications().iter().map(|r| r.parse()) {
        assert_eq!(
            (n.call_session_id, n.external_id.as_deref()),
            (Some(id), Some("mp-task-4711"))
        );
        assert_eq!(
            (n.call_source.as_deref(), n.virtual_phone_number.as_deref()),
            (Some("callapi"), Some("74950000002"))
        );
    }
    // Reconciliation sees the same call with the external id.
    let data = DataApiClient::new(&emu.data_api_url(), emu.api_key()).unwrap();
    let now = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .naive_local();
    let query = Query::period(
        now - chrono::Duration::hours(1),
        now + chrono::Duration::hours(1),
    )
    .filter(Filter::eq("id", id));
    let row = data.get_calls_report(&query).await.unwrap().data.remove(0);
    assert_eq!(
        (row.call_api_external_id.as_deref(), row.source.as_deref()),
        (Some("mp-task-4711"), Some("callapi"))
    );
}

#[tokio::test]
async fn duplicate_and_out_of_order_delivery() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let script = CallScript::inbound_lost("79990000009", vec![5001]);
    emu.simulate(script.clone().with_delivery(Delivery {
        duplicate: true,
        ..Delivery::default()
    }))
    .await;
    assert_eq!(
        rx.events(),
        [
            "call_started",
            "call_started",
            "ringing",
            "ringing",
            "lost",
            "lost",
            "call_finished",
            "call_finished"
        ]
    );
    let keys: Vec<String> = rx
        .notifications()
        .iter()
        .map(|r| r.parse().dedupe_key())
        .collect();
    assert!(keys.chunks(2).all(|pair| pair[0] == pair[1]));

    let rx2 = Receiver::start().await;
    emu.set_notify_base(Some(rx2.base.clone()));
    emu.simulate(script.with_delivery(Delivery {
        out_of_order: true,
        ..Delivery::default()
    }))
    .await;
    assert_eq!(
        rx2.events(),
        ["call_finished", "lost", "ringing", "call_started"]
    );
}

#[tokio::test]
async fn unrendered_quoted_and_get_mode_notifications_still_parse() {
    let knobs = [
        Delivery {
            unrendered_placeholders: true,
            ..Delivery::default()
        },
        Delivery {
            quoted_placeholders: true,
            ..Delivery::default()
        },
        Delivery {
            quoted_placeholders: true,
            unrendered_placeholders: true,
            ..Delivery::default()
        },
        Delivery {
            get_mode: true,
            ..Delivery::default()
        },
        Delivery {
            get_mode: true,
            unrendered_placeholders: true,
            ..Delivery::default()
        },
    ];
    for delivery in knobs {
        let rx = Receiver::start().await;
        let emu = common::emulator(Some(&rx));
        let sim = emu
            .simulate(CallScript::inbound_answered("79991112233").with_delivery(delivery.clone()))
            .await;
        let received = rx.notifications();
        assert_eq!(received.len(), 8, "{delivery:?}");
        for r in &received {
            let n = r.parse();
            assert_eq!(n.call_session_id, Some(sim.call_session_id), "{delivery:?}");
            assert_eq!(
                n.contact_phone_number.as_deref(),
                Some("79991112233"),
                "{delivery:?}"
            );
            assert!(n.notification_time.is_some(), "{delivery:?}");
        }
        let raw = |r: &common::Received| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&r.body),
                r.query.clone().unwrap_or_default()
            )
        };
        if delivery.get_mode {
            assert!(
                received
                    .iter()
                    .all(|r| r.method == "GET" && r.body.is_empty())
            );
        }
        if delivery.unrendered_placeholders {
            assert!(
                received
                    .iter()
                    .any(|r| raw(r).contains("{{") || raw(r).contains("%7B%7B")),
                "{delivery:?}"
            );
        }
        if delivery.quoted_placeholders {
            assert!(
                received
                    .iter()
                    .any(|r| raw(r).contains("\"\"79991112233\"\"")),
                "{delivery:?}"
            );
        }
    }
}

#[tokio::test]
async fn skipped_event_types_and_unreachable_receivers_do_not_break_the_call() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let only_finish = Delivery {
        skip: vec![EventKind::Ringing, EventKind::Recorded],
        ..Delivery::default()
    };
    emu.simulate(CallScript::inbound_answered("79990000001").with_delivery(only_finish))
        .await;
    assert_eq!(
        rx.events(),
        ["call_started", "answered", "talk_finished", "call_finished"]
    );
    emu.set_notify_base(Some(
        url::Url::parse("http://127.0.0.1:9/hooks/uis/k").unwrap(),
    ));
    let sim = emu
        .simulate(CallScript::inbound_lost("79990000001", vec![5001]))
        .await;
    assert!(
        sim.sent
            .iter()
            .all(|s| s.status.is_none() && s.error.is_some())
    );
    assert_eq!(emu.calls().len(), 2);
}

#[tokio::test]
async fn routing_answer_with_phones_rings_the_personal_manager_first() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    emu.set_route_url(Some(rx.route_url()));
    rx.set_route(RouteBehaviour::Answer(
        json!({"phones": ["+7 916 000-01-02"], "message_name": "hello.mp3"}),
    ));
    let sim = emu
        .simulate(CallScript::inbound_answered("79991112233"))
        .await;
    assert_eq!(
        sim.route,
        RouteOutcome::Phones {
            phones: vec!["+7 916 000-01-02".into()],
            employee_ids: vec![5002]
        }
    );
    assert_eq!(
        rx.events(),
        [
            "call_started",
            "ringing",
            "answered",
            "talk_finished",
            "call_finished",
            "recorded"
        ]
    );
    assert_eq!(rx.notifications()[2].parse().employee_id, Some(5002));
    let request = &rx.route_requests()[0];
    assert_eq!(request.method, "GET");
    let asked = RouteRequest::parse(None, request.query.as_deref(), &request.body);
    assert_eq!(
        (
            asked.call_session_id,
            asked.numa.as_deref(),
            asked.numb.as_deref()
        ),
        (
            Some(sim.call_session_id),
            Some("79991112233"),
            Some("74950000001")
        )
    );
    // UIS sends `input_result=None` when no digits were collected; the parser reads it as absent.
    assert_eq!(asked.input_result, None);
    assert!(
        request
            .query
            .as_deref()
            .unwrap()
            .contains("input_result=None")
    );
}

#[tokio::test]
async fn routing_extension_answer_and_post_modes() {
    for method in [RouteMethod::PostForm, RouteMethod::PostJson] {
        let rx = Receiver::start().await;
        let emu = common::emulator(Some(&rx));
        emu.set_route_url(Some(rx.route_url()));
        emu.set_route_method(method);
        rx.set_route(RouteBehaviour::Answer(json!({"phones": ["102"]})));
        let sim = emu
            .simulate(CallScript::inbound_lost("79991112233", vec![]))
            .await;
        assert!(
            matches!(&sim.route, RouteOutcome::Phones { employee_ids, .. } if employee_ids == &vec![5003])
        );
        let request = &rx.route_requests()[0];
        assert_eq!(request.method, "POST");
        let asked = RouteRequest::parse(
            request.content_type.as_deref(),
            request.query.as_deref(),
            &request.body,
        );
        assert_eq!(asked.numa.as_deref(), Some("79991112233"), "{method:?}");
        assert_eq!(rx.notifications()[2].parse().employee_ids, vec![5003]);
    }
}

#[tokio::test]
async fn routing_returned_code_timeout_and_errors_take_the_fallback_branch() {
    let cases = [
        (
            RouteBehaviour::Answer(json!({"returned_code": 1})),
            "returned_code",
        ),
        (
            RouteBehaviour::Slow(
                Duration::from_millis(800),
                json!({"phones": ["79160000102"]}),
            ),
            "fallback",
        ),
        (RouteBehaviour::Status(500), "fallback"),
        (RouteBehaviour::Raw("not json".into()), "fallback"),
        (RouteBehaviour::Answer(json!({})), "fallback"),
        (
            RouteBehaviour::Answer(json!({"phones": ["79000000000"]})),
            "phones",
        ),
    ];
    for (behaviour, expected) in cases {
        let rx = Receiver::start().await;
        let emu = common::emulator(Some(&rx));
        emu.set_route_url(Some(rx.route_url()));
        emu.set_route_timeout(Duration::from_millis(200));
        rx.set_route(behaviour.clone());
        let sim = emu
            .simulate(CallScript::inbound_answered("79991112233"))
            .await;
        let outcome = serde_json::to_value(&sim.route).unwrap();
        assert_eq!(outcome["outcome"], expected, "{behaviour:?}");
        // Without a usable manager the scenario's own employees ring (all three).
        assert_eq!(
            rx.events().iter().filter(|e| *e == "ringing").count(),
            3,
            "{behaviour:?}"
        );
    }
}

#[tokio::test]
async fn control_endpoint_places_a_scripted_call_and_shows_state() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let http = reqwest::Client::new();
    let script = json!({"flow": "inbound_lost", "contact_phone_number": "79995550000", "employee_ids": [5001, 5002]});
    let sim: Value = http
        .post(format!("{}/_emulator/calls", emu.base_url()))
        .json(&script)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim["flow"], "inbound_lost");
    assert_eq!(sim["sent"].as_array().unwrap().len(), 5);
    let via_helper =
        uis::emulator::place_call(&emu.base_url(), &CallScript::outbound(5001, "79995550001"))
            .await
            .unwrap();
    assert_eq!(via_helper.sent.len(), 5);
    assert!(emu.describe().contains(&format!("{}/v2.0", emu.base_url())));
    let state: Value = http
        .get(format!("{}/_emulator/state", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["calls"][0]["id"], sim["call_session_id"]);
    assert_eq!(state["employees"].as_array().unwrap().len(), 3);
    let seed = http
        .get(format!("{}/_emulator/seed", emu.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        seed.contains("uis-demo-api-key")
            && seed.contains("admin@demo.megaplan")
            && seed.contains("ext 101")
    );
    let chat: Value = http
        .post(format!("{}/_emulator/chats", emu.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(chat["id"].is_i64());
    let lead: Value = http
        .post(format!("{}/_emulator/leads", emu.base_url()))
        .json(&json!({"text": "Хочу купить"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(lead["id"].is_i64());
    emu.shutdown().await;
}

#[tokio::test]
async fn chat_and_lead_notifications_reach_their_urls() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let chat = emu
        .simulate_chat(ChatScript {
            tag_id: Some(2),
            ..ChatScript::default()
        })
        .await;
    let lead = emu.simulate_lead(LeadScript::default()).await;
    assert_eq!(rx.events(), ["chat", "chat", "chat", "lead"]);
    let parsed: Vec<_> = rx.notifications().iter().map(|r| r.parse()).collect();
    let chat_events: Vec<_> = parsed[..3]
        .iter()
        .map(|n| n.chat_event.clone().unwrap())
        .collect();
    assert_eq!(chat_events, ["chat_started", "tag_set", "chat_finished"]);
    assert!(
        parsed[..3]
            .iter()
            .all(|n| n.chat_id == Some(chat.id)
                && n.chat_channel_type.as_deref() == Some("whatsapp"))
    );
    assert_eq!(parsed[1].tag_names, vec!["Спам".to_string()]);
    assert_eq!(
        (
            parsed[3].offline_message_id,
            parsed[3].visitor_phone_number.as_deref()
        ),
        (Some(lead.id), Some("79990000003"))
    );
}

#[tokio::test]
async fn emulator_start_needs_a_runtime_and_binds_the_given_address() {
    let outside = std::thread::spawn(|| {
        uis::emulator::Emulator::start(uis::emulator::EmulatorConfig::default()).err()
    })
    .join()
    .unwrap();
    assert!(outside.is_some());
    let emu = common::emulator(None);
    assert_eq!(emu.addr().ip().to_string(), "127.0.0.1");
    assert!(emu.data_api_url().ends_with("/v2.0") && emu.call_api_url().ends_with("/v4.0"));
    assert!(
        uis::emulator::Seed::demo()
            .describe()
            .contains("Мария Сидорова")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn employees_in_do_not_disturb_are_not_rung() {
    let rx = Receiver::start().await;
    let emu = common::emulator(Some(&rx));
    let data = DataApiClient::new(&emu.data_api_url(), emu.api_key()).unwrap();
    data.set_employee_status(5001, 3).await.unwrap();
    let sim = emu
        .simulate(CallScript::inbound_answered("79991112233"))
        .await;
    let parsed: Vec<_> = rx.notifications().iter().map(|r| r.parse()).collect();
    let rung: Vec<_> = parsed
        .iter()
        .filter(|n| n.kind == EventKind::Ringing)
        .filter_map(|n| n.employee_id)
        .collect();
    assert_eq!(rung, vec![5002, 5003]);
    assert_eq!(sim.report.last_talked_employee_id, Some(5002));
    // Nobody available: the call is lost without ringing anyone.
    let only_anna = emu
        .simulate(CallScript {
            employee_ids: vec![5001],
            ..CallScript::inbound_answered("79991112233")
        })
        .await;
    assert_eq!(kinds(&only_anna), ["call_started", "lost", "call_finished"]);
}

#[tokio::test]
async fn the_emulator_can_be_shared_and_simulated_from_spawned_tasks() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let emu = std::sync::Arc::new(common::emulator(None));
    send_sync(&emu);
    let shared = emu.clone();
    let sim = tokio::spawn(async move { shared.simulate(CallScript::default()).await })
        .await
        .unwrap();
    assert_eq!(emu.calls()[0].id, sim.call_session_id);
}
