//! Issue 6: nothing accepted is lost, nothing is created twice, every step is visible.

use std::time::Duration;

use std::sync::Arc;

use futures::future::BoxFuture;
use uis_megaplan::pipeline::ingress::InboxRow;
use uis_megaplan::pipeline::interim_rules::{
    Arg, AtCommit, InterimRules, Plan, PlanInput, Planner,
};

use crate::helpers::BACKENDS;
use crate::pipeline_support::*;
use uis_megaplan::testing::{TestBackend, TestDb};

/// `n` calls, every third sharing the phone of the one before (two events of one new caller).
fn calls(first: i64, n: u32) -> Vec<(i64, String)> {
    (0..n)
        .map(|i| (first + i64::from(i), phone(i - i % 3 / 2)))
        .collect()
}

async fn send_calls(app_url: &str, http: &reqwest::Client, calls: &[(i64, String)]) {
    for (call, phone) in calls {
        for kind in ["lost", "call_finished"] {
            let s = post_uis(http, app_url, kind, &notification(kind, *call, phone)).await;
            assert_eq!(s, 200, "{kind} of call {call}");
        }
    }
}

#[tokio::test]
async fn a_lost_call_becomes_one_client_one_todo_one_call_with_a_trace() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let calls = calls(5000, 1);
        send_calls(&app.server.url(), &app.http, &calls).await;
        let pool = &app.server.state.db.pool;
        wait_done(pool, 2, Duration::from_secs(20)).await;
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        let actions = count(
            pool,
            "SELECT COUNT(*) FROM event_trace WHERE step = 'action'",
        )
        .await;
        assert_eq!(actions, 4, "{backend:?}: ensure client ×2, todo, call");
        let decisions = count(
            pool,
            "SELECT COUNT(*) FROM event_trace WHERE step = 'decision'",
        )
        .await;
        assert_eq!(decisions, 2);
        let log = uis_megaplan::pipeline::trace::events(pool, ACCOUNT, 0, i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
        let lost = log.iter().find(|e| e.event_type == "lost").unwrap();
        let one = uis_megaplan::pipeline::trace::event(pool, ACCOUNT, &lost.id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            one.body.contains("\"call_session_id\":5000"),
            "{}",
            one.body
        );
        assert_eq!(one.status, "done");
        let steps: Vec<&str> = one.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(steps, ["decision", "action", "action", "done"]);
        let todo = &one.steps[2];
        assert_eq!(todo.status.as_deref(), Some("created"));
        assert!(
            todo.created_ids
                .as_deref()
                .is_some_and(|i| i.starts_with("Todo:"))
        );
        assert!(todo.duration_ms.is_some());
        // What `/metrics` renders (the route sits behind the settings' session guard for now).
        let metrics = app.server.pipeline.metrics_text().await;
        assert!(
            metrics.contains("uis_megaplan_events_received_total"),
            "{metrics}"
        );
        assert!(metrics.contains("uis_megaplan_events_processed_total"));
        assert!(metrics.contains("uis_megaplan_action_duration_seconds"));
        assert!(metrics.contains("uis_megaplan_queue_depth"));
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn the_same_notification_twice_and_out_of_order_ends_as_one_clean_delivery() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let url = app.server.url();
        let calls = calls(6000, 3);
        // Finished before lost, each twice, the whole sequence twice.
        for _ in 0..2 {
            for (call, phone) in calls.iter().rev() {
                for kind in ["call_finished", "lost", "call_finished", "lost"] {
                    let s =
                        post_uis(&app.http, &url, kind, &notification(kind, *call, phone)).await;
                    assert_eq!(s, 200);
                }
            }
        }
        let pool = &app.server.state.db.pool;
        wait_done(pool, 6, Duration::from_secs(20)).await;
        assert_eq!(
            count(pool, "SELECT COUNT(*) FROM inbox_events").await,
            6,
            "duplicates not stored"
        );
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn bad_inputs_are_refused_and_leave_nothing_half_written() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let url = app.server.url();
        let http = &app.http;
        let body = notification("lost", 1, &phone(1));
        // Wrong key and unknown event path: 404 without detail.
        let r = http
            .post(format!("{url}/hooks/uis/no-such-key/lost"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = http
            .post(format!("{url}/hooks/uis/{KEY}/no_such_event"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = http
            .post(format!("{url}/hooks/megaplan/no-such-key/events"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        // Malformed JSON: cut before UIS's call_session_id (the lenient parser keeps what it can
        // read, unrendered placeholders included, and refuses only what has no id); Megaplan: no JSON.
        let r = http
            .post(format!("{url}/hooks/uis/{KEY}/lost"))
            .header("content-type", "application/json")
            .body("{\"contact_phone_number\": \"79501000001\", \"call_session_id\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("call_session_id"));
        let r = http
            .post(format!("{url}/hooks/megaplan/{KEY}/events"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("not JSON"));
        // 2 MB body.
        let big = format!(
            "{{\"call_session_id\": 1, \"x\": \"{}\"}}",
            "a".repeat(2 * 1024 * 1024)
        );
        let r = http
            .post(format!("{url}/hooks/uis/{KEY}/lost"))
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);

        let pool = &app.server.state.db.pool;
        assert_eq!(count(pool, "SELECT COUNT(*) FROM inbox_events").await, 0);
        assert_eq!(count(pool, "SELECT COUNT(*) FROM rejected_events").await, 2);
        let jobs = match backend {
            TestBackend::Sqlite => {
                "SELECT COUNT(*) FROM Jobs WHERE job_type = 'uis_megaplan.events'"
            }
            TestBackend::Postgres => {
                "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = 'uis_megaplan.events'"
            }
        };
        assert_eq!(count(pool, jobs).await, 0, "{backend:?}: no job enqueued");
        // A good event still goes through afterwards: straight to this server's worker, claimed
        // by the commit, so without a queue job.
        assert_eq!(post_uis(http, &url, "lost", &body).await, 200);
        assert_eq!(
            count(
                pool,
                "SELECT COUNT(*) FROM inbox_events WHERE status IN ('processing', 'done')"
            )
            .await,
            1
        );
        assert_eq!(count(pool, jobs).await, 0);
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_server_killed_mid_batch_leaves_every_event_processed_exactly_once_after_restart() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        // Slow answers keep many actions in flight when the server dies.
        app.emu
            .state()
            .faults()
            .set_slow(0.5, Duration::from_millis(150));
        let calls = calls(7000, 24);
        send_calls(&app.server.url(), &app.http, &calls).await;
        let pool = app.server.state.db.pool.clone();
        let total = 2 * calls.len() as i64;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while count(
            &pool,
            "SELECT COUNT(*) FROM inbox_events WHERE status = 'done'",
        )
        .await
            < 6
        {
            assert!(std::time::Instant::now() < deadline, "no progress");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let PipelineApp {
            server, emu, db, ..
        } = app;
        server.kill();
        let done = count(
            &pool,
            "SELECT COUNT(*) FROM inbox_events WHERE status = 'done'",
        )
        .await;
        assert!(
            done < total,
            "{backend:?}: killed before the end ({done} of {total})"
        );

        let (server, _) = start_server(&db, &emu, test_config()).await;
        wait_done(&server.state.db.pool, total, Duration::from_secs(60)).await;
        assert_exactly_once(&emu, &calls, &format!("{backend:?} after restart"));
        server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn megaplan_failing_a_third_of_requests_still_gets_every_event_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let faults = app.emu.state().faults();
        faults.set_error_probability(0.13, 503);
        faults.set_rate_limit_probability(0.1);
        faults.set_retry_after(1);
        // Longer than the test client's 700 ms timeout: Megaplan may have done it, we never hear.
        faults.set_slow(0.1, Duration::from_millis(1200));
        let calls = calls(8000, 12);
        send_calls(&app.server.url(), &app.http, &calls).await;
        let pool = &app.server.state.db.pool;
        wait_done(pool, 2 * calls.len() as i64, Duration::from_secs(90)).await;
        faults.clear();
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        let retries = count(
            pool,
            "SELECT COUNT(*) FROM event_trace WHERE step = 'retry'",
        )
        .await;
        assert!(retries > 0, "{backend:?}: faults caused retries");
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn two_servers_on_one_postgres_never_process_an_event_twice() {
    let Some(db) = TestDb::new(TestBackend::Postgres).await else {
        return;
    };
    let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
    // Every event through the shared queue (no hand-off to the server that accepted it), so the
    // two workers compete for the same jobs.
    let config = uis_megaplan::pipeline::PipelineConfig {
        handoff: 0,
        ..test_config()
    };
    let (a, _) = start_server(&db, &emu, config.clone()).await;
    let (b, _) = start_server(&db, &emu, config).await;
    let http = reqwest::Client::new();
    let calls = calls(9000, 20);
    for (i, chunk) in calls.chunks(5).enumerate() {
        let url = if i % 2 == 0 { a.url() } else { b.url() };
        send_calls(&url, &http, chunk).await;
    }
    let pool = a.state.db.pool.clone();
    wait_done(&pool, 2 * calls.len() as i64, Duration::from_secs(60)).await;
    assert_exactly_once(&emu, &calls, "two servers");
    let twice = count(
        &pool,
        "SELECT COUNT(*) FROM (SELECT event_id FROM event_trace WHERE step = 'decision' \
         GROUP BY event_id HAVING COUNT(*) > 1) t",
    )
    .await;
    assert_eq!(twice, 0, "an event was decided twice");
    let workers = count(
        &pool,
        "SELECT COUNT(DISTINCT lock_by) FROM apalis.jobs WHERE lock_by IS NOT NULL",
    )
    .await;
    assert!(workers >= 1);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_permanent_failure_stops_with_its_reason_and_replay_finishes_it() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        // 403 on every request: permanent, no retry.
        app.emu.state().faults().fail_next(1000, 403);
        let calls = calls(9500, 1);
        send_calls(&app.server.url(), &app.http, &calls).await;
        let pool = &app.server.state.db.pool;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while count(
            pool,
            "SELECT COUNT(*) FROM inbox_events WHERE status = 'failed'",
        )
        .await
            < 2
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{backend:?}: events did not fail"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (why,): (String,) =
            sqlx::query_as("SELECT last_error FROM inbox_events WHERE status = 'failed' LIMIT 1")
                .fetch_one(pool)
                .await
                .unwrap();
        assert!(!why.is_empty());
        assert_eq!(
            count(
                pool,
                "SELECT COUNT(*) FROM event_trace WHERE step = 'retry'"
            )
            .await,
            0
        );

        app.emu.state().faults().clear();
        let replayed = app
            .server
            .pipeline
            .replay_failed(ACCOUNT, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(replayed, 2);
        wait_done(pool, 2, Duration::from_secs(20)).await;
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?} after replay"));
        app.server.shutdown().await.unwrap();
    }
}

/// A server whose worker reads the account's Megaplan credential from the settings (no test
/// table): the set `cred-1`, selected, with `password`.
async fn server_with_selected_credential(
    db: &TestDb,
    emu: &megaplan::emulator::Emulator,
    password: &str,
) -> uis_megaplan::RunningServer {
    let mut args =
        uis_megaplan::config::ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    // As when the set was added on the settings page: its domain passed the allow-list.
    args.megaplan_allow_hosts = vec![emu.local_addr().to_string()];
    let parts = uis_megaplan::pipeline::PipelineParts {
        config: test_config(),
        planner: std::sync::Arc::new(uis_megaplan::pipeline::interim_rules::InterimRules),
        ..Default::default()
    };
    let server = uis_megaplan::start_with(&args, parts).await.unwrap();
    let pool = &server.state.db.pool;
    insert_account(pool, ACCOUNT, KEY).await;
    let cipher = uis_megaplan::accounts::cipher::Cipher::new(&server.state.secret);
    let sealed = cipher.seal("megaplan_password:cred-1", password).unwrap();
    sqlx::query(
        "INSERT INTO megaplan_credentials (id, account_id, name, login, domain, password_enc, status, checked_at, created_at) \
         VALUES ('cred-1', $1, 'main', $2, $3, $4, 'working', 0, 0)",
    )
    .bind(ACCOUNT)
    .bind(&emu.seed().login)
    .bind(emu.base_url().as_str().trim_end_matches('/'))
    .bind(sealed)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO account_megaplan (account_id, credential_id, selected_at) VALUES ($1, 'cred-1', 0)")
        .bind(ACCOUNT)
        .execute(pool)
        .await
        .unwrap();
    server
}

#[tokio::test]
async fn without_a_test_connection_the_worker_uses_the_credential_selected_in_settings() {
    let db = TestDb::sqlite();
    let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
    let server = server_with_selected_credential(&db, &emu, &emu.seed().password).await;
    let pool = &server.state.db.pool;
    let calls = calls(9700, 1);
    send_calls(&server.url(), &reqwest::Client::new(), &calls).await;
    wait_done(pool, 2, Duration::from_secs(20)).await;
    assert_exactly_once(&emu, &calls, "settings credential");
    server.shutdown().await.unwrap();
}

/// Waits until `n` inbox events have failed.
async fn wait_failed(pool: &sqlx::AnyPool, n: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count(
        pool,
        "SELECT COUNT(*) FROM inbox_events WHERE status = 'failed'",
    )
    .await
        < n
    {
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} events failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `working` or `broken`: the status of the selected set `cred-1`.
async fn credential_status(pool: &sqlx::AnyPool) -> String {
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM megaplan_credentials WHERE id = 'cred-1'")
            .fetch_one(pool)
            .await
            .unwrap();
    status
}

#[tokio::test]
async fn credentials_megaplan_refuses_are_marked_broken_and_never_tried_again() {
    let db = TestDb::sqlite();
    let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
    let server = server_with_selected_credential(&db, &emu, "a password changed in Megaplan").await;
    let pool = &server.state.db.pool;
    let http = reqwest::Client::new();
    send_calls(&server.url(), &http, &calls(9800, 2)).await;
    wait_failed(pool, 4).await;
    // A2: visible as broken on the settings and health pages, with Megaplan's reason on the events.
    assert_eq!(credential_status(pool).await, "broken");
    let reasons: Vec<(String,)> =
        sqlx::query_as("SELECT last_error FROM inbox_events WHERE status = 'failed'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(
        reasons
            .iter()
            .all(|(r,)| r.contains("fix it on the settings page")),
        "{reasons:?}"
    );
    let refused = emu.state().refused_logins();
    assert!(refused >= 1);
    // Later events fail at once with the same advice: no more logins Megaplan could lock us out for.
    send_calls(&server.url(), &http, &calls(9810, 2)).await;
    wait_failed(pool, 8).await;
    assert_eq!(
        emu.state().refused_logins(),
        refused,
        "a broken set was tried again"
    );
    assert!(emu.state().todos().is_empty(), "nothing reached Megaplan");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_new_password_makes_a_refused_set_work_again_and_runs_what_megaplan_refused() {
    use app::api::{ErrorCode, FormOutcome};
    for backend in BACKENDS {
        let Some(db) = TestDb::new(backend).await else {
            continue;
        };
        let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
        let server =
            server_with_selected_credential(&db, &emu, "the password before Megaplan's change")
                .await;
        let http = reqwest::Client::new();
        let refused = calls(9900, 2);
        send_calls(&server.url(), &http, &refused).await;
        wait_failed(&server.state.db.pool, 4).await;
        // One more call after the set was marked broken: failed at once, from what the server keeps.
        let after_break = calls(9905, 1);
        send_calls(&server.url(), &http, &after_break).await;
        wait_failed(&server.state.db.pool, 6).await;
        let app = crate::helpers::TestApp::new(server, db);
        let pool = &app.server.state.db.pool;
        assert_eq!(credential_status(pool).await, "broken", "{backend:?}");
        let session = crate::signed_in::session_of(
            &app,
            &format!("account {ACCOUNT}"),
            "admin",
            "correct horse battery",
        )
        .await;

        // A password Megaplan refuses too: its words on the field, and nothing changes.
        let refused_before = emu.state().refused_logins();
        let outcome = session
            .submit(
                "renew_megaplan_credentials",
                &[("id", "cred-1"), ("password", "still not it")],
            )
            .await;
        assert_eq!(outcome.errors()[0].field, "password", "{backend:?}");
        assert_eq!(outcome.errors()[0].code, ErrorCode::MegaplanRejected);
        assert_eq!(emu.state().refused_logins(), refused_before + 1);
        assert_eq!(credential_status(pool).await, "broken");
        // Empty, or a set that is not this account's: refused before Megaplan is asked.
        let outcome = session
            .submit(
                "renew_megaplan_credentials",
                &[("id", "cred-1"), ("password", "")],
            )
            .await;
        assert_eq!(outcome.errors()[0].code, ErrorCode::Required);
        let outcome = session
            .submit(
                "renew_megaplan_credentials",
                &[
                    ("id", "cred-of-another-account"),
                    ("password", &emu.seed().password),
                ],
            )
            .await;
        assert_eq!(outcome.errors()[0].code, ErrorCode::UnknownCredentials);
        assert_eq!(emu.state().refused_logins(), refused_before + 1);
        wait_failed(pool, 6).await;
        assert!(
            emu.state().todos().is_empty(),
            "nothing reached Megaplan yet"
        );

        // Megaplan's new password: the set works again, sealed, and the six refused events run.
        let outcome = session
            .submit(
                "renew_megaplan_credentials",
                &[("id", "cred-1"), ("password", &emu.seed().password)],
            )
            .await;
        assert_eq!(outcome, FormOutcome::Saved, "{backend:?}");
        // An attempt that read the broken set just before the renewal ends after its replay: a
        // copy of a refused event, failed now, must still be queued again (the second pass).
        sqlx::query(
            "INSERT INTO inbox_events (id, account_id, source, event_type, dedupe_key, content_type, \
             query, body, received_at, status, attempts, last_error, call_session_id) \
             SELECT 'late-attempt', account_id, source, event_type, dedupe_key || '-late', \
             content_type, query, body, received_at, 'failed', 1, $1, call_session_id \
             FROM inbox_events WHERE id = (SELECT MIN(id) FROM inbox_events)",
        )
        .bind(format!(
            "{} «main» earlier: fix it on the settings page",
            uis_megaplan::pipeline::connections::REFUSED
        ))
        .execute(pool)
        .await
        .unwrap();
        assert_eq!(credential_status(pool).await, "working");
        let (sealed,): (String,) =
            sqlx::query_as("SELECT password_enc FROM megaplan_credentials WHERE id = 'cred-1'")
                .fetch_one(pool)
                .await
                .unwrap();
        assert!(!sealed.contains(&emu.seed().password));
        wait_done(pool, 7, Duration::from_secs(20)).await;
        for (what, calls) in [("refused", &refused), ("after the break", &after_break)] {
            assert_exactly_once(
                &emu,
                calls,
                &format!("{backend:?} {what}, after the new password"),
            );
        }
        // New calls go straight through.
        let later = calls(9910, 1);
        send_calls(&app.server.url(), &http, &later).await;
        wait_done(pool, 9, Duration::from_secs(20)).await;
        assert_exactly_once(&emu, &later, &format!("{backend:?} a later call"));
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_refusal_of_a_password_renewed_meanwhile_never_marks_the_renewed_set_broken() {
    use uis_megaplan::pipeline::connections::{DbConnections, MegaplanConnections};
    for backend in BACKENDS {
        let Some(db) = TestDb::new(backend).await else {
            continue;
        };
        let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
        let server = server_with_selected_credential(&db, &emu, "the password before").await;
        let pool = &server.state.db.pool;
        let connections = DbConnections::new(pool.clone(), &server.state.secret);
        let read = connections.connection(ACCOUNT).await.unwrap().unwrap();
        // The settings page renews the set while an attempt still holds what it read.
        let cipher = uis_megaplan::accounts::cipher::Cipher::new(&server.state.secret);
        sqlx::query("UPDATE megaplan_credentials SET password_enc = $1 WHERE id = 'cred-1'")
            .bind(
                cipher
                    .seal("megaplan_password:cred-1", "the password after")
                    .unwrap(),
            )
            .execute(pool)
            .await
            .unwrap();
        assert!(
            !connections
                .mark_broken(ACCOUNT, read.sealed.as_deref())
                .await,
            "{backend:?}: the old password's refusal marked the renewed set"
        );
        assert_eq!(credential_status(pool).await, "working");
        let now = connections.connection(ACCOUNT).await.unwrap().unwrap();
        assert_eq!(
            now.password, "the password after",
            "{backend:?}: read again"
        );
        // Refused as it is stored now: broken.
        assert!(
            connections
                .mark_broken(ACCOUNT, now.sealed.as_deref())
                .await
        );
        assert_eq!(credential_status(pool).await, "broken", "{backend:?}");
        server.shutdown().await.unwrap();
    }
}

/// Waits until nothing in the inbox is waiting or running.
async fn wait_settled(pool: &sqlx::AnyPool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let open = count(
            pool,
            "SELECT COUNT(*) FROM inbox_events WHERE status IN ('queued', 'processing', 'retrying')",
        )
        .await;
        if open == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} events still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn reconciliation_processes_the_calls_uis_never_notified() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let hooks: url::Url = format!("{}/hooks/uis/{KEY}", app.server.url())
            .parse()
            .unwrap();
        let uis = uis::emulator::Emulator::start(uis::emulator::EmulatorConfig {
            notify_base: Some(hooks),
            ..Default::default()
        })
        .unwrap();
        let notified = uis
            .simulate(uis::emulator::CallScript::inbound_lost(
                "79501110001",
                vec![],
            ))
            .await;
        uis.set_notify_base(None);
        let missed = uis
            .simulate(uis::emulator::CallScript::inbound_lost(
                "79501110002",
                vec![],
            ))
            .await;
        let pool = &app.server.state.db.pool;
        wait_settled(pool).await;
        assert_eq!(todos_of_call(&app.emu, missed.call_session_id), 0);

        let data_api = uis::DataApiClient::new(&uis.data_api_url(), uis.api_key()).unwrap();
        let now = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Moscow)
            .naive_local();
        let (from, till) = (
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(1),
        );
        let r = app
            .server
            .pipeline
            .reconcile_calls(ACCOUNT, &data_api, from, till)
            .await
            .unwrap();
        assert_eq!(r.calls, 2, "{backend:?}");
        assert_eq!(
            r.enqueued, 2,
            "{backend:?}: call_finished and lost of the missed call"
        );
        wait_settled(pool).await;
        let again = app
            .server
            .pipeline
            .reconcile_calls(ACCOUNT, &data_api, from, till)
            .await
            .unwrap();
        assert_eq!(again.enqueued, 0, "a second run finds nothing new");
        let calls = [
            (notified.call_session_id, "79501110001".to_owned()),
            (missed.call_session_id, "79501110002".to_owned()),
        ];
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        uis.shutdown().await;
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn megaplan_events_are_kept_once_per_uuid_and_marked_processed() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let url = format!("{}/hooks/megaplan/{KEY}/events", app.server.url());
        let event = serde_json::json!({"event": "on_after_update", "data": {"id": "5"},
            "accountInfo": {"integrationUuid": "i-1", "uuid": "e-1", "model": "deal"}});
        for _ in 0..3 {
            let r = app.http.post(&url).json(&event).send().await.unwrap();
            assert_eq!(r.status(), 200);
        }
        let pool = &app.server.state.db.pool;
        wait_done(pool, 1, Duration::from_secs(20)).await;
        assert_eq!(count(pool, "SELECT COUNT(*) FROM inbox_events").await, 1);
        let (ty,): (String,) = sqlx::query_as("SELECT event_type FROM inbox_events")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(ty, "on_after_update:deal");
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn traces_older_than_the_retention_are_pruned() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let pool = &app.server.state.db.pool;
        let old = uis_megaplan::pipeline::now_ms() - 31 * 86_400_000;
        for (id, at) in [("t-old", old), ("t-new", uis_megaplan::pipeline::now_ms())] {
            sqlx::query(
            "INSERT INTO event_trace (id, event_id, account_id, at, step) VALUES ($1, 'e', $2, $3, 'done')",
        )
        .bind(id)
        .bind(ACCOUNT)
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
        }
        let n = uis_megaplan::pipeline::trace::prune(pool, 30)
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(count(pool, "SELECT COUNT(*) FROM event_trace").await, 1);
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn every_action_reaches_megaplan_once_however_often_it_runs() {
    use domain::call::{CallOutcome, Direction};
    use domain::ids::{CallSessionId, Extension, MegaplanId};
    use domain::phone::Phone;
    use domain::rules::{Action, CallType, CardState, ClientRef};
    use uis_megaplan::pipeline::executor::Executor;

    let app = spawn_pipeline(TestBackend::Sqlite).await.unwrap();
    let pool = &app.server.state.db.pool;
    let call = CallSessionId(4242);
    let phone: Phone = "79501234567".parse().unwrap();
    let client = Some(ClientRef::Phone(phone.clone()));
    let anna = MegaplanId::parse("1000002").unwrap();
    let ext = Some(Extension::parse("101").unwrap());
    let at = chrono::Utc::now();
    let marker = domain::rules::marker(call);
    let actions = vec![
        Action::EnsureClient {
            call_session_id: call,
            phone: phone.clone(),
            responsible: None,
            extra_fields: Default::default(),
            update_existing_extra_fields: false,
        },
        Action::ShowCallCard {
            call_session_id: call,
            direction: Direction::In,
            phone: Some(phone.clone()),
            employee: anna.clone(),
            extension: ext.clone(),
            virtual_number: None,
            client: client.clone(),
            at,
        },
        Action::UpdateCallCard {
            call_session_id: call,
            state: CardState::Talking,
            uis_employee: None,
            employee: Some(anna.clone()),
            extension: ext.clone(),
            client: None,
            at,
        },
        Action::UpdateCallCard {
            call_session_id: call,
            state: CardState::Finished(CallType::In),
            uis_employee: None,
            employee: Some(anna.clone()),
            extension: ext.clone(),
            client: client.clone(),
            at,
        },
        Action::AttachRecording {
            call_session_id: call,
            url: "https://media.example/rec/4242.mp3".into(),
        },
        Action::SetClientResponsible {
            call_session_id: call,
            client: ClientRef::Phone(phone.clone()),
            responsible: anna.clone(),
        },
        Action::CreateCommunication {
            call_session_id: call,
            outcome: CallOutcome::Answered,
            client: client.clone(),
            responsible: Some(anna.clone()),
            start: at,
            end: at + chrono::Duration::seconds(60),
            name: "Входящий звонок".into(),
            description: "Разговор 1 мин\n[uis:communication:4242]".into(),
        },
        Action::CreateTodo {
            call_session_id: call,
            outcome: CallOutcome::Answered,
            client: client.clone(),
            responsible: Some(anna.clone()),
            name: format!("Перезвонить {marker}"),
            description: marker.clone(),
            marker: marker.clone(),
        },
        Action::CreateDeal {
            call_session_id: call,
            outcome: CallOutcome::Answered,
            client: client.clone(),
            responsible: Some(anna.clone()),
            program: MegaplanId::parse("1").unwrap(),
            name: format!("Сделка по звонку {marker}"),
            description: marker.clone(),
            marker: marker.clone(),
        },
    ];
    let mp = megaplan::Client::new(
        app.emu.base_url(),
        megaplan::Credentials {
            login: app.emu.seed().login.clone(),
            password: app.emu.seed().password.clone(),
        },
    );
    let http = reqwest::Client::new();
    for round in 0..3 {
        // A fresh executor each round is a new attempt of the event (after a crash, a replay).
        let mut exec = Executor::new(
            pool,
            ACCOUNT,
            "event-4242",
            &mp,
            &http,
            "test-holder",
            Duration::from_secs(2),
        );
        for a in &actions {
            let done = exec.run(a).await;
            assert!(done.is_ok(), "round {round}: {}: {done:?}", a.describe());
        }
    }
    // A crash between Megaplan's answer and our record: the records say «started», not «done».
    sqlx::query("UPDATE action_records SET state = 'started', started_at = 0, megaplan_id = NULL")
        .execute(pool)
        .await
        .unwrap();
    let mut exec = Executor::new(
        pool,
        ACCOUNT,
        "event-4242",
        &mp,
        &http,
        "test-holder-2",
        Duration::from_secs(2),
    );
    for a in &actions {
        let done = exec.run(a).await;
        assert!(done.is_ok(), "after the crash: {}: {done:?}", a.describe());
    }
    let emu = app.emu.state();
    assert_eq!(clients_with_phone(&app.emu, "79501234567"), 1);
    assert_eq!(calls_of(&app.emu, 4242), 1);
    let card = emu
        .call_infos()
        .into_iter()
        .find(|c| c["providerId"] == "4242")
        .unwrap();
    assert_eq!(card["state"], "finished", "{card}");
    assert_eq!(
        card["recordLinks"].as_array().map(Vec::len),
        Some(1),
        "{card}"
    );
    assert_eq!(todos_of_call(&app.emu, 4242), 1, "the todo");
    let communications = emu
        .todos()
        .iter()
        .filter(|t| {
            t["description"]
                .as_str()
                .is_some_and(|d| d.contains("[uis:communication:4242]"))
        })
        .count();
    assert_eq!(communications, 1);
    let deals = emu
        .deals()
        .iter()
        .filter(|d| d["name"].as_str().is_some_and(|n| n.contains(&marker)))
        .count();
    assert_eq!(deals, 1);
    app.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_accepted_event_is_processed_at_once_not_at_the_next_poll() {
    for backend in BACKENDS {
        // An hour between polls and heartbeats (a heartbeat also makes the worker look): only the
        // wake-up on commit can bring the worker to these events.
        let config = uis_megaplan::pipeline::PipelineConfig {
            poll_interval: Duration::from_secs(3600),
            heartbeat: Duration::from_secs(3600),
            ..test_config()
        };
        let Some(app) = spawn_pipeline_with(backend, config).await else {
            continue;
        };
        let calls = calls(9000, 2);
        send_calls(&app.server.url(), &app.http, &calls).await;
        wait_done(&app.server.state.db.pool, 4, Duration::from_secs(20)).await;
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn an_action_claimed_by_a_vanished_worker_is_retried_when_the_claim_lapses_not_given_up() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let pool = &app.server.state.db.pool;
        // A worker claimed the todo of call 9500 a moment ago and died before it could record it.
        let call = 9500;
        sqlx::query(
            "INSERT INTO action_records (account_id, action_key, event_id, state, started_at) \
             VALUES ($1, $2, 'gone', 'started', $3)",
        )
        .bind(ACCOUNT)
        .bind(format!("todo:call:{call}"))
        .bind(uis_megaplan::pipeline::now_ms())
        .execute(pool)
        .await
        .unwrap();
        let calls = vec![(call, phone(500))];
        send_calls(&app.server.url(), &app.http, &calls).await;
        // The claim lapses after the test lease (2 s); 40 attempts would be spent long before.
        wait_done(pool, 2, Duration::from_secs(30)).await;
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        let most = count(
            pool,
            "SELECT MAX(CAST(attempts AS BIGINT)) FROM inbox_events",
        )
        .await;
        assert!(most <= 4, "{backend:?}: {most} attempts for one event");
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn an_event_handed_to_its_own_worker_is_committed_already_claimed_and_runs_once() {
    for backend in BACKENDS {
        // One event at a time, and every Megaplan answer takes a while: when we look, one event
        // runs and the others wait for the worker.
        let config = uis_megaplan::pipeline::PipelineConfig {
            concurrency: 1,
            ..test_config()
        };
        let Some(app) = spawn_pipeline_with(backend, config).await else {
            continue;
        };
        app.emu
            .state()
            .faults()
            .set_slow(1.0, Duration::from_millis(300));
        let calls = calls(9700, 2);
        send_calls(&app.server.url(), &app.http, &calls).await;
        let pool = &app.server.state.db.pool;
        // The inbox commit itself claimed them for this server's worker: no other worker may
        // take them from the queue before that claim lapses, and the worker claims nothing more.
        let unclaimed = count(
            pool,
            &format!(
                "SELECT COUNT(*) FROM inbox_events WHERE NOT (status = 'done' OR \
                 (status = 'processing' AND attempts = 1 AND locked_until > {}))",
                uis_megaplan::pipeline::now_ms()
            ),
        )
        .await;
        assert_eq!(
            unclaimed, 0,
            "{backend:?}: accepted events not claimed by the commit"
        );
        app.emu.state().faults().clear();
        wait_done(pool, 4, Duration::from_secs(30)).await;
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        let again = count(
            pool,
            "SELECT COUNT(*) FROM inbox_events WHERE attempts <> 1",
        )
        .await;
        assert_eq!(again, 0, "{backend:?}: an event was claimed a second time");
        app.server.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn an_event_claimed_by_a_server_that_died_goes_back_to_the_queue_when_the_claim_lapses() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let pool = &app.server.state.db.pool;
        // A server handed this event to its own worker (the commit claimed it, no queue job) and
        // died: the claim lapsed a moment ago.
        let calls = calls(9900, 1);
        let (call, phone) = &calls[0];
        // Before it died, the attempt on «lost» created the caller's client and recorded it.
        let client = megaplan::Client::new(
            app.emu.base_url(),
            megaplan::Credentials {
                login: app.emu.seed().login.clone(),
                password: app.emu.seed().password.clone(),
            },
        )
        .create_contractor_human(&megaplan::NewContractorHuman {
            first_name: Some("Клиент".into()),
            contact_info: vec![megaplan::ContactInfo::phone(phone)],
            ..Default::default()
        })
        .await
        .unwrap();
        let client_key = format!("client:+{phone}");
        sqlx::query(
            "INSERT INTO action_records (account_id, action_key, event_id, state, megaplan_type, \
             megaplan_id, started_at, done_at, call_session_id) \
             VALUES ($1, $2, '0-died-lost', 'done', 'ContractorHuman', $3, 1, 1, $4)",
        )
        .bind(ACCOUNT)
        .bind(client_key.as_str())
        .bind(client.id.to_string())
        .bind(*call)
        .execute(pool)
        .await
        .unwrap();
        for kind in ["lost", "call_finished"] {
            sqlx::query(
                "INSERT INTO inbox_events (id, account_id, source, event_type, dedupe_key, call_session_id, \
                 body, received_at, status, attempts, locked_until) \
                 VALUES ($1, $2, 'uis', $3, $1, $4, $5, $6, 'processing', 1, $7)",
            )
            .bind(format!("0-died-{kind}"))
            .bind(ACCOUNT)
            .bind(kind)
            .bind(*call)
            .bind(notification(kind, *call, phone).to_string())
            .bind(uis_megaplan::pipeline::now_ms())
            .bind(uis_megaplan::pipeline::now_ms() - 1)
            .execute(pool)
            .await
            .unwrap();
        }
        // A queue job naming them comes back too (as the dead server's would): it does not take
        // the lapsed claims past the step that says they were interrupted.
        let job = uis_megaplan::pipeline::store::EventJob {
            event_ids: vec!["0-died-lost".into(), "0-died-call_finished".into()],
        };
        app.server.pipeline.store.push(&job, None).await.unwrap();
        app.server.pipeline.signal.pushed();
        wait_done(pool, 2, Duration::from_secs(20)).await;
        // One client: the dead attempt's record was used, not a second client made.
        assert_exactly_once(&app.emu, &calls, &format!("{backend:?}"));
        // The event log says each attempt was interrupted and what it had done in Megaplan.
        for (event, said) in [
            (
                "0-died-lost",
                format!(
                    "Recorded in Megaplan by then: {client_key} → ContractorHuman:{}.",
                    client.id
                ),
            ),
            (
                "0-died-call_finished",
                "Nothing was recorded in Megaplan by then.".to_owned(),
            ),
        ] {
            let steps: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT step, status, detail FROM event_trace WHERE event_id = $1 ORDER BY id",
            )
            .bind(event)
            .fetch_all(pool)
            .await
            .unwrap();
            let (step, status, detail) = &steps[0];
            assert_eq!(step, "interrupted", "{backend:?} {event}: {steps:?}");
            assert_eq!(status.as_deref(), Some("claim lapsed"));
            let detail = detail.as_deref().unwrap_or_default();
            assert!(
                detail.starts_with("attempt 1 did not end") && detail.ends_with(&said),
                "{backend:?} {event}: {detail}"
            );
            assert_eq!(
                steps.last().unwrap().0,
                "done",
                "{backend:?} {event}: {steps:?}"
            );
        }
        app.server.shutdown().await.unwrap();
    }
}

/// The interim rules, plus a statement for the inbox commit; records what each planned event got
/// back from it.
struct CommitStatement {
    sql: &'static str,
    seen: std::sync::Mutex<Vec<(String, Option<String>)>>,
}

impl Planner for CommitStatement {
    fn plan<'a>(&'a self, input: PlanInput<'a>) -> BoxFuture<'a, Result<Plan, String>> {
        self.seen.lock().unwrap().push((
            input.event_id.to_owned(),
            input.at_commit.map(str::to_owned),
        ));
        InterimRules.plan(input)
    }

    fn at_commit(&self, row: &InboxRow) -> Option<AtCommit> {
        Some(AtCommit {
            sql: self.sql,
            args: vec![
                Arg::Text(Some(row.id.clone())),
                Arg::Int(row.call_session_id.unwrap_or(-1)),
            ],
        })
    }
}

#[tokio::test]
async fn a_planner_statement_runs_in_the_commit_that_accepts_its_event_and_never_costs_the_event() {
    // SQLite: the statement joins the inbox commit (PostgreSQL commits without it).
    for (sql, expect_returned) in [
        // Only an event the commit took is in the inbox when its statement runs.
        (
            "SELECT $1 || ':' || $2 WHERE EXISTS (SELECT 1 FROM inbox_events WHERE id = $1)",
            true,
        ),
        (
            "SELECT no_such_column FROM no_such_table WHERE $1 = $2",
            false,
        ),
    ] {
        let Some(db) = TestDb::new(TestBackend::Sqlite).await else {
            continue;
        };
        let emu = megaplan::emulator::Emulator::start(Default::default()).unwrap();
        let planner = Arc::new(CommitStatement {
            sql,
            seen: Default::default(),
        });
        let (server, _) = start_server_planning(&db, &emu, test_config(), planner.clone()).await;
        let http = reqwest::Client::new();
        let calls = calls(9900, 1);
        // Twice: the second is a duplicate, answered 200 and neither committed nor planned.
        send_calls(&server.url(), &http, &calls).await;
        send_calls(&server.url(), &http, &calls).await;
        let pool = &server.state.db.pool;
        wait_done(pool, 2, Duration::from_secs(20)).await;
        assert_exactly_once(&emu, &calls, sql);
        let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM inbox_events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
        let mut seen = planner.seen.lock().unwrap().clone();
        seen.sort();
        let expected: Vec<(String, Option<String>)> = ids
            .into_iter()
            .map(|(id,)| {
                let returned = expect_returned.then(|| format!("{id}:9900"));
                (id, returned)
            })
            .collect();
        assert_eq!(seen, expected, "{sql}");
        server.shutdown().await.unwrap();
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn an_event_whose_trace_cannot_be_written_still_ends_and_holds_nothing_up() {
    for backend in BACKENDS {
        let Some(app) = spawn_pipeline(backend).await else {
            continue;
        };
        let pool = app.server.state.db.pool.clone();
        crate::helpers::refuse_traces(&pool, backend, true).await;
        let first = calls(5100, 3);
        send_calls(&app.server.url(), &app.http, &first).await;
        wait_done(&pool, 6, Duration::from_secs(20)).await;
        assert_exactly_once(&app.emu, &first, &format!("{backend:?}"));
        assert_eq!(
            count(&pool, "SELECT COUNT(*) FROM event_trace").await,
            0,
            "{backend:?}: no trace was written"
        );
        // The failed writes left no transaction open on the pool's connections.
        crate::helpers::refuse_traces(&pool, backend, false).await;
        let second = calls(5200, 3);
        send_calls(&app.server.url(), &app.http, &second).await;
        wait_done(&pool, 12, Duration::from_secs(20)).await;
        assert_exactly_once(&app.emu, &second, &format!("{backend:?} after"));
        assert_eq!(
            count(
                &pool,
                "SELECT COUNT(*) FROM event_trace WHERE step = 'done'"
            )
            .await,
            6,
            "{backend:?}: the later events' traces"
        );
        app.server.shutdown().await.unwrap();
    }
}
