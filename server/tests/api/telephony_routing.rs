//! T10 personal-manager routing: the UIS emulator's routing simulator asks the real server, which asks
//! the Megaplan emulator's `callRoute`; SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::json;
use uis::emulator::{CallScript, RouteMethod, RouteOutcome};

use crate::helpers::BACKENDS;
use crate::telephony_support::{Mp, TelephonyApp, Ui, spawn, team};

const MANAGER_PHONE: &str = "79160000201";

/// Алексеева (the manager) and Борисов.
fn staff() -> (Vec<Mp>, Vec<Ui>) {
    let (mut mp, mut ui) = team();
    mp.truncate(2);
    ui.truncate(2);
    assert_eq!(ui[0].4, MANAGER_PHONE);
    (mp, ui)
}

async fn routed_app(backend: uis_megaplan::testing::TestBackend) -> Option<TelephonyApp> {
    let (mp, ui) = staff();
    let settings = json!({"call_processing": {"personal_manager_routing": true}});
    let t = spawn(backend, &mp, &ui, settings).await?;
    t.sync_telephony_settings().await;
    t.uis.set_route_url(Some(t.route_url()));
    Some(t)
}

async fn ring(t: &TelephonyApp, phone: &str) -> RouteOutcome {
    let sim = t
        .uis
        .simulate(CallScript {
            ask_route: true,
            ..CallScript::inbound_answered(phone)
        })
        .await;
    sim.route
}

