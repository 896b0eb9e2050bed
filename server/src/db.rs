//! The database: embedded SQLite by default, PostgreSQL by URL; one portable set of migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!(
                "DATABASE_URL must start with sqlite: or postgres:// (got {:?})",
                redact(url)
            )
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// SQLite's own checkpoint runs inside the COMMIT that crosses its threshold and fsyncs there: a
/// few milliseconds added to whichever webhook or pop-up card commits then. [`checkpoints`] runs
/// them in the background instead; this threshold only backs it up.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 16_000;
/// How often the background checkpoint copies the WAL into the database file. Once a second, not
/// four times: each checkpoint syncs the WAL and the file, and a page rewritten meanwhile is copied
/// once (pop-up bench, interleaved runs: p99 4.4–4.9 × the bare request instead of 5.3–6.1 × when
/// saturated).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the SQLite WAL into the database file every [`CHECKPOINT_EVERY`] without waiting for
/// readers or writers (PASSIVE), on a connection of its own, until `stopped` turns true.
pub async fn checkpoints(pool: AnyPool, stopped: tokio::sync::watch::Receiver<bool>) {
    crate::every(CHECKPOINT_EVERY, stopped, || async {
        if pool.is_closed() {
            return std::ops::ControlFlow::Break(());
        }
        if let Err(e) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "WAL checkpoint failed; SQLite's own takes over");
        }
        std::ops::ControlFlow::Continue(())
    })
    .await
}

/// The URL of the embedded database inside the data directory.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("uis-megaplan.db").display()
    )
}

impl Db {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        busy_wait::register_everywhere();
        let backend = Backend::of_url(url)?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = checked_when_idle(AnyPoolOptions::new(), backend)
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Writers wait for each other instead of failing with "database is locked".
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                             PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}; {}",
                            busy_wait::INSTALL
                        )))
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact(url)))?;
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the writer; the mode is stored in the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        MIGRATOR.run(&pool).await?;
        Ok(Db { pool, backend })
    }

    /// True when the database answers and every migration this binary knows is applied.
    pub async fn is_ready(&self) -> Result<(), String> {
        let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("database unreachable: {e}"))?;
        let known = MIGRATOR.iter().count() as i64;
        if applied < known {
            return Err(format!("{applied} of {known} migrations applied"));
        }
        Ok(())
    }
}

/// How a pool makes sure a connection it hands out still works. sqlx pings every connection on
/// every acquire by default: one more round trip per query — on SQLite a hop to the connection's
/// thread for a file that cannot hang up (a pop-up card waited on ~15 of them), on PostgreSQL one
/// only worth paying after the connection sat idle long enough for the server to have gone away.
pub fn checked_when_idle<DB: sqlx::Database>(
    options: sqlx::pool::PoolOptions<DB>,
    backend: Backend,
) -> sqlx::pool::PoolOptions<DB> {
    let options = options.test_before_acquire(false);
    match backend {
        Backend::Sqlite => options,
        Backend::Postgres => options.before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        }),
    }
}

/// A PostgreSQL connection idle longer than this is pinged before use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// The URL without its password, for logs and errors.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// SQLite's own busy handler (what `busy_timeout` installs) sleeps 1, 2, 5, 10 … ms when another
/// connection holds the write lock, though writes here hold it for tens of microseconds: a webhook
/// or a pop-up card that met another write waited a whole millisecond or more. This one polls every
/// 50 µs for the first 20 ms, then every millisecond, and gives up after ~5 s like `busy_timeout`.
/// Installed per connection by `SELECT uis_megaplan_fine_busy_wait()` (a function registered on
/// every SQLite connection of the process), since the `Any` driver gives no access to the handle.
pub mod busy_wait {
    use std::ffi::{c_char, c_int, c_void};
    use std::sync::Once;
    use std::time::Duration;

    use libsqlite3_sys as ffi;

    /// The SQL that switches the current connection to the fine busy handler.
    pub const INSTALL: &str = "SELECT uis_megaplan_fine_busy_wait()";

    const FINE_TRIES: c_int = 400;
    const COARSE_TRIES: c_int = 5_000;

    unsafe extern "C" fn handler(_: *mut c_void, tries: c_int) -> c_int {
        if tries < FINE_TRIES {
            std::thread::sleep(Duration::from_micros(50));
            1
        } else if tries < FINE_TRIES + COARSE_TRIES {
            std::thread::sleep(Duration::from_millis(1));
            1
        } else {
            0
        }
    }

    unsafe extern "C" fn install_on_connection(
        ctx: *mut ffi::sqlite3_context,
        _argc: c_int,
        _argv: *mut *mut ffi::sqlite3_value,
    ) {
        // SAFETY: SQLite calls this with a live context of the connection running the statement.
        unsafe {
            let db = ffi::sqlite3_context_db_handle(ctx);
            let rc = ffi::sqlite3_busy_handler(db, Some(handler), std::ptr::null_mut());
            ffi::sqlite3_result_int(ctx, c_int::from(rc == ffi::SQLITE_OK));
        }
    }

    unsafe extern "C" fn register(
        db: *mut ffi::sqlite3,
        _err: *mut *mut c_char,
        _api: *const ffi::sqlite3_api_routines,
    ) -> c_int {
        // SAFETY: called by sqlite3_open for the connection it is opening.
        unsafe {
            ffi::sqlite3_create_function_v2(
                db,
                c"uis_megaplan_fine_busy_wait".as_ptr(),
                0,
                ffi::SQLITE_UTF8,
                std::ptr::null_mut(),
                Some(install_on_connection),
                None,
                None,
                None,
            )
        }
    }

    /// Registers the function on every SQLite connection opened after this call.
    pub fn register_everywhere() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: `register` has the signature SQLite calls auto-extensions with.
            unsafe {
                ffi::sqlite3_auto_extension(Some(register));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;

    #[tokio::test]
    async fn a_write_waits_for_another_connections_write_with_the_fine_busy_handler() {
        let t = TestDb::sqlite();
        let db = Db::connect(&t.url).await.unwrap();
        // The function that installs it exists on pool connections, and installs it.
        let (installed,): (i64,) = sqlx::query_as(busy_wait::INSTALL)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(installed, 1);
        sqlx::query("CREATE TABLE contended (n BIGINT)")
            .execute(&db.pool)
            .await
            .unwrap();
        // One connection holds the write lock for 30 ms; another's write waits, then succeeds.
        let mut holder = db.pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .unwrap();
        sqlx::query("INSERT INTO contended (n) VALUES (1)")
            .execute(&mut *holder)
            .await
            .unwrap();
        let waiter = {
            let pool = db.pool.clone();
            tokio::spawn(async move {
                sqlx::query("INSERT INTO contended (n) VALUES (2)")
                    .execute(&pool)
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        sqlx::query("COMMIT").execute(&mut *holder).await.unwrap();
        waiter.await.unwrap().expect("the waiting write succeeds");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM contended")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 2);
    }
}
