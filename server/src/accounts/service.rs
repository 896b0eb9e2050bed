//! The server's side of the settings application (`app::ssr::Services`): each form is validated whole,
//! checked against Megaplan or UIS where the seed says so, and saved in one statement or transaction —
//! or refused with a message per field and nothing saved.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::api::{
    CredentialView, ErrorCode, FieldError, FormOutcome, MegaplanWidget, Overview, Section,
    SectionView, UisAccessView, WebhookUrls,
};
use app::ssr::{
    BoxFuture, CurrentUser, NewMegaplanCredentials, ServiceError, ServiceResult, Services,
    SignInAnswer, UisAccessInput,
};
use sqlx::AnyPool;

use super::cipher::Cipher;
use super::{domain_check, now_ms, settings};
use crate::auth::{self, limit::SignInLimiter, sessions};

/// What the settings application needs from configuration.
#[derive(Clone, Debug)]
pub struct SettingsConfig {
    /// Webhook URLs are built from it; `Secure` cookies when it is https.
    pub public_url: url::Url,
    pub megaplan_allow_hosts: Vec<String>,
    pub uis_data_api_url: String,
    pub uis_call_api_url: String,
    /// The server's key: the Megaplan widget's token is derived from it per account.
    pub secret: crate::secret::SecretKey,
}

pub struct SettingsService {
    pub db: AnyPool,
    pub cipher: Cipher,
    pub config: SettingsConfig,
    limiter: SignInLimiter,
    http: reqwest::Client,
    /// Queues again what Megaplan's refusal of a credential set failed, once a set works again.
    pipeline: crate::pipeline::Pipeline,
}

/// How long a check against Megaplan or UIS may take before the admin is told it did not answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_LEN: usize = 200;

impl SettingsService {
    pub fn new(
        db: AnyPool,
        cipher: Cipher,
        config: SettingsConfig,
        pipeline: crate::pipeline::Pipeline,
    ) -> Arc<SettingsService> {
        let http = reqwest::Client::builder()
            // A redirect could lead anywhere; the allowed hosts are all we talk to.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(CHECK_TIMEOUT)
            .build()
            .expect("reqwest client builds");
        Arc::new(SettingsService {
            limiter: SignInLimiter::new(db.clone()),
            db,
            cipher,
            config,
            http,
            pipeline,
        })
    }

    fn secure(&self) -> bool {
        self.config.public_url.scheme() == "https"
    }

