//! Data API and Call API clients against the emulator, over real HTTP: every method and every error.

mod common;

use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use serde_json::{Map, Value, json};
use uis::call_api::{CallEmployee, CallMessage, ListCalls, StartEmployeeCall};
use uis::data_api::{EmployeePhone, EmployeeUpdate, Extension, Filter, NewEmployee, Query};
use uis::emulator::{CallScript, ChatScript, Emulator, LeadScript};
use uis::{CallApiClient, DataApiClient, Error, Mnemonic, RetryPolicy};

fn data(emu: &Emulator) -> DataApiClient {
    DataApiClient::new(&emu.data_api_url(), emu.api_key())
        .unwrap()
        .with_retry(fast_retry())
}

fn calls(emu: &Emulator) -> CallApiClient {
    let (login, password) = emu.login();
    CallApiClient::new(&emu.call_api_url(), login, password)
        .unwrap()
        .with_retry(fast_retry())
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        limit_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    }
}

fn mnemonic(e: Error) -> Mnemonic {
    e.mnemonic()
        .cloned()
        .unwrap_or_else(|| panic!("not an RPC error: {e}"))
}

/// Today ± a day in the account's zone (Moscow).
fn around_now() -> Query {
    let now = Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .naive_local();
    Query::period(now - Span::days(1), now + Span::days(1))
}

#[tokio::test]
async fn get_methods_return_the_seeded_account_with_limits() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let employees = api.employees().await.unwrap();
    let people: Vec<_> = employees
        .iter()
        .map(|e| {
            (
                e.full_name.clone().unwrap(),
                e.email.clone().unwrap(),
                e.extension.clone().unwrap().extension_phone_number.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        people,
        vec![
            (
                "Анна Админова".into(),
                "admin@demo.megaplan".into(),
                "100".into()
            ),
            (
                "Иван Петров".into(),
                "ivan@demo.megaplan".into(),
                "101".into()
            ),
            (
                "Мария Сидорова".into(),
                "maria@demo.megaplan".into(),
                "102".into()
            ),
        ]
    );
    let statuses = api.get_statuses().await.unwrap();
    let mnemonics: Vec<_> = statuses
        .iter()
        .map(|s| s.mnemonic.clone().unwrap())
        .collect();
    assert_eq!(
        mnemonics,
        [
            "available",
            "break",
            "do_not_disturb",
            "not_at_workplace",
            "not_at_work",
            "auto_out_call",
            "unknown"
        ]
    );
    assert_eq!(
        api.get_virtual_numbers().await.unwrap()[0].virtual_phone_number,
        "74950000001"
    );
    assert_eq!(
        api.get_sites().await.unwrap()[0].domain_name.as_deref(),
        Some("demo.example")
    );
    assert_eq!(api.get_tags().await.unwrap().len(), 2);
    let limits = api.limits().unwrap();
    assert_eq!(limits.day_remaining, limits.day_limit - 5);
    assert!(limits.minute_reset > 0 && limits.minute_reset <= 60);
}

#[tokio::test]
async fn get_employees_honours_filter_fields_sort_and_paging() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let page = api
        .get_employees(
            &Query::default()
                .filter(Filter::eq("email", "ivan@demo.megaplan"))
                .fields(&["id", "email"]),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            page.data.len(),
            page.data[0].id,
            page.data[0].full_name.clone()
        ),
        (1, 5002, None)
    );
    let mut q = Query::default().page(2, 1);
    q.sort = Some(vec![uis::data_api::Sort {
        field: "id".into(),
        order: "desc".into(),
    }]);
    let page = api.get_employees(&q).await.unwrap();
    assert_eq!(
        (
            page.total_items,
            page.data.iter().map(|e| e.id).collect::<Vec<_>>()
        ),
        (Some(3), vec![5002, 5001])
    );
    let tree = Filter::and(vec![
        Filter::in_list("id", json!([5001, 5003])),
        Filter::cond("id", ">", 5001),
    ]);
    let page = api
        .get_employees(&Query::default().filter(tree))
        .await
        .unwrap();
    assert_eq!(
        page.data.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![5003]
    );
    let too_big = api
        .get_employees(&Query::default().page(10_001, 0))
        .await
        .unwrap_err();
    assert_eq!(mnemonic(too_big), Mnemonic::InvalidParameterValue);
}

