//! Which Megaplan an account talks to. The settings work stores credentials (encrypted); until it
//! lands, the worker asks this trait, and tests give it a static table.

use std::collections::HashMap;
use std::sync::RwLock;

use futures::future::BoxFuture;

#[derive(Clone, Debug)]
pub struct MegaplanConnection {
    pub base_url: url::Url,
    pub login: String,
    pub password: String,
    /// The name of a set Megaplan refused earlier (A2): not used until someone fixes it.
    pub broken: Option<String>,
    /// The stored (sealed) password this was read with: which version of the set it is, so a
    /// refusal of a password renewed meanwhile never marks the renewed set broken.
    pub sealed: Option<String>,
}

/// How every event Megaplan's refusal of the credentials failed begins its `last_error`: when the
/// account's set works again, `Pipeline::replay_refused` finds them by it.
pub const REFUSED: &str = "Megaplan refused the credential set";

pub trait MegaplanConnections: Send + Sync + 'static {
    /// The selected credential set of the account; `None` when it has none.
    fn connection<'a>(
        &'a self,
        account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>>;

    /// Megaplan refused the account's selected set, read as `refused` (its `sealed`): it shows as
    /// broken on the settings and health pages, and nothing logs in with it again. False when the
    /// set was renewed or another chosen since that read: nothing is marked, and the caller tries
    /// again with what is stored now.
    fn mark_broken<'a>(
        &'a self,
        _account_id: &'a str,
        _refused: Option<&'a str>,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async { true })
    }
}

/// Accounts without any connection: every action fails with «no Megaplan credential».
#[derive(Debug, Default)]
pub struct NoConnections;

impl MegaplanConnections for NoConnections {
    fn connection<'a>(
        &'a self,
        _account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>> {
        Box::pin(async { Ok(None) })
    }
}

/// A fixed table, for tests and the demo mode.
#[derive(Debug, Default)]
pub struct StaticConnections(RwLock<HashMap<String, MegaplanConnection>>);

impl StaticConnections {
    pub fn insert(&self, account_id: &str, c: MegaplanConnection) {
        self.0
            .write()
            .expect("connections")
            .insert(account_id.to_owned(), c);
    }
}

impl MegaplanConnections for StaticConnections {
    fn connection<'a>(
        &'a self,
        account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>> {
        let c = self.0.read().expect("connections").get(account_id).cloned();
        Box::pin(async move { Ok(c) })
    }
}

/// The credential set the settings page selected for the account (`account_megaplan` →
/// `megaplan_credentials`), its password unsealed with the server's key. A working set is kept for
/// a few seconds: every event asks, and a read is one more round trip on the way to a pop-up card.
/// A broken one is read every time, so its renewal on any server is seen by every server at once.
pub struct DbConnections {
    pool: sqlx::AnyPool,
    cipher: crate::accounts::cipher::Cipher,
    kept: moka::future::Cache<String, MegaplanConnection>,
}

/// How long a read credential set is used before it is read again: a newly selected set takes
/// over within this time (on this server at once when it marks one broken).
const KEEP: std::time::Duration = std::time::Duration::from_secs(5);

impl DbConnections {
    pub fn new(pool: sqlx::AnyPool, key: &crate::secret::SecretKey) -> Self {
        DbConnections {
            pool,
            cipher: crate::accounts::cipher::Cipher::new(key),
            kept: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(KEEP)
                .build(),
        }
    }

    async fn read(&self, account_id: &str) -> Result<Option<MegaplanConnection>, String> {
        let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(
                "SELECT c.id, c.login, c.domain, c.password_enc, c.status, c.name FROM account_megaplan m \
                 JOIN megaplan_credentials c ON c.id = m.credential_id WHERE m.account_id = $1",
            )
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| format!("database: {e}"))?;
        let Some((id, login, domain, password_enc, status, name)) = row else {
            return Ok(None);
        };
        let password = self
            .cipher
            .open(&format!("megaplan_password:{id}"), &password_enc)
            .map_err(|e| format!("cannot unseal the Megaplan password: {e}"))?;
        let base_url = url::Url::parse(&domain)
            .map_err(|e| format!("stored Megaplan domain {domain:?}: {e}"))?;
        Ok(Some(MegaplanConnection {
            base_url,
            login,
            password,
            broken: (status == "broken").then_some(name),
            sealed: Some(password_enc),
        }))
    }
}

impl MegaplanConnections for DbConnections {
    fn connection<'a>(
        &'a self,
        account_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<MegaplanConnection>, String>> {
        Box::pin(async move {
            if let Some(c) = self.kept.get(account_id).await {
                return Ok(Some(c));
            }
            // An account without a set is asked again each time: one may be added any moment.
            let read = self.read(account_id).await?;
            if let Some(c) = read.as_ref().filter(|c| c.broken.is_none()) {
                self.kept.insert(account_id.to_owned(), c.clone()).await;
            }
            Ok(read)
        })
    }

    fn mark_broken<'a>(
        &'a self,
        account_id: &'a str,
        refused: Option<&'a str>,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let now = super::now_ms();
            let marked = match refused {
                Some(sealed) => {
                    sqlx::query(
                        "UPDATE megaplan_credentials SET status = 'broken', checked_at = $2 \
                         WHERE id = (SELECT credential_id FROM account_megaplan WHERE account_id = $1) \
                         AND password_enc = $3",
                    )
                    .bind(account_id)
                    .bind(now)
                    .bind(sealed)
                    .execute(&self.pool)
                    .await
                }
                None => {
                    sqlx::query(
                        "UPDATE megaplan_credentials SET status = 'broken', checked_at = $2 \
                         WHERE id = (SELECT credential_id FROM account_megaplan WHERE account_id = $1)",
                    )
                    .bind(account_id)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                }
            };
            self.kept.invalidate(account_id).await;
            match marked {
                Ok(r) => r.rows_affected() > 0,
                Err(e) => {
                    // Not marked, but the event still fails: no second login with this password.
                    tracing::warn!(error = %e, account_id, "cannot mark the Megaplan credentials broken");
                    true
                }
            }
        })
    }
}
