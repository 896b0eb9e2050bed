//! Personal-manager routing (T10) under load: p50/p99 latency of `GET /hooks/uis/{key}/route` at a
//! steady 1,000 requests/s with the cache warm (every caller looked up once before), next to a bare
//! axum handler answering the same JSON, measured in the same run over the same client.
//!
//! `cargo bench -p uis-megaplan --bench routing` (env: BENCH_RATE requests/s, BENCH_SECONDS,
//! BENCH_CALLERS). Open loop: a request leaves every 1/rate s whether or not earlier ones returned,
//! so a slow answer shows in the percentiles instead of slowing the sender down.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use megaplan::emulator::{Emulator, EmulatorConfig};
use uis_megaplan::accounts::cipher::Cipher;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::testing::{TestBackend, TestDb};

struct Figures {
    sent: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn caller(i: usize) -> String {
    format!("7999{:07}", 1_000_000 + i)
}

/// `rate` requests per second for `seconds`, cycling through `callers` numbers.
async fn load(base: &str, rate: usize, seconds: usize, callers: usize, check: bool) -> Figures {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tick.tick().await;
        let url = format!("{base}?numa={}&numb=74951234567", caller(i % callers));
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = http.get(&url).send().await.expect("request");
            assert_eq!(r.status(), 200);
            let body = r.text().await.unwrap();
            assert!(
                !check || body.contains("phones"),
                "a manager's answer: {body}"
            );
            t.elapsed()
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.push(t.await.unwrap());
    }
    all.sort();
    Figures {
        sent: all.len(),
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
        max: all[all.len() - 1],
    }
}

async fn bare_handler() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/hooks/uis/{key}/route",
        get(|| async { axum::Json(serde_json::json!({"phones": ["79160000201"]})) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks/uis/k/route")
}

/// The server with an account whose callers all have manager 1000002 (UIS phone 79160000201).
async fn routing_server(
    db: &TestDb,
    megaplan: &Emulator,
    callers: usize,
) -> (uis_megaplan::RunningServer, String) {
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let server = uis_megaplan::start(&args).await.unwrap();
    let pool = &server.state.db.pool;
    let cipher = Cipher::new(&server.state.secret);
    for sql in [
        "INSERT INTO accounts (id, name, webhook_key, time_zone, created_at) VALUES ('a', 'bench', 'bench-key', 'Europe/Moscow', 0)",
        "INSERT INTO account_settings (account_id, section, active, settings, updated_at) \
         VALUES ('a', 'telephony', 1, '{\"call_processing\":{\"personal_manager_routing\":true}}', 0)",
        "INSERT INTO telephony_staff (account_id, megaplan_user_id, megaplan_name, extension, uis_employee_id, uis_phone, matched_by, synced_at) \
         VALUES ('a', '1000002', 'Петров Иван', '101', 5001, '79160000201', 'extension', 0)",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO megaplan_credentials (id, account_id, name, login, domain, password_enc, status, checked_at, created_at) \
         VALUES ('c', 'a', 'main', $1, $2, $3, 'working', 0, 0)",
    )
    .bind(&megaplan.seed().login)
    .bind(megaplan.base_url().as_str())
    .bind(cipher.seal("megaplan_password:c", &megaplan.seed().password).unwrap())
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO account_megaplan (account_id, credential_id, selected_at) VALUES ('a', 'c', 0)")
        .execute(pool)
        .await
        .unwrap();
    let mp = megaplan::Client::new(
        megaplan.base_url(),
        megaplan::Credentials {
            login: megaplan.seed().login.clone(),
            password: megaplan.seed().password.clone(),
        },
    );
    for i in 0..callers {
        mp.create_contractor_human(&megaplan::NewContractorHuman {
            first_name: Some(format!("Клиент {i}")),
            contact_info: vec![megaplan::ContactInfo::phone(&caller(i))],
            responsibles: vec![megaplan::Link::employee("1000002")],
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let url = format!("{}/hooks/uis/bench-key/route", server.url());
    (server, url)
}

fn line(name: &str, f: &Figures) {
    println!(
        "{name:<34} {:>6} requests   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms",
        f.sent,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.max.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let rate = env("BENCH_RATE", 1_000);
    let seconds = env("BENCH_SECONDS", 10);
    let callers = env("BENCH_CALLERS", 200);
    println!("{rate} requests/s for {seconds} s, {callers} callers, cache warm");
    let megaplan = Emulator::start(EmulatorConfig::default()).unwrap();
    let db = TestDb::new(TestBackend::Sqlite).await.unwrap();
    let (server, url) = routing_server(&db, &megaplan, callers).await;
    // Warm: every caller once (Megaplan's callRoute), then the measured run never leaves the cache.
    let _warm = load(&url, 200, callers.div_ceil(200).max(1), callers, false).await;
    let bare_url = bare_handler().await;
    let _warm = load(&bare_url, 200, 1, callers, false).await;

    let bare = load(&bare_url, rate, seconds, callers, true).await;
    line("bare axum handler", &bare);
    let routing = load(&url, rate, seconds, callers, true).await;
    line("routing answer (cache warm)", &routing);
    let ratio = routing.p99.as_secs_f64() / bare.p99.as_secs_f64();
    println!(
        "{:<34} p99 {ratio:.2} × the bare handler's (target ≤ 2 ×: {})",
        "",
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );
    server.shutdown().await.unwrap();
    megaplan.shutdown().await;
}
