//! T11 click-to-call and T15 do-not-disturb: requests as the Megaplan widget sends them (the contract of
//! `telephony::megaplan_contract`), turned into UIS Call API / Data API requests; SQLite and PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::BACKENDS;
use crate::telephony_settings::form_call;
use crate::telephony_support::{Mp, TelephonyApp, Ui, VIRTUAL_NUMBER, spawn, team};

/// The team with two UIS employees, Борисов on a SIP line.
fn staff() -> (Vec<Mp>, Vec<Ui>) {
    let (mp, mut ui) = team();
    ui.truncate(2);
    ui[1].4 = "sip:borisov@acme.uiscom.ru";
    (mp, ui)
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
async fn the_web_phone_reads_the_uis_status_so_a_change_made_in_uis_reaches_megaplan() {
    for backend in BACKENDS {
        let Some(t) = app(backend, json!({})).await else {
            continue;
        };
        let token = t.token();
        let read = |id: &'static str| t.megaplan_get("dnd", id, Some(&token));

        let (status, body, origin) = read("employee_id=2001").await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        assert_eq!(
            origin.as_deref(),
            Some("*"),
            "the widget reads it from Megaplan's page"
        );
        assert_eq!(body["employee_id"], "2001");
        assert_eq!(body["uis_employee_id"], 7001);
        assert_eq!(
            (&body["dnd"], &body["status"]),
            (&json!(false), &json!("available"))
        );

        // Switched on from Megaplan: read back as on.
        let (status, set) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": true}),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{set}");
        assert_eq!(set["dnd"], true);
        let (_, body, _) = read("employee_id=2001").await;
        assert_eq!(
            (&body["dnd"], &body["status"]),
            (&json!(true), &json!("do_not_disturb"))
        );
        assert_eq!(body["status_id"], set["status_id"]);

        // Changed in UIS itself (its softphone, its admin pages): «Перерыв» is not «Не беспокоить».
        let uis_admin = uis::DataApiClient::new(&t.uis.data_api_url(), t.uis.api_key()).unwrap();
        uis_admin
            .update_employee(&uis::data_api::EmployeeUpdate {
                id: 7001,
                status: Some("break".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        // Each Data API call costs a point of the account's day: the employees' statuses are read
        // once per refresh (1 s in tests, 60 s by default) for every user of the account.
        let reads = || {
            t.uis
                .requests()
                .iter()
                .filter(|m| *m == "get.employees")
                .count()
        };
        let before = reads();
        for id in ["employee_id=2001", "employee_id=2002"] {
            let (status, body, _) = read(id).await;
            assert_eq!(status, 200, "{body}");
        }
        let (_, body, _) = read("employee_id=2001").await;
        assert_eq!(
            body["status"], "do_not_disturb",
            "read within the refresh: kept"
        );
        assert_eq!(reads(), before, "no UIS read within the refresh");
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let (_, body, _) = read("employee_id=2001").await;
        assert_eq!(
            (&body["dnd"], &body["status"]),
            (&json!(false), &json!("break"))
        );
        assert_eq!(reads(), before + 1);
        // The status list is read once, not per request.
        assert_eq!(
            t.uis
                .requests()
                .iter()
                .filter(|m| *m == "get.statuses")
                .count(),
            1
        );

        // Refused clearly.
        let (status, body, _) = t.megaplan_get("dnd", "employee_id=2001", None).await;
        assert_eq!((status, &body["error"]), (401, &json!("bad_token")));
        let (status, body, _) = read("employee=2001").await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("bad_request")),
            "{body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("employee_id"),
            "{body}"
        );
        let (status, body, _) = read("employee_id=2999").await;
        assert_eq!((status, &body["error"]), (404, &json!("unknown_employee")));
        let (status, body, _) = read("employee_id=2003").await;
        assert_eq!((status, &body["error"]), (409, &json!("no_uis_employee")));
        // Deleted in UIS since the last sync: once the statuses are read again, say what to do.
        assert!(t.uis.remove_employee(7002));
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let (status, body, _) = read("employee_id=2002").await;
        assert_eq!(
            (status, &body["error"]),
            (409, &json!("no_uis_employee")),
            "{body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("employee sync"),
            "{body}"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn the_settings_page_gives_the_admin_the_widget_and_the_token_that_opens_this_account_only() {
    for backend in BACKENDS {
        let Some(t) = app(backend, json!({})).await else {
            continue;
        };
        let admin = t.admin().await;
        let overview: app::api::Overview = form_call(&admin, "overview").await;
        let w = overview.webhooks.megaplan_widget;
        let base = t.app.server.url();
        assert_eq!(
            w.call_url,
            format!("{base}/hooks/megaplan/{}/telephony/call", t.key)
        );
        assert_eq!(
            w.dnd_url,
            format!("{base}/hooks/megaplan/{}/telephony/dnd", t.key)
        );
        assert_eq!(w.script_url, format!("{base}/megaplan-telephony-widget.js"));
        assert_eq!(
            w.configuration,
            format!(
                "UisMegaplan.configure({{\n  callUrl: \"{}\",\n  dndUrl: \"{}\",\n  token: \"{}\",\n}});",
                w.call_url, w.dnd_url, w.token
            )
        );
        // The JSON API says the same.
        let api: Value = admin
            .get("/api/telephony/widget")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(api["token"], w.token.as_str());
        assert_eq!(api["configuration"], w.configuration.as_str());

        // The token the admin was given opens this account's widget requests.
        let (status, body) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": true}),
                Some(&w.token),
            )
            .await;
        assert_eq!(status, 200, "{backend:?}: {body}");
        // Another account's page shows another token, which this account refuses.
        let other = uis_megaplan::accounts::service::webhook_urls(
            &url::Url::parse(&base).unwrap(),
            "other-key",
            &uis_megaplan::telephony::megaplan_contract::token(&t.app.server.state.secret, "other"),
        );
        assert_ne!(other.megaplan_widget.token, w.token);
        let (status, _) = t
            .megaplan_request(
                "dnd",
                json!({"employee_id": "2001", "dnd": false}),
                Some(&other.megaplan_widget.token),
            )
            .await;
        assert_eq!(status, 401);
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
        let (status, answer, _) = t
            .megaplan_get("dnd", "employee_id=2001", Some(&token))
            .await;
        assert_eq!(
            (status, &answer["error"]),
            (409, &json!("integration_inactive"))
        );
        assert!(t.uis.started_calls().is_empty());
        t.stop().await;
    }
}
