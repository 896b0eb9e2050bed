use uis_megaplan::config::ServeArgs;
use uis_megaplan::testing::{TestBackend, TestDb};
use uis_megaplan::{RunningServer, start};

pub const BACKENDS: [TestBackend; 2] = [TestBackend::Sqlite, TestBackend::Postgres];

pub struct TestApp {
    pub server: RunningServer,
    pub http: reqwest::Client,
    /// Held so the database lives as long as the server.
    pub _db: TestDb,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }
}

/// Starts the whole server on a random port over a fresh database; None when that backend is unavailable.
pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let server = start(&args).await.expect("server starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(TestApp {
        server,
        http,
        _db: db,
    })
}
