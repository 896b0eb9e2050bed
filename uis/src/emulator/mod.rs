//! A UIS that runs in-process (uis-api.md §9): Data API at `/v2.0`, Call API at `/v4.0`, one
//! in-memory account, a call simulator that sends notifications and asks the routing URL, and a
//! control API (`/_emulator/...`) for the CLI and curl.

mod call_methods;
mod deliver;
mod methods;
mod query;
pub mod route;
mod rpc;
pub mod seed;
pub mod simulator;
mod state;
mod text;
mod timeline;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono_tz::Tz;
use serde_json::json;
use url::Url;

pub use route::{RouteMethod, RouteOutcome};
pub use seed::Seed;
pub use simulator::{CallScript, Delivery, Flow, SentNotification, Simulation};
pub use state::{Faults, StartedCall};
pub use text::{ChatScript, LeadScript, TextSimulation};

use crate::call_api::ActiveCall;
use crate::data_api::{CallLegReport, CallReport, Employee, VirtualNumber};
use crate::rpc::Mnemonic;

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen, e.g. `127.0.0.1:0` for a free port.
    pub listen: SocketAddr,
    pub seed: Seed,
    /// The account's zone: notification and report times are local times in it.
    pub tz: Tz,
    /// `{base}/hooks/uis/{account_key}`; the simulator appends `/{event}`.
    pub notify_base: Option<Url>,
    /// The interactive call-processing URL (`{base}/hooks/uis/{account_key}/route`).
    pub route_url: Option<Url>,
    pub route_method: RouteMethod,
    pub route_timeout: Duration,
    pub delivery: Delivery,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::demo(),
            tz: chrono_tz::Europe::Moscow,
            notify_base: None,
            route_url: None,
            route_method: RouteMethod::default(),
            route_timeout: route::DEFAULT_ROUTE_TIMEOUT,
            delivery: Delivery::default(),
        }
    }
}

