//! In-process emulators of Megaplan and UIS with a seeded account, for the browser tests
//! (`UIS_MEGAPLAN_E2E=1`) and, later, the public `demo` mode.
//!
//! `start_emulators_and_seed` starts both emulators on 127.0.0.1:0, creates an account and an admin with
//! known credentials, and says how the server must be configured to reach the emulators (the Megaplan
//! emulator's `host:port` on the allow-list, the UIS API URLs). `GET /_e2e/emulators` shows it as JSON.

use serde::Serialize;
use sqlx::AnyPool;

/// The seeded account and admin of the test hook.
pub const ACCOUNT: &str = "e2e";
pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "e2e-password";

/// What a browser test (or a newcomer in demo mode) needs to know about the emulators.
#[derive(Clone, Debug, Serialize)]
pub struct DemoInfo {
    pub account: String,
    pub admin_login: String,
    pub admin_password: String,
    pub megaplan_url: String,
    pub megaplan_login: String,
    pub megaplan_password: String,
    /// The `host:port` to put on the Megaplan allow-list.
    pub megaplan_allow_host: String,
    pub uis_data_api_url: String,
    pub uis_call_api_url: String,
    pub uis_api_key: String,
    pub uis_login: String,
    pub uis_password: String,
}

pub struct Demo {
    pub megaplan: megaplan::emulator::Emulator,
    pub uis: uis::emulator::Emulator,
    pub info: DemoInfo,
}

impl Demo {
    pub async fn shutdown(self) {
        self.megaplan.shutdown().await;
        self.uis.shutdown().await;
    }
}

/// Starts both emulators and seeds the account and its admin (idempotent for the account and admin).
pub async fn start_emulators_and_seed(db: &AnyPool) -> anyhow::Result<Demo> {
    let megaplan = megaplan::emulator::Emulator::start(Default::default())?;
    let uis = uis::emulator::Emulator::start(Default::default())?;
    match crate::auth::create_admin(db, ACCOUNT, ADMIN_LOGIN, ADMIN_PASSWORD).await {
        Ok(_) | Err(crate::auth::CreateAdminError::Exists { .. }) => {}
        Err(e) => anyhow::bail!("seeding the e2e admin: {e}"),
    }
    let base = megaplan.base_url();
    let (uis_login, uis_password) = uis.login();
    let info = DemoInfo {
        account: ACCOUNT.into(),
        admin_login: ADMIN_LOGIN.into(),
        admin_password: ADMIN_PASSWORD.into(),
        megaplan_url: base.as_str().trim_end_matches('/').to_string(),
        megaplan_login: "admin@demo.megaplan".into(),
        megaplan_password: "demo-password".into(),
        megaplan_allow_host: format!(
            "{}:{}",
            base.host_str().unwrap_or("127.0.0.1"),
            base.port_or_known_default().unwrap_or(80)
        ),
        uis_data_api_url: uis.data_api_url(),
        uis_call_api_url: uis.call_api_url(),
        uis_api_key: uis.api_key(),
        uis_login,
        uis_password,
    };
    Ok(Demo {
        megaplan,
        uis,
        info,
    })
}