#[tokio::test]
async fn routing_answers_the_managers_phone_for_a_known_client_and_not_assigned_for_an_unknown_number()
 {
    for backend in BACKENDS {
        let Some(t) = routed_app(backend).await else {
            continue;
        };
        t.client_with_manager("+7 999 111-22-33", 2001).await;

        let known = ring(&t, "79991112233").await;
        assert_eq!(
            known,
            RouteOutcome::Phones {
                phones: vec![MANAGER_PHONE.into()],
                employee_ids: vec![7001],
            },
            "{backend:?}"
        );
        // Again, from the cache: the same answer, and as POST with a form body.
        t.uis.set_route_method(RouteMethod::PostForm);
        assert_eq!(ring(&t, "79991112233").await, known, "{backend:?} cached");

        t.uis.set_route_method(RouteMethod::PostJson);
        assert_eq!(
            ring(&t, "79991112233").await,
            known,
            "{backend:?} JSON body"
        );

        let unknown = ring(&t, "79994445566").await;
        assert_eq!(
            unknown,
            RouteOutcome::ReturnedCode {
                code: uis_megaplan::telephony::routing::NOT_ASSIGNED_CODE
            },
            "{backend:?}"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn routing_falls_back_within_the_budget_when_megaplan_hangs_and_refreshes_in_the_background()
{
    for backend in BACKENDS {
        let Some(t) = routed_app(backend).await else {
            continue;
        };
        t.client_with_manager("+7 999 222-33-44", 2002).await;
        // Megaplan is slow, UIS gives us 3 s: we must answer (the fallback) well before.
        t.megaplan
            .state()
            .faults()
            .set_call_route_delay(Duration::from_millis(2500));
        t.uis.set_route_timeout(Duration::from_secs(3));
        let started = Instant::now();
        let outcome = ring(&t, "79992223344").await;
        assert!(
            matches!(&outcome, RouteOutcome::Fallback { reason } if reason == "empty answer"),
            "{backend:?}: {outcome:?}"
        );
        let took = started.elapsed();
        assert!(took < Duration::from_millis(2500), "{backend:?}: {took:?}");

        // The lookup went on: once Megaplan answered, the next call is routed from the cache at once.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let later = ring(&t, "79992223344").await;
        assert_eq!(
            later,
            RouteOutcome::Phones {
                phones: vec!["79160000202".into()],
                employee_ids: vec![7002],
            },
            "{backend:?}"
        );
        t.stop().await;
    }
}

#[tokio::test]
async fn routing_a_manager_change_is_seen_after_invalidation() {
    for backend in BACKENDS {
        let Some(t) = routed_app(backend).await else {
            continue;
        };
        let phone = "79993334455";
        assert!(matches!(
            ring(&t, phone).await,
            RouteOutcome::ReturnedCode { .. }
        ));
        t.client_with_manager(phone, 2001).await;
        // Cached: still not assigned until the Megaplan event invalidates it.
        assert!(matches!(
            ring(&t, phone).await,
            RouteOutcome::ReturnedCode { .. }
        ));
        uis_megaplan::telephony::routing::invalidate(&t.account_id, "+7 999 333-44-55").await;
        assert!(
            matches!(ring(&t, phone).await, RouteOutcome::Phones { .. }),
            "{backend:?}"
        );
        t.stop().await;
    }
}

/// The emulated Megaplan's application sends its events to the server's Megaplan hook.
fn send_megaplan_events_to_the_server(t: &TelephonyApp) {
    t.megaplan.set_webhook_url(Some(
        url::Url::parse(&format!(
            "{}/hooks/megaplan/{}/events",
            t.app.server.url(),
            t.key
        ))
        .unwrap(),
    ));
}

/// Waits until every Megaplan application event the server received is processed.
async fn megaplan_events_done(t: &TelephonyApp, at_least: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (done, open): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status <> 'done' THEN 1 ELSE 0 END), 0) \
             FROM inbox_events WHERE source = 'megaplan'",
        )
        .fetch_one(t.pool())
        .await
        .unwrap();
        if done >= at_least && open == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{done} Megaplan events done, {open} open"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test]
async fn a_megaplan_client_event_refreshes_the_routing_of_its_phone() {
    for backend in BACKENDS {
        let Some(t) = routed_app(backend).await else {
            continue;
        };
        send_megaplan_events_to_the_server(&t);
        let phone = "79994445566";
        assert!(matches!(
            ring(&t, phone).await,
            RouteOutcome::ReturnedCode { .. }
        ));
        // A client with this phone and a manager appears in Megaplan: its event reaches us …
        t.client_with_manager(phone, 2001).await;
        megaplan_events_done(&t, 1).await;
        // … and the next call of the phone is routed to the manager, not the cached "not assigned".
        match ring(&t, phone).await {
            RouteOutcome::Phones { phones, .. } => {
                assert_eq!(phones, vec![MANAGER_PHONE.to_owned()], "{backend:?}")
            }
            other => panic!("{backend:?}: {other:?}"),
        }
        t.stop().await;
    }
}

/// Another `uis-megaplan` process on the same database, as behind a load balancer; killed when dropped.
struct OtherServer {
    child: std::process::Child,
    url: String,
}

impl OtherServer {
    async fn start(t: &TelephonyApp) -> OtherServer {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_uis-megaplan"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&t.app._db.data_dir)
            .args(["--database-url", &t.app._db.url])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Read to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("uis-megaplan is listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("the other server starts")
            .expect("the other server prints its address");
        OtherServer { child, url }
    }

    fn route_url(&self, key: &str) -> url::Url {
        url::Url::parse(&format!("{}/hooks/uis/{key}/route", self.url)).unwrap()
    }
}

impl Drop for OtherServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_client_event_one_server_processes_refreshes_the_routing_of_every_server() {
    for backend in BACKENDS {
        let Some(t) = routed_app(backend).await else {
            continue;
        };
        let other = OtherServer::start(&t).await;
        // Megaplan's events reach this server; UIS asks the other one who the manager is.
        send_megaplan_events_to_the_server(&t);
        t.uis.set_route_url(Some(other.route_url(&t.key)));
        let phone = "79997778899";
        assert!(matches!(
            ring(&t, phone).await,
            RouteOutcome::ReturnedCode { .. }
        ));
        t.client_with_manager(phone, 2001).await;
        megaplan_events_done(&t, 1).await;
        // The other server kept "not assigned" (for 5 minutes); it forgets it within a second or so.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match ring(&t, phone).await {
                RouteOutcome::Phones { phones, .. } => {
                    assert_eq!(phones, vec![MANAGER_PHONE.to_owned()], "{backend:?}");
                    break;
                }
                answer => assert!(
                    Instant::now() < deadline,
                    "{backend:?}: the other server still answers {answer:?}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        drop(other);
        t.stop().await;
    }
}

#[tokio::test]
async fn routing_of_an_unknown_account_key_is_404_and_an_inactive_integration_means_the_fallback() {
    for backend in BACKENDS {
        let (mp, ui) = staff();
        let Some(t) = spawn(backend, &mp, &ui, json!({})).await else {
            continue;
        };
        let r = t
            .app
            .http
            .get(t.app.url("/hooks/uis/no-such-key/route?numa=79991112233"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        t.set_section(
            false,
            json!({"call_processing": {"personal_manager_routing": true}}),
        )
        .await;
        // Routing on, but the telephony section not activated (T16): the empty answer, UIS's
        // fallback branch.
        let r = t
            .app
            .http
            .get(format!(
                "{}?numa=79991112233&numb=74950000001",
                t.route_url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!({}));
        t.stop().await;
    }
}

#[tokio::test]
async fn routing_follows_a_new_telephony_settings_sync() {
    for backend in BACKENDS {
        // Alekseeva is known to UIS by her extension only (another e-mail there).
        let mp = vec![Mp(
            2001,
            "Алексеева",
            "alekseeva@acme.example",
            "+7 916 100-00-01",
            Some("201"),
        )];
        let ui = vec![Ui(
            7001,
            "Алексеева",
            "a.alekseeva@uis.example",
            "201",
            MANAGER_PHONE,
        )];
        let settings = json!({"call_processing": {"personal_manager_routing": true}});
        let Some(t) = spawn(backend, &mp, &ui, settings).await else {
            continue;
        };
        t.sync_telephony_settings().await;
        t.uis.set_route_url(Some(t.route_url()));
        t.client_with_manager("+7 999 555-66-77", 2001).await;
        assert!(matches!(
            ring(&t, "79995556677").await,
            RouteOutcome::Phones { .. }
        ));

        // Her extension changes in Megaplan: after the sync she has no UIS employee, and the cached
        // answer goes with the old mapping.
        let client = t.megaplan_client();
        let config = client
            .call_user_configs()
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.employee.id.as_str() == "2001")
            .unwrap();
        client
            .update_call_user_config(&config.id, "299")
            .await
            .unwrap();
        let report = t.sync_telephony_settings().await;
        assert_eq!(
            report["extension_without_uis_employee"][0]["megaplan_user_id"], "2001",
            "{report}"
        );
        assert_eq!(
            ring(&t, "79995556677").await,
            RouteOutcome::ReturnedCode {
                code: uis_megaplan::telephony::routing::NOT_ASSIGNED_CODE
            },
            "{backend:?}"
        );
        t.stop().await;
    }
}
