//! The settings application's server functions and the values they exchange with the page.
//!
//! Every function here except `sign_in` and `set_language` needs a signed-in admin; the server's
//! guard refuses the request before it arrives, and `current_user()` refuses it again.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The three sections of the settings page, in the seed's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// "Подключение телефонии"
    Telephony,
    /// "Подключение текстовых коммуникаций"
    Text,
    /// "Сделки" (deals received from Megaplan)
    Deals,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Telephony, Section::Text, Section::Deals];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Telephony => "telephony",
            Section::Text => "text",
            Section::Deals => "deals",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Why a field was refused; the page words it in the admin's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    Required,
    TooLong,
    /// Sign-in: no such account, login or password (never which of them).
    WrongCredentials,
    /// Sign-in: too many attempts for this address and login; `detail` = seconds to wait.
    TooManyAttempts,
    /// Not `https://host` with nothing after the host.
    DomainFormat,
    /// Neither `*.megaplan.ru` nor on the server's allow-list.
    DomainNotAllowed,
    /// Megaplan answered and refused; `detail` = Megaplan's own words.
    MegaplanRejected,
    /// Megaplan could not be asked (timeout, refused connection, 5xx); `detail` says what happened.
    MegaplanUnreachable,
    NameTaken,
    UnknownCredentials,
    /// UIS answered and refused; `detail` = UIS's own words.
    UisRejected,
    UisUnreachable,
    /// The pick-lists from UIS need the account's UIS access, not saved yet.
    NoUisAccess,
    /// The pick-lists from Megaplan need a chosen credential set.
    NoMegaplanCredentials,
    /// Megaplan refused the set in use earlier; `detail` = the set's name.
    MegaplanCredentialsBroken,
    /// Something on our side failed (the database); `detail` says what, for the admin's support.
    ServerError,
    /// The section's settings are not JSON; `detail` = where.
    InvalidJson,
    NotAnObject,
    /// A telephony/text/deals rule refused a value; `detail` = why (from the settings model).
    InvalidSetting,
    /// Not a phone number (event log filter, rule preview, demo panel).
    BadPhone,
    /// Not a date and time `YYYY-MM-DDTHH:MM`.
    BadTime,
    /// "To" is not after "from".
    RangeReversed,
    /// Not a whole number (a call id, an employee id).
    BadNumber,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's `name`.
    pub field: String,
    pub code: ErrorCode,
    pub detail: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, code: ErrorCode) -> Self {
        FieldError {
            field: field.into(),
            code,
            detail: None,
        }
    }

    pub fn with_detail(field: &str, code: ErrorCode, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            detail: Some(detail.into()),
        }
    }
}

/// The answer to a form: saved whole, or refused whole with a message per field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FormOutcome {
    Saved,
    Invalid(Vec<FieldError>),
}

impl FormOutcome {
    pub fn errors(&self) -> &[FieldError] {
        match self {
            FormOutcome::Saved => &[],
            FormOutcome::Invalid(e) => e,
        }
    }
}

/// A saved Megaplan credential set as the page may see it: never the password or the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: String,
    pub name: String,
    pub login: String,
    pub domain: String,
    /// "working" or "broken".
    pub status: String,
    pub checked_at: i64,
}

/// The UIS access of the account, without the key and the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UisAccessView {
    pub call_api_login: String,
    pub checked_at: i64,
}

/// The addresses to give UIS (notifications) and Megaplan (application events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookUrls {
    /// `{public_url}/hooks/uis/{key}`; each UIS notification goes to `/{event}` below it.
    pub uis_base: String,
    /// One full URL per UIS notification the seed asks to set up.
    pub uis_events: Vec<(String, String)>,
    pub megaplan_events: String,
    /// What the Megaplan widget for click-to-call and do-not-disturb (T11, T15) is configured with.
    pub megaplan_widget: MegaplanWidget,
}

/// The widget's settings: the two addresses it calls and the account's token (the header
/// `X-Uis-Megaplan-Token`), and where its script is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MegaplanWidget {
    pub call_url: String,
    pub dnd_url: String,
    pub token: String,
    pub script_url: String,
    /// The script's `UisMegaplan.configure({…})` call with the three above, ready to paste after it.
    pub configuration: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionView {
    pub section: Section,
    pub active: bool,
    /// The section's settings as pretty JSON.
    pub settings: String,
    pub updated_at: Option<i64>,
}

