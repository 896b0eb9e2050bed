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
    /// A started server and the database it runs on, with a client that does not follow redirects
    /// (a test sees the redirect itself).
    pub fn new(server: RunningServer, db: TestDb) -> TestApp {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            server,
            http,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }
}

/// Starts the whole server on a random port over a fresh database; None when that backend is unavailable.
pub async fn spawn_app(backend: TestBackend) -> Option<TestApp> {
    let db = TestDb::new(backend).await?;
    let args = ServeArgs::for_tests(db.data_dir.clone(), Some(db.url.clone()));
    let server = start(&args).await.expect("server starts");
    Some(TestApp::new(server, db))
}

/// Makes the database refuse (or accept again) every write of the event trace.
pub async fn refuse_traces(
    pool: &sqlx::AnyPool,
    backend: uis_megaplan::testing::TestBackend,
    refuse: bool,
) {
    let statements: &[&str] = match (backend, refuse) {
        (uis_megaplan::testing::TestBackend::Sqlite, true) => &[
            "CREATE TRIGGER refuse_trace BEFORE INSERT ON event_trace BEGIN SELECT RAISE(ABORT, 'trace refused'); END",
        ],
        (uis_megaplan::testing::TestBackend::Sqlite, false) => &["DROP TRIGGER refuse_trace"],
        (_, true) => &[
            "CREATE FUNCTION refuse_trace() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'trace refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_trace BEFORE INSERT ON event_trace FOR EACH ROW EXECUTE FUNCTION refuse_trace()",
        ],
        (_, false) => &["DROP TRIGGER refuse_trace ON event_trace"],
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(pool)
            .await
            .unwrap();
    }
}
