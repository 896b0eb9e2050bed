//! The event log, replay, health and rule preview server functions (O1–O4), on SQLite and PostgreSQL:
//! filters, bad input per field, and account isolation (one account never sees another's events).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::BACKENDS;
use crate::pipeline_support::notification;
use crate::signed_in::{Session, admin_session, session_of, spawn_app_with};

async fn webhook_key(s: &Session<'_>, account: &str) -> String {
    let (key,): (String,) = sqlx::query_as("SELECT webhook_key FROM accounts WHERE name = $1")
        .bind(account)
        .fetch_one(&s.app.server.state.db.pool)
        .await
        .unwrap();
    key
}

async fn post_hook(s: &Session<'_>, key: &str, kind: &str, body: String) -> u16 {
    s.app
        .http
        .post(s.app.url(&format!("/hooks/uis/{key}/{kind}")))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn call(s: &Session<'_>, function: &str, form: &[(&str, &str)]) -> Value {
    let r = s.post(&format!("/api/{function}"), form).await;
    assert_eq!(r.status(), 200, "{function}");
    r.json().await.unwrap()
}

async fn list(s: &Session<'_>, filter: &[(&str, &str)]) -> Value {
    let keys = [
        "source",
        "event_type",
        "status",
        "phone",
        "call_id",
        "from",
        "to",
    ];
    let names: Vec<String> = keys.iter().map(|k| format!("filter[{k}]")).collect();
    let form: Vec<(&str, &str)> = keys
        .iter()
        .zip(&names)
        .map(|(k, n)| {
            let v = filter.iter().find(|(f, _)| f == k).map_or("", |(_, v)| *v);
            (n.as_str(), v)
        })
        .collect();
    call(s, "list_events", &form).await
}

fn ids(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn error_fields(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits until no event of the server is queued or running.
async fn settle(s: &Session<'_>) {
    for _ in 0..200 {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM inbox_events WHERE status IN ('queued', 'processing', 'retrying')",
        )
        .fetch_one(&s.app.server.state.db.pool)
        .await
        .unwrap();
        if n == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_event_log_filters_shows_rejected_bodies_and_keeps_accounts_apart() {
    for backend in BACKENDS {
        let Some(app) = spawn_app_with(backend, |_| {}).await else {
            continue;
        };
        let acme = admin_session(&app).await;
        let other = session_of(&app, "other", "admin", "another long password").await;
        let acme_key = webhook_key(&acme, "acme").await;
        let other_key = webhook_key(&other, "other").await;

        for (call_id, phone) in [(101, "79501000001"), (102, "79501000002")] {
            for kind in ["lost", "call_finished"] {
                let body = notification(kind, call_id, phone).to_string();
                assert_eq!(post_hook(&acme, &acme_key, kind, body).await, 200);
            }
        }
        let body = notification("lost", 201, "79501000009").to_string();
        assert_eq!(post_hook(&other, &other_key, "lost", body).await, 200);
        assert_eq!(
            post_hook(&acme, &acme_key, "lost", "{not json".into()).await,
            400
        );
        settle(&acme).await;

        let all = list(&acme, &[]).await;
        assert_eq!(ids(&all).len(), 4, "{all}");
        assert_eq!(all["time_zone"], "Europe/Moscow");
        let rejected = all["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0]["body"], "{not json");

        // By phone (any spelling), call id, type, source and status.
        let by_phone = list(&acme, &[("phone", "+7 950 100-00-02")]).await;
        assert_eq!(ids(&by_phone).len(), 2, "{by_phone}");
        assert!(
            by_phone["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["phone"] == "79501000002" && e["call_id"] == "102")
        );
        assert_eq!(ids(&list(&acme, &[("call_id", "101")]).await).len(), 2);
        let lost = list(&acme, &[("event_type", "lost")]).await;
        assert_eq!(ids(&lost).len(), 2);
        assert_eq!(ids(&list(&acme, &[("source", "megaplan")]).await).len(), 0);
        let status = all["events"][0]["status"].as_str().unwrap().to_owned();
        let same = list(&acme, &[("status", &status)]).await;
        assert!(
            same["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["status"] == status.as_str())
        );
        let only_rejected = list(&acme, &[("status", "rejected")]).await;
        assert_eq!(ids(&only_rejected).len(), 0);
        assert_eq!(only_rejected["rejected"].as_array().unwrap().len(), 1);

        // Time: a range around now finds them, one in the past does not.
        let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Moscow);
        let fmt = |d: chrono::DateTime<chrono_tz::Tz>| d.format("%Y-%m-%dT%H:%M").to_string();
        let from = fmt(now - chrono::Duration::hours(1));
        let to = fmt(now + chrono::Duration::hours(1));
        assert_eq!(
            ids(&list(&acme, &[("from", &from), ("to", &to)]).await).len(),
            4
        );
        assert_eq!(
            ids(&list(&acme, &[("to", "2020-01-01T00:00")]).await).len(),
            0
        );

        // Bad input: a message per field, nothing listed.
        let bad = list(
            &acme,
            &[
                ("phone", "not a phone"),
                ("call_id", "x"),
                ("from", "yesterday"),
            ],
        )
        .await;
        assert_eq!(
            error_fields(&bad),
            vec![
                ("phone".into(), "BadPhone".into()),
                ("call_id".into(), "BadNumber".into()),
                ("from".into(), "BadTime".into()),
            ]
        );
        assert_eq!(ids(&bad).len(), 0);
        let reversed = list(&acme, &[("from", &to), ("to", &from)]).await;
        assert_eq!(
            error_fields(&reversed),
            vec![("to".into(), "RangeReversed".into())]
        );

        // Isolation: the other account sees only its own event, and cannot open or replay acme's.
        let theirs = list(&other, &[]).await;
        assert_eq!(ids(&theirs).len(), 1);
        assert!(theirs["rejected"].as_array().unwrap().is_empty());
        let acme_event = ids(&all)[0].clone();
        assert_eq!(
            call(&other, "event_detail", &[("id", &acme_event)]).await,
            Value::Null
        );
        assert_eq!(
            call(&other, "replay_event", &[("id", &acme_event)]).await,
            json!(false)
        );
        let mine = call(&acme, "event_detail", &[("id", &acme_event)]).await;
        assert_eq!(mine["row"]["id"], acme_event.as_str());
        assert!(!mine["steps"].as_array().unwrap().is_empty(), "{mine}");
        assert!(mine["body"].as_str().unwrap().contains("call_session_id"));

        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn replay_of_a_range_reconcile_health_and_preview() {
    for backend in BACKENDS {
        let Some(app) = spawn_app_with(backend, |_| {}).await else {
            continue;
        };
        let acme = admin_session(&app).await;
        let other = session_of(&app, "other", "admin", "another long password").await;
        let key = webhook_key(&acme, "acme").await;
        let body = notification("call_finished", 301, "79501000003").to_string();
        assert_eq!(post_hook(&acme, &key, "call_finished", body).await, 200);
        settle(&acme).await;
        // As if Megaplan had refused it for good.
        sqlx::query("UPDATE inbox_events SET status = 'failed', last_error = 'Megaplan: 400'")
            .execute(&app.server.state.db.pool)
            .await
            .unwrap();
        let failed = list(&acme, &[("status", "failed")]).await;
        assert_eq!(ids(&failed).len(), 1, "{failed}");

        // Replay of a range: reversed and missing ends are refused per field.
        let r = call(
            &acme,
            "replay_failed",
            &[("from", "2026-11-24T10:00"), ("to", "2026-11-24T09:00")],
        )
        .await;
        assert_eq!(
            error_fields(&r),
            vec![("to".into(), "RangeReversed".into())]
        );
        let r = call(&acme, "replay_failed", &[("from", ""), ("to", "")]).await;
        assert_eq!(
            error_fields(&r),
            vec![
                ("from".into(), "Required".into()),
                ("to".into(), "Required".into())
            ]
        );
        // The other account replays nothing of acme's.
        let wide = [("from", "2000-01-01T00:00"), ("to", "2100-01-01T00:00")];
        let r = call(&other, "replay_failed", &wide).await;
        assert_eq!(r["queued"], 0);
        let r = call(&acme, "replay_failed", &wide).await;
        assert_eq!(r["queued"], 1, "{r}");
        settle(&acme).await;
        let detail = call(&acme, "event_detail", &[("id", &ids(&failed)[0])]).await;
        assert!(
            detail["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["step"] == "replay"),
            "{detail}"
        );

        // Reconciliation: at most 360 days at a time; without UIS access it says what to do.
        let r = call(&acme, "reconcile_calls", &wide).await;
        assert_eq!(
            error_fields(&r),
            vec![("to".into(), "InvalidSetting".into())]
        );
        let day = [("from", "2026-11-24T00:00"), ("to", "2026-11-25T00:00")];
        let r = call(&acme, "reconcile_calls", &day).await;
        assert!(r["failure"].as_str().unwrap().contains("UIS"), "{r}");

        let h = call(&acme, "health", &[]).await;
        assert_eq!(h["megaplan"], "none");
        assert_eq!(h["uis"], "none");
        assert_eq!(h["last_events"][0]["source"], "uis");
        assert!(h["failures_last_hour"].as_i64().unwrap() >= 0, "{h}");
        let h = call(&other, "health", &[]).await;
        assert!(h["last_events"].as_array().unwrap().is_empty());
        assert_eq!(h["failures_last_hour"], 0);

        // Preview: with the telephony section off, nothing happens and it says why.
        let form = [
            ("direction", "in"),
            ("outcome", "missed"),
            ("phone", "+7 999 111-22-33"),
            ("virtual_number", ""),
            ("employee", ""),
        ];
        let p = call(&acme, "preview_rules", &form).await;
        assert_eq!(p["telephony_active"], false);
        let last = p["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["event"], "Завершение звонка");
        assert_eq!(last["skipped"], "Интеграция не активна");
        let bad = call(
            &acme,
            "preview_rules",
            &[
                ("direction", "in"),
                ("outcome", "missed"),
                ("phone", "12"),
                ("virtual_number", "x"),
                ("employee", "-1"),
            ],
        )
        .await;
        assert_eq!(
            error_fields(&bad),
            vec![
                ("phone".into(), "BadPhone".into()),
                ("virtual_number".into(), "BadPhone".into()),
                ("employee".into(), "BadNumber".into()),
            ]
        );

        // The demo panel without the emulators: switched off, placing a call is an error.
        let d = call(&acme, "demo_state", &[]).await;
        assert_eq!(d["enabled"], false);

        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn preview_follows_the_saved_telephony_settings() {
    let Some(app) = spawn_app_with(uis_megaplan::testing::TestBackend::Sqlite, |_| {}).await else {
        return;
    };
    let acme = admin_session(&app).await;
    let (account_id,): (String,) = sqlx::query_as("SELECT id FROM accounts WHERE name = 'acme'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    let settings = uis_megaplan::demo::demo_telephony_settings("1000001").to_string();
    sqlx::query(
        "INSERT INTO account_settings (account_id, section, active, settings, updated_at) VALUES ($1, 'telephony', 1, $2, 0)",
    )
    .bind(&account_id)
    .bind(&settings)
    .execute(&app.server.state.db.pool)
    .await
    .unwrap();
    let p = call(
        &acme,
        "preview_rules",
        &[
            ("direction", "in"),
            ("outcome", "missed"),
            ("phone", "+7 999 111-22-33"),
            ("virtual_number", ""),
            ("employee", ""),
        ],
    )
    .await;
    assert_eq!(p["telephony_active"], true);
    let last = p["steps"].as_array().unwrap().last().unwrap().clone();
    let actions = last["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a.as_str().unwrap().contains("\"action\":\"create_todo\"")),
        "{p}"
    );
    app.server.shutdown().await.unwrap();
}

/// Demo mode (`uis-megaplan demo` = the e2e emulators): the demo account is connected and active, a call
/// placed from the panel reaches the emulated Megaplan, and the printed sign-in link works exactly once.
#[tokio::test]
async fn demo_mode_places_a_call_into_the_emulated_megaplan_and_signs_in_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app_with(backend, |a| a.e2e = true).await else {
            continue;
        };
        let demo = app.server.settings.demo.clone().expect("demo mode");
        let base = url::Url::parse(&app.server.url()).unwrap();

        // The one-time link: signs in and opens the demo panel, then never again.
        let link = demo.sign_in_link(&base);
        let r = app.http.get(&link).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/demo");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(app.http.get(&link).send().await.unwrap().status(), 403);
        let wrong = format!("{}_e2e/demo-sign-in?token=nope", base);
        assert_eq!(app.http.get(&wrong).send().await.unwrap().status(), 403);
        let s = Session {
            app: &app,
            cookie: Some(cookie),
        };

        let h = call(&s, "health", &[]).await;
        assert_eq!(h["megaplan"], "working", "{h}");
        assert_eq!(h["uis"], "saved");
        let p = call(
            &s,
            "preview_rules",
            &[
                ("direction", "in"),
                ("outcome", "missed"),
                ("phone", "+7 999 111-22-33"),
                ("virtual_number", ""),
                ("employee", ""),
            ],
        )
        .await;
        assert_eq!(p["telephony_active"], true, "{p}");

        let bad = call(
            &s,
            "demo_place",
            &[("kind", "inbound_lost"), ("phone", "x")],
        )
        .await;
        assert_eq!(
            error_fields(&bad),
            vec![("phone".into(), "BadPhone".into())]
        );
        let placed = call(
            &s,
            "demo_place",
            &[("kind", "inbound_lost"), ("phone", "+7 999 777-66-55")],
        )
        .await;
        assert!(placed["notifications"].as_u64().unwrap() > 0, "{placed}");
        let mut todo = false;
        let mut d = Value::Null;
        for _ in 0..400 {
            d = call(&s, "demo_state", &[]).await;
            if d["todos"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["text"].as_str().unwrap().contains("777-66-55"))
            {
                todo = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = list(&s, &[]).await;
        assert!(
            todo,
            "the lost call's todo reaches the emulated Megaplan: {d}\n{log}"
        );
        let log = list(&s, &[("phone", "79997776655")]).await;
        assert!(ids(&log).len() >= 2, "{log}");

        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn without_e2e_there_is_no_demo_sign_in_and_no_demo_panel() {
    let Some(app) = spawn_app_with(uis_megaplan::testing::TestBackend::Sqlite, |_| {}).await else {
        return;
    };
    let r = app
        .http
        .get(app.url("/_e2e/demo-sign-in?token=x"))
        .send()
        .await
        .unwrap();
    // The guard sends it to the sign-in page like any unknown path without a session.
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in");
    assert!(r.headers().get("set-cookie").is_none());
    let acme = admin_session(&app).await;
    assert_eq!(call(&acme, "demo_state", &[]).await["enabled"], false);
    let r = acme
        .post(
            "/api/demo_place",
            &[("kind", "inbound_lost"), ("phone", "+79997776655")],
        )
        .await;
    assert_ne!(r.status(), 200);
    app.server.shutdown().await.unwrap();
}
