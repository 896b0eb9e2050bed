//! In-process emulators of Megaplan and UIS with seeded accounts: the browser tests
//! (`UIS_MEGAPLAN_E2E=1`) and the public demo mode (`uis-megaplan demo`), which is the same thing
//! started from one command with a one-time sign-in link printed.
//!
//! `start_emulators_and_seed` starts both emulators on 127.0.0.1:0 and creates two accounts:
//! - `e2e` (admin `admin` / `e2e-password`): bare, for the settings tests that add credentials themselves;
//! - `demo` (admin `admin` / `e2e-password`): once the server listens, `configure_demo_account` gives it
//!   working Megaplan credentials and UIS access on the emulators and an active telephony section, and
//!   points the UIS emulator's notifications and the Megaplan emulator's webhooks at this server, so a
//!   call placed from the demo panel (`/demo`) travels through the event log into the emulated Megaplan.
//!
//! `GET /_e2e/emulators` shows it as JSON; `GET /_e2e/demo-sign-in?token=…` is the one-time sign-in link.
//! Nothing here exists in normal mode: the guard opens `/_e2e/` only with the emulators running.

use std::sync::{Arc, Mutex};

use app::api::{FormOutcome, Section};
use app::ssr::{CurrentUser, NewMegaplanCredentials, Services, UisAccessInput};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use crate::accounts::service::SettingsService;

/// The seeded account and admin of the test hook.
pub const ACCOUNT: &str = "e2e";
pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "e2e-password";
/// The account the demo panel works on: configured against the emulators.
pub const DEMO_ACCOUNT: &str = "demo";

/// What a browser test (or a newcomer in demo mode) needs to know about the emulators.
#[derive(Clone, Debug, Serialize)]
pub struct DemoInfo {
    pub account: String,
    pub admin_login: String,
    pub admin_password: String,
    /// The configured account (same admin login and password).
    pub demo_account: String,
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

/// The running emulators; shared with the demo panel's service.
#[derive(Clone)]
pub struct Demo {
    pub megaplan: Arc<megaplan::emulator::Emulator>,
    pub uis: Arc<uis::emulator::Emulator>,
    pub info: DemoInfo,
    /// The one-time sign-in token of the printed link; taken by its first use.
    sign_in_token: Arc<Mutex<Option<String>>>,
}

impl Demo {
    pub async fn shutdown(self) {
        let Demo { megaplan, uis, .. } = self;
        if let Ok(m) = Arc::try_unwrap(megaplan) {
            m.shutdown().await;
        }
        if let Ok(u) = Arc::try_unwrap(uis) {
            u.shutdown().await;
        }
    }

    /// `GET /_e2e/emulators` and `GET /_e2e/demo-sign-in?token=…`.
    pub fn routes(&self, db: AnyPool, secure: bool) -> Router {
        let info = self.info.clone();
        Router::new()
            .route(
                "/_e2e/emulators",
                get(move || async move { axum::Json(info) }),
            )
            .route(
                "/_e2e/demo-sign-in",
                get(demo_sign_in).with_state(SignInState {
                    db,
                    secure,
                    token: self.sign_in_token.clone(),
                }),
            )
    }

    /// A new one-time sign-in link (replacing the previous one) for the demo account's admin.
    pub fn sign_in_link(&self, base: &url::Url) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        *self.sign_in_token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        format!(
            "{}/_e2e/demo-sign-in?token={token}",
            base.as_str().trim_end_matches('/')
        )
    }
}

/// Starts both emulators and seeds the accounts and their admin (idempotent).
pub async fn start_emulators_and_seed(db: &AnyPool) -> anyhow::Result<Demo> {
    let megaplan = megaplan::emulator::Emulator::start(Default::default())?;
    let uis = uis::emulator::Emulator::start(Default::default())?;
    for account in [ACCOUNT, DEMO_ACCOUNT] {
        match crate::auth::create_admin(db, account, ADMIN_LOGIN, ADMIN_PASSWORD).await {
            Ok(_) | Err(crate::auth::CreateAdminError::Exists { .. }) => {}
            Err(e) => anyhow::bail!("seeding the {account} admin: {e}"),
        }
    }
    let base = megaplan.base_url();
    let (uis_login, uis_password) = uis.login();
    let info = DemoInfo {
        account: ACCOUNT.into(),
        admin_login: ADMIN_LOGIN.into(),
        admin_password: ADMIN_PASSWORD.into(),
        demo_account: DEMO_ACCOUNT.into(),
        megaplan_url: base.as_str().trim_end_matches('/').to_string(),
        megaplan_login: megaplan.seed().login.clone(),
        megaplan_password: megaplan.seed().password.clone(),
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
        megaplan: Arc::new(megaplan),
        uis: Arc::new(uis),
        info,
        sign_in_token: Arc::new(Mutex::new(None)),
    })
}

/// The demo account's admin as a `CurrentUser` (for the settings service's checks and saves).
pub async fn demo_user(db: &AnyPool) -> anyhow::Result<CurrentUser> {
    let (account_id, user_id): (String, String) = sqlx::query_as(
        "SELECT a.id, u.id FROM accounts a JOIN admin_users u ON u.account_id = a.id \
         WHERE a.name = $1 AND u.login = $2",
    )
    .bind(DEMO_ACCOUNT)
    .bind(ADMIN_LOGIN)
    .fetch_one(db)
    .await?;
    Ok(CurrentUser {
        account_id,
        account_name: DEMO_ACCOUNT.into(),
        user_id,
        login: ADMIN_LOGIN.into(),
        session: String::new(),
    })
}

