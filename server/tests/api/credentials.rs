//! Megaplan credentials (A1), UIS access and the sections: checked first, saved whole and sealed, or
//! refused with a message per field and nothing saved — on both databases.

use app::api::{ErrorCode, FormOutcome, Overview};
use uis_megaplan::accounts::cipher::Cipher;
use uis_megaplan::testing::TestBackend;

use crate::helpers::{BACKENDS, TestApp};
use crate::signed_in::{Session, admin_session, session_of, spawn_app_with};

const MP_LOGIN: &str = "admin@demo.megaplan";
const MP_PASSWORD: &str = "demo-password";

struct Emulators {
    megaplan: megaplan::emulator::Emulator,
    uis: uis::emulator::Emulator,
}

impl Emulators {
    fn start() -> Emulators {
        Emulators {
            megaplan: megaplan::emulator::Emulator::start(Default::default()).unwrap(),
            uis: uis::emulator::Emulator::start(Default::default()).unwrap(),
        }
    }

    fn megaplan_url(&self) -> String {
        self.megaplan
            .base_url()
            .as_str()
            .trim_end_matches('/')
            .to_string()
    }

    fn megaplan_host(&self) -> String {
        self.megaplan.local_addr().to_string()
    }
}

async fn spawn(backend: TestBackend, emu: &Emulators) -> Option<TestApp> {
    let host = emu.megaplan_host();
    let (data, call) = (emu.uis.data_api_url(), emu.uis.call_api_url());
    spawn_app_with(backend, move |args| {
        args.megaplan_allow_hosts = vec![host];
        args.uis_data_api_url = data;
        args.uis_call_api_url = call;
    })
    .await
}

async fn overview(session: &Session<'_>) -> Overview {
    let r = session.post("/api/overview", &[]).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn adding_credentials_checks_them_with_megaplan_seals_the_secrets_and_selects_them() {
    let emu = Emulators::start();
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &emu).await else {
            continue;
        };
        let session = admin_session(&app).await;
        let before = overview(&session).await;
        assert!(before.credentials.is_empty() && !before.megaplan_ready());
        let url = emu.megaplan_url();
        let outcome = session
            .submit(
                "add_megaplan_credentials",
                &[
                    ("name", "Main"),
                    ("login", MP_LOGIN),
                    ("password", MP_PASSWORD),
                    ("domain", &url),
                ],
            )
            .await;
        assert_eq!(outcome, FormOutcome::Saved, "{backend:?}");

        let r = session.post("/api/overview", &[]).await;
        let text = r.text().await.unwrap();
        assert!(
            !text.contains(MP_PASSWORD),
            "the password never goes back to the browser"
        );
        let o: Overview = serde_json::from_str(&text).unwrap();
        assert_eq!(o.credentials.len(), 1);
        let c = &o.credentials[0];
        assert_eq!(
            (c.name.as_str(), c.login.as_str(), c.status.as_str()),
            ("Main", MP_LOGIN, "working")
        );
        assert_eq!(c.domain, url);
        assert_eq!(o.selected.as_deref(), Some(c.id.as_str()));
        assert!(o.megaplan_ready(), "integration settings appear");

        let (password_enc, token_enc): (String, Option<String>) =
            sqlx::query_as("SELECT password_enc, token_enc FROM megaplan_credentials")
                .fetch_one(&app.server.state.db.pool)
                .await
                .unwrap();
        assert!(!password_enc.contains(MP_PASSWORD));
        let cipher = Cipher::new(&app.server.state.secret);
        let aad = format!("megaplan_password:{}", c.id);
        assert_eq!(cipher.open(&aad, &password_enc).unwrap(), MP_PASSWORD);
        let token = cipher
            .open(
                &format!("megaplan_token:{}", c.id),
                &token_enc.expect("the token is kept"),
            )
            .unwrap();
        let token: megaplan::TokenSnapshot = serde_json::from_str(&token).unwrap();
        assert!(!token.access_token.is_empty());

        // The same name twice is refused on the name field.
        let outcome = session
            .submit(
                "add_megaplan_credentials",
                &[
                    ("name", "Main"),
                    ("login", MP_LOGIN),
                    ("password", MP_PASSWORD),
                    ("domain", &url),
                ],
            )
            .await;
        assert_eq!(outcome.errors()[0].field, "name");
        assert_eq!(outcome.errors()[0].code, ErrorCode::NameTaken);
    }
}

