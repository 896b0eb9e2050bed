//! Helpers for tests of the settings application: a server with chosen options, an admin, a session.

use app::api::FormOutcome;
use uis_megaplan::config::ServeArgs;
use uis_megaplan::testing::{TestBackend, TestDb};

use crate::helpers::TestApp;

pub const ACCOUNT: &str = "acme";
pub const LOGIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";

/// Like `spawn_app`, with the server's options adjusted first.
pub async fn spawn_app_with(
    backend: TestBackend,
    configure: impl FnOnce(&mut ServeArgs),
) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    let mut args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    configure(&mut args);
    let server = uis_megaplan::start(&args).await.expect("server starts");
    Some(TestApp::new(server, db))
}

/// A browser-like client: sends its session cookie and this server's Origin.
pub struct Session<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
}

impl<'a> Session<'a> {
    pub fn anonymous(app: &'a TestApp) -> Session<'a> {
        Session { app, cookie: None }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        let mut r = self.app.http.get(self.app.url(path));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut r = self
            .app
            .http
            .post(self.app.url(path))
            .header("origin", self.app.server.url())
            .form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }

    /// Posts a form to a server function that answers a `FormOutcome`.
    pub async fn submit(&self, function: &str, form: &[(&str, &str)]) -> FormOutcome {
        let r = self.post(&format!("/api/{function}"), form).await;
        assert_eq!(r.status(), 200, "{function}: {:?}", r.text().await);
        r.json().await.unwrap()
    }
}

/// Creates the account's admin (once) and signs in as it.
pub async fn admin_session(app: &TestApp) -> Session<'_> {
    session_of(app, ACCOUNT, LOGIN, PASSWORD).await
}

pub async fn session_of<'a>(
    app: &'a TestApp,
    account: &str,
    login: &str,
    password: &str,
) -> Session<'a> {
    let _ =
        uis_megaplan::auth::create_admin(&app.server.state.db.pool, account, login, password).await;
    let anon = Session::anonymous(app);
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
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    Session {
        app,
        cookie: Some(cookie),
    }
}