pub(crate) struct Inner {
    state: Mutex<state::State>,
    http: reqwest::Client,
    tz: Tz,
    /// `http://addr` of the emulator itself (recording links point here).
    base_url: String,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, state::State> {
        // A panicking test thread must not wedge every later request.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub struct Emulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.listen` and serves on the current tokio runtime (error outside of one).
    pub fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let mut st = state::State::new(config.seed);
        st.notify_base = config.notify_base;
        st.route_url = config.route_url;
        st.route_method = config.route_method;
        st.route_timeout = config.route_timeout;
        st.delivery = config.delivery;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(std::io::Error::other)?;
        let inner = Arc::new(Inner {
            state: Mutex::new(st),
            http,
            tz: config.tz,
            base_url: format!("http://{addr}"),
        });
        let app = router(inner.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = served.await {
                tracing::error!(error = %e, "UIS emulator stopped");
            }
        });
        tracing::info!(%addr, "UIS emulator listening");
        Ok(Emulator {
            inner,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn data_api_url(&self) -> String {
        format!("{}/v2.0", self.inner.base_url)
    }

    pub fn call_api_url(&self) -> String {
        format!("{}/v4.0", self.inner.base_url)
    }

    pub fn api_key(&self) -> String {
        self.inner.state().seed.api_key.clone()
    }

    /// Call API `login.user` credentials.
    pub fn login(&self) -> (String, String) {
        let st = self.inner.state();
        (st.seed.login.clone(), st.seed.password.clone())
    }

    pub fn seed(&self) -> Seed {
        self.inner.state().seed.clone()
    }

    /// Employees as they are now (statuses included).
    pub fn employees(&self) -> Vec<Employee> {
        self.inner.state().employees.clone()
    }

    /// Deletes an employee, as UIS's admin pages do (the Data API has no delete); `false` if absent.
    pub fn remove_employee(&self, id: i64) -> bool {
        let mut st = self.inner.state();
        let before = st.employees.len();
        st.employees.retain(|e| e.id != id);
        st.employees.len() != before
    }

    pub fn virtual_numbers(&self) -> Vec<VirtualNumber> {
        self.inner.state().virtual_numbers.clone()
    }

    /// What the CLI prints: the seed plus where to reach this emulator.
    pub fn describe(&self) -> String {
        let st = self.inner.state();
        let mut text = st.seed.describe();
        text.push_str(&format!("  Data API:  {}/v2.0\n", self.inner.base_url));
        text.push_str(&format!("  Call API:  {}/v4.0\n", self.inner.base_url));
        let notify = st
            .notify_base
            .as_ref()
            .map_or("(none)".to_string(), |u| format!("{u}/{{event}}"));
        text.push_str(&format!("  Notifications to: {notify}\n"));
        let route = st.route_url.as_ref().map_or("(none)", Url::as_str);
        text.push_str(&format!("  Routing URL: {route}\n"));
        text.push_str(&format!(
            "  Place a call: curl -s {}/_emulator/calls -H 'content-type: application/json' -d '{{\"flow\":\"inbound_answered\",\"contact_phone_number\":\"79991112233\"}}'\n",
            self.inner.base_url
        ));
        text
    }

    pub fn set_notify_base(&self, base: Option<Url>) {
        self.inner.state().notify_base = base;
    }

    pub fn set_route_url(&self, url: Option<Url>) {
        self.inner.state().route_url = url;
    }

    pub fn set_route_method(&self, method: RouteMethod) {
        self.inner.state().route_method = method;
    }

    pub fn set_route_timeout(&self, timeout: Duration) {
        self.inner.state().route_timeout = timeout;
    }

    /// Emulator-wide delivery knobs (a script's own `delivery` wins).
    pub fn set_delivery(&self, delivery: Delivery) {
        self.inner.state().delivery = delivery;
    }

    /// How long a click-to-call talk lasts in real time unless `release.call` ends it.
    pub fn set_click_to_call_hold(&self, hold: Duration) {
        self.inner.state().click_to_call_hold = hold;
    }

    /// Plays a scripted call to the end and reports what was sent.
    pub async fn simulate(&self, script: CallScript) -> Simulation {
        let simulation = simulator::run(&self.inner, script, None).await;
        self.inner.state().simulations.push(simulation.clone());
        simulation
    }

    pub async fn simulate_chat(&self, script: ChatScript) -> TextSimulation {
        text::run_chat(&self.inner, script).await
    }

    pub async fn simulate_lead(&self, script: LeadScript) -> TextSimulation {
        text::run_lead(&self.inner, script).await
    }

    /// Finished simulations, scripted and click-to-call, oldest first.
    pub fn simulations(&self) -> Vec<Simulation> {
        self.inner.state().simulations.clone()
    }

    /// Waits until the call's simulation (e.g. of a click-to-call) has finished.
    pub async fn wait_for_simulation(
        &self,
        call_session_id: i64,
        timeout: Duration,
    ) -> Option<Simulation> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self
                .inner
                .state()
                .simulations
                .iter()
                .find(|s| s.call_session_id == call_session_id)
                .cloned();
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Rows of `get.calls_report`.
    pub fn calls(&self) -> Vec<CallReport> {
        self.inner.state().calls.clone()
    }

    pub fn call_legs(&self) -> Vec<CallLegReport> {
        self.inner.state().call_legs.clone()
    }

    /// `start.employee_call` requests accepted, with their params.
    pub fn started_calls(&self) -> Vec<StartedCall> {
        self.inner.state().started_calls.clone()
    }

    /// What `list.calls` would answer.
    pub fn active_calls(&self) -> Vec<ActiveCall> {
        self.inner
            .state()
            .active_calls
            .values()
            .map(|e| e.call.clone())
            .collect()
    }

    /// API methods called so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.inner.state().requests.clone()
    }

    pub fn set_ip_whitelisted(&self, allowed: bool) {
        self.inner.state().faults.ip_not_whitelisted = !allowed;
    }

    /// Answers `mnemonic` (with its code) to the next `times` calls of `method` (any method if `None`).
    pub fn inject_error(&self, method: Option<&str>, mnemonic: Mnemonic, times: u32) {
        self.inner
            .state()
            .faults
            .errors
            .push((method.map(str::to_string), mnemonic, times));
    }

    /// Answers HTTP `status` (no JSON-RPC) to the next `times` requests.
    pub fn inject_http_status(&self, status: u16, times: u32) {
        self.inner.state().faults.http_status = Some((status, times));
    }

    /// Answers every API request this late (`None` to stop).
    pub fn set_api_delay(&self, delay: Option<Duration>) {
        self.inner.state().faults.api_delay = delay;
    }

    /// Point budgets; usage is reset.
    pub fn set_limits(&self, day_limit: i64, minute_limit: i64) {
        let mut st = self.inner.state();
        st.limits.day_limit = day_limit;
        st.limits.minute_limit = minute_limit;
        st.limits.day_used = 0;
        st.limits.minute_used = 0;
        st.limits.minute_started = st.now();
    }

    /// Moves the emulator clock forward (expires sessions, rolls the minute budget).
    pub fn advance_clock(&self, by: Duration) {
        let mut st = self.inner.state();
        st.clock_offset += chrono::Duration::from_std(by).unwrap_or_default();
    }

    /// Puts the emulator clock `seconds` away from real time (negative: behind).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.inner.state().clock_offset = chrono::Duration::seconds(seconds);
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// For a CLI subcommand: asks a running emulator (`http://host:port`) to play `script`.
pub async fn place_call(
    emulator_url: &str,
    script: &CallScript,
) -> Result<Simulation, reqwest::Error> {
    reqwest::Client::new()
        .post(format!(
            "{}/_emulator/calls",
            emulator_url.trim_end_matches('/')
        ))
        .json(script)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route(
            "/v2.0",
            post(|AxState(i): AxState<Arc<Inner>>, body: Bytes| {
                rpc::handle(i, rpc::Api::Data, body)
            }),
        )
        .route(
            "/v4.0",
            post(|AxState(i): AxState<Arc<Inner>>, body: Bytes| {
                rpc::handle(i, rpc::Api::Call, body)
            }),
        )
        .route("/media/{call_session_id}/{record_id}", get(media))
        .route("/_emulator/calls", post(control_call))
        .route("/_emulator/chats", post(control_chat))
        .route("/_emulator/leads", post(control_lead))
        .route("/_emulator/state", get(control_state))
        .route("/_emulator/faults", post(control_fault))
        .route(
            "/_emulator/seed",
            get(|AxState(i): AxState<Arc<Inner>>| async move { i.state().seed.describe() }),
        )
        .with_state(inner)
}

/// Recording links must download without auth (uis-api.md §1.2 `file_link`).
async fn media(Path((call_session_id, record_id)): Path<(i64, i64)>) -> impl IntoResponse {
    let mut bytes = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend(format!("emulated recording {call_session_id}/{record_id}").into_bytes());
    ([("content-type", "audio/mpeg")], bytes)
}

async fn control_call(
    AxState(inner): AxState<Arc<Inner>>,
    axum::Json(script): axum::Json<CallScript>,
) -> impl IntoResponse {
    let simulation = simulator::run(&inner, script, None).await;
    inner.state().simulations.push(simulation.clone());
    axum::Json(simulation)
}

async fn control_chat(
    AxState(inner): AxState<Arc<Inner>>,
    axum::Json(script): axum::Json<ChatScript>,
) -> impl IntoResponse {
    axum::Json(text::run_chat(&inner, script).await)
}

async fn control_lead(
    AxState(inner): AxState<Arc<Inner>>,
    axum::Json(script): axum::Json<LeadScript>,
) -> impl IntoResponse {
    axum::Json(text::run_lead(&inner, script).await)
}

/// A fault asked for over HTTP (browser tests, the demo): the next `times` calls of `method` (or of
/// any method) answer the JSON-RPC error `mnemonic`, as [`Emulator::inject_error`] does.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    method: Option<String>,
    mnemonic: String,
    times: u32,
}

async fn control_fault(
    AxState(inner): AxState<Arc<Inner>>,
    axum::Json(f): axum::Json<FaultRequest>,
) -> axum::response::Response {
    let refuse = |why: String| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": why })),
        )
            .into_response()
    };
    if let Some(m) = f.method.as_deref()
        && rpc::Api::ALL
            .iter()
            .all(|api| methods::allowed_params(*api, m).is_none())
    {
        return refuse(format!("no such UIS method: {m}"));
    }
    let mnemonic = Mnemonic::parse(&f.mnemonic);
    if matches!(mnemonic, Mnemonic::Other(_)) {
        return refuse(format!("no such UIS error mnemonic: {}", f.mnemonic));
    }
    if !(1..=1000).contains(&f.times) {
        return refuse("times: 1 to 1000".into());
    }
    inner
        .state()
        .faults
        .errors
        .push((f.method.clone(), mnemonic.clone(), f.times));
    axum::Json(json!({ "method": f.method, "mnemonic": mnemonic.as_str(), "times": f.times }))
        .into_response()
}

async fn control_state(AxState(inner): AxState<Arc<Inner>>) -> impl IntoResponse {
    let st = inner.state();
    axum::Json(json!({
        "employees": st.employees,
        "calls": st.calls,
        "started_calls": st.started_calls,
        "active_calls": st.active_calls.values().map(|e| &e.call).collect::<Vec<_>>(),
        "chats": st.chats,
        "offline_messages": st.offline_messages,
        "notify_base": st.notify_base.as_ref().map(Url::as_str),
        "route_url": st.route_url.as_ref().map(Url::as_str),
    }))
}
