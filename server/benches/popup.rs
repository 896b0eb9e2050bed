//! Pop-up latency (T12): a UIS «Ожидание ответа» notification in → its `callInfo` visible in the
//! Megaplan emulator, through the real path (ingress commit → hand-off to the worker → telephony
//! planner → `decide` → executor → `POST /callInfo`, the Megaplan credential read from the
//! settings as in production), one new call at a time; p50/p99 next to, measured in the same run,
//! one bare loopback request (an axum handler answering "ok") and one direct `POST /callInfo` to
//! the same emulator. Two passes: calls started at a steady rate (a busy account), then back to back.
//!
//! `cargo bench -p uis-megaplan --bench popup` (env: BENCH_CALLS per pass, default 200; BENCH_RATE
//! calls/s of the paced pass, default 50; BENCH_BACKEND=postgres for a fresh database on the local
//! PostgreSQL instead of SQLite; BENCH_STAGES=1 also times each step of the cards' way from the
//! `latency` trace events the server, the Megaplan client and the emulator write).

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use megaplan::emulator::{Emulator, EmulatorConfig};
use serde_json::Value;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::pipeline::{PipelineConfig, PipelineParts};
use uis_megaplan::testing::{TestBackend, TestDb};

const ACCOUNT: &str = "bench";
const KEY: &str = "bench-webhook-key-0123456789";
const UIS_EMPLOYEE: i64 = 7001;
const EXTENSION: &str = "201";

