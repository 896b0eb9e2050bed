//! One error type for both UIS API clients.

use crate::rpc::Mnemonic;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connection refused, timeout, TLS… — the request may not have reached UIS.
    #[error("UIS transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// UIS answers JSON-RPC with HTTP 200; anything else is a gateway problem.
    #[error("UIS answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// The answer was not the JSON we expected.
    #[error("unexpected UIS answer to {method}: {detail}")]
    Decode { method: String, detail: String },
    /// A JSON-RPC `error` answer; `mnemonic` is UIS's stable key.
    #[error("UIS {method} failed: {mnemonic} ({code}: {message}){}", field.as_ref().map(|f| format!(" field {f}")).unwrap_or_default())]
    Rpc {
        method: String,
        code: i64,
        mnemonic: Mnemonic,
        message: String,
        field: Option<String>,
    },
    /// A base URL that cannot be used.
    #[error("invalid UIS URL: {0}")]
    Url(String),
}

impl Error {
    /// Worth retrying later with back-off (network, 5xx/429, limits, UIS internal errors).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Error::Decode { .. } | Error::Url(_) => false,
            Error::Rpc { mnemonic, .. } => {
                matches!(mnemonic, Mnemonic::LimitExceeded | Mnemonic::InternalError)
            }
        }
    }

    /// The UIS mnemonic, when UIS answered with a JSON-RPC error.
    pub fn mnemonic(&self) -> Option<&Mnemonic> {
        match self {
            Error::Rpc { mnemonic, .. } => Some(mnemonic),
            _ => None,
        }
    }

    /// Credentials are wrong, blocked or expired: a human must fix the settings.
    /// (The Call API client already logs in again once after `access_token_invalid`.)
    pub fn is_auth(&self) -> bool {
        matches!(
            self.mnemonic(),
            Some(
                Mnemonic::AccessTokenInvalid
                    | Mnemonic::AccessTokenExpired
                    | Mnemonic::AccessTokenBlocked
                    | Mnemonic::AuthError
                    | Mnemonic::IpNotWhitelisted
                    | Mnemonic::Forbidden
            )
        )
    }
}
