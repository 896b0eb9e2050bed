//! The client: token handling and sending (megaplan-api.md §1), on top of `transport` (§0).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{Mutex, watch};

use crate::auth::{Credentials, Grant, TokenSnapshot, request_token};
use crate::error::{Error, Result, excerpt};
pub(crate) use crate::transport::{Body, Request, retry_after};
use crate::transport::{decode_data, envelope_error, interpret};
use crate::types::{Link, Page};

/// Default per-request timeout; callRoute callers pass a shorter one (§10).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A Megaplan API v3 client for one account. Cheap to clone; clones share the token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: url::Url,
    credentials: Credentials,
    timeout: Duration,
    token: RwLock<Option<TokenSnapshot>>,
    /// Serialises token issuance so N tasks hitting 401 together cause one refresh (§1 policy 4).
    issuing: Mutex<()>,
    token_tx: watch::Sender<Option<TokenSnapshot>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("login", &self.inner.credentials.login)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with its own HTTP connection pool and the default timeout.
    pub fn new(base_url: url::Url, credentials: Credentials) -> Self {
        Client::with_http(
            reqwest::Client::new(),
            base_url,
            credentials,
            DEFAULT_TIMEOUT,
        )
    }

    /// A client sharing an existing `reqwest::Client`, with a per-request timeout.
    pub fn with_http(
        http: reqwest::Client,
        mut base_url: url::Url,
        credentials: Credentials,
        timeout: Duration,
    ) -> Self {
        // `Url::join` drops the last segment unless the path ends with '/'.
        if !base_url.path().ends_with('/') {
            let p = format!("{}/", base_url.path());
            base_url.set_path(&p);
        }
        let (token_tx, _) = watch::channel(None);
        Client {
            inner: Arc::new(Inner {
                http,
                base: base_url,
                credentials,
                timeout,
                token: RwLock::new(None),
                issuing: Mutex::new(()),
                token_tx,
            }),
        }
    }

    /// Starts from a token persisted earlier, so a restart does not need a password login.
    pub fn with_token(self, token: TokenSnapshot) -> Self {
        self.set_token(Some(token));
        self
    }

    /// The base URL, e.g. `https://mp1234.megaplan.ru/`.
    pub fn base_url(&self) -> &url::Url {
        &self.inner.base
    }

    /// The current token, to persist it; `None` before the first login.
    pub fn token_snapshot(&self) -> Option<TokenSnapshot> {
        self.inner.token.read().expect("token lock").clone()
    }

    /// Notified whenever the token changes (login, refresh), so the server can persist it.
    pub fn token_updates(&self) -> watch::Receiver<Option<TokenSnapshot>> {
        self.inner.token_tx.subscribe()
    }

    fn set_token(&self, token: Option<TokenSnapshot>) {
        *self.inner.token.write().expect("token lock") = token.clone();
        self.inner.token_tx.send_replace(token);
    }

    /// Performs a password login now (the settings page "check credentials" button, §1).
    pub async fn check_credentials(&self) -> Result<()> {
        let _guard = self.inner.issuing.lock().await;
        let t = self.grant(Grant::Password(&self.inner.credentials)).await?;
        self.set_token(Some(t));
        Ok(())
    }

    async fn grant(&self, grant: Grant<'_>) -> Result<TokenSnapshot> {
        request_token(
            &self.inner.http,
            &self.inner.base,
            self.inner.timeout,
            grant,
        )
        .await
    }

    /// A token fresh enough to send: logs in or refreshes proactively under the single-flight lock.
    async fn usable_token(&self) -> Result<TokenSnapshot> {
        if let Some(t) = self.token_snapshot().filter(TokenSnapshot::is_fresh) {
            return Ok(t);
        }
        let _guard = self.inner.issuing.lock().await;
        let current = self.token_snapshot();
        if let Some(t) = current.clone().filter(TokenSnapshot::is_fresh) {
            return Ok(t);
        }
        let renewed = match current.and_then(|t| t.refresh_token) {
            Some(rt) => match self.grant(Grant::Refresh(&rt)).await {
                Err(Error::CredentialsBroken { .. }) => {
                    self.grant(Grant::Password(&self.inner.credentials)).await?
                }
                other => other?,
            },
            None => self.grant(Grant::Password(&self.inner.credentials)).await?,
        };
        self.set_token(Some(renewed.clone()));
        Ok(renewed)
    }

    /// After a 401 with `stale`: refresh (or, with `password`, log in) unless another task already did.
    async fn renew(&self, stale: &TokenSnapshot, password: bool) -> Result<TokenSnapshot> {
        let _guard = self.inner.issuing.lock().await;
        if let Some(t) = self.token_snapshot()
            && t.access_token != stale.access_token
        {
            return Ok(t);
        }
        let refreshed = match (&stale.refresh_token, password) {
            (Some(rt), false) => match self.grant(Grant::Refresh(rt)).await {
                Ok(t) => Some(t),
                Err(Error::CredentialsBroken { .. }) => None,
                Err(e) => return Err(e),
            },
            _ => None,
        };
        let t = match refreshed {
            Some(t) => t,
            None => self.grant(Grant::Password(&self.inner.credentials)).await?,
        };
        self.set_token(Some(t.clone()));
        Ok(t)
    }

    /// Sends with the token; on 401 refreshes once, then logs in once, then gives up (§1 policy 3).
    async fn send(&self, req: &Request) -> Result<(u16, HeaderMap, Bytes)> {
        let mut token = self.usable_token().await?;
        for attempt in 0.. {
            let (status, headers, body) = self.send_once(req, &token.access_token).await?;
            if status != 401 {
                return Ok((status, headers, body));
            }
            token = match attempt {
                0 => self.renew(&token, false).await?,
                1 => self.renew(&token, true).await?,
                _ => {
                    let message = envelope_error(&body)
                        .map(|(_, m)| m)
                        .unwrap_or_else(|| excerpt(&body));
                    return Err(Error::CredentialsBroken { message });
                }
            };
        }
        unreachable!("the loop returns")
    }

    async fn send_once(&self, req: &Request, token: &str) -> Result<(u16, HeaderMap, Bytes)> {
        let mut url = self
            .inner
            .base
            .join(&req.path)
            .map_err(|e| Error::InvalidRequest(format!("{}: {e}", req.path)))?;
        if let Some(q) = &req.query {
            // GET parameters are one JSON object after `?`, percent-encoded like rawurlencode (§0).
            url.set_query(Some(
                &utf8_percent_encode(&q.to_string(), NON_ALPHANUMERIC).to_string(),
            ));
        }
        let mut rb = self
            .inner
            .http
            .request(req.method.clone(), url)
            .timeout(req.timeout.unwrap_or(self.inner.timeout))
            .bearer_auth(token);
        rb = match &req.body {
            Body::None => rb,
            Body::Json(v) => rb.json(v),
            Body::Multipart {
                content_type,
                bytes,
            } => rb
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes.clone()),
        };
        let resp = rb.send().await.map_err(Error::from_reqwest)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(Error::from_reqwest)?;
        Ok((status, headers, body))
    }

    /// Sends and returns the decoded `data` plus the raw pagination.
    async fn call_raw(&self, req: Request) -> Result<(Value, Value)> {
        let (status, headers, body) = self.send(&req).await?;
        interpret(status, &headers, &body)
    }

    /// One entity (or a list read whole) from `data`.
    pub(crate) async fn call<T: DeserializeOwned>(&self, req: Request) -> Result<T> {
        let (data, _) = self.call_raw(req).await?;
        decode_data(data)
    }

    /// One page of a list, reading `meta.pagination.hasMoreNext` (§0 "Pagination").
    pub(crate) async fn call_page<T: DeserializeOwned>(&self, req: Request) -> Result<Page<T>> {
        let (data, pagination) = self.call_raw(req).await?;
        let items: Vec<T> = decode_data(data)?;
        Ok(Page {
            has_more_next: pagination
                .get("hasMoreNext")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            count: pagination.get("count").and_then(Value::as_u64),
            items,
        })
    }

    /// Every item of a list: `pageAfter` = last item as a link, until `hasMoreNext` is false or a page is empty (§0).
    pub(crate) async fn list_all<T: DeserializeOwned + HasLink>(
        &self,
        path: &str,
        mut query: serde_json::Map<String, Value>,
    ) -> Result<Vec<T>> {
        query.entry("limit").or_insert(Value::from(100));
        let mut all = Vec::new();
        loop {
            let page: Page<T> = self
                .call_page(Request::get(path, Some(Value::Object(query.clone()))))
                .await?;
            let last = page.items.last().map(HasLink::link);
            let more = page.has_more_next;
            all.extend(page.items);
            match last {
                Some(link) if more => {
                    let next = serde_json::to_value(link).expect("link");
                    // A server that repeats the same page would otherwise loop forever.
                    if query.get("pageAfter") == Some(&next) {
                        return Err(Error::Decode {
                            message: format!("{path}: pagination does not advance past {next}"),
                            body_excerpt: String::new(),
                        });
                    }
                    query.insert("pageAfter".into(), next);
                }
                _ => return Ok(all),
            }
        }
    }
}

/// Entities that can be turned back into a link entity, for `pageAfter`.
pub(crate) trait HasLink {
    fn link(&self) -> Link;
}
