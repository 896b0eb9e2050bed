//! Helpers of the pipeline tests: an account, a Megaplan emulator it points at, a server with the
//! pipeline's short test timings, UIS notifications, and waiting for the inbox to settle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use megaplan::emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use sqlx::AnyPool;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::pipeline::connections::{MegaplanConnection, StaticConnections};
use uis_megaplan::pipeline::interim_rules::{InterimRules, Planner};
use uis_megaplan::pipeline::{PipelineConfig, PipelineParts};
use uis_megaplan::testing::{TestBackend, TestDb};
use uis_megaplan::{RunningServer, start_with};

pub const KEY: &str = "k-test-webhook-key-0123456789";
pub const ACCOUNT: &str = "acc-1";

pub struct PipelineApp {
    pub server: RunningServer,
    pub http: reqwest::Client,
    pub emu: Arc<Emulator>,
    pub db: TestDb,
}

/// Inserts an account row (until the accounts work provides a helper of its own).
pub async fn insert_account(pool: &AnyPool, id: &str, key: &str) {
    sqlx::query(
        "INSERT INTO accounts (id, name, webhook_key, time_zone, created_at) VALUES ($1, $2, $3, 'Europe/Moscow', 0) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(format!("account {id}"))
    .bind(key)
    .execute(pool)
    .await
    .expect("insert account");
}

pub fn test_config() -> PipelineConfig {
    PipelineConfig::for_tests()
}

/// A server over `db` whose account uses `emu`.
pub async fn start_server(
    db: &TestDb,
    emu: &Emulator,
    config: PipelineConfig,
) -> (RunningServer, Arc<StaticConnections>) {
    // These tests are about delivery, not rules: the interim rules act without settings.
    start_server_planning(db, emu, config, Arc::new(InterimRules)).await
}

/// [`start_server`] with another planner.
pub async fn start_server_planning(
    db: &TestDb,
    emu: &Emulator,
    config: PipelineConfig,
    planner: Arc<dyn Planner>,
) -> (RunningServer, Arc<StaticConnections>) {
    let connections = Arc::new(StaticConnections::default());
    connections.insert(
        ACCOUNT,
        MegaplanConnection {
            base_url: emu.base_url(),
            login: emu.seed().login.clone(),
            password: emu.seed().password.clone(),
            broken: None,
            sealed: None,
        },
    );
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let parts = PipelineParts {
        config,
        connections: Some(connections.clone()),
        planner,
    };
    let server = start_with(&args, parts).await.expect("server starts");
    insert_account(&server.state.db.pool, ACCOUNT, KEY).await;
    (server, connections)
}

pub async fn spawn_pipeline(backend: TestBackend) -> Option<PipelineApp> {
    spawn_pipeline_with(backend, test_config()).await
}

pub async fn spawn_pipeline_with(
    backend: TestBackend,
    config: PipelineConfig,
) -> Option<PipelineApp> {
    // RUST_LOG=… shows the server's log while a pipeline test runs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let db = TestDb::new(backend).await?;
    let emu = Arc::new(Emulator::start(EmulatorConfig::default()).expect("emulator"));
    let (server, _) = start_server(&db, &emu, config).await;
    Some(PipelineApp {
        server,
        http: reqwest::Client::new(),
        emu,
        db,
    })
}

/// A phone of call `n` (several calls may share one when `n` repeats).
pub fn phone(n: u32) -> String {
    format!("7950100{n:04}")
}

/// A UIS notification body as the cabinet template renders it.
pub fn notification(kind: &str, call: i64, phone: &str) -> Value {
    let mut v = json!({
        "notification_name": kind,
        "notification_time": "2026-11-24 10:00:00",
        "call_session_id": call,
        "direction": "in",
        "contact_phone_number": phone,
        "virtual_phone_number": "74950000000",
    });
    if kind == "call_finished" {
        v["talk_time_duration"] = json!(0);
        v["total_time_duration"] = json!(25);
        v["is_lost"] = json!(true);
    }
    v
}

pub async fn post_uis(http: &reqwest::Client, base: &str, kind: &str, body: &Value) -> u16 {
    http.post(format!("{base}/hooks/uis/{KEY}/{kind}"))
        .json(body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

pub async fn count(pool: &AnyPool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .expect(sql);
    n
}

/// Waits until `n` inbox events are done (panics with the statuses at the deadline).
pub async fn wait_done(pool: &AnyPool, n: i64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let done = count(
            pool,
            "SELECT COUNT(*) FROM inbox_events WHERE status = 'done'",
        )
        .await;
        if done >= n {
            return;
        }
        if Instant::now() > deadline {
            let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT status, event_type, last_error FROM inbox_events WHERE status <> 'done'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            panic!("{done} of {n} events done; the others: {rows:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Clients of the emulated Megaplan holding `phone`.
pub fn clients_with_phone(emu: &Emulator, phone: &str) -> usize {
    let want = digits(phone);
    emu.state()
        .contractors()
        .iter()
        .filter(|c| {
            c["contactInfo"].as_array().is_some_and(|infos| {
                infos
                    .iter()
                    .any(|i| i["value"].as_str().is_some_and(|v| digits(v) == want))
            })
        })
        .count()
}

/// Todos whose name carries the marker of call `call`.
pub fn todos_of_call(emu: &Emulator, call: i64) -> usize {
    let marker = format!("[uis:call:{call}]");
    emu.state()
        .todos()
        .iter()
        .filter(|t| t["name"].as_str().is_some_and(|n| n.contains(&marker)))
        .count()
}

/// Calls with providerId = call.
pub fn calls_of(emu: &Emulator, call: i64) -> usize {
    let id = call.to_string();
    emu.state()
        .call_infos()
        .iter()
        .filter(|c| match &c["providerId"] {
            Value::String(s) => *s == id,
            Value::Number(n) => n.to_string() == id,
            _ => false,
        })
        .count()
}

/// The end state every scenario must reach: per call one todo and one call record, per phone one client.
pub fn assert_exactly_once(emu: &Emulator, calls: &[(i64, String)], label: &str) {
    for (call, phone) in calls {
        assert_eq!(todos_of_call(emu, *call), 1, "{label}: todo of call {call}");
        assert_eq!(calls_of(emu, *call), 1, "{label}: call record {call}");
        assert_eq!(
            clients_with_phone(emu, phone),
            1,
            "{label}: client with phone {phone}"
        );
    }
}
