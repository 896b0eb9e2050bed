//! Call API client (`https://callapi.uiscom.ru/v4.0`, uis-api.md §3): session login with renewal,
//! click-to-call (`start.employee_call`), `release.call`, `list.calls`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use crate::RetryPolicy;
use crate::client::{self, RpcTransport};
use crate::error::{Error, Result};
use crate::rpc::{Limits, Mnemonic};

pub const DEFAULT_URL: &str = "https://callapi.uiscom.ru/v4.0";

/// Renew the session this long before `expire_at` (S6 does the same with 60 s).
const RENEW_BEFORE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstCall {
    Employee,
    Contact,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallEmployee {
    pub id: i64,
    /// A specific number / SIP / extension of the employee; absent = all active numbers in turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// A message played to a side: `{"type":"media"|"tts","value":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallMessage {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// All parameters of `start.employee_call` (uis-api.md §3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartEmployeeCall {
    pub first_call: FirstCall,
    /// Own virtual number shown to the contact — the caller-ID choice.
    pub virtual_phone_number: String,
    pub contact: String,
    pub employee: CallEmployee,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_virtual_phone_number: Option<bool>,
    /// `fixed` | `fixed_for_numa` | `random` | `regional_random` | `regional_fixed_for_numa`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_phone_usage_rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_number_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switch_at_once: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_switching: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_file_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_message: Option<CallMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_message: Option<CallMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtmf_string: Option<String>,
    /// `in` (UIS default) | `out` — how reports classify the call; CRM click-to-call is `out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Comes back as `external_id` in notifications and `call_api_external_id` in reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl StartEmployeeCall {
    /// Click-to-call from the CRM: ring the employee first, then the contact, classified `out`.
    pub fn click_to_call(employee_id: i64, contact: &str, virtual_phone_number: &str) -> Self {
        StartEmployeeCall {
            first_call: FirstCall::Employee,
            virtual_phone_number: virtual_phone_number.into(),
            contact: contact.into(),
            employee: CallEmployee {
                id: employee_id,
                phone_number: None,
            },
            show_virtual_phone_number: None,
            virtual_phone_usage_rule: None,
            virtual_number_group: None,
            switch_at_once: None,
            early_switching: None,
            media_file_id: None,
            contact_message: None,
            employee_message: None,
            dtmf_string: None,
            direction: Some("out".into()),
            external_id: None,
        }
    }
}

/// A leg of an active call in `list.calls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallLeg {
    pub leg_id: i64,
    pub calling_phone_number: Option<String>,
    pub called_phone_number: Option<String>,
    pub is_operator: Option<bool>,
    pub employee_id: Option<i64>,
    pub employee_full_name: Option<String>,
    pub record_call_enabled: Option<bool>,
    /// UIS's words: "Дозвон", "Разговор", "На удержании", …
    pub state: Option<String>,
}

/// An active call session in `list.calls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActiveCall {
    pub call_session_id: i64,
    pub direction: Option<String>,
    pub start_time: Option<String>,
    pub virtual_phone_number: Option<String>,
    pub contact_phone_number: Option<String>,
    pub external_id: Option<String>,
    pub legs: Vec<CallLeg>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListCalls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_phone_number: Option<String>,
}

enum Auth {
    /// login.user sessions, renewed before `expire_at`.
    Login { login: String, password: String },
    /// A permanent API key used as `access_token` (also accepted by the Call API).
    Key(String),
}

#[derive(Clone)]
struct Session {
    access_token: String,
    expire_at: i64,
}

pub struct CallApiClient {
    rpc: RpcTransport,
    auth: Auth,
    session: Mutex<Option<Session>>,
}

