//! Issue 7 end to end: the UIS emulator plays calls (its notifications over real HTTP into
//! `/hooks/uis/{key}/{event}`), the server's pipeline decides with `domain::rules::decide` through the
//! telephony planner, and the Megaplan emulator's state shows the result; SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use megaplan::emulator::WidgetEvent;
use serde_json::{Value, json};
use uis::emulator::{CallScript, Delivery};

use crate::helpers::BACKENDS;
use crate::telephony_support::{TelephonyApp, VIRTUAL_NUMBER, spawn, team};

const ALEKSEEVA: u64 = 2001;
const BORISOV: u64 = 2002;
const VASILIEVA: u64 = 2003;

/// Clients made at the first talk (responsible = `who` talked), communications for talked calls,
/// todos for lost and failed calls to Борисов, Васильева by default.
fn settings(who: &str) -> Value {
    json!({
        "default_responsible": VASILIEVA.to_string(),
        "call_processing": {
            "create_client": {"enabled": true, "responsible": who},
            "communication": {"enabled": true, "outcomes": ["answered", "successful"]},
            "todo": {
                "enabled": true,
                "outcomes": ["lost", "failed"],
                "responsible": {"kind": "employee", "employee": BORISOV.to_string()}
            }
        }
    })
}

async fn app(backend: uis_megaplan::testing::TestBackend, settings: Value) -> Option<TelephonyApp> {
    let (mp, ui) = team();
    let t = spawn(backend, &mp, &ui, settings).await?;
    t.sync_telephony_settings().await;
    let base = format!("{}/hooks/uis/{}", t.app.server.url(), t.key);
    t.uis.set_notify_base(Some(url::Url::parse(&base).unwrap()));
    Some(t)
}

/// Plays `script` and waits until every notification it brought is processed.
async fn play(t: &TelephonyApp, script: CallScript) -> i64 {
    let sim = t.uis.simulate(script).await;
    for s in &sim.sent {
        assert_eq!(s.status, Some(200), "notification not accepted: {s:?}");
    }
    settle(t).await;
    sim.call_session_id
}

/// Waits until the inbox has nothing left to do.
async fn settle(t: &TelephonyApp) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let open: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT event_type, status, last_error FROM inbox_events WHERE status NOT IN ('done', 'failed', 'dead')",
        )
        .fetch_all(t.pool())
        .await
        .unwrap();
        if open.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "events still open after 30 s: {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn clients_with_phone(t: &TelephonyApp, phone: &str) -> Vec<Value> {
    let want = digits(phone);
    t.megaplan
        .state()
        .contractors()
        .into_iter()
        .filter(|c| {
            c["contactInfo"].as_array().is_some_and(|infos| {
                infos
                    .iter()
                    .any(|i| i["value"].as_str().is_some_and(|v| digits(v) == want))
            })
        })
        .collect()
}

