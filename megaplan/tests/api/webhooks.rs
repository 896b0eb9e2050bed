use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use megaplan::emulator::{Emulator, EmulatorConfig};
use megaplan::{Id, NewDeal, NewTodo};
use serde_json::{Value, json};

use crate::helpers::*;

#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<Value>>>,
    failures_left: Arc<AtomicUsize>,
}

/// A receiver on 127.0.0.1:0 that answers 500 `fail_first` times, then 200.
async fn receiver(fail_first: usize) -> (url::Url, Receiver) {
    let r = Receiver::default();
    r.failures_left.store(fail_first, Ordering::SeqCst);
    let app = Router::new()
        .route(
            "/hooks",
            post(
                |State(r): State<Receiver>, axum::Json(v): axum::Json<Value>| async move {
                    r.bodies.lock().unwrap().push(v);
                    if r.failures_left.load(Ordering::SeqCst) > 0 {
                        r.failures_left.fetch_sub(1, Ordering::SeqCst);
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .route(
            "/prefs",
            get(
                |State(r): State<Receiver>,
                 Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    r.bodies.lock().unwrap().push(json!(q));
                    StatusCode::OK
                },
            ),
        )
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, r)
}

fn fast_retry() -> EmulatorConfig {
    EmulatorConfig {
        webhook_retry_delay: Duration::from_millis(20),
        ..EmulatorConfig::default()
    }
}

async fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..250 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached in 5 s");
}

fn delivered(emu: &Emulator) -> usize {
    emu.state()
        .webhook_deliveries()
        .iter()
        .filter(|d| d.delivered)
        .count()
}

#[tokio::test]
async fn deal_created_then_moved_by_a_user_sends_webhooks_in_the_real_envelope() {
    let (emu, client) = spawn_with(fast_retry());
    let (url, r) = receiver(0).await;
    emu.set_webhook_url(Some(url));
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    emu.state()
        .change_deal_stage(deal.id.as_str(), "12")
        .unwrap();
    wait_until(|| delivered(&emu) == 2).await;
    let bodies = r.bodies.lock().unwrap().clone();
    assert_eq!(bodies[0]["event"], "on_after_create");
    assert_eq!(bodies[0]["accountInfo"]["model"], "Deal");
    assert_eq!(
        bodies[0]["accountInfo"]["integrationUuid"],
        emu.seed().integration_uuid
    );
    assert_eq!(bodies[0]["data"]["id"], deal.id.as_str());
    assert_eq!(bodies[1]["event"], "on_after_update");
    assert_eq!(bodies[1]["data"]["state"]["id"], "12");
    assert_ne!(
        bodies[0]["accountInfo"]["uuid"],
        bodies[1]["accountInfo"]["uuid"]
    );
}

#[tokio::test]
async fn failing_receiver_gets_the_same_uuid_until_200_and_later_events_wait() {
    let (emu, client) = spawn_with(fast_retry());
    let (url, r) = receiver(2).await;
    emu.set_webhook_url(Some(url));
    let todo = client
        .create_todo(&NewTodo {
            name: "Перезвонить".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .finish_todo(&todo.id, &Id::from("3"), "ok")
        .await
        .unwrap();
    wait_until(|| delivered(&emu) == 2).await;
    let bodies = r.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 4, "two failures, then both events");
    let uuids: Vec<&Value> = bodies.iter().map(|b| &b["accountInfo"]["uuid"]).collect();
    assert!(
        uuids[0] == uuids[1] && uuids[1] == uuids[2],
        "retried with the same uuid"
    );
    assert_eq!(
        bodies[3]["event"], "on_after_update",
        "the update waited behind the create"
    );
    assert_eq!(emu.state().webhook_deliveries()[0].attempts, 3);
}

#[tokio::test]
async fn contractor_and_user_edits_of_deals_are_announced() {
    let (emu, client) = spawn_with(fast_retry());
    let (url, r) = receiver(0).await;
    emu.set_webhook_url(Some(url));
    let human = client
        .create_contractor_human(&megaplan::NewContractorHuman {
            first_name: Some("Иван".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let deal = client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    emu.state()
        .change_deal(deal.id.as_str(), json!({"price":{"contentType":"Money","value":500,"currency":"RUB"},"manager":{"contentType":"Employee","id":"1000003"}}))
        .unwrap();
    emu.state()
        .change_contractor(human.id.as_str(), json!({"lastName":"Петров"}))
        .unwrap();
    wait_until(|| delivered(&emu) == 4).await;
    let bodies = r.bodies.lock().unwrap().clone();
    let models: Vec<&str> = bodies
        .iter()
        .map(|b| b["accountInfo"]["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["ContractorHuman", "Deal", "Deal", "ContractorHuman"]
    );
    assert_eq!(bodies[2]["data"]["price"]["value"], 500);
}

#[tokio::test]
async fn no_webhook_url_means_no_events() {
    let (emu, client) = spawn();
    client.create_deal(&NewDeal::in_program("1")).await.unwrap();
    assert!(emu.state().webhook_deliveries().is_empty());
}

#[tokio::test]
async fn install_callback_hands_over_an_application_token_that_works() {
    let (emu, _) = spawn();
    let (url, r) = receiver(0).await;
    let status = emu
        .send_install_callback(url.join("/prefs").unwrap())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let params = r.bodies.lock().unwrap()[0].clone();
    for key in [
        "accountId",
        "uniqueAccountId",
        "applicationToken",
        "expirationTime",
        "applicationUuid",
        "permanentHost",
        "userSign",
    ] {
        assert!(params.get(key).is_some(), "{key}");
    }
    let mut call = emu.base_url().join("api/v3/employee").unwrap();
    call.set_query(None);
    let resp = reqwest::Client::new()
        .get(call)
        .bearer_auth(params["applicationToken"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (emu, client) = spawn();
    client.employees().await.unwrap();
    emu.shutdown().await;
    assert!(client.employees().await.unwrap_err().is_transient());
}