    async fn do_sign_in(
        &self,
        ip: Option<IpAddr>,
        account: String,
        login: String,
        password: String,
    ) -> anyhow::Result<SignInAnswer> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("account", &account),
            ("login", &login),
            ("password", &password),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, ErrorCode::Required));
            }
        }
        if !errors.is_empty() {
            return Ok(SignInAnswer::Rejected(FormOutcome::Invalid(errors)));
        }
        if let Err(wait) = self.limiter.attempt(ip, &account, &login).await? {
            tracing::warn!(?ip, account, login, "sign-in rate limited");
            let secs = wait.as_secs().max(1).to_string();
            return Ok(SignInAnswer::Rejected(FormOutcome::Invalid(vec![
                FieldError::with_detail("password", ErrorCode::TooManyAttempts, secs),
            ])));
        }
        match auth::check_password(&self.db, &account, &login, &password).await? {
            Some((account_id, user_id)) => {
                let token = sessions::create(&self.db, &account_id, &user_id).await?;
                tracing::info!(account, login, "signed in");
                Ok(SignInAnswer::Accepted {
                    set_cookie: sessions::set_cookie(&token, self.secure()),
                })
            }
            None => {
                tracing::info!(?ip, account, login, "sign-in refused");
                Ok(SignInAnswer::Rejected(FormOutcome::Invalid(vec![
                    FieldError::new("password", ErrorCode::WrongCredentials),
                ])))
            }
        }
    }

    async fn do_overview(&self, user: CurrentUser) -> anyhow::Result<Overview> {
        let (webhook_key,): (String,) =
            sqlx::query_as("SELECT webhook_key FROM accounts WHERE id = $1")
                .bind(&user.account_id)
                .fetch_one(&self.db)
                .await?;
        let credentials: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, name, login, domain, status, checked_at FROM megaplan_credentials \
             WHERE account_id = $1 ORDER BY created_at, name",
        )
        .bind(&user.account_id)
        .fetch_all(&self.db)
        .await?;
        let selected: Option<(String,)> =
            sqlx::query_as("SELECT credential_id FROM account_megaplan WHERE account_id = $1")
                .bind(&user.account_id)
                .fetch_optional(&self.db)
                .await?;
        let uis: Option<(String, i64)> = sqlx::query_as(
            "SELECT call_api_login, checked_at FROM uis_access WHERE account_id = $1",
        )
        .bind(&user.account_id)
        .fetch_optional(&self.db)
        .await?;
        let stored: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT section, active, settings, updated_at FROM account_settings WHERE account_id = $1",
        )
        .bind(&user.account_id)
        .fetch_all(&self.db)
        .await?;
        let sections = Section::ALL
            .into_iter()
            .map(|section| {
                let row = stored.iter().find(|r| r.0 == section.as_str());
                SectionView {
                    section,
                    active: row.is_some_and(|r| r.1 != 0),
                    settings: row
                        .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.2).ok())
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| "{}".into()),
                    updated_at: row.map(|r| r.3),
                }
            })
            .collect();
        Ok(Overview {
            account_name: user.account_name.clone(),
            login: user.login.clone(),
            credentials: credentials
                .into_iter()
                .map(
                    |(id, name, login, domain, status, checked_at)| CredentialView {
                        id,
                        name,
                        login,
                        domain,
                        status,
                        checked_at,
                    },
                )
                .collect(),
            selected: selected.map(|s| s.0),
            uis: uis.map(|(call_api_login, checked_at)| UisAccessView {
                call_api_login,
                checked_at,
            }),
            webhooks: webhook_urls(
                &self.config.public_url,
                &webhook_key,
                &crate::telephony::megaplan_contract::token(&self.config.secret, &user.account_id),
            ),
            sections,
        })
    }

    async fn do_add_megaplan(
        &self,
        user: CurrentUser,
        input: NewMegaplanCredentials,
    ) -> anyhow::Result<FormOutcome> {
        let name = input.name.trim().to_string();
        let login = input.login.trim().to_string();
        let mut errors = Vec::new();
        required(&mut errors, "name", &name);
        required(&mut errors, "login", &login);
        required(&mut errors, "password", &input.password);
        let base = if input.domain.trim().is_empty() {
            errors.push(FieldError::new("domain", ErrorCode::Required));
            None
        } else {
            match domain_check::megaplan_base(&input.domain, &self.config.megaplan_allow_hosts) {
                Ok(url) => Some(url),
                Err(code) => {
                    errors.push(FieldError::new("domain", code));
                    None
                }
            }
        };
        if !name.is_empty() {
            let taken: Option<(String,)> = sqlx::query_as(
                "SELECT id FROM megaplan_credentials WHERE account_id = $1 AND name = $2",
            )
            .bind(&user.account_id)
            .bind(&name)
            .fetch_optional(&self.db)
            .await?;
            if taken.is_some() {
                errors.push(FieldError::new("name", ErrorCode::NameTaken));
            }
        }
        let Some(base) = base.filter(|_| errors.is_empty()) else {
            return Ok(FormOutcome::Invalid(errors));
        };

        let id = uuid::Uuid::new_v4().to_string();
        let (password_enc, token_enc) = match self
            .check_with_megaplan(&id, &base, &login, &input.password)
            .await?
        {
            Ok(sealed) => sealed,
            Err(refused) => {
                tracing::info!(
                    account = user.account_name,
                    "Megaplan refused new credentials"
                );
                return Ok(FormOutcome::Invalid(vec![refused]));
            }
        };
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO megaplan_credentials \
             (id, account_id, name, login, domain, password_enc, token_enc, status, checked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'working', $8, $8)",
        )
        .bind(&id)
        .bind(&user.account_id)
        .bind(&name)
        .bind(&login)
        .bind(domain_check::display(&base))
        .bind(&password_enc)
        .bind(&token_enc)
        .bind(now)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            // Two admins adding the same name at once: the unique index is the last word.
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
            {
                return Ok(FormOutcome::Invalid(vec![FieldError::new(
                    "name",
                    ErrorCode::NameTaken,
                )]));
            }
            return Err(e.into());
        }
        // Just added to be used: the seed shows the integration settings right after adding.
        select(&mut tx, &user.account_id, &id, now).await?;
        tx.commit().await?;
        tracing::info!(
            account = user.account_name,
            name,
            "Megaplan credentials added"
        );
        self.working_again(&user.account_id).await;
        Ok(FormOutcome::Saved)
    }

    async fn do_select(&self, user: CurrentUser, id: String) -> anyhow::Result<FormOutcome> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT status FROM megaplan_credentials WHERE id = $1 AND account_id = $2",
        )
        .bind(&id)
        .bind(&user.account_id)
        .fetch_optional(&self.db)
        .await?;
        if row.is_none() {
            return Ok(FormOutcome::Invalid(vec![FieldError::new(
                "id",
                ErrorCode::UnknownCredentials,
            )]));
        }
        let mut tx = self.db.begin().await?;
        select(&mut tx, &user.account_id, &id, now_ms()).await?;
        tx.commit().await?;
        if row.is_some_and(|(status,)| status == "working") {
            self.working_again(&user.account_id).await;
        }
        Ok(FormOutcome::Saved)
    }

    /// A new password for a saved set (Megaplan's was changed): checked against Megaplan with the
    /// set's login and domain first; refused, nothing changes. Accepted, the set works again and,
    /// when it is the one in use, the events Megaplan refused meanwhile run again.
    async fn do_renew(
        &self,
        user: CurrentUser,
        id: String,
        password: String,
    ) -> anyhow::Result<FormOutcome> {
        if password.is_empty() {
            return Ok(FormOutcome::Invalid(vec![FieldError::new(
                "password",
                ErrorCode::Required,
            )]));
        }
        if password.chars().count() > MAX_LEN {
            return Ok(FormOutcome::Invalid(vec![FieldError::new(
                "password",
                ErrorCode::TooLong,
            )]));
        }
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT c.name, c.login, c.domain FROM megaplan_credentials c \
             WHERE c.id = $1 AND c.account_id = $2",
        )
        .bind(&id)
        .bind(&user.account_id)
        .fetch_optional(&self.db)
        .await?;
        let Some((name, login, domain)) = row else {
            return Ok(FormOutcome::Invalid(vec![FieldError::new(
                "id",
                ErrorCode::UnknownCredentials,
            )]));
        };
        // The stored domain passed the allow-list when it was added; checked again all the same.
        let base = match domain_check::megaplan_base(&domain, &self.config.megaplan_allow_hosts) {
            Ok(url) => url,
            Err(code) => return Ok(FormOutcome::Invalid(vec![FieldError::new("domain", code)])),
        };
        let (password_enc, token_enc) = match self
            .check_with_megaplan(&id, &base, &login, &password)
            .await?
        {
            Ok(sealed) => sealed,
            Err(refused) => {
                tracing::info!(
                    account = user.account_name,
                    name,
                    "Megaplan refused a renewed password"
                );
                return Ok(FormOutcome::Invalid(vec![refused]));
            }
        };
        sqlx::query(
            "UPDATE megaplan_credentials SET password_enc = $1, token_enc = $2, status = 'working', \
             checked_at = $3 WHERE id = $4 AND account_id = $5",
        )
        .bind(&password_enc)
        .bind(&token_enc)
        .bind(now_ms())
        .bind(&id)
        .bind(&user.account_id)
        .execute(&self.db)
        .await?;
        tracing::info!(
            account = user.account_name,
            name,
            "Megaplan password renewed"
        );
        let in_use: Option<(String,)> = sqlx::query_as(
            "SELECT credential_id FROM account_megaplan WHERE account_id = $1 AND credential_id = $2",
        )
        .bind(&user.account_id)
        .bind(&id)
        .fetch_optional(&self.db)
        .await?;
        if in_use.is_some() {
            self.working_again(&user.account_id).await;
        }
        Ok(FormOutcome::Saved)
    }

    /// The seed: adding (or renewing) verifies the login against Megaplan and shows Megaplan's error
    /// if it fails. Accepted: the password and the token Megaplan gave, sealed for the set `id`.
    async fn check_with_megaplan(
        &self,
        id: &str,
        base: &url::Url,
        login: &str,
        password: &str,
    ) -> anyhow::Result<Result<(String, Option<String>), FieldError>> {
        let client = megaplan::Client::with_http(
            self.http.clone(),
            base.clone(),
            megaplan::Credentials {
                login: login.to_owned(),
                password: password.to_owned(),
            },
            CHECK_TIMEOUT,
        );
        if let Err(e) = client.check_credentials().await {
            tracing::info!(error = %e, "Megaplan refused a login");
            return Ok(Err(megaplan_error(e)));
        }
        let token = client
            .token_snapshot()
            .map(|t| serde_json::to_string(&t))
            .transpose()?;
        let password_enc = self
            .cipher
            .seal(&format!("megaplan_password:{id}"), password)?;
        let token_enc = token
            .map(|t| self.cipher.seal(&format!("megaplan_token:{id}"), &t))
            .transpose()?;
        Ok(Ok((password_enc, token_enc)))
    }

    /// The account's set in use works (again): what Megaplan's refusal failed runs again. The
    /// save stands even if queuing fails; the event log's «replay failed» is the way back then.
    async fn working_again(&self, account_id: &str) {
        if let Err(e) = self.pipeline.credentials_work_again(account_id).await {
            tracing::warn!(account_id, error = %e, "cannot queue again the events Megaplan refused");
        }
    }

    async fn do_save_uis(
        &self,
        user: CurrentUser,
        input: UisAccessInput,
    ) -> anyhow::Result<FormOutcome> {
        let key = input.data_api_key.trim().to_string();
        let login = input.call_api_login.trim().to_string();
        let mut errors = Vec::new();
        required(&mut errors, "data_api_key", &key);
        required(&mut errors, "call_api_login", &login);
        required(&mut errors, "call_api_password", &input.call_api_password);
        if !errors.is_empty() {
            return Ok(FormOutcome::Invalid(errors));
        }
        let no_retry = uis::RetryPolicy {
            limit_retries: 0,
            ..Default::default()
        };
        let data = uis::DataApiClient::new(&self.config.uis_data_api_url, key.clone())?
            .with_http_client(self.http.clone())
            .with_retry(no_retry.clone());
        if let Err(e) = data.get_virtual_numbers().await {
            return Ok(FormOutcome::Invalid(vec![uis_error("data_api_key", e)]));
        }
        let call = uis::CallApiClient::new(
            &self.config.uis_call_api_url,
            login.clone(),
            input.call_api_password.clone(),
        )?
        .with_http_client(self.http.clone())
        .with_retry(no_retry);
        if let Err(e) = call.login().await {
            return Ok(FormOutcome::Invalid(vec![uis_error(
                "call_api_password",
                e,
            )]));
        }
        let _ = call.logout().await;

        let aad = |what: &str| format!("{what}:{}", user.account_id);
        let key_enc = self.cipher.seal(&aad("uis_data_api_key"), &key)?;
        let password_enc = self
            .cipher
            .seal(&aad("uis_call_api_password"), &input.call_api_password)?;
        sqlx::query(
            "INSERT INTO uis_access (account_id, data_api_key_enc, call_api_login, call_api_password_enc, checked_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id) DO UPDATE SET data_api_key_enc = excluded.data_api_key_enc, \
             call_api_login = excluded.call_api_login, call_api_password_enc = excluded.call_api_password_enc, \
             checked_at = excluded.checked_at",
        )
        .bind(&user.account_id)
        .bind(&key_enc)
        .bind(&login)
        .bind(&password_enc)
        .bind(now_ms())
        .execute(&self.db)
        .await?;
        tracing::info!(account = user.account_name, "UIS access saved");
        Ok(FormOutcome::Saved)
    }

    async fn do_save_section(
        &self,
        user: CurrentUser,
        section: Section,
        active: bool,
        raw: String,
    ) -> anyhow::Result<FormOutcome> {
        let value = match settings::validate(section, &raw) {
            Ok(v) => v,
            Err(errors) => return Ok(FormOutcome::Invalid(errors)),
        };
        sqlx::query(
            "INSERT INTO account_settings (account_id, section, active, settings, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, section) DO UPDATE SET active = excluded.active, \
             settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(&user.account_id)
        .bind(section.as_str())
        .bind(i64::from(active))
        .bind(value.to_string())
        .bind(now_ms())
        .execute(&self.db)
        .await?;
        Ok(FormOutcome::Saved)
    }
}

