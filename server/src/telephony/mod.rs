//! Telephony (issue 7): the syncs of telephony settings (T1) and employees (T2), personal-manager
//! routing (T10), click-to-call (T11) and do-not-disturb (T15). The pop-up card and the call records
//! (T12–T14) are the event pipeline's; it reads the mapping kept here (`staff`).

pub mod access;
mod admin;
pub mod employee_sync;
mod hooks;
pub mod megaplan_contract;
pub mod picklists;
pub mod planner;
pub mod routing;
pub mod staff;
pub mod uis_status;

use std::sync::Arc;

use apalis::prelude::*;
use axum::Router;
use axum::routing::{get, post};
use tokio::task::JoinHandle;

use crate::pipeline::Every;
use crate::secret::SecretKey;
use access::{Access, UisUrls};
use employee_sync::Running;
use routing::RouteCache;

/// What the telephony handlers share; cheap to clone.
#[derive(Clone)]
pub struct Telephony {
    pub access: Access,
    pub routes: Arc<RouteCache>,
    pub running: Running,
    pub secret: SecretKey,
    /// The UIS statuses the widget's do-not-disturb watch reads.
    pub uis_status: Arc<uis_status::StatusBoards>,
    /// Where this server is published (the widget's URLs).
    pub public_url: url::Url,
    schedule: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
    /// Applies the routing invalidations other servers write.
    follow: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony").finish_non_exhaustive()
    }
}

impl Telephony {
    /// Ready to serve, with the employee sync scheduled every `sync_every` (2 h in production);
    /// UIS statuses are read for the widget at most every `status_refresh` per account.
    pub fn start(
        pool: sqlx::AnyPool,
        secret: &SecretKey,
        uis: UisUrls,
        public_url: url::Url,
        sync_every: std::time::Duration,
        status_refresh: std::time::Duration,
    ) -> Telephony {
        let follow = routing::follow_invalidations(pool.clone(), routing::FOLLOW_EVERY);
        let t = Telephony {
            access: Access::new(pool, secret, uis),
            routes: RouteCache::new(),
            running: Running::default(),
            secret: secret.clone(),
            uis_status: uis_status::StatusBoards::new(status_refresh),
            public_url,
            schedule: Arc::default(),
            follow: Arc::new(std::sync::Mutex::new(Some(follow))),
        };
        let handle = spawn_schedule(t.clone(), sync_every);
        *t.schedule.lock().expect("schedule") = Some(handle);
        t
    }

    /// The webhooks (public, authenticated by the account key) and the settings page's API.
    pub fn routes(&self) -> Router {
        Router::new()
            .route(
                "/hooks/uis/{account_key}/route",
                get(hooks::route).post(hooks::route),
            )
            .route(
                "/hooks/megaplan/{account_key}/telephony/call",
                post(hooks::call).options(hooks::preflight),
            )
            .route(
                "/hooks/megaplan/{account_key}/telephony/dnd",
                post(hooks::dnd)
                    .get(hooks::dnd_state)
                    .options(hooks::preflight),
            )
            .route("/api/telephony/settings-sync", post(admin::settings_sync))
            .route("/api/telephony/staff", get(admin::staff_table))
            .route(
                "/api/telephony/employee-sync",
                post(admin::start_employee_sync).get(admin::employee_sync_run),
            )
            .route("/api/telephony/widget", get(admin::widget))
            .with_state(self.clone())
    }

    pub fn shutdown(&self) {
        if let Some(h) = self.schedule.lock().expect("schedule").take() {
            h.abort();
        }
        if let Some(h) = self.follow.lock().expect("follow").take() {
            h.abort();
        }
    }
}

async fn sync_tick(_tick: apalis_cron::Tick, t: Data<Telephony>) -> Result<(), BoxDynError> {
    employee_sync::scheduled(&t.access, &t.running).await;
    Ok(())
}

fn spawn_schedule(t: Telephony, every: std::time::Duration) -> JoinHandle<()> {
    let worker = WorkerBuilder::new(format!(
        "uis-megaplan-employee-sync-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ))
    .backend(apalis_cron::CronScheduler::new(Every(every)))
    .data(t)
    .build(sync_tick);
    tokio::spawn(async move {
        if let Err(e) = worker.run().await {
            tracing::error!(error = %e, "employee sync schedule stopped");
        }
    })
}
