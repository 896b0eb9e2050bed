//! Sign-in and the guard: every page and server function needs a session of an account, on both databases.

use app::api::{ErrorCode, FormOutcome};
use uis_megaplan::testing::TestBackend;

use crate::helpers::{BACKENDS, spawn_app};
use crate::signed_in::{ACCOUNT, LOGIN, PASSWORD, Session, admin_session, session_of};

/// Open to everyone: the sign-in page and the two functions it uses.
const PUBLIC_FUNCTIONS: [&str; 2] = ["/api/sign_in", "/api/set_language"];

#[tokio::test]
async fn every_page_and_server_function_but_sign_in_refuses_without_a_session() {
    let (pages, functions) = uis_megaplan::ui_paths();
    assert!(pages.len() >= 2, "{pages:?}");
    assert!(functions.len() >= 7, "{functions:?}");
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let anon = Session::anonymous(&app);
        let forged = Session {
            app: &app,
            cookie: Some("uis_megaplan_session=forged-token".into()),
        };
        for who in [&anon, &forged] {
            for page in &pages {
                let path = if page.is_empty() { "/" } else { page.as_str() };
                let r = who.get(path).await;
                if path == app::SIGN_IN_PATH {
                    assert_eq!(r.status(), 200, "{backend:?} {path}");
                    continue;
                }
                assert_eq!(r.status(), 303, "{backend:?} page {path}");
                assert_eq!(r.headers()["location"], "/sign-in", "{path}");
            }
            for (path, _method) in &functions {
                if PUBLIC_FUNCTIONS.contains(&path.as_str()) {
                    continue;
                }
                let r = who.post(path, &[]).await;
                assert_eq!(r.status(), 401, "{backend:?} server function {path}");
                let r = who.get(path).await;
                assert_eq!(r.status(), 401, "{backend:?} GET {path}");
            }
            // Paths nobody declared are closed too (default deny).
            assert_eq!(who.get("/no-such-page").await.status(), 303);
            assert_eq!(who.post("/api/no_such_function", &[]).await.status(), 401);
        }
    }
}

#[tokio::test]
async fn signing_in_with_the_right_password_opens_the_settings_page() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        uis_megaplan::auth::create_admin(&app.server.state.db.pool, ACCOUNT, LOGIN, PASSWORD)
            .await
            .unwrap();
        let anon = Session::anonymous(&app);
        let r = anon
            .post(
                "/api/sign_in",
                &[
                    ("account", ACCOUNT),
                    ("login", LOGIN),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), 200, "{backend:?}");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("uis_megaplan_session="), "{cookie}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
            assert!(cookie.contains(attr), "{attr} in {cookie}");
        }
        let session = Session {
            app: &app,
            cookie: Some(cookie.split(';').next().unwrap().to_string()),
        };
        let r = session.get("/").await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Подключение учетной записи"),
            "SSR in Russian"
        );
        assert!(html.contains(ACCOUNT), "the account's name");
        // A signed-in admin asking for the sign-in page goes to the settings.
        assert_eq!(session.get("/sign-in").await.status(), 303);
        // Only the token's hash is stored.
        let token = session.cookie.as_ref().unwrap().split('=').nth(1).unwrap();
        let (hash,): (String,) = sqlx::query_as("SELECT token_hash FROM sessions")
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
        assert_ne!(hash, token);
        assert_eq!(hash, uis_megaplan::auth::sessions::hash_token(token));
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_message_and_no_session() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let _ = admin_session(&app).await;
        let anon = Session::anonymous(&app);
        for (account, login, password) in [
            (ACCOUNT, LOGIN, "wrong password"),
            (ACCOUNT, "nobody", PASSWORD),
            ("other", LOGIN, PASSWORD),
        ] {
            let r = anon
                .post(
                    "/api/sign_in",
                    &[
                        ("account", account),
                        ("login", login),
                        ("password", password),
                    ],
                )
                .await;
            assert_eq!(r.status(), 200);
            assert!(r.headers().get("set-cookie").is_none());
            let outcome: FormOutcome = r.json().await.unwrap();
            assert_eq!(
                outcome.errors()[0].code,
                ErrorCode::WrongCredentials,
                "{backend:?}"
            );
            assert_eq!(outcome.errors()[0].field, "password");
        }
        let outcome = anon
            .submit(
                "sign_in",
                &[("account", ""), ("login", ""), ("password", "")],
            )
            .await;
        let fields: Vec<_> = outcome.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["account", "login", "password"]);
    }
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address_and_login() {
    let app = spawn_app(TestBackend::Sqlite).await.unwrap();
    let _ = admin_session(&app).await; // one attempt used
    let anon = Session::anonymous(&app);
    let mut limited = None;
    for i in 0..12 {
        let outcome = anon
            .submit(
                "sign_in",
                &[
                    ("account", ACCOUNT),
                    ("login", LOGIN),
                    ("password", "guess"),
                ],
            )
            .await;
        if outcome.errors()[0].code == ErrorCode::TooManyAttempts {
            limited = Some((i, outcome));
            break;
        }
    }
    let (i, outcome) = limited.expect("limited within 12 attempts");
    assert_eq!(i, 9, "a burst of 10 attempts, then the limit");
    let wait: u64 = outcome.errors()[0]
        .detail
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    // Even the right password waits now; another login from the same address does not.
    let outcome = anon
        .submit(
            "sign_in",
            &[
                ("account", ACCOUNT),
                ("login", LOGIN),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(outcome.errors()[0].code, ErrorCode::TooManyAttempts);
    let other = session_of(&app, ACCOUNT, "second", "another password").await;
    assert_eq!(other.get("/").await.status(), 200);
}

#[tokio::test]
async fn writes_from_another_origin_or_without_one_are_refused() {
    let app = spawn_app(TestBackend::Sqlite).await.unwrap();
    let session = admin_session(&app).await;
    let cookie = session.cookie.clone().unwrap();
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let mut r = app
            .http
            .post(app.url("/api/save_section"))
            .header("cookie", &cookie)
            .form(&[("section", "deals"), ("settings", "{}")]);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 403, "{origin:?}");
    }
    let r = app
        .http
        .post(app.url("/api/sign_in"))
        .header("origin", "http://evil.example")
        .form(&[
            ("account", ACCOUNT),
            ("login", LOGIN),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no sign-in from another site");
    // The same request from this server's own page passes.
    let outcome = session
        .submit("save_section", &[("section", "deals"), ("settings", "{}")])
        .await;
    assert_eq!(outcome, FormOutcome::Saved);
}

#[tokio::test]
async fn signing_out_and_expiry_end_the_session() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else {
            continue;
        };
        let session = admin_session(&app).await;
        assert_eq!(session.get("/").await.status(), 200);
        let r = session.post("/api/sign_out", &[]).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(session.get("/").await.status(), 303, "{backend:?}");

        let session = admin_session(&app).await;
        sqlx::query("UPDATE sessions SET expires_at = 0")
            .execute(&app.server.state.db.pool)
            .await
            .unwrap();
        assert_eq!(session.get("/").await.status(), 303, "expired");
        assert_eq!(session.post("/api/overview", &[]).await.status(), 401);
    }
}

