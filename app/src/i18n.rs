//! Russian first (the users are Russian-speaking admins), English switchable.
//! The choice lives in a cookie, so the server renders the page in it and hydration agrees.

use leptos::prelude::*;

use crate::api::{ErrorCode, Section};

pub const COOKIE: &str = "uis_megaplan_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

/// Every string the UI shows, per language; a missing translation is a compile error.
pub struct Texts {
    pub product: &'static str,
    pub tagline: &'static str,
    pub switch_lang: &'static str,
    pub check_db: &'static str,
    pub checking: &'static str,
    pub db_backend: &'static str,
    pub migrations: &'static str,
    pub not_found: &'static str,
    pub error: &'static str,
    // Sign-in
    pub sign_in_title: &'static str,
    pub account: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,
    // Account connection (seed: "Подключение учетной записи")
    pub connection: &'static str,
    pub megaplan_auth: &'static str,
    pub saved_credentials: &'static str,
    pub no_credentials: &'static str,
    pub use_these: &'static str,
    pub in_use: &'static str,
    pub status_working: &'static str,
    pub status_broken: &'static str,
    pub new_password: &'static str,
    pub check_and_save: &'static str,
    pub password_renewed: &'static str,
    pub add_credentials: &'static str,
    pub cred_name: &'static str,
    pub domain: &'static str,
    pub domain_hint: &'static str,
    pub checking_megaplan: &'static str,
    pub credentials_saved: &'static str,
    pub choose_credentials_first: &'static str,
    pub uis_access: &'static str,
    pub data_api_key: &'static str,
    pub call_api_login: &'static str,
    pub call_api_password: &'static str,
    pub uis_saved_as: &'static str,
    pub secret_kept: &'static str,
    pub save: &'static str,
    pub saving: &'static str,
    pub saved: &'static str,
    // Integration settings
    pub integration_settings: &'static str,
    pub active: &'static str,
    pub section_json: &'static str,
    pub section_hint: &'static str,
    pub webhooks: &'static str,
    pub webhooks_hint: &'static str,
    pub uis_notifications: &'static str,
    pub megaplan_events: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub unsaved: &'static str,
    pub status_box: &'static str,
}

const RU: Texts = Texts {
    product: "Интеграция UIS ⇄ Megaplan",
    tagline: "Звонки, чаты и заявки из UIS — в клиентов, коммуникации, дела и сделки Megaplan.",
    switch_lang: "English",
    check_db: "Проверить базу данных",
    checking: "Проверяем…",
    db_backend: "База данных",
    migrations: "Применено миграций",
    not_found: "Страница не найдена",
    error: "Ошибка",
    sign_in_title: "Вход в настройки интеграции",
    account: "Учетная запись",
    login: "Логин",
    password: "Пароль",
    sign_in: "Войти",
    sign_out: "Выйти",
    signed_in_as: "Вы вошли как",
    connection: "Подключение учетной записи",
    megaplan_auth: "Авторизация в Megaplan",
    saved_credentials: "Сохраненные учетные данные",
    no_credentials: "Учетных данных пока нет — добавьте их ниже.",
    use_these: "Выбрать",
    in_use: "Используются",
    status_working: "работают",
    status_broken: "не работают",
    new_password: "Новый пароль",
    check_and_save: "Проверить и сохранить",
    password_renewed: "Новый пароль проверен в Megaplan и сохранен; события, которые Megaplan отклонил из-за старого, обрабатываются снова.",
    add_credentials: "Добавить учетные данные",
    cred_name: "Название",
    domain: "Домен Megaplan",
    domain_hint: "В формате https://mp361546.megaplan.ru",
    checking_megaplan: "Проверяем в Megaplan…",
    credentials_saved: "Учетные данные проверены и сохранены.",
    choose_credentials_first: "Параметры интеграции появятся после выбора работающих учетных данных Megaplan.",
    uis_access: "Доступ к UIS",
    data_api_key: "Ключ Data API",
    call_api_login: "Логин Call API",
    call_api_password: "Пароль Call API",
    uis_saved_as: "Сохранено, логин Call API",
    secret_kept: "Пароли и ключи хранятся зашифрованными и больше не показываются.",
    save: "Сохранить",
    saving: "Сохраняем…",
    saved: "Сохранено",
    integration_settings: "Параметры интеграции",
    active: "Активно",
    section_json: "Настройки раздела (JSON)",
    section_hint: "Подробная форма раздела появится здесь; пока настройки задаются объектом JSON.",
    webhooks: "Адреса для уведомлений",
    webhooks_hint: "Укажите эти адреса в ЛК UIS (уведомления) и в приложении Megaplan.",
    uis_notifications: "Уведомления UIS",
    megaplan_events: "События Megaplan",
    copy: "Копировать",
    copied: "Скопировано",
    unsaved: "Есть несохраненные изменения.",
    status_box: "Состояние сервера",
};