#[tokio::test]
async fn a_password_megaplan_rejects_shows_megaplans_words_and_saves_nothing() {
    let emu = Emulators::start();
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &emu).await else {
            continue;
        };
        let session = admin_session(&app).await;
        let url = emu.megaplan_url();
        let outcome = session
            .submit(
                "add_megaplan_credentials",
                &[
                    ("name", "Main"),
                    ("login", MP_LOGIN),
                    ("password", "wrong"),
                    ("domain", &url),
                ],
            )
            .await;
        let e = &outcome.errors()[0];
        assert_eq!(
            (e.field.as_str(), e.code),
            ("password", ErrorCode::MegaplanRejected),
            "{backend:?}"
        );
        let detail = e.detail.clone().unwrap();
        assert!(!detail.is_empty(), "Megaplan's own message: {detail}");
        assert_eq!(count(&app, "megaplan_credentials").await, 0);
        assert_eq!(count(&app, "account_megaplan").await, 0);
    }
}

#[tokio::test]
async fn every_bad_field_gets_its_message_and_nothing_is_saved() {
    let emu = Emulators::start();
    let app = spawn(TestBackend::Sqlite, &emu).await.unwrap();
    let session = admin_session(&app).await;
    let outcome = session
        .submit(
            "add_megaplan_credentials",
            &[
                ("name", " "),
                ("login", ""),
                ("password", ""),
                ("domain", ""),
            ],
        )
        .await;
    let fields: Vec<_> = outcome
        .errors()
        .iter()
        .map(|e| (e.field.as_str(), e.code))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", ErrorCode::Required),
            ("login", ErrorCode::Required),
            ("password", ErrorCode::Required),
            ("domain", ErrorCode::Required)
        ]
    );
    assert_eq!(count(&app, "megaplan_credentials").await, 0);
}

#[tokio::test]
async fn the_domain_must_be_megaplan_or_allow_listed() {
    let emu = Emulators::start();
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &emu).await else {
            continue;
        };
        let session = admin_session(&app).await;
        let requests_before = emu.megaplan.state().tokens_issued();
        for (domain, code) in [
            ("mp1.megaplan.ru", ErrorCode::DomainFormat),
            ("http://mp1.megaplan.ru", ErrorCode::DomainFormat),
            ("https://169.254.169.254", ErrorCode::DomainNotAllowed),
            ("https://localhost", ErrorCode::DomainNotAllowed),
            (
                "https://megaplan.ru.evil.example",
                ErrorCode::DomainNotAllowed,
            ),
            ("http://127.0.0.1:1", ErrorCode::DomainFormat),
        ] {
            let outcome = session
                .submit(
                    "add_megaplan_credentials",
                    &[
                        ("name", "X"),
                        ("login", MP_LOGIN),
                        ("password", MP_PASSWORD),
                        ("domain", domain),
                    ],
                )
                .await;
            assert_eq!(
                outcome,
                FormOutcome::Invalid(vec![app::api::FieldError::new("domain", code)]),
                "{backend:?} {domain}"
            );
        }
        assert_eq!(
            emu.megaplan.state().tokens_issued(),
            requests_before,
            "nothing was asked"
        );
        assert_eq!(count(&app, "megaplan_credentials").await, 0);
    }
}

#[tokio::test]
async fn uis_access_is_checked_against_uis_and_sealed() {
    let emu = Emulators::start();
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &emu).await else {
            continue;
        };
        let session = admin_session(&app).await;
        let key = emu.uis.api_key();
        let (login, password) = emu.uis.login();
        let outcome = session
            .submit(
                "save_uis_access",
                &[
                    ("data_api_key", "wrong-key"),
                    ("call_api_login", &login),
                    ("call_api_password", &password),
                ],
            )
            .await;
        let e = &outcome.errors()[0];
        assert_eq!(
            (e.field.as_str(), e.code),
            ("data_api_key", ErrorCode::UisRejected),
            "{backend:?}"
        );
        let outcome = session
            .submit(
                "save_uis_access",
                &[
                    ("data_api_key", &key),
                    ("call_api_login", &login),
                    ("call_api_password", "wrong"),
                ],
            )
            .await;
        let e = &outcome.errors()[0];
        assert_eq!(
            (e.field.as_str(), e.code),
            ("call_api_password", ErrorCode::UisRejected)
        );
        assert_eq!(count(&app, "uis_access").await, 0, "nothing saved half-way");

        let outcome = session
            .submit(
                "save_uis_access",
                &[
                    ("data_api_key", &key),
                    ("call_api_login", &login),
                    ("call_api_password", &password),
                ],
            )
            .await;
        assert_eq!(outcome, FormOutcome::Saved);
        let text = session
            .post("/api/overview", &[])
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !text.contains(&key) && !text.contains(&password),
            "secrets stay on the server"
        );
        let o: Overview = serde_json::from_str(&text).unwrap();
        assert_eq!(o.uis.unwrap().call_api_login, login);
        let (key_enc,): (String,) = sqlx::query_as("SELECT data_api_key_enc FROM uis_access")
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
        assert!(!key_enc.contains(&key));
    }
}

