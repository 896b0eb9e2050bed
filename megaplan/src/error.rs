//! One error type for everything the Megaplan boundary can answer (megaplan-api.md §0 "Error shape").

use std::time::Duration;

/// How many bytes of a server body an error keeps: enough to diagnose, never a whole HTML page.
const EXCERPT_LEN: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refresh and password login both failed: someone must fix the login/password in settings.
    #[error("Megaplan rejected the credentials: {message}")]
    CredentialsBroken { message: String },
    /// 422 (or 400): the request is wrong and retrying it will not help.
    #[error("Megaplan rejected the request{}: {message}", field.as_ref().map(|f| format!(" (field `{f}`)")).unwrap_or_default())]
    Validation {
        field: Option<String>,
        message: String,
    },
    /// 403: the user the token belongs to lacks the right.
    #[error("Megaplan forbids this: {message}")]
    Forbidden { message: String },
    /// 404: the entity or the path does not exist.
    #[error("not found in Megaplan: {message}")]
    NotFound { message: String },
    /// 429: wait `retry_after` (from the Retry-After header) before the next call.
    #[error("Megaplan rate limit hit (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, including non-JSON gateway pages.
    #[error("Megaplan server error {status}: {body_excerpt}")]
    Server { status: u16, body_excerpt: String },
    /// Any other status the protocol does not describe (e.g. 405, 3xx).
    #[error("unexpected HTTP status {status} from Megaplan: {body_excerpt}")]
    UnexpectedStatus { status: u16, body_excerpt: String },
    /// The per-request timeout elapsed.
    #[error("Megaplan did not answer in time")]
    Timeout,
    /// Connection refused/reset, TLS, truncated body and the like.
    #[error("transport error talking to Megaplan: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer arrived but is not what the protocol says (malformed JSON, wrong shape).
    #[error("cannot decode Megaplan answer: {message} (body starts: {body_excerpt})")]
    Decode {
        message: String,
        body_excerpt: String,
    },
    /// A request that cannot be built (bad base URL and the like); a programming or config error.
    #[error("invalid Megaplan request: {0}")]
    InvalidRequest(String),
}

impl Error {
    /// True for failures that may pass on their own, so the caller's retry logic may try again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Server { .. } | Error::Timeout | Error::Transport(_)
        )
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Error::Timeout
        } else {
            Error::Transport(e)
        }
    }

    pub(crate) fn decode(message: impl std::fmt::Display, body: &[u8]) -> Self {
        Error::Decode {
            message: message.to_string(),
            body_excerpt: excerpt(body),
        }
    }
}

/// The first bytes of a body as lossy UTF-8, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(EXCERPT_LEN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim().to_string()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
