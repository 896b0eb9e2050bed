//! Ingress throughput: accepted UIS notifications per second and p50/p99 latency of
//! `POST /hooks/uis/{key}/lost`, every accepted event committed (inbox row + job) before its 200,
//! next to a bare axum handler measured in the same run over the same client.
//!
//! `cargo bench -p uis-megaplan --bench ingress` (env: BENCH_REQUESTS, BENCH_CONCURRENCY,
//! BENCH_BACKENDS=sqlite|postgres).
//! The worker is off (concurrency 0) so the figures are the ingress alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::pipeline::{PipelineConfig, PipelineParts};
use uis_megaplan::testing::{TestBackend, TestDb};

struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends `total` notifications from `concurrency` tasks; each one a new call (nothing deduplicated).
async fn load(url: String, total: usize, concurrency: usize, first: i64) -> Figures {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicI64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, next) = (http.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i as usize >= total {
                    break;
                }
                let body = format!(
                    r#"{{"notification_name":"lost","notification_time":"2026-11-24 10:00:00","call_session_id":{},"direction":"in","contact_phone_number":"7950{:07}","virtual_phone_number":"74950000000"}}"#,
                    first + i,
                    i
                );
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let took = started.elapsed();
    all.sort();
    Figures {
        rate: all.len() as f64 / took.as_secs_f64(),
        p50: all[all.len() / 2],
        p99: all[all.len() * 99 / 100],
    }
}

async fn bare_handler() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/hooks/uis/{key}/{event}",
        post(|_body: axum::body::Bytes| async { "ok" }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks/uis/k/lost")
}

async fn ingress(db: &TestDb) -> (uis_megaplan::RunningServer, String) {
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let parts = PipelineParts {
        config: PipelineConfig {
            concurrency: 0,
            ..PipelineConfig::default()
        },
        ..PipelineParts::default()
    };
    let server = uis_megaplan::start_with(&args, parts).await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (id, name, webhook_key, time_zone, created_at) VALUES ('a', 'bench', 'bench-key', 'Europe/Moscow', 0)",
    )
    .execute(&server.state.db.pool)
    .await
    .unwrap();
    let url = format!("{}/hooks/uis/bench-key/lost", server.url());
    (server, url)
}

fn line(name: &str, f: &Figures) {
    println!(
        "{name:<28} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
        f.rate,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let total = env("BENCH_REQUESTS", 20_000);
    let concurrency = env("BENCH_CONCURRENCY", 64);
    println!("{total} requests, {concurrency} concurrent clients, worker off");
    let bare_url = bare_handler().await;
    let _warm = load(bare_url.clone(), 2_000, concurrency, 0).await;
    let bare = load(bare_url, total, concurrency, 0).await;
    line("bare axum handler", &bare);
    // BENCH_BACKENDS=sqlite (or postgres) measures one of them.
    let only = std::env::var("BENCH_BACKENDS")
        .unwrap_or_default()
        .to_lowercase();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        if !only.is_empty() && !only.contains(&format!("{backend:?}").to_lowercase()) {
            continue;
        }
        let Some(db) = TestDb::new(backend).await else {
            continue;
        };
        let (server, url) = ingress(&db).await;
        let _warm = load(url.clone(), 1_000, concurrency, 1_000_000_000).await;
        let f = load(url, total, concurrency, 2_000_000_000).await;
        line(&format!("ingress, {backend:?}"), &f);
        println!(
            "{:<28} {:>9.2} × the bare handler's rate",
            "",
            f.rate / bare.rate
        );
        for l in server.pipeline.metrics_text().await.lines() {
            if l.starts_with("uis_megaplan_inbox_") && (l.contains("_sum") || l.contains("_count"))
            {
                println!("{:<28} {l}", "");
            }
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbox_events")
            .fetch_one(&server.state.db.pool)
            .await
            .unwrap();
        assert_eq!(
            n as usize,
            total + 1_000,
            "every accepted event is in the inbox"
        );
        server.shutdown().await.unwrap();
    }
}