#[tokio::test]
async fn sections_are_saved_whole_with_their_switch_or_refused() {
    for backend in BACKENDS {
        let Some(app) = spawn_app_with(backend, |_| {}).await else {
            continue;
        };
        let session = admin_session(&app).await;
        let outcome = session
            .submit(
                "save_section",
                &[
                    ("section", "telephony"),
                    ("active", "on"),
                    ("settings", "{oops"),
                ],
            )
            .await;
        assert_eq!(outcome.errors()[0].field, "settings");
        assert_eq!(outcome.errors()[0].code, ErrorCode::InvalidJson);
        let outcome = session
            .submit(
                "save_section",
                &[("section", "telephony"), ("settings", "[1,2]")],
            )
            .await;
        assert_eq!(outcome.errors()[0].code, ErrorCode::NotAnObject);
        assert_eq!(count(&app, "account_settings").await, 0);

        let outcome = session
            .submit(
                "save_section",
                &[
                    ("section", "telephony"),
                    ("active", "on"),
                    ("settings", r#"{"filter": true}"#),
                ],
            )
            .await;
        assert_eq!(outcome, FormOutcome::Saved, "{backend:?}");
        let outcome = session
            .submit("save_section", &[("section", "deals"), ("settings", "{}")])
            .await;
        assert_eq!(outcome, FormOutcome::Saved);
        let o = overview(&session).await;
        let t = &o.sections[0];
        assert!(t.active);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&t.settings).unwrap()["filter"],
            true
        );
        assert!(!o.sections[1].active && !o.sections[2].active);
        // Saving again replaces, switching off keeps the settings given.
        session
            .submit(
                "save_section",
                &[
                    ("section", "telephony"),
                    ("settings", r#"{"filter": false}"#),
                ],
            )
            .await;
        let o = overview(&session).await;
        assert!(!o.sections[0].active);
        assert_eq!(count(&app, "account_settings").await, 2);
    }
}

#[tokio::test]
async fn webhook_urls_carry_the_account_key_and_one_account_never_sees_another() {
    let emu = Emulators::start();
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &emu).await else {
            continue;
        };
        let first = admin_session(&app).await;
        let url = emu.megaplan_url();
        first
            .submit(
                "add_megaplan_credentials",
                &[
                    ("name", "Main"),
                    ("login", MP_LOGIN),
                    ("password", MP_PASSWORD),
                    ("domain", &url),
                ],
            )
            .await;
        let mine = overview(&first).await;
        let (key,): (String,) =
            sqlx::query_as("SELECT webhook_key FROM accounts WHERE name = 'acme'")
                .fetch_one(&app.server.state.db.pool)
                .await
                .unwrap();
        let base = app.server.url();
        assert_eq!(
            mine.webhooks.megaplan_events,
            format!("{base}/hooks/megaplan/{key}/events")
        );
        assert_eq!(mine.webhooks.uis_base, format!("{base}/hooks/uis/{key}"));
        assert!(
            mine.webhooks
                .uis_events
                .iter()
                .any(|(e, u)| e == "call_started"
                    && u == &format!("{base}/hooks/uis/{key}/call_started"))
        );

        let second = session_of(&app, "other-client", "admin", "second password").await;
        let theirs = overview(&second).await;
        assert!(theirs.credentials.is_empty(), "{backend:?}");
        assert_ne!(theirs.webhooks.uis_base, mine.webhooks.uis_base);
        let outcome = second
            .submit(
                "select_megaplan_credentials",
                &[("id", &mine.credentials[0].id)],
            )
            .await;
        assert_eq!(outcome.errors()[0].code, ErrorCode::UnknownCredentials);
        assert!(overview(&second).await.selected.is_none());
    }
}