/// The telephony section of the demo: default responsible (the first seeded Megaplan employee),
/// a client per call, a todo for a lost inbound call, a communication per call; active.
pub fn demo_telephony_settings(default_responsible: &str) -> serde_json::Value {
    use domain::call::CallOutcome;
    use domain::settings::{Responsible, TelephonySettings};
    let mut s = TelephonySettings {
        active: true,
        default_responsible: domain::ids::MegaplanId::parse(default_responsible).ok(),
        ..TelephonySettings::default()
    };
    s.call_processing.create_client.enabled = true;
    s.call_processing.communication.enabled = true;
    s.call_processing.todo.enabled = true;
    s.call_processing.todo.outcomes = [CallOutcome::Lost].into();
    s.call_processing.todo.responsible = Responsible::DefaultResponsible;
    serde_json::to_value(&s).unwrap_or_default()
}

/// Gives the demo account working credentials and access on the emulators and an active telephony
/// section, and points both emulators at this server (`public_url`). Run once the service exists.
pub async fn configure_demo_account(
    db: &AnyPool,
    service: &Arc<SettingsService>,
    demo: &Demo,
) -> anyhow::Result<()> {
    let user = demo_user(db).await?;
    let overview = service
        .overview(user.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let current = overview.selected.as_ref().is_some_and(|id| {
        overview
            .credentials
            .iter()
            .any(|c| &c.id == id && c.status == "working" && c.domain == demo.info.megaplan_url)
    });
    if !current {
        let outcome = service
            .add_megaplan_credentials(
                user.clone(),
                NewMegaplanCredentials {
                    name: format!("Демо-Мегаплан {}", demo.megaplan.local_addr().port()),
                    login: demo.info.megaplan_login.clone(),
                    password: demo.info.megaplan_password.clone(),
                    domain: demo.info.megaplan_url.clone(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ensure_saved("Megaplan credentials", outcome)?;
    }
    {
        let outcome = service
            .save_uis_access(
                user.clone(),
                UisAccessInput {
                    data_api_key: demo.info.uis_api_key.clone(),
                    call_api_login: demo.info.uis_login.clone(),
                    call_api_password: demo.info.uis_password.clone(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ensure_saved("UIS access", outcome)?;
    }
    let responsible = demo
        .megaplan
        .seed()
        .employees
        .first()
        .map(|e| e.id.to_string())
        .unwrap_or_else(|| "1000001".into());
    let settings = serde_json::to_string_pretty(&demo_telephony_settings(&responsible))?;
    let outcome = service
        .save_section(user.clone(), Section::Telephony, true, settings)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure_saved("telephony settings", outcome)?;
    let overview = service
        .overview(user)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    demo.uis
        .set_notify_base(Some(url::Url::parse(&overview.webhooks.uis_base)?));
    demo.megaplan
        .set_webhook_url(Some(url::Url::parse(&overview.webhooks.megaplan_events)?));
    Ok(())
}

fn ensure_saved(what: &str, outcome: FormOutcome) -> anyhow::Result<()> {
    match outcome {
        FormOutcome::Saved => Ok(()),
        FormOutcome::Invalid(errors) => {
            anyhow::bail!("the demo account's {what} were refused: {errors:?}")
        }
    }
}

#[derive(Clone)]
struct SignInState {
    db: AnyPool,
    secure: bool,
    token: Arc<Mutex<Option<String>>>,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: String,
}

/// The printed link: signs the demo admin in once and opens the demo panel.
async fn demo_sign_in(State(st): State<SignInState>, Query(q): Query<TokenQuery>) -> Response {
    let taken = {
        let mut t = st.token.lock().unwrap_or_else(|e| e.into_inner());
        match t.as_deref() {
            Some(expected) if !q.token.is_empty() && expected == q.token => t.take().is_some(),
            _ => false,
        }
    };
    if !taken {
        return (
            StatusCode::FORBIDDEN,
            "this sign-in link was used already or is not the latest; sign in at /sign-in",
        )
            .into_response();
    }
    let session = async {
        let user = demo_user(&st.db).await?;
        crate::auth::sessions::create(&st.db, &user.account_id, &user.user_id).await
    }
    .await;
    match session {
        Ok(token) => {
            let cookie = crate::auth::sessions::set_cookie(&token, st.secure);
            let mut r = Redirect::to("/demo").into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "demo sign-in");
            (StatusCode::INTERNAL_SERVER_ERROR, "see the server log").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    /// The demo runs both emulators side by side: a UIS employee is the Megaplan user with the
    /// same e-mail and extension, so the employee sync matches them and a simulated call's card
    /// reaches the user whose extension rings.
    #[test]
    fn the_demo_staff_is_the_same_people_in_uis_and_megaplan() {
        let megaplan = megaplan::emulator::Seed::demo();
        let uis = uis::emulator::Seed::demo();
        assert!(!uis.employees.is_empty());
        for e in &uis.employees {
            let email = e
                .email
                .as_deref()
                .expect("a UIS demo employee has an e-mail");
            let ext = e
                .extension
                .as_ref()
                .and_then(|x| x.extension_phone_number.as_deref());
            let same = megaplan.employees.iter().find(|m| m.email == email);
            assert_eq!(
                same.and_then(|m| m.extension.as_deref()),
                ext,
                "UIS employee {} ({email})",
                e.id
            );
        }
    }
}