/// Each `latency` event's stage and when it came, in order (BENCH_STAGES=1).
static STAGES: std::sync::Mutex<Vec<(&'static str, Instant)>> = std::sync::Mutex::new(Vec::new());

fn stage(name: &'static str) {
    STAGES.lock().unwrap().push((name, Instant::now()));
}

/// Records the `latency` events the server, the Megaplan client and the emulator write on a
/// card's way (their `stage` field is a static string).
struct Stages;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Stages {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Name(Option<String>);
        impl tracing::field::Visit for Name {
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                if f.name() == "stage" {
                    self.0 = Some(v.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let at = Instant::now();
        let mut name = Name(None);
        e.record(&mut name);
        if let Some(n) = name.0 {
            // A handful of distinct names: interned once each.
            static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
            let mut names = NAMES.lock().unwrap();
            let n = match names.iter().find(|k| **k == n) {
                Some(k) => *k,
                None => {
                    let k: &'static str = Box::leak(n.into_boxed_str());
                    names.push(k);
                    k
                }
            };
            STAGES.lock().unwrap().push((n, at));
        }
    }
}

/// Per step of the cards' way (from one stage to the next, in the order they came), p50/p90/p99
/// over the pass's calls; steps seen in under 1 % of the calls (interleavings) are left out.
fn print_stages(stages: Vec<(&'static str, Instant)>) {
    let mut steps: Vec<(String, Vec<Duration>)> = Vec::new();
    // The stages between a measured call's notification and the bench waking (not the bare
    // request's, nor the direct post's).
    let (mut calls, mut last) = (0, None::<(&str, Instant)>);
    for (name, at) in stages {
        if name == "notification sent" {
            calls += 1;
        } else if let Some((prev, t)) = last {
            let step = format!("{prev} -> {name}");
            match steps.iter_mut().find(|(s, _)| *s == step) {
                Some((_, v)) => v.push(at - t),
                None => steps.push((step, vec![at - t])),
            }
        } else {
            continue;
        }
        last = (name != "bench woken").then_some((name, at));
    }
    println!("steps of the card's way ({calls} calls):");
    for (step, v) in steps.into_iter().filter(|(_, v)| v.len() * 100 >= calls) {
        println!(
            "  {step:<50} p50 {:>6.3} ms  p90 {:>6.3} ms  p99 {:>6.3} ms  ({} calls)",
            percentile(v.clone(), 50).as_secs_f64() * 1e3,
            percentile(v.clone(), 90).as_secs_f64() * 1e3,
            percentile(v.clone(), 99).as_secs_f64() * 1e3,
            v.len()
        );
    }
}

fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn line(name: &str, v: &[Duration]) -> (Duration, Duration) {
    let (p50, p99) = (percentile(v.to_vec(), 50), percentile(v.to_vec(), 99));
    println!(
        "{name:<40} p50 {:>8.2} ms   p99 {:>8.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    (p50, p99)
}

/// Whether the card of `call` arrived, reading only the cards created since the last look
/// (`seen`): it runs after every write the emulator takes, and copying every card so far made the
/// bench measure its own O(calls) scan.
fn has_call(
    state: &megaplan::emulator::EmulatorState,
    seen: &std::cell::RefCell<Option<String>>,
    call: i64,
) -> bool {
    let id = call.to_string();
    let new = state.call_infos_after(seen.borrow().as_deref());
    if let Some(last) = new.last().and_then(|c| c["id"].as_str()) {
        *seen.borrow_mut() = Some(last.to_owned());
    }
    new.iter().any(|c| match &c["providerId"] {
        Value::String(s) => *s == id,
        Value::Number(n) => n.to_string() == id,
        _ => false,
    })
}

async fn bare_handler() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/hooks/uis/{key}/{event}",
        post(|_body: axum::body::Bytes| async { "ok" }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks/uis/k/ringing")
}

/// The server with the account as an admin leaves it: its Megaplan credential set stored
/// (encrypted) and selected, telephony on, the staff synced.
async fn setup(db: &TestDb, emu: &Emulator) -> uis_megaplan::RunningServer {
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let parts = PipelineParts {
        config: PipelineConfig::default(),
        ..PipelineParts::default()
    };
    let server = uis_megaplan::start_with(&args, parts).await.unwrap();
    let pool = &server.state.db.pool;
    let megaplan_user = emu.seed().employees[0].id.to_string();
    let sealed = uis_megaplan::accounts::cipher::Cipher::new(&server.state.secret)
        .seal("megaplan_password:cred-1", &emu.seed().password)
        .unwrap();
    for (sql, binds) in [
        (
            "INSERT INTO accounts (id, name, webhook_key, time_zone, created_at) VALUES ($1, 'bench', $2, 'Europe/Moscow', 0)",
            vec![ACCOUNT.to_owned(), KEY.to_owned()],
        ),
        (
            "INSERT INTO account_settings (account_id, section, active, settings, updated_at) VALUES ($1, 'telephony', 1, $2, 0)",
            vec![
                ACCOUNT.to_owned(),
                format!(r#"{{"default_responsible": "{megaplan_user}"}}"#),
            ],
        ),
        (
            "INSERT INTO telephony_uis_employees (account_id, uis_employee_id, extension, synced_at) VALUES ($1, 7001, $2, 0)",
            vec![ACCOUNT.to_owned(), EXTENSION.to_owned()],
        ),
        (
            "INSERT INTO telephony_staff (account_id, megaplan_user_id, megaplan_name, extension, uis_employee_id, matched_by, synced_at) \
             VALUES ($1, $2, 'Bench', $3, 7001, 'extension', 0)",
            vec![ACCOUNT.to_owned(), megaplan_user, EXTENSION.to_owned()],
        ),
        (
            "INSERT INTO megaplan_credentials (id, account_id, name, login, domain, password_enc, status, checked_at, created_at) \
             VALUES ('cred-1', $1, 'main', $2, $3, $4, 'working', 0, 0)",
            vec![
                ACCOUNT.to_owned(),
                emu.seed().login.clone(),
                emu.base_url().as_str().trim_end_matches('/').to_owned(),
                sealed,
            ],
        ),
        (
            "INSERT INTO account_megaplan (account_id, credential_id, selected_at) VALUES ($1, 'cred-1', 0)",
            vec![ACCOUNT.to_owned()],
        ),
    ] {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(b);
        }
        q.execute(pool).await.unwrap();
    }
    server
}

/// One pass of new calls, each waited for before the next; with `rate`, started on a fixed
/// schedule of that many a second. Returns the pop-up, bare loopback and direct-post samples and
/// how long the pass took.
struct Pass<'a> {
    http: &'a reqwest::Client,
    hook: &'a str,
    bare: &'a str,
    emu: &'a Emulator,
    mp: &'a megaplan::Client,
    seen: &'a std::cell::RefCell<Option<String>>,
    next_call: i64,
}

type Samples = (Vec<Duration>, Vec<Duration>, Vec<Duration>, Duration);

impl Pass<'_> {
    async fn pass(&mut self, calls: usize, rate: Option<f64>) -> Samples {
        let (mut popup, mut loopback, mut direct) = (Vec::new(), Vec::new(), Vec::new());
        let started = tokio::time::Instant::now();
        // Warm-up: the token, the connections, the staff.
        for i in 0..(calls + 10) {
            // Paced, each of the three requests starts from the same idle state at its own third of
            // the call's slot: the bare request right after the pop-up's would find every thread awake.
            let slot = |third: usize| async move {
                if let Some(rate) = rate {
                    let at = (3 * i + third) as f64 / (3.0 * rate);
                    tokio::time::sleep_until(started + Duration::from_secs_f64(at)).await;
                }
            };
            slot(0).await;
            let call = self.next_call;
            self.next_call += 1;
            let n = call % 10_000_000;
            let body = format!(
                r#"{{"notification_name":"ringing","notification_time":"2026-11-24 10:00:00","call_session_id":{call},"direction":"in","contact_phone_number":"7950{n:07}","virtual_phone_number":"74950000000","employee_id":{UIS_EMPLOYEE},"leg_id":{}}}"#,
                call * 10 + 1
            );
            if i >= 10 {
                stage("notification sent");
            }
            let t = Instant::now();
            let r = self
                .http
                .post(self.hook)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            // Woken by the emulator's own write, not by polling (tokio's timer has 1 ms steps).
            assert!(
                self.emu
                    .state()
                    .wait_until(Duration::from_secs(20), |s| has_call(s, self.seen, call))
                    .await,
                "no callInfo for call {call}"
            );
            let took = t.elapsed();
            if i >= 10 {
                stage("bench woken");
            }

            slot(1).await;
            let t = Instant::now();
            let r = self
                .http
                .post(self.bare)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let bare_took = t.elapsed();

            slot(2).await;
            let t = Instant::now();
            self.mp
                .create_call_info(&megaplan::CallInfoFields {
                    provider_id: Some(format!("direct-{call}")),
                    kind: Some(megaplan::CallType::In),
                    state: Some(megaplan::CallState::Calling),
                    from_phone: Some(format!("+7950{n:07}")),
                    ..megaplan::CallInfoFields::default()
                })
                .await
                .unwrap();
            let direct_took = t.elapsed();
            if i >= 10 {
                popup.push(took);
                loopback.push(bare_took);
                direct.push(direct_took);
            }
        }
        (popup, loopback, direct, started.elapsed())
    }
}

fn main() {
    let stages = std::env::var_os("BENCH_STAGES").is_some();
    if stages {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(tracing_subscriber::Layer::with_filter(
                Stages,
                tracing_subscriber::filter::Targets::new()
                    .with_target("latency", tracing::Level::TRACE),
            ))
            .init();
    } else if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rate: f64 = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let backend = TestBackend::for_bench();
        let db = TestDb::new(backend)
            .await
            .unwrap_or_else(|| panic!("no {backend:?} database for the bench"));
        let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
        let server = setup(&db, &emu).await;
        let hook = format!("{}/hooks/uis/{KEY}/ringing", server.url());
        let bare = bare_handler().await;
        let http = reqwest::Client::new();
        let mp = megaplan::Client::new(
            emu.base_url(),
            megaplan::Credentials {
                login: emu.seed().login.clone(),
                password: emu.seed().password.clone(),
            },
        );
        let seen = std::cell::RefCell::new(None);
        let mut run = Pass {
            http: &http,
            hook: &hook,
            bare: &bare,
            emu: &emu,
            mp: &mp,
            seen: &seen,
            next_call: 800_000_000,
        };
        // Paced first: what a busy account sends; then back to back, as fast as one call at a time
        // goes, where the WAL a thousand calls a second write is itself the load.
        let paced = run.pass(calls, Some(rate)).await;
        let paced_stages = std::mem::take(&mut *STAGES.lock().unwrap());
        let flat_out = run.pass(calls, None).await;
        let flat_out_stages = std::mem::take(&mut *STAGES.lock().unwrap());
        println!(
            "pop-up latency, {calls} calls one at a time ({backend:?}, default pipeline timings)"
        );
        for (what, (popup, loopback, direct, took), steps) in [
            (format!("paced at {rate} calls/s"), paced, paced_stages),
            ("back to back".to_owned(), flat_out, flat_out_stages),
        ] {
            println!(
                "-- {what} ({:.0} calls/s sent)",
                calls as f64 / took.as_secs_f64()
            );
            let (_, p99) = line("ringing in -> callInfo at the emulator", &popup);
            let (_, bare99) = line("bare loopback request (axum \"ok\")", &loopback);
            let (_, direct99) = line("direct POST /callInfo to the emulator", &direct);
            let ratio = p99.as_secs_f64() / bare99.as_secs_f64();
            println!(
                "p99 ratio: {ratio:.1}x the bare loopback request (target <= 5x: {}), {:.1}x a direct POST /callInfo",
                if ratio <= 5.0 { "met" } else { "NOT met" },
                p99.as_secs_f64() / direct99.as_secs_f64()
            );
            let tail: Vec<String> = [90, 95, 98, 100]
                .iter()
                .map(|&p| {
                    format!(
                        "p{p} {:.2} ms",
                        percentile(popup.clone(), p).as_secs_f64() * 1e3
                    )
                })
                .collect();
            println!("pop-up tail: {}", tail.join(", "));
            if stages {
                print_stages(steps);
            }
        }
        server.shutdown().await.unwrap();
        emu.shutdown().await;
    });
}