fn responsible_ids(client: &Value) -> Vec<String> {
    client["responsibles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

fn todos_with(t: &TelephonyApp, marker: &str) -> Vec<Value> {
    t.megaplan
        .state()
        .todos()
        .into_iter()
        .filter(|x| x["name"].as_str().is_some_and(|n| n.contains(marker)))
        .collect()
}

fn calls_of(t: &TelephonyApp, call: i64) -> Vec<Value> {
    let id = call.to_string();
    t.megaplan
        .state()
        .call_infos()
        .into_iter()
        .filter(|c| match &c["providerId"] {
            Value::String(s) => *s == id,
            Value::Number(n) => n.to_string() == id,
            _ => false,
        })
        .collect()
}

fn widget_of(t: &TelephonyApp, call: i64) -> Vec<WidgetEvent> {
    let id = call.to_string();
    t.megaplan
        .state()
        .widget_events()
        .into_iter()
        .filter(|w| w.provider_id.as_deref() == Some(id.as_str()))
        .collect()
}

fn states(w: &[WidgetEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in w {
        if out.last() != Some(&e.state) {
            out.push(e.state.clone());
        }
    }
    out
}

async fn decisions(t: &TelephonyApp) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT event_type, decision FROM inbox_events ORDER BY received_at")
        .fetch_all(t.pool())
        .await
        .unwrap()
}

/// Reasons the event log gives for events that did nothing.
async fn skipped_reasons(t: &TelephonyApp) -> Vec<String> {
    let rows: Vec<(Option<String>,)> = sqlx::query_as("SELECT decision FROM inbox_events")
        .fetch_all(t.pool())
        .await
        .unwrap();
    rows.into_iter()
        .filter_map(|(d,)| d)
        .filter_map(|d| serde_json::from_str::<Value>(&d).ok())
        .filter_map(|d| d["skipped"].as_str().map(str::to_owned))
        .collect()
}

fn minutes_between(from: &Value, to: &Value) -> Option<i64> {
    let f = chrono::DateTime::parse_from_rfc3339(from["value"].as_str()?).ok()?;
    let t = chrono::DateTime::parse_from_rfc3339(to["value"].as_str()?).ok()?;
    Some((t - f).num_minutes())
}

#[tokio::test]
async fn inbound_answered_creates_the_client_pops_the_card_and_logs_a_communication() {
    for backend in BACKENDS {
        for (who, expected) in [("first_talked", ALEKSEEVA), ("last_talked", BORISOV)] {
            let Some(t) = app(backend, settings(who)).await else {
                continue;
            };
            let phone = "79501112233";
            let mut script = CallScript::inbound_answered(phone);
            script.employee_ids = vec![7001, 7002];
            script.answered_by = Some(7001);
            script.transfer_to = None;
            // With «last talked», the call is transferred to Борисов, who talks last.
            if who == "last_talked" {
                script = CallScript::transfer(phone, 7001, 7002);
            }
            let call = play(&t, script).await;

            let clients = clients_with_phone(&t, phone);
            assert_eq!(
                clients.len(),
                1,
                "{backend:?} {who}: one client {clients:?}"
            );
            assert_eq!(
                responsible_ids(&clients[0]),
                vec![expected.to_string()],
                "{backend:?} {who}: responsible of {} ({:?})",
                clients[0],
                decisions(&t).await
            );

            let cards = calls_of(&t, call);
            assert_eq!(cards.len(), 1, "{backend:?} {who}: one CallInfo {cards:?}");
            assert_eq!(cards[0]["state"], "finished", "{cards:?}");
            assert_eq!(cards[0]["type"], "in", "{cards:?}");
            let w = widget_of(&t, call);
            let s = states(&w);
            assert_eq!(
                s.first().map(String::as_str),
                Some("calling"),
                "{backend:?} {who}: {w:?}"
            );
            assert!(s.contains(&"talking".to_owned()), "{w:?}");
            assert_eq!(s.last().map(String::as_str), Some("finished"), "{w:?}");
            assert_eq!(
                w[0].employee_id.as_deref(),
                Some(ALEKSEEVA.to_string().as_str()),
                "the card pops up for the extension that rings: {w:?}"
            );

            let comms = todos_with(&t, &format!("[uis:communication:{call}]"));
            assert_eq!(comms.len(), 1, "{backend:?} {who}: one communication");
            let when = &comms[0]["when"];
            assert_eq!(
                minutes_between(&when["from"], &when["to"]),
                Some(120),
                "default duration: {when}"
            );
            assert!(
                todos_with(&t, &format!("[uis:call:{call}]")).is_empty(),
                "no todo for an answered call"
            );
            t.stop().await;
        }
    }
}

#[tokio::test]
async fn inbound_lost_with_three_ringing_employees_makes_one_todo_one_client_and_a_missed_card() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        let phone = "79502223344";
        let call = play(&t, CallScript::inbound_lost(phone, vec![7001, 7002, 7003])).await;

        let todos = todos_with(&t, &format!("[uis:call:{call}]"));
        assert_eq!(todos.len(), 1, "{backend:?}: one todo {todos:?}");
        assert_eq!(
            todos[0]["responsible"]["id"].as_str(),
            Some(BORISOV.to_string().as_str()),
            "{backend:?}: configured responsible {todos:?}"
        );
        assert_eq!(clients_with_phone(&t, phone).len(), 1, "{backend:?}");
        let cards = calls_of(&t, call);
        assert_eq!(cards.len(), 1, "{backend:?}: {cards:?}");
        assert_eq!(cards[0]["state"], "finished");
        assert_eq!(cards[0]["type"], "miss", "{cards:?}");
        assert!(
            todos_with(&t, &format!("[uis:communication:{call}]")).is_empty(),
            "no communication for a lost call"
        );
        t.stop().await;
    }
}