#[tokio::test]
async fn create_and_update_employees() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let new = NewEmployee {
        first_name: Some("Галина".into()),
        last_name: "Сидорова".into(),
        email: Some("galina@demo.example".into()),
        phone_numbers: vec![EmployeePhone {
            phone_number: "79160000104".into(),
            ..EmployeePhone::default()
        }],
        extension: Some(Extension {
            extension_phone_number: Some("104".into()),
            ..Extension::default()
        }),
        ..NewEmployee::default()
    };
    let id = api.create_employee(&new).await.unwrap();
    assert!(
        emu.employees()
            .iter()
            .any(|e| e.id == id && e.full_name.as_deref() == Some("Галина Сидорова"))
    );
    assert_eq!(
        mnemonic(api.create_employee(&new).await.unwrap_err()),
        Mnemonic::DuplicateEntity
    );
    let missing = api
        .call_raw(
            "create.employees",
            Map::from_iter([("first_name".to_string(), json!("X"))]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, Error::Rpc { mnemonic: Mnemonic::RequiredParameterMissed, field: Some(f), .. } if f == "last_name")
    );

    let dnd = api
        .get_statuses()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.mnemonic.as_deref() == Some("do_not_disturb"))
        .unwrap();
    api.set_employee_status(5001, dnd.id).await.unwrap();
    let anna = emu.employees().into_iter().find(|e| e.id == 5001).unwrap();
    assert_eq!(
        (anna.status_id, anna.status.as_deref()),
        (Some(dnd.id), Some("do_not_disturb"))
    );
    let by_mnemonic = EmployeeUpdate {
        id: 5001,
        status: Some("available".into()),
        ..EmployeeUpdate::default()
    };
    api.update_employee(&by_mnemonic).await.unwrap();
    assert_eq!(emu.employees()[0].status_id, Some(1));
    // One employee read back by id, its status as set; none once UIS deleted it.
    api.set_employee_status(5001, dnd.id).await.unwrap();
    let one = api.employee(5001).await.unwrap().unwrap();
    assert_eq!((one.id, one.status_id), (5001, Some(dnd.id)));
    assert!(emu.remove_employee(5001));
    assert_eq!(api.employee(5001).await.unwrap(), None);
    assert!(!emu.remove_employee(5001));
    assert_eq!(
        mnemonic(api.set_employee_status(5001, 999).await.unwrap_err()),
        Mnemonic::InvalidParameterValue
    );
    assert_eq!(
        mnemonic(api.set_employee_status(1, 1).await.unwrap_err()),
        Mnemonic::EntityNotFound
    );
}

