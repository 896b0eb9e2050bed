//! Sessions in the project's database: a random 32-byte token lives only in the browser's cookie
//! (HttpOnly, SameSite=Strict); the database keeps its SHA-256 and an expiry.

use app::ssr::CurrentUser;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::accounts::now_ms;

pub const COOKIE: &str = "uis_megaplan_session";
/// A working day; after that the admin signs in again.
pub const TTL_MS: i64 = 12 * 60 * 60 * 1000;

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns the token for the cookie (never stored).
pub async fn create(db: &AnyPool, account_id: &str, user_id: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = now_ms();
    // Expired sessions are swept whenever someone signs in; nothing else needs them.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(db)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(account_id)
    .bind(user_id)
    .bind(now)
    .bind(now + TTL_MS)
    .execute(db)
    .await?;
    Ok(token)
}

/// The admin a cookie's token belongs to, if the session exists and has not expired.
pub async fn lookup(db: &AnyPool, token: &str) -> anyhow::Result<Option<CurrentUser>> {
    let token_hash = hash_token(token);
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT s.account_id, a.name, s.user_id, u.login \
         FROM sessions s JOIN accounts a ON a.id = s.account_id \
         JOIN admin_users u ON u.id = s.user_id AND u.account_id = s.account_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(&token_hash)
    .bind(now_ms())
    .fetch_optional(db)
    .await?;
    Ok(
        row.map(|(account_id, account_name, user_id, login)| CurrentUser {
            account_id,
            account_name,
            user_id,
            login,
            session: token_hash,
        }),
    )
}

pub async fn delete(db: &AnyPool, token_hash: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// The session cookie; `Secure` when the server is reached over https.
pub fn set_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token in a `Cookie:` header, if any.
pub fn token_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && !v.is_empty())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_and_strict() {
        let c = set_cookie("abc", false);
        assert!(c.starts_with("uis_megaplan_session=abc;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(!c.contains("Secure"));
        assert!(set_cookie("abc", true).ends_with("; Secure"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        assert_eq!(token_in("a=1; uis_megaplan_session=tok; b=2"), Some("tok"));
        assert_eq!(token_in("uis_megaplan_session="), None);
        assert_eq!(token_in("other=1"), None);
    }
}
