//! The event log and health of an account beside a busy one (O1, O3): a busy account with
//! `BENCH_EVENTS` events over 30 days (default 300 000: a contact centre's month at ~2 000 calls a
//! day) and a quiet one with 20, in one database; for each account, p50 and the slowest of 21 reads
//! of the event log page (the last day, 200 rows), the whole retention (no range) and the health
//! page. What to see: the busy account's log as quick as the quiet one's, neither depending on how
//! many events the database holds.
//!
//! `cargo bench -p uis-megaplan --bench event_log` (env: BENCH_EVENTS; BENCH_BACKEND=postgres for a
//! fresh database on the local PostgreSQL instead of SQLite).

use std::time::{Duration, Instant};

use uis_megaplan::observe::queries::{self, Filter};
use uis_megaplan::pipeline::now_ms;
use uis_megaplan::testing::{TestBackend, TestDb};

const DAY: i64 = 86_400_000;

async fn fill(pool: &sqlx::AnyPool, account: &str, n: i64, now: i64) {
    sqlx::query(
        "INSERT INTO accounts (id, name, webhook_key, time_zone, created_at) VALUES ($1, $1, $2, 'Europe/Moscow', 0)",
    )
    .bind(account)
    .bind(format!("key-{account}"))
    .execute(pool)
    .await
    .unwrap();
    let step = 30 * DAY / n.max(1);
    let mut tx = pool.begin().await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(400) {
        // Numbered placeholders, as both databases take them through `Any`.
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let n: Vec<String> = (1..=10).map(|c| format!("${}", r * 10 + c)).collect();
                format!("({})", n.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO inbox_events (id, account_id, source, event_type, dedupe_key, body, received_at, status, attempts, call_session_id) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for &i in chunk {
            let at = now - 30 * DAY + (i + 1) * step;
            // The last few still in the queue, one in 50 000 dead, the rest done.
            let status = if i >= n - 5 {
                "queued"
            } else if i % 50_000 == 7 {
                "dead"
            } else {
                "done"
            };
            q = q
                .bind(format!("{account}-{i:09}"))
                .bind(account)
                .bind("uis")
                .bind("call_finished")
                .bind(format!("{account}-{i}"))
                .bind(format!(
                    r#"{{"notification_name":"call_finished","call_session_id":{i},"contact_phone_number":"7950{:07}"}}"#,
                    i % 10_000_000
                ))
                .bind(at)
                .bind(status)
                .bind(1_i32)
                .bind(i / 5);
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// p50 and the slowest of 21 runs of `read`.
async fn time<F, Fut>(read: F) -> (Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut took = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        assert!(read().await > 0, "the read found nothing");
        took.push(t.elapsed());
    }
    took.sort();
    (took[10], took[20])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let events: i64 = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let backend = TestBackend::for_bench();
    let db = TestDb::new(backend)
        .await
        .unwrap_or_else(|| panic!("no {backend:?} database for the bench"));
    let pool = uis_megaplan::db::Db::connect(&db.url).await.unwrap().pool;
    let now = now_ms();
    let filled = Instant::now();
    fill(&pool, "busy", events, now).await;
    fill(&pool, "quiet", 20, now).await;
    println!(
        "{events} events of a busy account and 20 of a quiet one ({backend:?}, filled in {:.1} s)",
        filled.elapsed().as_secs_f64()
    );
    let tz = chrono_tz::Europe::Moscow;
    for (account, n) in [("busy", events), ("quiet", 20)] {
        let pool = &pool;
        let dead = (0..n - 5).filter(|i| i % 50_000 == 7).count() as i64;
        let page = |from_ms| Filter {
            from_ms,
            to_ms: now + 1,
            limit: 200,
            ..Filter::default()
        };
        let day = time(|| async {
            queries::events(pool, account, &page(now - DAY), tz)
                .await
                .unwrap()
                .len()
        })
        .await;
        let month = time(|| async {
            queries::events(pool, account, &page(0), tz)
                .await
                .unwrap()
                .len()
        })
        .await;
        let health = time(|| async {
            let h = queries::health(pool, account).await.unwrap();
            // Counted for this account only.
            assert_eq!(h.queue_depth, 5, "{account}: the queued events");
            assert_eq!(h.dead, dead, "{account}: the dead events");
            h.last_events.len()
        })
        .await;
        for (what, (p50, max)) in [
            ("event log, last day", day),
            ("event log, 30 days", month),
            ("health", health),
        ] {
            println!(
                "{account:<6} {what:<20} p50 {:>8.2} ms   slowest {:>8.2} ms",
                ms(p50),
                ms(max)
            );
        }
    }
}