#[tokio::test]
async fn calls_report_and_call_legs_report_show_simulated_calls() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let answered = emu
        .simulate(CallScript::inbound_answered("79991112233"))
        .await;
    let lost = emu
        .simulate(CallScript::inbound_lost("79994445566", vec![5001, 5002]))
        .await;
    let all = api.get_calls_report(&around_now()).await.unwrap();
    assert_eq!(all.total_items, Some(2));
    let one = api
        .get_calls_report(&around_now().filter(Filter::eq("id", answered.call_session_id)))
        .await
        .unwrap()
        .data
        .remove(0);
    assert_eq!(
        (
            one.is_lost,
            one.contact_phone_number.as_deref(),
            one.last_talked_employee_id
        ),
        (Some(false), Some("79991112233"), Some(5001))
    );
    assert!(one.full_record_file_link.is_some());
    let lost_row = api
        .get_calls_report(&around_now().filter(Filter::eq("is_lost", true)))
        .await
        .unwrap()
        .data;
    assert_eq!(
        lost_row.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![lost.call_session_id]
    );
    assert_eq!(lost_row[0].employees.len(), 2);
    let legs = api
        .get_call_legs_report(
            &around_now().filter(Filter::eq("call_session_id", lost.call_session_id)),
        )
        .await
        .unwrap();
    assert_eq!(legs.data.len(), 2);
    assert!(legs.data.iter().all(|l| l.is_failed == Some(true)));
    // Yesterday's period does not contain today's calls.
    let now = Utc::now()
        .with_timezone(&chrono_tz::Europe::Moscow)
        .naive_local();
    let old = api
        .get_calls_report(&Query::period(now - Span::days(3), now - Span::days(2)))
        .await
        .unwrap();
    assert_eq!(old.total_items, Some(0));
}

#[tokio::test]
async fn reports_check_their_period() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let no_period = api.get_calls_report(&Query::default()).await.unwrap_err();
    assert!(
        matches!(&no_period, Error::Rpc { mnemonic: Mnemonic::RequiredParameterMissed, field: Some(f), .. } if f == "date_from")
    );
    let now = Utc::now().naive_utc();
    let too_long = api
        .get_calls_report(&Query::period(now - Span::days(120), now))
        .await
        .unwrap_err();
    assert_eq!(mnemonic(too_long), Mnemonic::DateIntervalLimitReached);
    let mut bad = around_now();
    bad.date_from = Some("yesterday".into());
    assert_eq!(
        mnemonic(api.get_calls_report(&bad).await.unwrap_err()),
        Mnemonic::Other("invalid_date_time".into())
    );
}

#[tokio::test]
async fn chat_and_lead_reports_show_simulated_chats_and_leads() {
    let emu = common::emulator(None);
    let api = data(&emu);
    let chat = emu
        .simulate_chat(ChatScript {
            tag_id: Some(1),
            ..ChatScript::default()
        })
        .await;
    let lead = emu.simulate_lead(LeadScript::default()).await;
    let chats = api.get_chats_report(&around_now()).await.unwrap().data;
    assert_eq!(
        (chats[0].id, chats[0].tags[0].tag_name.as_deref()),
        (chat.id, Some("Целевой"))
    );
    let messages = api
        .get_chat_messages_report(&Query::default().with("chat_id", chat.id))
        .await
        .unwrap()
        .data;
    assert_eq!(
        messages
            .iter()
            .map(|m| m.source.clone().unwrap())
            .collect::<Vec<_>>(),
        ["visitor", "operator"]
    );
    let leads = api
        .get_offline_messages_report(&around_now())
        .await
        .unwrap()
        .data;
    assert_eq!(
        (leads[0].id, leads[0].visitor_phone_number.as_deref()),
        (lead.id, Some("79990000003"))
    );
}

