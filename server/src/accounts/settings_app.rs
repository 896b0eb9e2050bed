//! Wiring of the settings application into the server: the first admin, the e2e/demo emulators, the
//! service the server functions call, and the guard around every route.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use sqlx::AnyPool;

use super::cipher::Cipher;
use super::service::{SettingsConfig, SettingsService};
use crate::auth::{self, guard::Guard};
use crate::config::ServeArgs;
use crate::demo::{self, Demo};
use crate::secret::SecretKey;

pub struct SettingsApp {
    pub service: Arc<SettingsService>,
    /// Present when started with `UIS_MEGAPLAN_E2E=1`.
    pub demo: Option<Demo>,
    guard: Arc<Guard>,
}

impl SettingsApp {
    pub async fn start(
        args: &ServeArgs,
        db: &AnyPool,
        secret: &SecretKey,
        addr: SocketAddr,
        pipeline: crate::pipeline::Pipeline,
    ) -> anyhow::Result<SettingsApp> {
        let mut allow = args.megaplan_allow_hosts.clone();
        let mut uis_data = args.uis_data_api_url.clone();
        let mut uis_call = args.uis_call_api_url.clone();
        let demo = if args.e2e {
            let demo = demo::start_emulators_and_seed(db).await?;
            allow.push(demo.info.megaplan_allow_host.clone());
            uis_data = demo.info.uis_data_api_url.clone();
            uis_call = demo.info.uis_call_api_url.clone();
            println!(
                "e2e mode: account {:?}, admin {:?} / {:?}; Megaplan emulator {} ({} / {}); UIS emulator {}",
                demo.info.account,
                demo.info.admin_login,
                demo.info.admin_password,
                demo.info.megaplan_url,
                demo.info.megaplan_login,
                demo.info.megaplan_password,
                demo.info.uis_data_api_url,
            );
            Some(demo)
        } else {
            if args.database_url.is_none()
                && let Some((account, login, password)) = auth::first_start(db).await?
            {
                // Printed once: only its hash is kept.
                println!(
                    "first start: created account {account:?} with admin {login:?}, password: {password}\n\
                     (sign in at http://{addr}/sign-in; more admins: uis-megaplan admin create)"
                );
            }
            None
        };
        let public_url = match &args.public_url {
            Some(u) => u.clone(),
            None => url::Url::parse(&format!("http://{addr}"))?,
        };
        let guard = Arc::new(Guard {
            db: db.clone(),
            public_origin: public_url.origin().ascii_serialization(),
            e2e: demo.is_some(),
        });
        let service = SettingsService::new(
            db.clone(),
            Cipher::new(secret),
            SettingsConfig {
                public_url,
                megaplan_allow_hosts: allow,
                uis_data_api_url: uis_data,
                uis_call_api_url: uis_call,
                secret: secret.clone(),
            },
            pipeline,
        );
        if let Some(demo) = &demo {
            demo::configure_demo_account(db, &service, demo).await?;
            println!(
                "demo: open {} to sign in as {:?} of account {:?} (one-time link; later: /sign-in, password {:?})",
                demo.sign_in_link(&service.config.public_url),
                demo.info.admin_login,
                demo.info.demo_account,
                demo.info.admin_password,
            );
        }
        Ok(SettingsApp {
            service,
            demo,
            guard,
        })
    }

    pub fn services(&self) -> Arc<dyn app::ssr::Services> {
        self.service.clone()
    }

    /// The whole router behind the guard; in e2e mode also `GET /_e2e/emulators`.
    pub fn wrap(&self, mut router: Router) -> Router {
        if let Some(demo) = &self.demo {
            let secure = self.service.config.public_url.scheme() == "https";
            router = router.merge(demo.routes(self.service.db.clone(), secure));
        }
        router.layer(axum::middleware::from_fn_with_state(
            self.guard.clone(),
            auth::guard::guard,
        ))
    }

    pub async fn shutdown(self) {
        if let Some(demo) = self.demo {
            demo.shutdown().await;
        }
    }
}