const EN: Texts = Texts {
    product: "UIS ⇄ Megaplan integration",
    tagline: "Calls, chats and leads from UIS become Megaplan clients, communications, todos and deals.",
    switch_lang: "Русский",
    check_db: "Check the database",
    checking: "Checking…",
    db_backend: "Database",
    migrations: "Migrations applied",
    not_found: "Page not found",
    error: "Error",
    sign_in_title: "Sign in to the integration settings",
    account: "Account",
    login: "Login",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    signed_in_as: "Signed in as",
    connection: "Account connection",
    megaplan_auth: "Megaplan authorization",
    saved_credentials: "Saved credentials",
    no_credentials: "No credentials yet — add them below.",
    use_these: "Use",
    in_use: "In use",
    status_working: "working",
    status_broken: "broken",
    new_password: "New password",
    check_and_save: "Check and save",
    password_renewed: "The new password was checked with Megaplan and saved; the events Megaplan refused because of the old one run again.",
    add_credentials: "Add credentials",
    cred_name: "Name",
    domain: "Megaplan domain",
    domain_hint: "Like https://mp361546.megaplan.ru",
    checking_megaplan: "Checking with Megaplan…",
    credentials_saved: "The credentials were checked and saved.",
    choose_credentials_first: "The integration settings appear once working Megaplan credentials are chosen.",
    uis_access: "UIS access",
    data_api_key: "Data API key",
    call_api_login: "Call API login",
    call_api_password: "Call API password",
    uis_saved_as: "Saved, Call API login",
    secret_kept: "Passwords and keys are stored encrypted and never shown again.",
    save: "Save",
    saving: "Saving…",
    saved: "Saved",
    integration_settings: "Integration settings",
    active: "Active",
    section_json: "Section settings (JSON)",
    section_hint: "The section's full form will be here; for now its settings are a JSON object.",
    webhooks: "Webhook addresses",
    webhooks_hint: "Enter these in the UIS cabinet (notifications) and in the Megaplan application.",
    uis_notifications: "UIS notifications",
    megaplan_events: "Megaplan events",
    copy: "Copy",
    copied: "Copied",
    unsaved: "There are unsaved changes.",
    status_box: "Server status",
};

impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ru => Lang::En,
            Lang::En => Lang::Ru,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language named by a `Cookie:` header, Russian when there is none.
    pub fn from_cookie_header(header: &str) -> Lang {
        header
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Lang::parse(v))
            .unwrap_or(Lang::Ru)
    }

    pub fn section_title(self, s: Section) -> &'static str {
        match (self, s) {
            (Lang::Ru, Section::Telephony) => "Подключение телефонии",
            (Lang::Ru, Section::Text) => "Подключение текстовых коммуникаций",
            (Lang::Ru, Section::Deals) => "Сделки",
            (Lang::En, Section::Telephony) => "Telephony",
            (Lang::En, Section::Text) => "Text communications",
            (Lang::En, Section::Deals) => "Deals",
        }
    }

    /// The message shown next to a field; Megaplan's and UIS's own words are kept as they came.
    /// An employee sync result's reason (`SyncReason`'s stored form) in this language.
    pub fn sync_reason(self, stored: &str) -> String {
        use crate::telephony::SyncReason as R;
        let ru = self == Lang::Ru;
        let Some((reason, detail)) = R::parse(stored) else {
            return stored.to_owned();
        };
        match reason {
            R::Fired => pick(ru, "уволен в Megaplan", "dismissed in Megaplan").into(),
            R::NotFound => pick(ru, "не найден в Megaplan", "not found in Megaplan").into(),
            R::NoEmail => pick(
                ru,
                "нет e-mail в Megaplan: сотрудники сопоставляются по e-mail",
                "no e-mail in Megaplan: employees are matched by e-mail",
            )
            .into(),
            R::NoPhone => pick(
                ru,
                "нет номера телефона в Megaplan: без него UIS не создает сотрудника",
                "no phone number in Megaplan: UIS requires one to create an employee",
            )
            .into(),
            R::SameEmail => pick(ru, "тот же e-mail в UIS", "same e-mail in UIS").into(),
            R::Created => pick(ru, "создан в UIS", "created in UIS").into(),
            R::UisRefused => {
                let d = detail.unwrap_or("");
                if ru {
                    format!("UIS отказал: {d}")
                } else {
                    format!("UIS refused: {d}")
                }
            }
        }
    }

    /// An employee sync result's outcome (`matched`, `created`, `failed`) in this language.
    pub fn sync_outcome(self, outcome: &str) -> String {
        let ru = self == Lang::Ru;
        match outcome {
            "matched" => pick(ru, "сопоставлен", "matched").into(),
            "created" => pick(ru, "создан", "created").into(),
            "failed" => pick(ru, "не синхронизирован", "not synced").into(),
            other => other.to_owned(),
        }
    }

    /// An employee sync run's status (`running`, `done`, `failed`) in this language.
    pub fn sync_status(self, status: &str) -> String {
        let ru = self == Lang::Ru;
        match status {
            "running" => pick(ru, "идет синхронизация", "synchronizing").into(),
            "done" => pick(ru, "синхронизация завершена", "synchronization finished").into(),
            "failed" => pick(ru, "синхронизация прервана", "synchronization stopped").into(),
            other => other.to_owned(),
        }
    }

    pub fn error_text(self, code: ErrorCode, detail: Option<&str>) -> String {
        let d = detail.unwrap_or("");
        let ru = self == Lang::Ru;
        match code {
            ErrorCode::Required => pick(ru, "Заполните поле", "Required").into(),
            ErrorCode::TooLong => pick(ru, "Слишком длинное значение", "Too long").into(),
            ErrorCode::WrongCredentials => pick(
                ru,
                "Неверная учетная запись, логин или пароль",
                "Wrong account, login or password",
            )
            .into(),
            ErrorCode::TooManyAttempts => fill(
                ru,
                "Слишком много попыток входа. Повторите через {d} с.",
                "Too many sign-in attempts. Try again in {d} s.",
                d,
            ),
            ErrorCode::DomainFormat => pick(
                ru,
                "Домен должен быть вида https://mp361546.megaplan.ru",
                "The domain must look like https://mp361546.megaplan.ru",
            )
            .into(),
            ErrorCode::DomainNotAllowed => pick(
                ru,
                "Разрешены только домены *.megaplan.ru",
                "Only *.megaplan.ru domains are allowed",
            )
            .into(),
            ErrorCode::MegaplanRejected => fill(
                ru,
                "Megaplan отклонил учетные данные: {d}",
                "Megaplan rejected the credentials: {d}",
                d,
            ),
            ErrorCode::MegaplanUnreachable => fill(
                ru,
                "Не удалось связаться с Megaplan: {d}",
                "Could not reach Megaplan: {d}",
                d,
            ),
            ErrorCode::NameTaken => pick(
                ru,
                "Учетные данные с таким названием уже есть",
                "Credentials with this name already exist",
            )
            .into(),
            ErrorCode::UnknownCredentials => {
                pick(ru, "Таких учетных данных нет", "No such credentials").into()
            }
            ErrorCode::NoUisAccess => pick(
                ru,
                "Доступ к UIS еще не сохранен: укажите его выше, в «Доступ к UIS».",
                "No UIS access saved yet: enter it above, under «UIS access».",
            )
            .into(),
            ErrorCode::NoMegaplanCredentials => pick(
                ru,
                "Учетные данные Megaplan не выбраны.",
                "No Megaplan credentials are chosen.",
            )
            .into(),
            ErrorCode::ServerError => fill(
                ru,
                "Ошибка на сервере интеграции: {d}",
                "The integration's server failed: {d}",
                d,
            ),
            ErrorCode::MegaplanCredentialsBroken => fill(
                ru,
                "Megaplan отклонил учетные данные «{d}»: введите новый пароль выше.",
                "Megaplan refused the credentials «{d}»: enter the new password above.",
                d,
            ),
            ErrorCode::UisRejected => fill(ru, "UIS отклонил доступ: {d}", "UIS refused: {d}", d),
            ErrorCode::UisUnreachable => fill(
                ru,
                "Не удалось связаться с UIS: {d}",
                "Could not reach UIS: {d}",
                d,
            ),
            ErrorCode::InvalidJson => fill(ru, "Это не JSON: {d}", "Not JSON: {d}", d),
            ErrorCode::NotAnObject => {
                pick(ru, "Нужен объект JSON: {…}", "A JSON object is needed: {…}").into()
            }
            ErrorCode::InvalidSetting => d.to_string(),
            ErrorCode::BadPhone => pick(
                ru,
                "Это не номер телефона, например +7 999 111-22-33",
                "Not a phone number, e.g. +7 999 111-22-33",
            )
            .into(),
            ErrorCode::BadTime => pick(
                ru,
                "Укажите дату и время: ГГГГ-ММ-ДДTЧЧ:ММ",
                "Give a date and time: YYYY-MM-DDTHH:MM",
            )
            .into(),
            ErrorCode::RangeReversed => pick(
                ru,
                "Конец периода должен быть позже начала",
                "The end of the range must be after its start",
            )
            .into(),
            ErrorCode::BadNumber => {
                pick(ru, "Нужно целое число", "A whole number is needed").into()
            }
        }
    }
}