#[tokio::test]
async fn data_api_errors_are_typed() {
    let emu = common::emulator(None);
    let with_key = |key: &str| DataApiClient::new(&emu.data_api_url(), key).unwrap();
    let blocked = with_key("uis-blocked-key").get_tags().await.unwrap_err();
    assert!(blocked.is_auth() && !blocked.is_transient());
    assert_eq!(mnemonic(blocked), Mnemonic::AccessTokenBlocked);
    assert_eq!(
        mnemonic(with_key("uis-expired-key").get_tags().await.unwrap_err()),
        Mnemonic::AccessTokenExpired
    );
    assert_eq!(
        mnemonic(with_key("nope").get_tags().await.unwrap_err()),
        Mnemonic::AccessTokenInvalid
    );

    let api = data(&emu);
    let unknown = api.call_raw("get.unicorns", Map::new()).await.unwrap_err();
    assert!(matches!(
        unknown,
        Error::Rpc {
            code: -32601,
            mnemonic: Mnemonic::MethodNotFound,
            ..
        }
    ));
    let unexpected = api
        .call_raw(
            "get.tags",
            Map::from_iter([("colour".to_string(), json!(1))]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&unexpected, Error::Rpc { code: -32602, mnemonic: Mnemonic::UnexpectedParameters, field: Some(f), .. } if f == "colour")
    );

    emu.set_ip_whitelisted(false);
    let ip = api.get_tags().await.unwrap_err();
    assert!(matches!(
        ip,
        Error::Rpc {
            code: -32003,
            mnemonic: Mnemonic::IpNotWhitelisted,
            ..
        }
    ));
    emu.set_ip_whitelisted(true);

    emu.inject_http_status(503, 1);
    let gateway = api.get_tags().await.unwrap_err();
    assert!(matches!(gateway, Error::Http { status: 503, .. }) && gateway.is_transient());
    emu.inject_error(Some("get.tags"), Mnemonic::InternalError, 1);
    let internal = api.get_tags().await.unwrap_err();
    assert!(matches!(internal, Error::Rpc { code: -32603, .. }) && internal.is_transient());
    api.get_tags().await.unwrap();
}

#[tokio::test]
async fn limit_exceeded_is_retried_with_back_off_then_surfaced_as_transient() {
    let emu = common::emulator(None);
    let api = data(&emu);
    emu.inject_error(None, Mnemonic::LimitExceeded, 2);
    api.get_tags().await.expect("third attempt succeeds");
    emu.inject_error(None, Mnemonic::LimitExceeded, 10);
    let err = api.get_tags().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rpc {
                code: -32029,
                mnemonic: Mnemonic::LimitExceeded,
                ..
            }
        ) && err.is_transient()
    );
    let tries = emu.requests().iter().filter(|m| *m == "get.tags").count();
    assert_eq!(tries, 3 + 4);
}

#[tokio::test]
async fn exhausted_minute_budget_makes_the_client_wait_for_minute_reset() {
    let emu = common::emulator(None);
    let api = data(&emu);
    emu.set_limits(1_000, 1);
    api.get_tags().await.unwrap();
    assert_eq!(api.limits().unwrap().minute_remaining, 0);
    // The emulator's minute rolls over; the client still waits (capped by max_delay) before asking.
    emu.advance_clock(Duration::from_secs(61));
    let started = Instant::now();
    api.get_tags().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(
        emu.requests().iter().filter(|m| *m == "get.tags").count(),
        2
    );
}

#[tokio::test]
async fn json_rpc_envelope_is_strict() {
    let emu = common::emulator(None);
    let http = reqwest::Client::new();
    let post = |body: String| {
        let http = http.clone();
        let url = emu.data_api_url();
        async move {
            let r = http.post(url).body(body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let cases = [
        ("{not json", -32700, "parse_error"),
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"get.tags","params":{}}]"#,
            -32099,
            "batch_opreations_not_supported",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"get.tags","params":{}}"#,
            -32099,
            "notifications_not_supported",
        ),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"get.tags","params":{}}"#,
            -32600,
            "invalid_request",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"start.employee_call","params":{}}"#,
            -32601,
            "method_not_found",
        ),
    ];
    for (body, code, m) in cases {
        let answer = post(body.to_string()).await;
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert_eq!(answer["error"]["data"]["mnemonic"], m, "{body}");
    }
    let ok = post(json!({"jsonrpc":"2.0","id":"req1","method":"get.tags","params":{"access_token": emu.api_key()}}).to_string()).await;
    assert_eq!(ok["id"], "req1");
    assert!(ok["result"]["metadata"]["limits"]["day_limit"].is_i64());
}