/// Megaplan's admin changes the password: the set is marked broken once, the lost call waits in the
/// log, and the new password typed on the settings page brings both the pipeline and routing back.
#[tokio::test]
async fn a_changed_megaplan_password_renewed_on_the_settings_page_loses_no_call() {
    for backend in BACKENDS {
        let mut s = settings("first_talked");
        s["call_processing"]["personal_manager_routing"] = json!(true);
        let Some(t) = app(backend, s).await else {
            continue;
        };
        t.uis.set_route_url(Some(t.route_url()));
        let regular = "79503334455";
        t.client_with_manager(regular, ALEKSEEVA).await;
        // Routing makes its Megaplan client with the password stored now.
        let first = t
            .uis
            .simulate(CallScript {
                ask_route: true,
                ..CallScript::inbound_answered(regular)
            })
            .await;
        assert!(
            matches!(first.route, uis::emulator::RouteOutcome::Phones { .. }),
            "{backend:?}"
        );
        settle(&t).await;

        t.megaplan
            .state()
            .change_password("a new password for 2027");
        let phone = "79504445566";
        // UIS does not ask routing this time: only the pipeline finds out.
        let lost = CallScript {
            ask_route: false,
            ..CallScript::inbound_lost(phone, vec![7001, 7002, 7003])
        };
        let call = play(&t, lost).await;
        let status = || async {
            let (s,): (String,) =
                sqlx::query_as("SELECT status FROM megaplan_credentials WHERE id = 'cred-1'")
                    .fetch_one(t.pool())
                    .await
                    .unwrap();
            s
        };
        assert_eq!(status().await, "broken", "{backend:?}");
        assert!(todos_with(&t, &format!("[uis:call:{call}]")).is_empty());

        let outcome = t
            .admin()
            .await
            .submit(
                "renew_megaplan_credentials",
                &[("id", "cred-1"), ("password", "a new password for 2027")],
            )
            .await;
        assert_eq!(outcome, app::api::FormOutcome::Saved, "{backend:?}");
        settle(&t).await;
        let failed: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT event_type, last_error FROM inbox_events WHERE status <> 'done'",
        )
        .fetch_all(t.pool())
        .await
        .unwrap();
        assert!(failed.is_empty(), "{backend:?}: {failed:?}");
        assert_eq!(
            todos_with(&t, &format!("[uis:call:{call}]")).len(),
            1,
            "{backend:?}: the lost call's todo"
        );

        // Routing still held a client with the old password: it makes a new one instead of
        // getting refused and marking the renewed set broken again.
        let again = t
            .uis
            .simulate(CallScript {
                ask_route: true,
                ..CallScript::inbound_answered("79505556677")
            })
            .await;
        assert!(
            matches!(
                again.route,
                uis::emulator::RouteOutcome::ReturnedCode { .. }
            ),
            "{backend:?}: an unknown caller asked of Megaplan: {:?}",
            again.route
        );
        settle(&t).await;
        assert_eq!(status().await, "working", "{backend:?}");
        t.stop().await;
    }
}