/// Everything the settings page shows, read in one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub account_name: String,
    pub login: String,
    pub credentials: Vec<CredentialView>,
    /// The id of the credential set in use, if one is chosen.
    pub selected: Option<String>,
    pub uis: Option<UisAccessView>,
    pub webhooks: WebhookUrls,
    pub sections: Vec<SectionView>,
}

impl Overview {
    /// Integration settings appear only once a working credential set is chosen (seed, A1).
    pub fn megaplan_ready(&self) -> bool {
        self.selected.as_ref().is_some_and(|id| {
            self.credentials
                .iter()
                .any(|c| &c.id == id && c.status == "working")
        })
    }
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    account: String,
    login: String,
    password: String,
) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let answer = services()?
        .sign_in(client_ip(), account, login, password)
        .await
        .map_err(internal)?;
    match answer {
        SignInAnswer::Accepted { set_cookie } => {
            set_response_header(http::header::SET_COOKIE, &set_cookie);
            leptos_axum::redirect("/");
            Ok(FormOutcome::Saved)
        }
        SignInAnswer::Rejected(outcome) => Ok(outcome),
    }
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    let clear = services()?.sign_out(user).await.map_err(internal)?;
    set_response_header(http::header::SET_COOKIE, &clear);
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Public like the sign-in page: it only sets the language cookie that SSR reads.
#[server(prefix = "/api", endpoint = "set_language")]
pub async fn set_language(lang: String) -> Result<(), ServerFnError> {
    let lang = crate::i18n::Lang::parse(&lang).unwrap_or(crate::i18n::Lang::Ru);
    crate::ssr::set_response_header(http::header::SET_COOKIE, &crate::i18n::cookie_for(lang));
    Ok(())
}

#[server(prefix = "/api", endpoint = "overview")]
pub async fn load_overview() -> Result<Overview, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    services()?.overview(user).await.map_err(internal)
}

#[server(prefix = "/api", endpoint = "add_megaplan_credentials")]
pub async fn add_megaplan_credentials(
    name: String,
    login: String,
    password: String,
    domain: String,
) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    let input = NewMegaplanCredentials {
        name,
        login,
        password,
        domain,
    };
    services()?
        .add_megaplan_credentials(user, input)
        .await
        .map_err(internal)
}

#[server(prefix = "/api", endpoint = "select_megaplan_credentials")]
pub async fn select_megaplan_credentials(id: String) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    services()?
        .select_megaplan_credentials(user, id)
        .await
        .map_err(internal)
}

#[server(prefix = "/api", endpoint = "renew_megaplan_credentials")]
pub async fn renew_megaplan_credentials(
    id: String,
    password: String,
) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    services()?
        .renew_megaplan_credentials(user, id, password)
        .await
        .map_err(internal)
}

#[server(prefix = "/api", endpoint = "save_uis_access")]
pub async fn save_uis_access(
    data_api_key: String,
    call_api_login: String,
    call_api_password: String,
) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    let input = UisAccessInput {
        data_api_key,
        call_api_login,
        call_api_password,
    };
    services()?
        .save_uis_access(user, input)
        .await
        .map_err(internal)
}

/// `active` is a checkbox: present ("on") when ticked, absent otherwise.
#[server(prefix = "/api", endpoint = "save_section")]
pub async fn save_section(
    section: String,
    active: Option<String>,
    settings: String,
) -> Result<FormOutcome, ServerFnError> {
    use crate::ssr::*;
    let user = current_user()?;
    let Some(section) = Section::parse(&section) else {
        return Err(ServerFnError::new("unknown section"));
    };
    services()?
        .save_section(user, section, active.is_some(), settings)
        .await
        .map_err(internal)
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DatabaseInfo {
    pub backend: String,
    pub migrations_applied: i64,
}

/// Reads which database the server runs on and how many migrations it applied.
#[server(prefix = "/api", endpoint = "database_status")]
pub async fn database_status() -> Result<DatabaseInfo, ServerFnError> {
    let _user = crate::ssr::current_user()?;
    let ctx = expect_context::<crate::ssr::ServerContext>();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&ctx.db)
        .await
        .map_err(|e| ServerFnError::new(format!("database: {e}")))?;
    Ok(DatabaseInfo {
        backend: ctx.backend.to_string(),
        migrations_applied: n,
    })
}