#[tokio::test]
async fn admin_create_from_the_cli_then_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_uis-megaplan"))
        .args([
            "admin",
            "create",
            "--account",
            "cli-account",
            "--login",
            "boss",
            "--password-stdin",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "from stdin 123").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("from stdin 123"));

    // The server on that data directory: the account exists, so no first-start admin is made.
    let args = uis_megaplan::config::ServeArgs::for_tests(dir.path().to_path_buf(), None);
    let server = uis_megaplan::start(&args).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM admin_users")
        .fetch_one(&server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let app = crate::helpers::TestApp::new(server, uis_megaplan::testing::TestDb::sqlite());
    let session = session_of(&app, "cli-account", "boss", "from stdin 123").await;
    assert_eq!(session.get("/").await.status(), 200);
}

#[tokio::test]
async fn the_embedded_default_creates_one_admin_at_first_start_only() {
    let app = spawn_app(TestBackend::Sqlite).await.unwrap();
    let db = &app.server.state.db.pool;
    let (account, login, password) = uis_megaplan::auth::first_start(db).await.unwrap().unwrap();
    assert_eq!((account.as_str(), login.as_str()), ("default", "admin"));
    assert!(password.len() >= 16);
    assert!(
        uis_megaplan::auth::first_start(db).await.unwrap().is_none(),
        "only once"
    );
    let session = session_of(&app, &account, &login, &password).await;
    assert_eq!(session.get("/").await.status(), 200);
}

#[tokio::test]
async fn the_e2e_hook_exists_only_in_e2e_mode() {
    let app = spawn_app(TestBackend::Sqlite).await.unwrap();
    let r = Session::anonymous(&app).get("/_e2e/emulators").await;
    assert_eq!(r.status(), 303, "closed like any other path");

    let app = crate::signed_in::spawn_app_with(TestBackend::Sqlite, |a| a.e2e = true)
        .await
        .unwrap();
    let r = Session::anonymous(&app).get("/_e2e/emulators").await;
    assert_eq!(r.status(), 200);
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["account"], "e2e");
    let session = session_of(&app, "e2e", "admin", "e2e-password").await;
    assert_eq!(
        session.get("/").await.status(),
        200,
        "the seeded admin signs in"
    );
    // The emulator's address is allowed, so credentials pointing at it are checked and saved.
    let url = info["megaplan_url"].as_str().unwrap();
    let outcome = session
        .submit(
            "add_megaplan_credentials",
            &[
                ("name", "Demo"),
                ("login", info["megaplan_login"].as_str().unwrap()),
                ("password", info["megaplan_password"].as_str().unwrap()),
                ("domain", url),
            ],
        )
        .await;
    assert_eq!(outcome, FormOutcome::Saved);
    app.server.shutdown().await.unwrap();
}