#[tokio::test]
async fn outbound_successful_and_failed_calls() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        let ok_phone = "79503334455";
        let ok = play(&t, CallScript::outbound(7002, ok_phone)).await;
        let cards = calls_of(&t, ok);
        assert_eq!(cards.len(), 1, "{backend:?}: {cards:?}");
        assert_eq!(cards[0]["type"], "out", "{cards:?}");
        assert_eq!(cards[0]["state"], "finished");
        assert_eq!(
            todos_with(&t, &format!("[uis:communication:{ok}]")).len(),
            1,
            "communication of a successful outbound call"
        );
        assert!(todos_with(&t, &format!("[uis:call:{ok}]")).is_empty());
        let clients = clients_with_phone(&t, ok_phone);
        assert_eq!(clients.len(), 1);
        assert_eq!(responsible_ids(&clients[0]), vec![BORISOV.to_string()]);

        let failed_phone = "79504445566";
        let mut script = CallScript::outbound(7003, failed_phone);
        script.contact_answers = false;
        script.record = false;
        let failed = play(&t, script).await;
        let cards = calls_of(&t, failed);
        assert_eq!(cards.len(), 1, "{backend:?}: {cards:?}");
        assert_eq!(cards[0]["type"], "fail", "{cards:?}");
        let todos = todos_with(&t, &format!("[uis:call:{failed}]"));
        assert_eq!(todos.len(), 1, "todo for a failed outbound call");
        assert!(todos_with(&t, &format!("[uis:communication:{failed}]")).is_empty());
        t.stop().await;
    }
}

#[tokio::test]
async fn a_recording_arriving_after_the_call_finished_is_patched_onto_the_call() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        let phone = "79505556677";
        let mut script = CallScript::inbound_answered(phone);
        script.employee_ids = vec![7001];
        script.record = true;
        let call = play(&t, script).await;
        let cards = calls_of(&t, call);
        assert_eq!(cards.len(), 1, "{backend:?}: {cards:?}");
        assert_eq!(cards[0]["state"], "finished");
        let links = cards[0]["recordLinks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            links.len(),
            1,
            "{backend:?}: record link on the finished call {cards:?}"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn a_filtered_virtual_number_and_an_inactive_integration_leave_megaplan_untouched() {
    for backend in BACKENDS {
        let mut s = settings("first_talked");
        s["filters"] = json!({"by_virtual_numbers": true, "virtual_numbers": ["+74957654321"]});
        let Some(t) = app(backend, s).await else {
            continue;
        };
        let before = t.megaplan.state().contractors().len();
        let mut script = CallScript::inbound_lost("79506667788", vec![7001]);
        script.virtual_phone_number = Some(VIRTUAL_NUMBER.into());
        let call = play(&t, script).await;
        assert!(
            calls_of(&t, call).is_empty(),
            "{backend:?}: filtered call logged"
        );
        assert!(todos_with(&t, &format!("[uis:call:{call}]")).is_empty());
        assert_eq!(t.megaplan.state().contractors().len(), before);
        let reasons = skipped_reasons(&t).await;
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("не входит в список фильтра")),
            "{backend:?}: the event log says why: {reasons:?}"
        );

        // Switched off: nothing at all.
        t.set_section(false, settings("first_talked")).await;
        let call = play(&t, CallScript::inbound_lost("79506667799", vec![7001])).await;
        assert!(calls_of(&t, call).is_empty(), "{backend:?}: inactive");
        assert!(todos_with(&t, &format!("[uis:call:{call}]")).is_empty());
        assert_eq!(t.megaplan.state().contractors().len(), before);
        assert!(
            skipped_reasons(&t)
                .await
                .iter()
                .any(|r| r.contains("Интеграция не активна"))
        );
        t.stop().await;
    }
}

/// The end state of a lost and an answered call: (todos, communications, cards, card state, type,
/// clients).
fn end_state(
    t: &TelephonyApp,
    call: i64,
    phone: &str,
) -> (usize, usize, usize, String, String, usize) {
    let cards = calls_of(t, call);
    (
        todos_with(t, &format!("[uis:call:{call}]")).len(),
        todos_with(t, &format!("[uis:communication:{call}]")).len(),
        cards.len(),
        cards
            .first()
            .and_then(|c| c["state"].as_str())
            .unwrap_or_default()
            .to_owned(),
        cards
            .first()
            .and_then(|c| c["type"].as_str())
            .unwrap_or_default()
            .to_owned(),
        clients_with_phone(t, phone).len(),
    )
}

