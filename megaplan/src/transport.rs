//! The v3 wire conventions on the client side: a replayable request, the `{"meta","data"}` envelope and
//! how any answer becomes data or a typed error (megaplan-api.md §0).

use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result, excerpt};

/// One request, kept as data so it can be replayed after a token renewal.
pub(crate) struct Request {
    pub method: Method,
    pub path: String,
    pub query: Option<Value>,
    pub body: Body,
    /// Overrides the client's timeout for this call (callRoute must answer fast, §10).
    pub timeout: Option<Duration>,
}

pub(crate) enum Body {
    None,
    Json(Value),
    Multipart { content_type: String, bytes: Bytes },
}

impl Request {
    pub fn get(path: impl Into<String>, query: Option<Value>) -> Self {
        Request {
            method: Method::GET,
            path: path.into(),
            query,
            body: Body::None,
            timeout: None,
        }
    }
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Request {
            method: Method::POST,
            path: path.into(),
            query: None,
            body: Body::Json(body),
            timeout: None,
        }
    }
}

/// The `{"meta","data"}` envelope (§0 "Response envelope").
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    meta: Option<Meta>,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    errors: Vec<ApiErrorItem>,
    /// An object, or `[]` on some resources (GO), so read loosely.
    #[serde(default)]
    pagination: Value,
}

/// `meta.errors[]`; `type`, `internalType` and `trace` are Symfony internals and are dropped (§0).
#[derive(Deserialize)]
struct ApiErrorItem {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Turns a v3 answer into `(data, pagination)` or a typed error; pure, so any bytes are safe (§0).
pub(crate) fn interpret(status: u16, headers: &HeaderMap, body: &[u8]) -> Result<(Value, Value)> {
    let env = match serde_json::from_slice::<Envelope>(body) {
        Ok(env) => Some(env),
        Err(e) if (200..300).contains(&status) => {
            return Err(Error::decode(format!("envelope: {e}"), body));
        }
        Err(_) => None,
    };
    // Some errors come as HTTP 200 with the real status in meta (§0), so meta wins when it says error.
    let meta_status = env
        .as_ref()
        .and_then(|e| e.meta.as_ref())
        .and_then(|m| m.status)
        .filter(|s| *s >= 400);
    let status = meta_status.unwrap_or(status);
    if let Some(env) = env.filter(|_| (200..300).contains(&status)) {
        let pagination = env.meta.map(|m| m.pagination).unwrap_or(Value::Null);
        return Ok((env.data, pagination));
    }
    let (field, message) = envelope_error(body).unwrap_or((None, excerpt(body)));
    Err(match status {
        400 | 422 => Error::Validation { field, message },
        401 => Error::CredentialsBroken { message },
        403 => Error::Forbidden { message },
        404 => Error::NotFound { message },
        429 => Error::RateLimited {
            retry_after: retry_after(headers),
        },
        500..=599 => Error::Server {
            status,
            body_excerpt: excerpt(body),
        },
        s => Error::UnexpectedStatus {
            status: s,
            body_excerpt: excerpt(body),
        },
    })
}

pub(crate) fn decode_data<T: DeserializeOwned>(data: Value) -> Result<T> {
    serde_json::from_value::<T>(data.clone()).map_err(|e| {
        Error::decode(
            format!("data as {}: {e}", std::any::type_name::<T>()),
            data.to_string().as_bytes(),
        )
    })
}

/// The first `meta.errors[]` item as (field, message), when the body is an envelope.
pub(crate) fn envelope_error(body: &[u8]) -> Option<(Option<String>, String)> {
    let env: Envelope = serde_json::from_slice(body).ok()?;
    let first = env.meta?.errors.into_iter().next()?;
    Some((
        first.field.filter(|f| !f.is_empty()),
        first.message.unwrap_or_default(),
    ))
}

/// Retry-After as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
        .or(Some(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn meta_status_inside_http_200_wins() {
        let body = br#"{"meta":{"status":422,"errors":[{"field":"name","message":"required"}]},"data":null}"#;
        let err = interpret(200, &HeaderMap::new(), body).unwrap_err();
        assert!(matches!(err, Error::Validation { field: Some(ref f), .. } if f == "name"));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    proptest! {
        /// Whatever the server sends, the answer is a value or a typed error, never a panic.
        #[test]
        fn any_body_and_status_gives_a_typed_result(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = interpret(status, &HeaderMap::new(), &body);
        }

        #[test]
        fn any_5xx_is_a_transient_server_error(status in 500u16..600, body in ".{0,200}") {
            let err = interpret(status, &HeaderMap::new(), body.as_bytes()).unwrap_err();
            prop_assert!(err.is_transient());
        }
    }
}
