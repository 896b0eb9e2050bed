//! Password and refresh grants and the token kept with its expiry (megaplan-api.md §1).

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::error::{Error, excerpt};

/// The login and password of the Megaplan user the integration acts as (§1 password grant).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    // The password must never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("login", &self.login)
            .field("password", &"***")
            .finish()
    }
}

/// A token as the server may persist it (encrypted) and hand back with `Client::with_token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSnapshot {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: chrono::DateTime<Utc>,
}

impl std::fmt::Debug for TokenSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSnapshot")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenSnapshot {
    /// Refresh a little before expiry so a request never starts with a token about to die (§1 policy 2).
    pub(crate) fn is_fresh(&self) -> bool {
        self.expires_at - chrono::Duration::seconds(60) > Utc::now()
    }
}

/// The bare OAuth answer, not wrapped in meta/data (§1).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// `{"error":"invalid_grant","error_description":"..."}` (§1 Errors).
#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Which grant to ask for.
pub(crate) enum Grant<'a> {
    Password(&'a Credentials),
    Refresh(&'a str),
}

/// `POST /api/v3/auth/access_token`, form-urlencoded (§1; GO, TS, PYSDK send this form).
pub(crate) async fn request_token(
    http: &reqwest::Client,
    base: &url::Url,
    timeout: Duration,
    grant: Grant<'_>,
) -> Result<TokenSnapshot, Error> {
    let url = base
        .join("api/v3/auth/access_token")
        .map_err(|e| Error::InvalidRequest(e.to_string()))?;
    let form: Vec<(&str, &str)> = match &grant {
        Grant::Password(c) => vec![
            ("grant_type", "password"),
            ("username", &c.login),
            ("password", &c.password),
        ],
        Grant::Refresh(rt) => vec![("grant_type", "refresh_token"), ("refresh_token", rt)],
    };
    let resp = http
        .post(url)
        .timeout(timeout)
        .form(&form)
        .send()
        .await
        .map_err(Error::from_reqwest)?;
    let status = resp.status();
    let retry_after = crate::client::retry_after(resp.headers());
    let body = resp.bytes().await.map_err(Error::from_reqwest)?;
    match status.as_u16() {
        200..=299 => {
            let t: TokenResponse = serde_json::from_slice(&body)
                .map_err(|e| Error::decode(format!("token response: {e}"), &body))?;
            // TS reports ≥180-day tokens without expires_in; assume two days then (§1 Lifetime, inferred).
            let ttl = t.expires_in.unwrap_or(172_800);
            Ok(TokenSnapshot {
                access_token: t.access_token,
                refresh_token: t.refresh_token,
                expires_at: Utc::now() + chrono::Duration::seconds(ttl),
            })
        }
        // bshaffer oauth2-server answers 400 for a bad grant and 401 for bad client/credentials (§1, inferred).
        400 | 401 | 403 => {
            let message = serde_json::from_slice::<OAuthError>(&body)
                .ok()
                .and_then(|e| e.error_description.or(e.error))
                .unwrap_or_else(|| excerpt(&body));
            Err(Error::CredentialsBroken { message })
        }
        429 => Err(Error::RateLimited { retry_after }),
        500..=599 => Err(Error::Server {
            status: status.as_u16(),
            body_excerpt: excerpt(&body),
        }),
        s => Err(Error::UnexpectedStatus {
            status: s,
            body_excerpt: excerpt(&body),
        }),
    }
}