#[tokio::test]
async fn duplicates_and_out_of_order_delivery_reach_the_same_end_state() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        for (n, delivery) in [
            Delivery {
                duplicate: true,
                ..Delivery::default()
            },
            Delivery {
                out_of_order: true,
                ..Delivery::default()
            },
            Delivery {
                duplicate: true,
                out_of_order: true,
                ..Delivery::default()
            },
        ]
        .into_iter()
        .enumerate()
        {
            let lost_phone = format!("7950777000{n}");
            let lost = play(
                &t,
                CallScript::inbound_lost(&lost_phone, vec![7001, 7002, 7003])
                    .with_delivery(delivery.clone()),
            )
            .await;
            assert_eq!(
                end_state(&t, lost, &lost_phone),
                (1, 0, 1, "finished".into(), "miss".into(), 1),
                "{backend:?} lost {delivery:?}"
            );
            let answered_phone = format!("7950888000{n}");
            let mut script = CallScript::inbound_answered(&answered_phone);
            script.employee_ids = vec![7001];
            let answered = play(&t, script.with_delivery(delivery.clone())).await;
            assert_eq!(
                end_state(&t, answered, &answered_phone),
                (0, 1, 1, "finished".into(), "in".into(), 1),
                "{backend:?} answered {delivery:?}"
            );
        }
        t.stop().await;
    }
}

#[tokio::test]
async fn a_click_to_call_is_correlated_by_its_external_id_and_pops_up_for_the_caller() {
    for backend in BACKENDS {
        let mut s = settings("first_talked");
        s["click_to_call"] =
            json!({"number": format!("+{VIRTUAL_NUMBER}"), "override_caller_id": true});
        let Some(t) = app(backend, s).await else {
            continue;
        };
        let (status, body) = t
            .megaplan_request(
                "call",
                json!({"employee_id": ALEKSEEVA.to_string(), "phone": "+7 950 999-00-11", "external_id": "mp-task-4711"}),
                Some(&t.token()),
            )
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        let call = body["call_session_id"].as_i64().expect("call id");
        let sim = t
            .uis
            .wait_for_simulation(call, Duration::from_secs(20))
            .await
            .expect("the click-to-call plays out");
        assert!(
            sim.sent.iter().all(|n| n
                .body
                .as_deref()
                .is_some_and(|b| b.contains("mp-task-4711"))),
            "every notification carries the external_id: {:?}",
            sim.sent
        );
        settle(&t).await;

        let (external_id,): (Option<String>,) = sqlx::query_as(
            "SELECT external_id FROM call_facts WHERE account_id = $1 AND call_session_id = $2",
        )
        .bind(&t.account_id)
        .bind(call)
        .fetch_one(t.pool())
        .await
        .unwrap();
        assert_eq!(external_id.as_deref(), Some("mp-task-4711"));
        let cards = calls_of(&t, call);
        assert_eq!(cards.len(), 1, "{backend:?}: {cards:?}");
        assert_eq!(cards[0]["type"], "out", "{cards:?}");
        assert_eq!(cards[0]["state"], "finished");
        let w = widget_of(&t, call);
        assert_eq!(
            w.first().and_then(|e| e.employee_id.as_deref()),
            Some(ALEKSEEVA.to_string().as_str()),
            "the caller's card: {w:?}"
        );
        assert_eq!(clients_with_phone(&t, "79509990011").len(), 1);
        t.stop().await;
    }
}