impl CallApiClient {
    /// `base_url` is the endpoint (`https://callapi.uiscom.ru/v4.0`) or just the host.
    pub fn new(
        base_url: &str,
        login: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self> {
        Self::with_auth(
            base_url,
            Auth::Login {
                login: login.into(),
                password: password.into(),
            },
        )
    }

    /// Uses a permanent API key instead of `login.user`.
    pub fn with_access_token(base_url: &str, access_token: impl Into<String>) -> Result<Self> {
        Self::with_auth(base_url, Auth::Key(access_token.into()))
    }

    fn with_auth(base_url: &str, auth: Auth) -> Result<Self> {
        Ok(CallApiClient {
            rpc: RpcTransport::new(client::endpoint(base_url, "/v4.0")?),
            auth,
            session: Mutex::new(None),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.rpc.set_retry(retry);
        self
    }

    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.rpc.set_http(http);
        self
    }

    pub fn limits(&self) -> Option<Limits> {
        self.rpc.limits()
    }

    /// Logs in now (also validates credentials for a settings page); returns `expire_at`.
    pub async fn login(&self) -> Result<i64> {
        let Auth::Login { login, password } = &self.auth else {
            return Ok(i64::MAX);
        };
        let mut params = Map::new();
        params.insert("login".into(), json!(login));
        params.insert("password".into(), json!(password));
        let result = self.rpc.call("login.user", params).await?;
        let data = result.get("data").cloned().unwrap_or(Value::Null);
        let access_token = data.get("access_token").and_then(Value::as_str);
        let expire_at = data
            .get("expire_at")
            .or_else(|| data.get("expire"))
            .and_then(Value::as_i64);
        let (Some(access_token), Some(expire_at)) = (access_token, expire_at) else {
            return Err(Error::Decode {
                method: "login.user".into(),
                detail: format!("no access_token/expire_at in {data}"),
            });
        };
        *self.session.lock().await = Some(Session {
            access_token: access_token.to_string(),
            expire_at,
        });
        Ok(expire_at)
    }

    pub async fn logout(&self) -> Result<()> {
        let Some(session) = self.session.lock().await.take() else {
            return Ok(());
        };
        let mut params = Map::new();
        params.insert("access_token".into(), json!(session.access_token));
        self.rpc.call("logout.user", params).await.map(drop)
    }

    async fn token(&self) -> Result<String> {
        match &self.auth {
            Auth::Key(key) => Ok(key.clone()),
            Auth::Login { .. } => {
                let now = chrono::Utc::now().timestamp();
                let current = self.session.lock().await.clone();
                match current {
                    Some(s) if s.expire_at - now > RENEW_BEFORE.as_secs() as i64 => {
                        Ok(s.access_token)
                    }
                    _ => {
                        self.login().await?;
                        let session = self.session.lock().await.clone();
                        Ok(session.map(|s| s.access_token).unwrap_or_default())
                    }
                }
            }
        }
    }

    /// Calls a method with the session token; one fresh login if UIS says the session is gone.
    pub async fn call_raw(&self, method: &str, params: Map<String, Value>) -> Result<Value> {
        let mut with_token = params.clone();
        with_token.insert("access_token".into(), json!(self.token().await?));
        match self.rpc.call(method, with_token).await {
            Err(Error::Rpc {
                mnemonic: Mnemonic::AccessTokenInvalid | Mnemonic::AccessTokenExpired,
                ..
            }) if matches!(self.auth, Auth::Login { .. }) => {
                self.login().await?;
                let mut retry = params;
                retry.insert("access_token".into(), json!(self.token().await?));
                self.rpc.call(method, retry).await
            }
            other => other,
        }
    }

    /// Click-to-call; returns the new `call_session_id`.
    pub async fn start_employee_call(&self, call: &StartEmployeeCall) -> Result<i64> {
        let method = "start.employee_call";
        let result = self
            .call_raw(method, client::to_params(method, call)?)
            .await?;
        result
            .pointer("/data/call_session_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| Error::Decode {
                method: method.into(),
                detail: format!("no call_session_id in {result}"),
            })
    }

    /// Hangs up a call session; `success` arrives as `"true"` in the docs, accept a bool too.
    pub async fn release_call(&self, call_session_id: i64) -> Result<bool> {
        let mut params = Map::new();
        params.insert("call_session_id".into(), json!(call_session_id));
        let result = self.call_raw("release.call", params).await?;
        Ok(match result.pointer("/data/success") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => true,
        })
    }

    pub async fn list_calls(&self, filter: &ListCalls) -> Result<Vec<ActiveCall>> {
        let method = "list.calls";
        let result = self
            .call_raw(method, client::to_params(method, filter)?)
            .await?;
        client::data(method, result)
    }
}
