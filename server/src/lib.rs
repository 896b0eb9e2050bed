//! The uis-megaplan server: wires configuration, database, HTTP routes and the UI together.

/// glibc's malloc serialises the tokio workers and SQLite's threads on its arena locks (~8 % of a
/// loaded ingress's time was spent waiting there); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod accounts;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod emulate;
pub mod observe;
pub mod pipeline;
mod routes;
pub use routes::ui_paths;
pub mod secret;
pub mod telemetry;
pub mod telephony;
pub mod testing;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServeArgs;
use crate::db::Db;
use crate::secret::SecretKey;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub secret: SecretKey,
}

/// A started server; dropping it does not stop it, `shutdown` does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The event pipeline (inbox writer, worker, schedules).
    pub pipeline: pipeline::Pipeline,
    /// Sign-in, sessions, credentials and settings (and the e2e emulators when asked for).
    pub settings: accounts::settings_app::SettingsApp,
    /// Telephony syncs, routing, click-to-call and DND (issue 7).
    pub telephony: telephony::Telephony,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, then returns.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await??;
        self.telephony.shutdown();
        self.pipeline
            .shutdown(std::time::Duration::from_secs(10))
            .await;
        self.settings.shutdown().await;
        Ok(())
    }

    /// Stops at once, as a crash would: no graceful end of requests or jobs (tests of recovery).
    pub fn kill(self) {
        self.task.abort();
        self.telephony.shutdown();
        self.pipeline.kill();
    }
}

/// Prepares the data directory and the database, binds the address and starts serving.
pub async fn start(args: &ServeArgs) -> anyhow::Result<RunningServer> {
    start_with(args, pipeline::PipelineParts::default()).await
}

/// `start` with the pipeline's knobs and plug-ins (Megaplan connections, rules) given.
pub async fn start_with(
    args: &ServeArgs,
    parts: pipeline::PipelineParts,
) -> anyhow::Result<RunningServer> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            args.data_dir.display()
        )
    })?;
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => db::sqlite_url_in(&args.data_dir),
    };
    let db = Db::connect(&url).await?;
    tracing::info!(backend = db.backend.name(), url = %db::redact(&url), "database ready");
    let secret = SecretKey::load_or_create(args.secret_key.as_deref(), &args.data_dir)?;
    let mut parts = parts;
    parts.config.trace_retention_days = args.trace_retention_days;
    let pipeline = pipeline::Pipeline::start(db.clone(), &url, parts, &secret).await?;
    let state = AppState { db, secret };

    let listener = TcpListener::bind(args.listen_addr())
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen_addr()))?;
    let addr = listener.local_addr()?;
    let settings = accounts::settings_app::SettingsApp::start(
        args,
        &state.db.pool,
        &state.secret,
        addr,
        pipeline.clone(),
    )
    .await?;
    let telephony = telephony::Telephony::start(
        state.db.pool.clone(),
        &state.secret,
        telephony::access::UisUrls {
            data_api: settings.demo.as_ref().map_or_else(
                || args.uis_data_api_url.clone(),
                |d| d.info.uis_data_api_url.clone(),
            ),
            call_api: settings.demo.as_ref().map_or_else(
                || args.uis_call_api_url.clone(),
                |d| d.info.uis_call_api_url.clone(),
            ),
        },
        match &args.public_url {
            Some(u) => u.clone(),
            None => url::Url::parse(&format!("http://{addr}"))?,
        },
        telephony::employee_sync::EVERY,
        std::time::Duration::from_secs(args.uis_status_refresh_secs.max(1)),
    );
    let observe = observe::service(
        pipeline.clone(),
        telephony.access.clone(),
        settings.demo.clone(),
    );
    let router = routes::router(
        state.clone(),
        &args.site_root,
        addr,
        settings.services(),
        observe,
        std::sync::Arc::new(telephony.clone()),
    )
    .merge(pipeline.routes())
    .merge(telephony.routes());
    // Every route, the pipeline's too, is behind the session guard (public paths: auth::guard).
    let router = settings.wrap(router);

    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await
    });
    Ok(RunningServer {
        addr,
        state,
        pipeline,
        settings,
        telephony,
        stop,
        task,
    })
}

/// Ctrl-C or SIGTERM (what service managers send) both start a graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Runs `tick` every `period` (the first at once; a slow one delays the next) until `stopped`
/// turns true — the background chores of a server (WAL checkpoints, lapsed claims).
pub(crate) async fn every<F, Fut>(
    period: std::time::Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    mut tick: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::ops::ControlFlow<()>>,
{
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        if tick().await.is_break() {
            return;
        }
    }
}