/// Posts one UIS notification of `kind` for `call` straight to the server's hook.
async fn post_notification(t: &TelephonyApp, kind: &str, call: i64, extra: Value) {
    let mut body = json!({
        "notification_name": kind,
        "notification_time": "2026-11-24 10:00:00",
        "call_session_id": call,
        "direction": "in",
        "contact_phone_number": "79507770001",
        "virtual_phone_number": VIRTUAL_NUMBER,
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    let r = t
        .app
        .http
        .post(format!("{}/hooks/uis/{}/{kind}", t.app.server.url(), t.key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{kind} of call {call}");
}

/// (status, attempts) of the one event of `kind` of `call`.
async fn event_of(t: &TelephonyApp, kind: &str, call: i64) -> (String, i64) {
    sqlx::query_as(
        "SELECT status, CAST(attempts AS BIGINT) FROM inbox_events WHERE call_session_id = $1 AND event_type = $2",
    )
    .bind(call)
    .bind(kind)
    .fetch_one(t.pool())
    .await
    .unwrap()
}

/// An inbox event of `call` that is accepted and not processed yet (it has no job, so it stays).
async fn unprocessed_event(t: &TelephonyApp, call: i64, body: &str) {
    sqlx::query(
        "INSERT INTO inbox_events (id, account_id, source, event_type, dedupe_key, call_session_id, body, received_at, status, attempts) \
         VALUES ($1, $2, 'uis', 'call_started', $1, $3, $4, 0, 'queued', 0)",
    )
    .bind(format!("waiting-{call}"))
    .bind(&t.account_id)
    .bind(call)
    .bind(body)
    .execute(t.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn an_event_waits_for_earlier_events_of_its_own_call_only() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        // Call 4242 has an earlier event not processed yet; its caller's number holds the digits
        // of call 777, which must not make call 777 wait.
        unprocessed_event(
            &t,
            4242,
            r#"{"call_session_id":4242,"contact_phone_number":"79500777000"}"#,
        )
        .await;
        post_notification(
            &t,
            "ringing",
            777,
            json!({"employee_id": 7001, "leg_id": 1}),
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while event_of(&t, "ringing", 777).await.0 != "done" {
            assert!(Instant::now() < deadline, "{backend:?}: call 777 waited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            event_of(&t, "ringing", 777).await,
            ("done".into(), 1),
            "{backend:?}: decided at the first attempt, without waiting for call 4242"
        );
        assert_eq!(calls_of(&t, 777).len(), 1, "{backend:?}: the card pops up");

        // The event of call 4242 itself waits while the earlier one is open …
        post_notification(
            &t,
            "ringing",
            4242,
            json!({"employee_id": 7001, "leg_id": 1}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_ne!(event_of(&t, "ringing", 4242).await.0, "done", "{backend:?}");
        assert!(calls_of(&t, 4242).is_empty(), "{backend:?}: no card yet");
        // … and goes on once it is processed.
        sqlx::query("UPDATE inbox_events SET status = 'done' WHERE id = 'waiting-4242'")
            .execute(t.pool())
            .await
            .unwrap();
        settle(&t).await;
        assert_eq!(event_of(&t, "ringing", 4242).await.0, "done", "{backend:?}");
        assert_eq!(calls_of(&t, 4242).len(), 1, "{backend:?}");
        t.stop().await;
    }
}

#[tokio::test]
async fn an_event_skipped_for_lack_of_an_employee_does_not_hold_its_call() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        // «Ожидание ответа» without the employee it needs: skipped, with its reason.
        post_notification(&t, "ringing", 5151, json!({})).await;
        settle(&t).await;
        assert_eq!(event_of(&t, "ringing", 5151).await, ("done".into(), 1));
        assert!(
            skipped_reasons(&t)
                .await
                .iter()
                .any(|r| r.contains("нет сотрудника")),
            "{backend:?}: {:?}",
            skipped_reasons(&t).await
        );
        // The next event of the call is decided at once, not after the skipped one's hold lapses.
        post_notification(&t, "answered", 5151, json!({"employee_id": 7001})).await;
        settle(&t).await;
        assert_eq!(
            event_of(&t, "answered", 5151).await,
            ("done".into(), 1),
            "{backend:?}"
        );
        assert_eq!(
            calls_of(&t, 5151).len(),
            1,
            "{backend:?}: the card of the talk"
        );
        t.stop().await;
    }
}

/// The call's facts row as the planner left it: whether a card may be in Megaplan unrecorded.
async fn card_unsure(t: &TelephonyApp, call: i64) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT card_unsure FROM call_facts WHERE call_session_id = $1")
            .bind(call)
            .fetch_one(t.pool())
            .await
            .unwrap();
    n
}

#[tokio::test]
async fn a_card_posted_by_an_attempt_that_died_before_recording_it_is_found_not_posted_again() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        // A call's first ringing posts its card at once — no record is claimed before: the
        // pop-up goes out first, the record follows. It is settled once the event ends.
        post_notification(
            &t,
            "ringing",
            6160,
            json!({"employee_id": 7001, "leg_id": 1}),
        )
        .await;
        settle(&t).await;
        assert_eq!(calls_of(&t, 6160).len(), 1, "{backend:?}");
        assert_eq!(card_unsure(&t, 6160).await, 0, "{backend:?}: settled");

        // Call 6161's first ringing posted its card and its worker died before recording it:
        // the card is in Megaplan, the call's first hold lapsed, no record says so.
        t.megaplan_client()
            .create_call_info(&megaplan::CallInfoFields {
                provider_id: Some("6161".into()),
                kind: Some(megaplan::CallType::In),
                state: Some(megaplan::CallState::Calling),
                ..megaplan::CallInfoFields::default()
            })
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO call_facts (account_id, call_session_id, busy_event, busy_until, updated_at, \
             version, card_unsure) VALUES ($1, 6161, 'died', 1, 0, 1, 2)",
        )
        .bind(&t.account_id)
        .execute(t.pool())
        .await
        .unwrap();
        // Its retry (or the next ringing leg) finds that card instead of posting a second one.
        post_notification(
            &t,
            "ringing",
            6161,
            json!({"employee_id": 7001, "leg_id": 2}),
        )
        .await;
        settle(&t).await;
        assert_eq!(calls_of(&t, 6161).len(), 1, "{backend:?}: one card");
        let (how,): (String,) = sqlx::query_as(
            "SELECT status FROM event_trace WHERE action_key = 'callinfo:6161:calling'",
        )
        .fetch_one(t.pool())
        .await
        .unwrap();
        assert_eq!(how, "found in Megaplan", "{backend:?}");
        assert_eq!(card_unsure(&t, 6161).await, 0, "{backend:?}: settled again");
        t.stop().await;
    }
}

/// The Megaplan employee a call's card was addressed to (`toUser` of an inbound card).
fn card_user(t: &TelephonyApp, call: i64) -> Option<String> {
    calls_of(t, call)
        .first()
        .and_then(|c| c["toUser"]["id"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn a_staff_directory_synced_again_reaches_the_next_calls_card() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        let ring = json!({"employee_id": 7001, "leg_id": 1});
        post_notification(&t, "ringing", 6201, ring.clone()).await;
        settle(&t).await;
        assert_eq!(
            card_user(&t, 6201),
            Some(ALEKSEEVA.to_string()),
            "{backend:?}"
        );

        // Extension 201 moves from Алексеева to Борисов in Megaplan's telephony settings, and the
        // settings are synced again: the directory each server keeps must not stay behind.
        let mp = t.megaplan_client();
        for c in mp.call_user_configs().await.unwrap() {
            let moved = match c.employee.id.as_str() {
                id if id == ALEKSEEVA.to_string() => "291",
                id if id == BORISOV.to_string() => "201",
                _ => continue,
            };
            mp.update_call_user_config(&c.id, moved).await.unwrap();
        }
        t.sync_telephony_settings().await;
        post_notification(&t, "ringing", 6202, ring).await;
        settle(&t).await;
        assert_eq!(
            card_user(&t, 6202),
            Some(BORISOV.to_string()),
            "{backend:?}"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn a_call_is_given_back_even_when_the_trace_of_its_event_cannot_be_written() {
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        crate::helpers::refuse_traces(t.pool(), backend, true).await;
        // The ringing's record of the call (its card, the call given back) is written with its
        // end even though its trace is refused: the talk goes on at once, not after the hold
        // lapsed (a minute).
        post_notification(&t, "ringing", 6401, json!({"employee_id": 7001})).await;
        post_notification(&t, "answered", 6401, json!({"employee_id": 7001})).await;
        settle(&t).await;
        assert_eq!(
            event_of(&t, "answered", 6401).await,
            ("done".into(), 1),
            "{backend:?}"
        );
        assert_eq!(calls_of(&t, 6401).len(), 1, "{backend:?}");
        assert_eq!(
            states(&widget_of(&t, 6401)),
            ["calling", "talking"],
            "{backend:?}"
        );
        crate::helpers::refuse_traces(t.pool(), backend, false).await;
        t.stop().await;
    }
}

/// Rows of `table` (`inbox_events`, `call_facts` or `action_records`) that belong to `call`.
async fn rows_of_call(t: &TelephonyApp, table: &str, call: i64) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE call_session_id = $1"
    )))
    .bind(call)
    .fetch_one(t.pool())
    .await
    .unwrap();
    n
}

#[tokio::test]
async fn a_call_is_forgotten_with_its_last_events_after_the_retention_unless_one_can_be_replayed() {
    const TABLES: [&str; 3] = ["inbox_events", "call_facts", "action_records"];
    for backend in BACKENDS {
        let Some(t) = app(backend, settings("first_talked")).await else {
            continue;
        };
        let phone = "79501112233";
        let old = play(&t, CallScript::inbound_answered(phone)).await;
        let failed = play(&t, CallScript::inbound_answered("79501112244")).await;
        let recent = play(&t, CallScript::inbound_answered("79501112255")).await;
        let mut before = Vec::new();
        for call in [old, failed, recent] {
            let rows: Vec<i64> =
                futures::future::join_all(TABLES.map(|table| rows_of_call(&t, table, call))).await;
            assert!(
                rows.iter().all(|&n| n > 0),
                "{backend:?}: call {call} left events, facts and action records: {rows:?}"
            );
            before.push(rows);
        }
        // Two calls a month old; one event of the second failed for good (it can still be replayed).
        let month_ago = uis_megaplan::pipeline::now_ms() - 31 * 86_400_000;
        sqlx::query("UPDATE inbox_events SET received_at = $1 WHERE call_session_id IN ($2, $3)")
            .bind(month_ago)
            .bind(old)
            .bind(failed)
            .execute(t.pool())
            .await
            .unwrap();
        sqlx::query(
            "UPDATE inbox_events SET status = 'failed' WHERE id = \
             (SELECT id FROM inbox_events WHERE call_session_id = $1 ORDER BY received_at, id LIMIT 1)",
        )
        .bind(failed)
        .execute(t.pool())
        .await
        .unwrap();

        uis_megaplan::pipeline::trace::prune(t.pool(), 30)
            .await
            .unwrap();

        for table in TABLES {
            assert_eq!(
                rows_of_call(&t, table, old).await,
                0,
                "{backend:?}: the old call's {table} are forgotten"
            );
        }
        assert_eq!(rows_of_call(&t, "inbox_events", failed).await, 1);
        for (i, table) in TABLES.iter().enumerate().skip(1) {
            assert_eq!(
                rows_of_call(&t, table, failed).await,
                before[1][i],
                "{backend:?}: a call with an event left to replay keeps its {table}"
            );
        }
        for (i, table) in TABLES.iter().enumerate() {
            assert_eq!(
                rows_of_call(&t, table, recent).await,
                before[2][i],
                "{backend:?}: a recent call keeps its {table}"
            );
        }

        // The forgotten caller calls again: the client is found in Megaplan, not made twice.
        let again = play(&t, CallScript::inbound_answered(phone)).await;
        assert_ne!(again, old);
        assert_eq!(
            clients_with_phone(&t, phone).len(),
            1,
            "{backend:?}: {:?}",
            decisions(&t).await
        );
        t.stop().await;
    }
}
