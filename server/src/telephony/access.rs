//! An account as the telephony endpoints see it: found by its webhook key, with its telephony
//! settings, its Megaplan client (token kept between requests) and its UIS clients.

use std::sync::Arc;
use std::time::Duration;

use domain::settings::TelephonySettings;
use moka::future::Cache;
use sqlx::AnyPool;

use crate::accounts::cipher::Cipher;
use crate::pipeline::connections::{DbConnections, MegaplanConnections};
use crate::secret::SecretKey;

/// What the routing answer needs of an account, cached for a short while (hot path).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub settings: TelephonySettings,
    /// The telephony section's own switch.
    pub section_active: bool,
}

/// Where the UIS APIs are (production URLs, or the emulators in tests and demo mode).
#[derive(Debug, Clone)]
pub struct UisUrls {
    pub data_api: String,
    pub call_api: String,
}

#[derive(Clone)]
pub struct Access {
    pub pool: AnyPool,
    cipher: Arc<Cipher>,
    connections: Arc<dyn MegaplanConnections>,
    uis: UisUrls,
    http: reqwest::Client,
    accounts: Cache<String, Option<Arc<Account>>>,
    /// The account's client, with the sealed password it was made with.
    megaplan: Cache<String, (Option<String>, megaplan::Client)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the account has no Megaplan credentials selected")]
    NoMegaplan,
    #[error("Megaplan refused the credential set «{0}»: fix it on the settings page")]
    MegaplanBroken(String),
    #[error("the account has no UIS access saved")]
    NoUis,
    #[error("{0}")]
    Other(String),
}

impl Access {
    pub fn new(pool: AnyPool, key: &SecretKey, uis: UisUrls) -> Access {
        Access {
            connections: Arc::new(DbConnections::new(pool.clone(), key)),
            pool,
            cipher: Arc::new(Cipher::new(key)),
            uis,
            http: reqwest::Client::new(),
            // A settings change reaches routing within this time.
            accounts: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(10))
                .build(),
            // Long enough to reuse the token; short enough that newly selected credentials take over.
            megaplan: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(120))
                .build(),
        }
    }

    /// The account whose webhook key this is (cached), `None` for an unknown key.
    pub async fn by_key(&self, key: &str) -> Result<Option<Arc<Account>>, AccessError> {
        if let Some(hit) = self.accounts.get(key).await {
            return Ok(hit);
        }
        let row: Option<(String,)> =
            sqlx::query_as("SELECT id FROM accounts WHERE webhook_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        let account = match row {
            Some((id,)) => Some(Arc::new(self.load(&id).await?)),
            None => None,
        };
        self.accounts.insert(key.to_owned(), account.clone()).await;
        Ok(account)
    }

    /// The account with its telephony settings, read now.
    pub async fn load(&self, account_id: &str) -> Result<Account, AccessError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT active, settings FROM account_settings WHERE account_id = $1 AND section = 'telephony'",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        let (section_active, settings) = match row {
            Some((active, raw)) => (
                active != 0,
                serde_json::from_str(&raw).unwrap_or_else(|e| {
                    tracing::warn!(account = account_id, error = %e, "unreadable telephony settings; defaults used");
                    TelephonySettings::default()
                }),
            ),
            None => (false, TelephonySettings::default()),
        };
        Ok(Account {
            id: account_id.to_owned(),
            settings,
            section_active,
        })
    }

    /// The account's Megaplan client; one per account so its token is reused, made again when the
    /// set's password was renewed or another set chosen.
    pub async fn megaplan(&self, account_id: &str) -> Result<megaplan::Client, AccessError> {
        let conn = self
            .connections
            .connection(account_id)
            .await
            .map_err(AccessError::Other)?
            .ok_or(AccessError::NoMegaplan)?;
        if let Some(name) = conn.broken {
            // Another login with a refused password only risks Megaplan locking the account.
            return Err(AccessError::MegaplanBroken(name));
        }
        if let Some((sealed, client)) = self.megaplan.get(account_id).await
            && sealed == conn.sealed
        {
            return Ok(client);
        }
        let client = megaplan::Client::with_http(
            self.http.clone(),
            conn.base_url,
            megaplan::Credentials {
                login: conn.login,
                password: conn.password,
            },
            Duration::from_secs(20),
        );
        self.megaplan
            .insert(account_id.to_owned(), (conn.sealed, client.clone()))
            .await;
        Ok(client)
    }

    /// Megaplan refused the account's credentials: marked broken (settings and health show it)
    /// and the kept client dropped, so nothing logs in with them again until they are fixed —
    /// unless they were renewed since the client was made: then only the client is dropped.
    /// True when marked; false when renewed since (ask again: `megaplan` makes the new client).
    pub async fn megaplan_refused(&self, account_id: &str) -> bool {
        let sealed = self.megaplan.get(account_id).await.and_then(|(s, _)| s);
        let marked = self
            .connections
            .mark_broken(account_id, sealed.as_deref())
            .await;
        self.megaplan.invalidate(account_id).await;
        marked
    }

    async fn uis_secrets(&self, account_id: &str) -> Result<(String, String, String), AccessError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT data_api_key_enc, call_api_login, call_api_password_enc FROM uis_access WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        let (key_enc, login, password_enc) = row.ok_or(AccessError::NoUis)?;
        let open = |what: &str, sealed: &str| {
            self.cipher
                .open(&format!("{what}:{account_id}"), sealed)
                .map_err(|e| AccessError::Other(format!("cannot unseal the UIS {what}: {e}")))
        };
        Ok((
            open("uis_data_api_key", &key_enc)?,
            login,
            open("uis_call_api_password", &password_enc)?,
        ))
    }

    pub async fn uis_data(&self, account_id: &str) -> Result<uis::DataApiClient, AccessError> {
        let (key, _, _) = self.uis_secrets(account_id).await?;
        uis::DataApiClient::new(&self.uis.data_api, key)
            .map(|c| c.with_http_client(self.http.clone()))
            .map_err(|e| AccessError::Other(e.to_string()))
    }

    pub async fn uis_call(&self, account_id: &str) -> Result<uis::CallApiClient, AccessError> {
        let (_, login, password) = self.uis_secrets(account_id).await?;
        uis::CallApiClient::new(&self.uis.call_api, login, password)
            .map(|c| c.with_http_client(self.http.clone()))
            .map_err(|e| AccessError::Other(e.to_string()))
    }
}