fn pick(ru: bool, a: &'static str, b: &'static str) -> &'static str {
    if ru { a } else { b }
}

/// The wording in the page's language with the detail put in place of `{d}`.
fn fill(ru: bool, a: &'static str, b: &'static str, detail: &str) -> String {
    pick(ru, a, b).replacen("{d}", detail, 1)
}

/// The `Set-Cookie` value that remembers a language for a year.
pub fn cookie_for(lang: Lang) -> String {
    format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    )
}

/// The language this page is rendered in: from the request's cookie on the server, from the
/// `<html lang>` the server wrote when hydrating, so both sides agree.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Lang::from_cookie_header)
            })
            .unwrap_or(Lang::Ru)
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|l| Lang::parse(&l))
            .unwrap_or(Lang::Ru)
    }
}

pub fn provide_lang() {
    provide_context(RwSignal::new(initial_lang()));
}

pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().expect("provide_lang() is called by App")
}

/// The current language's texts, as a reactive closure.
pub fn use_text() -> impl Fn() -> &'static Texts + Copy {
    let lang = use_lang();
    move || lang.get().texts()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_picks_the_language_and_russian_is_the_default() {
        assert_eq!(
            Lang::from_cookie_header("a=b; uis_megaplan_lang=en"),
            Lang::En
        );
        assert_eq!(Lang::from_cookie_header("uis_megaplan_lang=xx"), Lang::Ru);
        assert_eq!(Lang::from_cookie_header(""), Lang::Ru);
    }

    #[test]
    fn every_employee_sync_reason_is_worded_in_both_languages_and_round_trips() {
        use crate::telephony::SyncReason;
        for r in SyncReason::ALL {
            let stored = r.stored(None);
            assert_eq!(SyncReason::parse(&stored), Some((r, None)));
            let (ru, en) = (Lang::Ru.sync_reason(&stored), Lang::En.sync_reason(&stored));
            assert!(
                ru != stored && en != stored && ru != en,
                "{stored}: {ru} / {en}"
            );
        }
        let refused = SyncReason::UisRefused.stored(Some("Invalid value: phone"));
        assert_eq!(
            SyncReason::parse(&refused),
            Some((SyncReason::UisRefused, Some("Invalid value: phone")))
        );
        assert_eq!(
            Lang::Ru.sync_reason(&refused),
            "UIS отказал: Invalid value: phone"
        );
        // A reason stored before the codes is shown as it was written.
        assert_eq!(
            Lang::Ru.sync_reason("fired in Megaplan"),
            "fired in Megaplan"
        );
        assert_eq!(Lang::Ru.sync_outcome("created"), "создан");
        assert_eq!(Lang::En.sync_status("done"), "synchronization finished");
    }
}
