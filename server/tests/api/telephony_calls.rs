//! T11 click-to-call and T15 do-not-disturb: requests as the Megaplan widget sends them (the contract of
//! `telephony::megaplan_contract`), turned into UIS Call API / Data API requests; SQLite and PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::BACKENDS;
use crate::telephony_support::{Mp, TelephonyApp, Ui, VIRTUAL_NUMBER, spawn};

fn staff() -> (Vec<Mp>, Vec<Ui>) {
    (
        vec![
            Mp(
                2001,
                "Алексеева",
                "alekseeva@acme.example",
                "+7 916 100-00-01",
                Some("201"),
            ),
            Mp(
                2002,
                "Борисов",
                "borisov@acme.example",
                "+7 916 100-00-02",
                Some("202"),
            ),
            Mp(
                2003,
                "Васильева",
                "vasilieva@acme.example",
                "+7 916 100-00-03",
                Some("203"),
            ),
        ],
        vec![
            Ui(
                7001,
                "Алексеева",
                "alekseeva@acme.example",
                "201",
                "79160000201",
            ),
            // An employee with a SIP line.
            Ui(
                7002,
                "Борисов",
                "borisov@acme.example",
                "202",
                "sip:borisov@acme.uiscom.ru",
            ),
        ],
    )
}

async fn app(backend: uis_megaplan::testing::TestBackend, settings: Value) -> Option<TelephonyApp> {
    let (mp, ui) = staff();
    let t = spawn(backend, &mp, &ui, settings).await?;
    t.sync_telephony_settings().await;
    Some(t)
}

fn last_started(t: &TelephonyApp) -> Value {
    t.uis
        .started_calls()
        .last()
        .expect("a started call")
        .params
        .clone()
}