async fn select(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: &str,
    credential_id: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO account_megaplan (account_id, credential_id, selected_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET credential_id = excluded.credential_id, \
         selected_at = excluded.selected_at",
    )
    .bind(account_id)
    .bind(credential_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn required(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, ErrorCode::Required));
    } else if value.chars().count() > MAX_LEN {
        errors.push(FieldError::new(field, ErrorCode::TooLong));
    }
}

/// Megaplan's refusal in its own words, next to the field it concerns.
fn megaplan_error(e: megaplan::Error) -> FieldError {
    use megaplan::Error as E;
    match e {
        E::CredentialsBroken { message } => {
            FieldError::with_detail("password", ErrorCode::MegaplanRejected, message)
        }
        e if e.is_transient() => {
            FieldError::with_detail("domain", ErrorCode::MegaplanUnreachable, e.to_string())
        }
        E::NotFound { .. } | E::UnexpectedStatus { .. } | E::Decode { .. } => {
            // Something answered, but not Megaplan's API: most likely a wrong domain.
            FieldError::with_detail("domain", ErrorCode::MegaplanUnreachable, e.to_string())
        }
        e => FieldError::with_detail("password", ErrorCode::MegaplanRejected, e.to_string()),
    }
}

fn uis_error(field: &str, e: uis::Error) -> FieldError {
    match &e {
        uis::Error::Rpc {
            message, mnemonic, ..
        } if !e.is_transient() => FieldError::with_detail(
            field,
            ErrorCode::UisRejected,
            format!("{message} ({mnemonic})"),
        ),
        _ => FieldError::with_detail(field, ErrorCode::UisUnreachable, e.to_string()),
    }
}

