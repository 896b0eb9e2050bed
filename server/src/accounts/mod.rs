//! Accounts (one per UIS client) and what the settings page keeps for each: Megaplan credential sets,
//! UIS access, the three sections' settings. Secrets are sealed with the server's key (`cipher`).

pub mod cipher;
pub mod domain_check;
pub mod service;
pub mod settings;
pub mod settings_app;

use rand::RngCore;
use sqlx::AnyPool;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub async fn any_account_exists(db: &AnyPool) -> anyhow::Result<bool> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}

pub async fn find_account(db: &AnyPool, name: &str) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE name = $1")
        .bind(name.trim())
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.0))
}

/// The id of the named account, created (with a fresh webhook key) when it does not exist yet.
pub async fn ensure_account(db: &AnyPool, name: &str) -> anyhow::Result<String> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty(), "the account name must not be empty");
    if let Some(id) = find_account(db, name).await? {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut key = [0u8; 24];
    rand::rng().fill_bytes(&mut key);
    sqlx::query("INSERT INTO accounts (id, name, webhook_key, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(hex::encode(key))
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(id)
}