#[tokio::test]
async fn call_api_logs_in_and_renews_before_expire_at() {
    let emu = common::emulator(None);
    let api = calls(&emu);
    api.list_calls(&ListCalls::default()).await.unwrap();
    api.list_calls(&ListCalls::default()).await.unwrap();
    let logins = |emu: &Emulator| emu.requests().iter().filter(|m| *m == "login.user").count();
    assert_eq!(logins(&emu), 1, "the session is reused");
    // Sessions issued now expire in 30 s of real time: inside the renewal window.
    emu.set_clock_offset(-3570);
    api.login().await.unwrap();
    api.list_calls(&ListCalls::default()).await.unwrap();
    assert_eq!(logins(&emu), 3, "renewed before expire_at");
    assert!(!emu.requests().is_empty());
}

#[tokio::test]
async fn call_api_logs_in_again_when_the_session_is_gone() {
    let emu = common::emulator(None);
    let api = calls(&emu);
    api.list_calls(&ListCalls::default()).await.unwrap();
    emu.advance_clock(Duration::from_secs(2 * 3600));
    api.list_calls(&ListCalls::default()).await.unwrap();
    assert_eq!(
        emu.requests(),
        [
            "login.user",
            "list.calls",
            "list.calls",
            "login.user",
            "list.calls"
        ]
    );
    api.logout().await.unwrap();

    let wrong = CallApiClient::new(&emu.call_api_url(), "demo", "wrong").unwrap();
    let err = wrong.list_calls(&ListCalls::default()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rpc {
                code: -32001,
                mnemonic: Mnemonic::AuthError,
                ..
            }
        ) && err.is_auth()
    );
    let by_key = CallApiClient::with_access_token(&emu.call_api_url(), emu.api_key()).unwrap();
    assert!(
        by_key
            .list_calls(&ListCalls::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn start_employee_call_sends_every_parameter_and_validates() {
    let emu = common::emulator(None);
    let api = calls(&emu);
    let mut call = StartEmployeeCall::click_to_call(5002, "79261234567", "74950000002");
    call.employee = CallEmployee {
        id: 5002,
        phone_number: Some("79160000102".into()),
    };
    call.show_virtual_phone_number = Some(false);
    call.virtual_phone_usage_rule = Some("fixed".into());
    call.switch_at_once = Some(true);
    call.early_switching = Some(false);
    call.contact_message = Some(CallMessage {
        kind: "tts".into(),
        value: "Соединяем".into(),
    });
    call.dtmf_string = Some("1.2".into());
    call.external_id = Some("mp-task-4711".into());
    let id = api.start_employee_call(&call).await.unwrap();
    let started = emu.started_calls();
    assert_eq!(started[0].call_session_id, id);
    let params = &started[0].params;
    assert_eq!(
        (params["external_id"].as_str(), params["direction"].as_str()),
        (Some("mp-task-4711"), Some("out"))
    );
    assert_eq!(
        params["employee"],
        json!({"id": 5002, "phone_number": "79160000102"})
    );
    assert_eq!(
        params["contact_message"],
        json!({"type": "tts", "value": "Соединяем"})
    );
    assert_eq!(params["show_virtual_phone_number"], json!(false));

    let err = |c: StartEmployeeCall| {
        let api = &api;
        async move { mnemonic(api.start_employee_call(&c).await.unwrap_err()) }
    };
    let foreign_number = StartEmployeeCall::click_to_call(5001, "79261234567", "74959999999");
    assert_eq!(
        err(foreign_number).await,
        Mnemonic::VirtualPhoneNumberNotFound
    );
    assert_eq!(Mnemonic::VirtualPhoneNumberNotFound.code(), -32007);
    assert_eq!(
        err(StartEmployeeCall::click_to_call(
            1,
            "79261234567",
            "74950000001"
        ))
        .await,
        Mnemonic::EmployeeNotFound
    );
    assert_eq!(
        err(StartEmployeeCall::click_to_call(
            5001,
            "74950000002",
            "74950000001"
        ))
        .await,
        Mnemonic::OwnVirtualPhoneNumberNotAllowed
    );
    let mut sideways = StartEmployeeCall::click_to_call(5001, "79261234567", "74950000001");
    sideways.direction = Some("sideways".into());
    assert_eq!(err(sideways).await, Mnemonic::InvalidParameterValue);
}

#[tokio::test]
async fn list_calls_shows_a_click_to_call_until_release_call() {
    let emu = common::emulator(None);
    emu.set_click_to_call_hold(Duration::from_secs(30));
    let api = calls(&emu);
    let id = api
        .start_employee_call(&StartEmployeeCall::click_to_call(
            5001,
            "79261234567",
            "74950000001",
        ))
        .await
        .unwrap();
    let active = api
        .list_calls(&ListCalls {
            direction: Some("out".into()),
            ..ListCalls::default()
        })
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(
        (active[0].call_session_id, active[0].legs[0].employee_id),
        (id, Some(5001))
    );
    assert!(
        api.list_calls(&ListCalls {
            direction: Some("in".into()),
            ..ListCalls::default()
        })
        .await
        .unwrap()
        .is_empty()
    );
    let started = Instant::now();
    assert!(api.release_call(id).await.unwrap());
    emu.wait_for_simulation(id, Duration::from_secs(5))
        .await
        .expect("call finished after release");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        api.list_calls(&ListCalls::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        mnemonic(api.release_call(id).await.unwrap_err()),
        Mnemonic::CallSessionNotFound
    );
}

#[tokio::test]
async fn base_url_may_be_just_the_host() {
    let emu = common::emulator(None);
    let api = DataApiClient::new(&emu.base_url(), emu.api_key()).unwrap();
    assert_eq!(api.url().path(), "/v2.0");
    api.get_tags().await.unwrap();
    assert_eq!(
        DataApiClient::new(uis::data_api::DEFAULT_URL, "k")
            .unwrap()
            .url()
            .as_str(),
        "https://dataapi.uiscom.ru/v2.0"
    );
    assert!(matches!(
        DataApiClient::new("not a url", "k"),
        Err(Error::Url(_))
    ));
}

#[tokio::test]
async fn a_slow_uis_times_out_as_a_transient_transport_error() {
    let emu = common::emulator(None);
    emu.set_api_delay(Some(Duration::from_millis(500)));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let api = data(&emu).with_http_client(http);
    let err = api.get_tags().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(_)) && err.is_transient(),
        "{err}"
    );
    emu.set_api_delay(None);
    api.get_tags().await.unwrap();
}