/// The account's webhook addresses: UIS notifications per event, the routing URL, Megaplan events,
/// and the Megaplan widget's settings (`token`: the account's telephony token).
pub fn webhook_urls(public_url: &url::Url, key: &str, token: &str) -> WebhookUrls {
    use uis::notification::{EventKind, templates};
    let base = public_url.as_str().trim_end_matches('/');
    let mut uis_events: Vec<(String, String)> = EventKind::ALL
        .into_iter()
        .map(|k| {
            (
                k.path_segment().to_string(),
                templates::notification_url(base, key, k),
            )
        })
        .collect();
    uis_events.push(("route".into(), templates::route_url(base, key)));
    WebhookUrls {
        uis_base: format!("{base}/hooks/uis/{key}"),
        uis_events,
        megaplan_events: format!("{base}/hooks/megaplan/{key}/events"),
        megaplan_widget: megaplan_widget(base, key, token),
    }
}

/// The Megaplan widget's settings for the account of `key` (`base`: the public URL, no slash at the end).
pub(crate) fn megaplan_widget(base: &str, key: &str, token: &str) -> MegaplanWidget {
    let call_url = format!("{base}/hooks/megaplan/{key}/telephony/call");
    let dnd_url = format!("{base}/hooks/megaplan/{key}/telephony/dnd");
    let js = |s: &str| serde_json::Value::from(s).to_string();
    MegaplanWidget {
        configuration: format!(
            "UisMegaplan.configure({{\n  callUrl: {},\n  dndUrl: {},\n  token: {},\n}});",
            js(&call_url),
            js(&dnd_url),
            js(token)
        ),
        script_url: format!(
            "{base}{}",
            crate::telephony::megaplan_contract::WIDGET_SCRIPT
        ),
        call_url,
        dnd_url,
        token: token.to_owned(),
    }
}

