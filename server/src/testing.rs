//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database per test.

use std::path::PathBuf;

use sqlx::Connection;

/// Where tests find PostgreSQL; CI always has one (see .ci/run).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `make test` and CI guarantee a PostgreSQL, so there a missing one fails the test instead of skipping it.
fn postgres_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("UIS_MEGAPLAN_REQUIRE_POSTGRES").is_some()
}

/// A database that exists for one test only; PostgreSQL ones are dropped when this is dropped.
pub struct TestDb {
    pub url: String,
    pub data_dir: PathBuf,
    _dir: tempfile::TempDir,
    pg_name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    /// A bench's database: `BENCH_BACKEND=postgres` for the local PostgreSQL, SQLite otherwise.
    pub fn for_bench() -> TestBackend {
        match std::env::var("BENCH_BACKEND").as_deref() {
            Ok("postgres") => TestBackend::Postgres,
            _ => TestBackend::Sqlite,
        }
    }
}

impl TestDb {
    /// A fresh database of the given kind, or None for PostgreSQL when none is reachable outside CI.
    pub async fn new(backend: TestBackend) -> Option<TestDb> {
        match backend {
            TestBackend::Sqlite => Some(TestDb::sqlite()),
            TestBackend::Postgres => TestDb::postgres().await,
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = crate::db::sqlite_url_in(dir.path());
        TestDb {
            url,
            data_dir: dir.path().to_path_buf(),
            _dir: dir,
            pg_name: None,
        }
    }

    /// A new, empty PostgreSQL database. In CI an unreachable server is a failure, not a skip.
    pub async fn postgres() -> Option<TestDb> {
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if !postgres_required() => {
                eprintln!("skipping the PostgreSQL half of this test: {admin} unreachable ({e})");
                return None;
            }
            Err(e) => panic!("PostgreSQL at {admin} is required here (CI or make test): {e}"),
        };
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let dir = tempfile::tempdir().expect("temp dir");
        Some(TestDb {
            url: url.to_string(),
            data_dir: dir.path().to_path_buf(),
            _dir: dir,
            pg_name: Some(name),
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = postgres_admin_url();
        // Drop runs outside async; a short-lived runtime on its own thread removes the database.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .ok()
            })
        })
        .join();
    }
}