#[tokio::test]
async fn click_to_call_starts_a_uis_call_with_the_employee_virtual_number_caller_id_and_external_id()
 {
    for backend in BACKENDS {
        let settings = json!({"click_to_call": {"number": format!("+{VIRTUAL_NUMBER}"), "override_caller_id": true}});
        let Some(t) = app(backend, settings).await else {
            continue;
        };
        let token = t.token();
        let (status, body) = t
            .megaplan_request(
                "call",
                json!({"employee_id": "2001", "phone": "+7 (999) 111-22-33", "external_id": "mp-task-4711"}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(body["external_id"], "mp-task-4711");
        let started = t.uis.started_calls();
        assert_eq!(started.len(), 1);
        assert_eq!(body["call_session_id"], started[0].call_session_id);
        let p = last_started(&t);
        assert_eq!(p["employee"]["id"], 7001, "{p}");
        assert_eq!(p["first_call"], "employee");
        assert_eq!(p["contact"], "79991112233");
        assert_eq!(p["virtual_phone_number"], VIRTUAL_NUMBER);
        assert_eq!(p["external_id"], "mp-task-4711");
        assert_eq!(p["direction"], "out");
        // «Переопределять АОН»: exactly this number.
        assert_eq!(p["virtual_phone_usage_rule"], "fixed");

        // Without an external_id one is made up, and comes back.
        let (status, body) = t
            .megaplan_request(
                "call",
                json!({"employee_id": "2001", "phone": "89991112233"}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let generated = body["external_id"].as_str().unwrap();
        assert!(!generated.is_empty());
        assert_eq!(last_started(&t)["external_id"], generated);
        t.stop().await;
    }
}

#[tokio::test]
async fn click_to_call_without_override_rings_a_sip_line_and_uses_the_number_for_those_without() {
    for backend in BACKENDS {
        let settings = json!({"click_to_call": {"number": format!("+{VIRTUAL_NUMBER}"), "override_caller_id": false}});
        let Some(t) = app(backend, settings).await else {
            continue;
        };
        let token = t.token();
        let (status, body) = t
            .megaplan_request(
                "call",
                json!({"employee_id": "2002", "phone": "+79991112233"}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let p = last_started(&t);
        assert_eq!(p["employee"]["id"], 7002);
        assert_eq!(p["employee"]["phone_number"], "sip:borisov@acme.uiscom.ru");
        assert!(p.get("virtual_phone_usage_rule").is_none(), "{p}");

        let (status, _) = t
            .megaplan_request(
                "call",
                json!({"employee_id": "2001", "phone": "+79991112233"}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200);
        let p = last_started(&t);
        assert_eq!(p["employee"]["id"], 7001);
        assert_eq!(p["virtual_phone_number"], VIRTUAL_NUMBER);
        assert!(p["employee"].get("phone_number").is_none(), "{p}");
        t.stop().await;
    }
}

#[tokio::test]
async fn click_to_call_refuses_clearly() {
    for backend in BACKENDS {
        let Some(t) = app(backend, json!({})).await else {
            continue;
        };
        let token = t.token();
        let ok_body = json!({"employee_id": "2001", "phone": "+79991112233"});
        let cases: Vec<(Value, Option<&str>, u16, &str)> = vec![
            (ok_body.clone(), None, 401, "bad_token"),
            (ok_body.clone(), Some("0123"), 401, "bad_token"),
            (
                json!({"employee_id": "2999", "phone": "+79991112233"}),
                Some(&token),
                404,
                "unknown_employee",
            ),
            (
                json!({"employee_id": "2003", "phone": "+79991112233"}),
                Some(&token),
                409,
                "no_uis_employee",
            ),
            (
                json!({"employee_id": "2001", "phone": "12ab"}),
                Some(&token),
                400,
                "bad_phone",
            ),
            (
                json!({"phone": "+79991112233"}),
                Some(&token),
                400,
                "bad_request",
            ),
            // No «Номер для звонка по клику» in the settings.
            (
                ok_body.clone(),
                Some(&token),
                422,
                "no_click_to_call_number",
            ),
        ];
        for (body, tok, want, code) in cases {
            let (status, answer) = t.megaplan_request("call", body.clone(), tok).await;
            assert_eq!(status, want, "{backend:?} {body}: {answer}");
            assert_eq!(answer["error"], code, "{body}: {answer}");
            assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        assert!(t.uis.started_calls().is_empty());

        // Another account's token does not open this one.
        let other =
            uis_megaplan::telephony::megaplan_contract::token(&t.app.server.state.secret, "other");
        let (status, _) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": true}),
                Some(&other),
            )
            .await;
        assert_eq!(status, 401);

        // The browser's preflight.
        let r = t
            .app
            .http
            .request(
                reqwest::Method::OPTIONS,
                format!(
                    "{}/hooks/megaplan/{}/telephony/call",
                    t.app.server.url(),
                    t.key
                ),
            )
            .header("origin", "https://acme.megaplan.ru")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        t.stop().await;
    }
}

fn status_of(t: &TelephonyApp, id: i64) -> (Option<i64>, Option<String>) {
    let e = t.uis.employees().into_iter().find(|e| e.id == id).unwrap();
    (e.status_id, e.status)
}

#[tokio::test]
async fn dnd_on_and_off_changes_the_uis_employee_status() {
    for backend in BACKENDS {
        let Some(t) = app(backend, json!({})).await else {
            continue;
        };
        let token = t.token();
        let dnd_id = t
            .uis
            .seed()
            .statuses
            .iter()
            .find(|s| s.mnemonic.as_deref() == Some("do_not_disturb"))
            .unwrap()
            .id;
        let (status, body) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": true}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(body["uis_employee_id"], 7001);
        assert_eq!(body["status"], "do_not_disturb");
        let (id, mnemonic) = status_of(&t, 7001);
        assert_eq!(id, Some(dnd_id));
        assert_eq!(mnemonic.as_deref(), Some("do_not_disturb"));
        // The other employee is untouched.
        assert_eq!(status_of(&t, 7002).1.as_deref(), Some("available"));

        let (status, body) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": false}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(status_of(&t, 7001).1.as_deref(), Some("available"));

        let (status, body) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2003", "dnd": true}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"], "no_uis_employee");
        t.stop().await;
    }
}

#[tokio::test]
async fn click_to_call_and_dnd_wait_for_the_integration_to_be_activated() {
    for backend in BACKENDS {
        let settings = json!({"click_to_call": {"number": format!("+{VIRTUAL_NUMBER}")}});
        let Some(t) = app(backend, settings.clone()).await else {
            continue;
        };
        t.set_section(false, settings).await;
        let token = t.token();
        for (action, body) in [
            (
                "call",
                json!({"employee_id": "2001", "phone": "+79991112233"}),
            ),
            ("dnd", json!({"employee_id": "2001", "dnd": true})),
        ] {
            let (status, answer) = t.megaplan_request(action, body, Some(&token)).await;
            assert_eq!(status, 409, "{backend:?} {action}: {answer}");
            assert_eq!(answer["error"], "integration_inactive");
        }
        assert!(t.uis.started_calls().is_empty());
        t.stop().await;
    }
}
