//! Server-side state that `#[server]` functions read from the Leptos context.
//!
//! The rules (passwords, sessions, sealed credentials, checks against Megaplan and UIS) live in the
//! server crate, which implements [`Services`]; the UI crate only knows this trait, so a server function
//! is a thin step: who is asking → call the service → map the answer.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;

use crate::api::{FormOutcome, Overview, Section};

/// What the server provides to every server function.
#[derive(Clone)]
pub struct ServerContext {
    pub db: sqlx::AnyPool,
    /// "sqlite" or "postgres": shown on the status page, decides SQL dialect where it differs.
    pub backend: &'static str,
    pub services: Arc<dyn Services>,
    /// Seals and opens secrets at rest with the server's key (for server functions yet to come).
    pub secrets: Arc<dyn Secrets>,
}

/// Authenticated encryption with the server's key; `aad` names where the value is stored
/// (e.g. `megaplan_password:{id}`), so a sealed value moved elsewhere does not open.
pub trait Secrets: Send + Sync + 'static {
    fn seal(&self, aad: &str, plaintext: &str) -> Result<String, ServiceError>;
    fn open(&self, aad: &str, sealed: &str) -> Result<String, ServiceError>;
}

/// The signed-in admin; the server's session guard puts it into the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser {
    pub account_id: String,
    pub account_name: String,
    pub user_id: String,
    pub login: String,
    /// SHA-256 (hex) of the session token, so sign-out can delete exactly this session.
    pub session: String,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An internal failure: logged by the server, shown to the admin only as "something went wrong".
#[derive(Debug, Clone)]
pub struct ServiceError(pub String);

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The answer to a sign-in attempt.
pub enum SignInAnswer {
    /// The `Set-Cookie` value that carries the new session.
    Accepted {
        set_cookie: String,
    },
    Rejected(FormOutcome),
}

/// Megaplan credentials as typed into the "add credentials" form.
#[derive(Clone, Debug)]
pub struct NewMegaplanCredentials {
    pub name: String,
    pub login: String,
    pub password: String,
    pub domain: String,
}

/// The UIS side of the account as typed into its form.
#[derive(Clone, Debug)]
pub struct UisAccessInput {
    pub data_api_key: String,
    pub call_api_login: String,
    pub call_api_password: String,
}

/// Everything the settings application asks of the server.
pub trait Services: Send + Sync + 'static {
    fn sign_in(
        &self,
        ip: Option<IpAddr>,
        account: String,
        login: String,
        password: String,
    ) -> BoxFuture<'_, ServiceResult<SignInAnswer>>;
    /// Ends the session; returns the `Set-Cookie` value that clears the cookie.
    fn sign_out(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<String>>;
    fn overview(&self, user: CurrentUser) -> BoxFuture<'_, ServiceResult<Overview>>;
    fn add_megaplan_credentials(
        &self,
        user: CurrentUser,
        input: NewMegaplanCredentials,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>>;
    fn select_megaplan_credentials(
        &self,
        user: CurrentUser,
        credential_id: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>>;
    /// A new password for a saved set, checked against Megaplan first.
    fn renew_megaplan_credentials(
        &self,
        user: CurrentUser,
        credential_id: String,
        password: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>>;
    fn save_uis_access(
        &self,
        user: CurrentUser,
        input: UisAccessInput,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>>;
    fn save_section(
        &self,
        user: CurrentUser,
        section: Section,
        active: bool,
        settings: String,
    ) -> BoxFuture<'_, ServiceResult<FormOutcome>>;
}

pub fn services() -> Result<Arc<dyn Services>, ServerFnError> {
    use_context::<ServerContext>()
        .map(|c| c.services)
        .ok_or_else(|| ServerFnError::new("server context missing"))
}

/// The signed-in admin of this request. The guard already refused requests without one; this is the
/// second lock on the same door, so a server function can never run for nobody.
pub fn current_user() -> Result<CurrentUser, ServerFnError> {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<CurrentUser>().cloned())
        .ok_or_else(|| {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(http::StatusCode::UNAUTHORIZED);
            }
            ServerFnError::new("sign in first")
        })
}

/// The client's address as the server saw it (for the sign-in rate limit).
pub fn client_ip() -> Option<IpAddr> {
    use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<ClientIp>().map(|c| c.0))
}

/// Set by the server's guard from the connection's peer address.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

pub fn internal(e: ServiceError) -> ServerFnError {
    // The detail is logged by the server; the page only learns that it failed.
    let _ = e;
    ServerFnError::new("internal error; see the server log")
}

pub fn set_response_header(name: http::HeaderName, value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(name, v);
    }
}
