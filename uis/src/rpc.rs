//! JSON-RPC 2.0 wire format shared by the Data API, the Call API and the emulator (uis-api.md §2, §3).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `metadata.limits` of every successful answer (uis-api.md §2 "Limits").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default)]
    pub day_limit: i64,
    #[serde(default)]
    pub day_remaining: i64,
    /// Seconds until the daily counter resets.
    #[serde(default)]
    pub day_reset: i64,
    #[serde(default)]
    pub minute_limit: i64,
    #[serde(default)]
    pub minute_remaining: i64,
    /// Seconds until the per-minute counter resets.
    #[serde(default)]
    pub minute_reset: i64,
}

/// The `error` member of a JSON-RPC answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcErrorBody {
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A whole JSON-RPC answer; exactly one of `result` / `error` is set by UIS.
#[derive(Debug, Clone, Deserialize)]
pub struct RpcResponse {
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<RpcErrorBody>,
}

/// The stable error key UIS puts in `error.data.mnemonic`; the code is derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mnemonic {
    ParseError,
    InvalidRequest,
    MethodNotFound,
    RequiredParameterMissed,
    InvalidParameterValue,
    DataTypeError,
    UnexpectedParameters,
    InvalidParametersCombination,
    DateIntervalLimitReached,
    EntityNotFound,
    DuplicateEntity,
    EmployeeNotFound,
    NoActivePhoneNumber,
    OwnVirtualPhoneNumberNotAllowed,
    CallSessionNotFound,
    InternalError,
    AccessTokenInvalid,
    AccessTokenExpired,
    AccessTokenBlocked,
    AuthError,
    ContactInBlacklist,
    IpNotWhitelisted,
    Forbidden,
    InvalidState,
    VirtualPhoneNumberNotFound,
    MethodComponentDisabled,
    AccountInactive,
    LimitExceeded,
    BatchOperationsNotSupported,
    NotificationsNotSupported,
    /// Any mnemonic this crate does not know yet; kept verbatim.
    Other(String),
}

const TABLE: &[(Mnemonic, &str, i64)] = &[
    (Mnemonic::ParseError, "parse_error", -32700),
    (Mnemonic::InvalidRequest, "invalid_request", -32600),
    (Mnemonic::MethodNotFound, "method_not_found", -32601),
    (
        Mnemonic::RequiredParameterMissed,
        "required_parameter_missed",
        -32602,
    ),
    (
        Mnemonic::InvalidParameterValue,
        "invalid_parameter_value",
        -32602,
    ),
    (Mnemonic::DataTypeError, "data_type_error", -32602),
    (
        Mnemonic::UnexpectedParameters,
        "unexpected_parameters",
        -32602,
    ),
    (
        Mnemonic::InvalidParametersCombination,
        "invalid_parameters_combination",
        -32602,
    ),
    (
        Mnemonic::DateIntervalLimitReached,
        "date_interval_limit_reached",
        -32602,
    ),
    (Mnemonic::EntityNotFound, "entity_not_found", -32602),
    (Mnemonic::DuplicateEntity, "duplicate_entity", -32602),
    (Mnemonic::EmployeeNotFound, "employee_not_found", -32602),
    (
        Mnemonic::NoActivePhoneNumber,
        "no_active_phone_number",
        -32602,
    ),
    (
        Mnemonic::OwnVirtualPhoneNumberNotAllowed,
        "own_virtual_phone_number_not_allowed",
        -32602,
    ),
    (
        Mnemonic::CallSessionNotFound,
        "call_session_not_found",
        -32602,
    ),
    (Mnemonic::InternalError, "internal_error", -32603),
    (Mnemonic::AccessTokenInvalid, "access_token_invalid", -32001),
    (Mnemonic::AccessTokenExpired, "access_token_expired", -32001),
    (Mnemonic::AccessTokenBlocked, "access_token_blocked", -32001),
    (Mnemonic::AuthError, "auth_error", -32001),
    (Mnemonic::ContactInBlacklist, "contact_in_blacklist", -32002),
    (Mnemonic::IpNotWhitelisted, "ip_not_whitelisted", -32003),
    (Mnemonic::Forbidden, "forbidden", -32003),
    (Mnemonic::InvalidState, "invalid_state", -32004),
    (
        Mnemonic::VirtualPhoneNumberNotFound,
        "virtual_phone_number_not_found",
        -32007,
    ),
    (
        Mnemonic::MethodComponentDisabled,
        "method_component_disabled",
        -32008,
    ),
    (Mnemonic::AccountInactive, "account_inactive", -32009),
    (Mnemonic::LimitExceeded, "limit_exceeded", -32029),
    // "opreations" is UIS's own spelling (uis-api.md §2 errors).
    (
        Mnemonic::BatchOperationsNotSupported,
        "batch_opreations_not_supported",
        -32099,
    ),
    (
        Mnemonic::NotificationsNotSupported,
        "notifications_not_supported",
        -32099,
    ),
];

impl Mnemonic {
    pub fn parse(s: &str) -> Mnemonic {
        TABLE
            .iter()
            .find(|(_, name, _)| *name == s)
            .map(|(m, _, _)| m.clone())
            .unwrap_or_else(|| Mnemonic::Other(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Mnemonic::Other(s) => s,
            known => TABLE
                .iter()
                .find(|(m, _, _)| m == known)
                .map(|(_, name, _)| *name)
                .unwrap_or("error"),
        }
    }

    /// The JSON-RPC code UIS uses with this mnemonic.
    pub fn code(&self) -> i64 {
        TABLE
            .iter()
            .find(|(m, _, _)| m == self)
            .map(|(_, _, code)| *code)
            .unwrap_or(-32602)
    }

    /// Mnemonic of an error body; falls back to the code for answers without `data`.
    pub fn of(body: &RpcErrorBody) -> Mnemonic {
        if let Some(m) = body
            .data
            .as_ref()
            .and_then(|d| d.get("mnemonic"))
            .and_then(Value::as_str)
        {
            return Mnemonic::parse(m);
        }
        match body.code {
            -32700 => Mnemonic::ParseError,
            -32600 => Mnemonic::InvalidRequest,
            -32601 => Mnemonic::MethodNotFound,
            -32603 => Mnemonic::InternalError,
            -32001 => Mnemonic::AccessTokenInvalid,
            -32029 => Mnemonic::LimitExceeded,
            other => Mnemonic::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for Mnemonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_round_trip_with_their_codes() {
        for (m, name, code) in TABLE {
            assert_eq!(Mnemonic::parse(name), *m);
            assert_eq!(m.as_str(), *name);
            assert_eq!(m.code(), *code);
        }
        assert_eq!(
            Mnemonic::parse("brand_new"),
            Mnemonic::Other("brand_new".into())
        );
    }
}
