//! An emulator of Megaplan API v3 that behaves like the real service (megaplan-api.md
//! "What a faithful Megaplan emulator must implement"): same paths, envelopes, auth and token expiry,
//! typed JSON validation, pagination, in-memory state to inspect, fault knobs and webhooks.

mod auth;
mod calls;
mod comments;
mod contractors;
mod deals;
mod employees;
mod faults;
mod files;
pub mod inferred;
mod router;
mod seed;
mod state;
mod store;
mod todos;
mod webhooks;
mod wire;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Corruption, Faults};
pub use seed::{Seed, SeedEmployee, SeedProgram};
pub use state::EmulatorState;
pub use store::{StoredFile, WidgetEvent};
pub use webhooks::Delivery;

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// `127.0.0.1:0` in tests; a fixed port in demo mode.
    pub listen: SocketAddr,
    pub seed: Seed,
    /// `expires_in` of issued tokens (the real sample says two days, §1).
    pub token_ttl: Duration,
    /// Where application webhooks go (§9 `streamUri`); `None` = no app installed.
    pub webhook_url: Option<url::Url>,
    /// Pause between delivery attempts of a failing webhook.
    pub webhook_retry_delay: Duration,
    /// Per-attempt timeout; Megaplan waits 20 s for a 200 (§9 Receiver contract).
    pub webhook_timeout: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: Seed::demo(),
            token_ttl: inferred::TOKEN_TTL,
            webhook_url: None,
            webhook_retry_delay: Duration::from_secs(1),
            webhook_timeout: Duration::from_secs(20),
        }
    }
}

/// Everything the handlers share.
#[derive(Clone)]
pub(crate) struct Shared(Arc<Inner>);

pub(crate) struct Inner {
    store: Mutex<store::Store>,
    pub faults: Faults,
    pub seed: Seed,
    pub webhooks: webhooks::Webhooks,
    pub base_url: url::Url,
    /// Counts finished writing requests, so a test can wait for one instead of polling the state.
    pub changes: tokio::sync::watch::Sender<u64>,
}

impl Deref for Shared {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Inner {
    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().expect("store lock")
    }

    /// Queues an application event `on_after_create|on_after_update|on_after_drop` for `model` (§9).
    pub(crate) fn emit(&self, event: &str, model: &str, data: &Value) {
        self.webhooks.emit(event, model, data);
    }
}

/// A running emulator. Dropping it leaves the server running until the runtime stops; call `shutdown`.
pub struct Emulator {
    shared: Shared,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    sender: JoinHandle<()>,
}

impl Emulator {
    /// Binds `config.listen` and serves on the current tokio runtime.
    pub fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let handle = tokio::runtime::Handle::try_current().map_err(|e| {
            std::io::Error::other(format!("Emulator::start needs a tokio runtime: {e}"))
        })?;
        let std_listener = std::net::TcpListener::bind(config.listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = {
            let _enter = handle.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let base_url =
            url::Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
        let shared = Shared(Arc::new(Inner {
            store: Mutex::new(store::Store::from_seed(&config.seed)),
            faults: Faults {
                state: Arc::new(Mutex::new(faults::FaultState::new(config.token_ttl))),
            },
            webhooks: webhooks::Webhooks::new(&config),
            seed: config.seed.clone(),
            base_url,
            changes: tokio::sync::watch::Sender::new(0),
        }));
        let app = router::build(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = handle.spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "megaplan emulator stopped");
            }
        });
        let sender = handle.spawn(webhooks::run(shared.clone()));
        Ok(Emulator {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
            sender,
        })
    }

    /// `http://127.0.0.1:PORT/` — give it to `megaplan::Client::new`.
    pub fn base_url(&self) -> url::Url {
        self.shared.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seed the account was built from (login, password, ids).
    pub fn seed(&self) -> &Seed {
        &self.shared.seed
    }

    /// Inspect data, set knobs, trigger user-side changes.
    pub fn state(&self) -> EmulatorState {
        EmulatorState {
            shared: self.shared.clone(),
        }
    }

    /// Points application webhooks at `url` (the app's `streamUri`), or turns them off.
    pub fn set_webhook_url(&self, url: Option<url::Url>) {
        self.shared.webhooks.set_url(url);
    }

    /// Sends the install callback to `preferences_uri` and returns its HTTP status (item 18).
    pub async fn send_install_callback(&self, preferences_uri: url::Url) -> Result<u16, String> {
        webhooks::install_callback(&self.shared, preferences_uri).await
    }

    /// Demo mode in one call: start, print the account description, serve until `stop` resolves.
    pub async fn run_until(
        config: EmulatorConfig,
        stop: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let emulator = Emulator::start(config)?;
        println!("{}", emulator.describe());
        stop.await;
        emulator.shutdown().await;
        Ok(())
    }

    /// The seed description plus where the emulator listens (what the CLI prints).
    pub fn describe(&self) -> String {
        format!(
            "Megaplan emulator listening on {base}\n{seed}  state (not Megaplan, for humans): {base}_emulator/state\n",
            base = self.base_url(),
            seed = self.shared.seed.describe()
        )
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.sender.abort();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.sender.abort();
    }
}