fn fail(what: &'static str) -> impl Fn(anyhow::Error) -> ServiceError {
    move |e| {
        tracing::error!(error = %e, "{what} failed");
        ServiceError(format!("{what}: {e}"))
    }
}

impl Services for SettingsService {
    fn sign_in(
        &self,
        ip: Option<IpAddr>,
        account: String,
        login: String,
        password: String,
    ) -> BoxFuture<'_, ServiceResult<SignInAnswer>> {
        Box::pin(async move {
            self.do_sign_in(ip, account, login, password)
                .await
                .map_err(fail("sign-in"))
        })
    }

    fn sign_out(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<String>> {
        Box::pin(async move {
            sessions::delete(&self.db, &user.session)
                .await
                .map_err(fail("sign-out"))?;
            Ok(sessions::clear_cookie(self.secure()))
        })
    }

    fn overview(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Overview>> {
        Box::pin(async move {
            self.do_overview(user)
                .await
                .map_err(fail("reading the settings"))
        })
    }

    fn add_megaplan_credentials(
        &self,
        user: CurrentUser,
        input: NewMegaplanCredentials,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>> {
        Box::pin(async move {
            self.do_add_megaplan(user, input)
                .await
                .map_err(fail("adding Megaplan credentials"))
        })
    }

    fn select_megaplan_credentials(
        &self,
        user: CurrentUser,
        credential_id: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>> {
        Box::pin(async move {
            self.do_select(user, credential_id)
                .await
                .map_err(fail("choosing Megaplan credentials"))
        })
    }

    fn renew_megaplan_credentials(
        &self,
        user: CurrentUser,
        credential_id: String,
        password: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>> {
        Box::pin(async move {
            self.do_renew(user, credential_id, password)
                .await
                .map_err(fail("renewing Megaplan credentials"))
        })
    }

    fn save_uis_access(
        &self,
        user: CurrentUser,
        input: UisAccessInput,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>> {
        Box::pin(async move {
            self.do_save_uis(user, input)
                .await
                .map_err(fail("saving UIS access"))
        })
    }

    fn save_section(
        &self,
        user: CurrentUser,
        section: Section,
        active: bool,
        settings: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>> {
        Box::pin(async move {
            self.do_save_section(user, section, active, settings)
                .await
                .map_err(fail("saving a section"))
        })
    }
}
