//! JSON-RPC transport shared by [`crate::DataApiClient`] and [`crate::CallApiClient`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use url::Url;

use crate::error::{Error, Result};
use crate::rpc::{Limits, Mnemonic, RpcResponse};

/// How the clients react to `-32029 limit_exceeded` and to an exhausted minute budget.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after `limit_exceeded` before the error is returned.
    pub limit_retries: u32,
    /// First back-off; doubled on every retry.
    pub base_delay: Duration,
    /// Upper bound of any single wait, including waits for `minute_reset`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            limit_retries: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
        }
    }
}

pub(crate) struct RpcTransport {
    http: reqwest::Client,
    url: Url,
    retry: RetryPolicy,
    next_id: AtomicU64,
    /// Last `metadata.limits` seen and when, to pause before a request that would be refused.
    limits: Mutex<Option<(Limits, Instant)>>,
}

/// Accepts both `https://dataapi.uiscom.ru` and `https://dataapi.uiscom.ru/v2.0`.
pub(crate) fn endpoint(base_url: &str, default_path: &str) -> Result<Url> {
    let mut url = Url::parse(base_url).map_err(|e| Error::Url(format!("{base_url}: {e}")))?;
    if url.path().is_empty() || url.path() == "/" {
        url.set_path(default_path);
    }
    Ok(url)
}

impl RpcTransport {
    pub(crate) fn new(url: Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        RpcTransport {
            http,
            url,
            retry: RetryPolicy::default(),
            next_id: AtomicU64::new(1),
            limits: Mutex::new(None),
        }
    }

    pub(crate) fn set_retry(&mut self, retry: RetryPolicy) {
        self.retry = retry;
    }

    pub(crate) fn set_http(&mut self, http: reqwest::Client) {
        self.http = http;
    }

    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    pub(crate) fn limits(&self) -> Option<Limits> {
        self.limits.lock().ok().and_then(|l| l.map(|(l, _)| l))
    }

    /// Calls `method` and returns the whole `result` object (`data` + `metadata`).
    pub(crate) async fn call(&self, method: &str, params: Map<String, Value>) -> Result<Value> {
        let mut attempt = 0;
        loop {
            self.wait_for_minute_budget().await;
            match self.call_once(method, &params).await {
                Err(Error::Rpc {
                    mnemonic: Mnemonic::LimitExceeded,
                    ..
                }) if attempt < self.retry.limit_retries => {
                    let delay = self.retry.base_delay * 2u32.saturating_pow(attempt);
                    tracing::warn!(method, ?delay, "UIS limit_exceeded, backing off");
                    tokio::time::sleep(delay.min(self.retry.max_delay)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn wait_for_minute_budget(&self) {
        let wait = {
            let Ok(guard) = self.limits.lock() else {
                return;
            };
            match *guard {
                Some((l, seen)) if l.minute_limit > 0 && l.minute_remaining <= 0 => {
                    let reset = Duration::from_secs(l.minute_reset.clamp(0, 60) as u64);
                    reset.saturating_sub(seen.elapsed())
                }
                _ => Duration::ZERO,
            }
        };
        if !wait.is_zero() {
            tracing::info!(?wait, "UIS minute limit used up, waiting for reset");
            tokio::time::sleep(wait.min(self.retry.max_delay)).await;
            if let Ok(mut guard) = self.limits.lock() {
                *guard = None;
            }
        }
    }

    async fn call_once(&self, method: &str, params: &Map<String, Value>) -> Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json; charset=UTF-8")
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(Error::Http {
                status: status.as_u16(),
                body: text.chars().take(500).collect(),
            });
        }
        let decoded: RpcResponse = serde_json::from_str(&text).map_err(|e| Error::Decode {
            method: method.to_string(),
            detail: format!("{e}: {}", text.chars().take(200).collect::<String>()),
        })?;
        if let Some(err) = decoded.error {
            let field = err
                .data
                .as_ref()
                .and_then(|d| d.get("field"))
                .and_then(Value::as_str)
                .map(str::to_string);
            return Err(Error::Rpc {
                method: method.to_string(),
                code: err.code,
                mnemonic: Mnemonic::of(&err),
                message: err.message,
                field,
            });
        }
        let result = decoded.result.ok_or_else(|| Error::Decode {
            method: method.to_string(),
            detail: "neither result nor error".into(),
        })?;
        if let Some(limits) = result
            .pointer("/metadata/limits")
            .and_then(|l| serde_json::from_value::<Limits>(l.clone()).ok())
            && let Ok(mut guard) = self.limits.lock()
        {
            *guard = Some((limits, Instant::now()));
        }
        Ok(result)
    }
}

/// `result.data` decoded as `T`.
pub(crate) fn data<T: serde::de::DeserializeOwned>(method: &str, result: Value) -> Result<T> {
    let data = match result {
        Value::Object(mut m) => m.remove("data").unwrap_or(Value::Null),
        other => other,
    };
    serde_json::from_value(data).map_err(|e| Error::Decode {
        method: method.to_string(),
        detail: e.to_string(),
    })
}

/// Serialises `params` (a struct) into the params object.
pub(crate) fn to_params<P: serde::Serialize>(
    method: &str,
    params: &P,
) -> Result<Map<String, Value>> {
    match serde_json::to_value(params) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::Decode {
            method: method.to_string(),
            detail: format!("params must be an object, got {other}"),
        }),
        Err(e) => Err(Error::Decode {
            method: method.to_string(),
            detail: e.to_string(),
        }),
    }
}
