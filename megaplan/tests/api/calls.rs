use std::time::Duration;

use megaplan::{CallInfoFields, CallState, CallType, ContactInfo, Error, Link, NewContractorHuman};

use crate::helpers::*;

fn ring(provider: &str) -> CallInfoFields {
    CallInfoFields {
        provider_id: Some(provider.into()),
        kind: Some(CallType::In),
        state: Some(CallState::Calling),
        from_phone: Some("79991234567".into()),
        to_phone: Some("101".into()),
        time_from: Some(chrono::Utc::now().into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn incoming_call_pops_up_for_the_extension_owner_then_talks_then_finishes_with_a_record() {
    let (emu, client) = spawn();
    let call = client.create_call_info(&ring("pbx-7f3a")).await.unwrap();
    client
        .update_call_info(
            "pbx-7f3a",
            &CallInfoFields {
                state: Some(CallState::Talking),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let done = client
        .update_call_info(
            "pbx-7f3a",
            &CallInfoFields {
                state: Some(CallState::Finished),
                time_to: Some(chrono::Utc::now().into()),
                record_links: Some(vec!["https://rec.example.com/pbx-7f3a.mp3".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.id, call.id);
    assert_eq!(done.record_links.len(), 1);
    let events = emu.state().widget_events();
    let states: Vec<&str> = events.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["calling", "talking", "finished"]);
    assert!(
        events
            .iter()
            .all(|e| e.employee_id.as_deref() == Some("1000002")),
        "ext 101 is Ivan"
    );
    assert_eq!(
        events[2].record_links,
        ["https://rec.example.com/pbx-7f3a.mp3"]
    );
    let by_provider = client.call_info_by_provider("pbx-7f3a").await.unwrap();
    assert_eq!(by_provider.state, Some(CallState::Finished));
}

#[tokio::test]
async fn outgoing_call_pops_up_for_the_calling_employee_and_updates_by_id() {
    let (emu, client) = spawn();
    let call = client
        .create_call_info(&CallInfoFields {
            provider_id: Some("out-1".into()),
            kind: Some(CallType::Out),
            state: Some(CallState::Calling),
            from_user: Some(Link::employee("1000003")),
            to_phone: Some("79990001122".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .update_call_info_by_id(
            &call.id,
            &CallInfoFields {
                state: Some(CallState::Hold),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let events = emu.state().widget_events();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e.employee_id.as_deref() == Some("1000003") && e.call_type == "out")
    );
    assert_eq!(
        client.call_info(&call.id).await.unwrap().state,
        Some(CallState::Hold)
    );
}

#[tokio::test]
async fn history_upserts_finished_calls_without_widget_events() {
    let (emu, client) = spawn();
    let mut missed = ring("h-1");
    missed.kind = Some(CallType::Miss);
    let saved = client
        .call_info_history(&[missed.clone(), ring("h-2")])
        .await
        .unwrap();
    assert_eq!(saved.len(), 2);
    assert!(saved.iter().all(|c| c.state == Some(CallState::Finished)));
    missed.record_links = Some(vec!["https://rec/h-1.mp3".into()]);
    client.call_info_history(&[missed]).await.unwrap();
    assert_eq!(
        client.call_infos().await.unwrap().len(),
        2,
        "same providerId is updated"
    );
    assert!(emu.state().widget_events().is_empty());
}

#[tokio::test]
async fn set_contractor_links_the_caller_of_an_incoming_call() {
    let (emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            first_name: Some("Иван".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let call = client.create_call_info(&ring("c-1")).await.unwrap();
    let linked = client
        .set_call_contractor(&call.id, &human.link())
        .await
        .unwrap();
    assert_eq!(linked.from_user, Some(human.link()));
    assert_eq!(
        emu.state().call_infos()[0]["fromUser"]["id"],
        human.id.as_str()
    );
}

#[tokio::test]
async fn provider_update_without_provider_id_and_bad_enums_are_rejected() {
    let (emu, _) = spawn();
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/callInfo/provider",
        None,
        Some(r#"{"contentType":"CallInfo","state":"talking"}"#),
    )
    .await;
    assert_eq!((status, error_field(&v)), (422, Some("providerId")));
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/callInfo",
        None,
        Some(r#"{"contentType":"CallInfo","type":"inbound","state":"calling"}"#),
    )
    .await;
    assert_eq!((status, error_field(&v)), (422, Some("type")));
    let (status, v) = raw(
        &emu,
        "POST",
        "api/v3/callInfo",
        None,
        Some(r#"{"contentType":"CallInfo","type":"in","state":"ringing"}"#),
    )
    .await;
    assert_eq!((status, error_field(&v)), (422, Some("state")));
}

#[tokio::test]
async fn call_route_names_the_personal_manager_of_a_known_number() {
    let (_emu, client) = spawn();
    let human = client
        .create_contractor_human(&NewContractorHuman {
            first_name: Some("Иван".into()),
            contact_info: vec![ContactInfo::phone("+7 999 123-45-67")],
            responsibles: vec![Link::employee("1000003")],
            ..Default::default()
        })
        .await
        .unwrap();
    let route = client.call_route("89991234567").await.unwrap();
    assert_eq!(route.kind.as_deref(), Some("responsible"));
    assert_eq!(route.employees.len(), 1);
    assert_eq!(route.employees[0].id.as_str(), "1000003");
    assert_eq!(route.users, vec![human.link()]);
    assert_eq!(route.timeout, Some(20));
}

#[tokio::test]
async fn call_route_of_an_unknown_number_rings_the_default_group() {
    let (_emu, client) = spawn();
    let route = client.call_route("+7 000 000-00-00").await.unwrap();
    assert_eq!(route.kind.as_deref(), Some("all"));
    assert_eq!(route.employees.len(), 2);
    assert!(route.users.is_empty());
    let employee_number = client.call_route("+7 495 000-00-02").await.unwrap();
    assert_eq!(employee_number.users, vec![Link::employee("1000002")]);
}

#[tokio::test]
async fn slow_call_route_hits_a_short_client_timeout() {
    let (emu, _) = spawn();
    let client = client_for(&emu, PASSWORD, Duration::from_millis(1000));
    client.check_credentials().await.unwrap();
    emu.state()
        .faults()
        .set_call_route_delay(Duration::from_secs(3));
    assert!(matches!(
        client.call_route("79991234567").await.unwrap_err(),
        Error::Timeout
    ));
    client.employees().await.expect("only callRoute is slow");
    let patient = client_for(&emu, PASSWORD, Duration::from_secs(5));
    let err = patient
        .call_route_within("79991234567", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "the per-call timeout wins");
}

#[tokio::test]
async fn demo_state_page_shows_the_call_and_its_widget_events() {
    let (emu, client) = spawn();
    client.create_call_info(&ring("demo-1")).await.unwrap();
    let v: serde_json::Value = reqwest::get(emu.base_url().join("_emulator/state").unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["callInfos"][0]["providerId"], "demo-1");
    assert_eq!(v["widgetEvents"][0]["employeeId"], "1000002");
    assert!(emu.describe().contains(emu.base_url().as_str()));
}