#[tokio::test]
async fn a_fault_asked_for_over_http_fails_the_next_call_of_that_method_and_bad_requests_are_refused()
 {
    let emu = common::emulator(None);
    let api = data(&emu);
    let http = reqwest::Client::new();
    let url = format!("{}/_emulator/faults", emu.base_url());
    let ask = |body: Value| http.post(&url).json(&body).send();

    let r = ask(json!({"method": "get.tags", "mnemonic": "forbidden", "times": 1}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    api.get_virtual_numbers()
        .await
        .expect("another method is not affected");
    let refused = api.get_tags().await.unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Rpc {
                mnemonic: Mnemonic::Forbidden,
                ..
            }
        ) && !refused.is_transient(),
        "{refused:?}"
    );
    api.get_tags().await.expect("only once");

    for (bad, why) in [
        (
            json!({"method": "get.nothing", "mnemonic": "forbidden", "times": 1}),
            "no such UIS method",
        ),
        (
            json!({"mnemonic": "made_up", "times": 1}),
            "no such UIS error mnemonic",
        ),
        (json!({"mnemonic": "forbidden", "times": 0}), "times"),
    ] {
        let r = ask(bad.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(why), "{body}");
    }
    let r = ask(json!({"mnemonic": "forbidden"})).await.unwrap();
    assert!(r.status().is_client_error(), "times is required");
    api.get_tags()
        .await
        .expect("nothing refused was kept as a fault");
}
