//! Russian first (the users are Russian-speaking admins), English switchable.

use leptos::prelude::*;

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
}

pub fn provide_lang() {
    provide_context(RwSignal::new(Lang::Ru));
}

pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().expect("provide_lang() is called by App")
}

/// The current language's texts, as a reactive closure.
pub fn use_text() -> impl Fn() -> &'static Texts + Copy {
    let lang = use_lang();
    move || lang.get().texts()
}
