//! Who may open the settings page: admin users of an account, passwords hashed with argon2, sessions in
//! the database, a guard in front of every route, and a rate limit on sign-in attempts.

pub mod guard;
pub mod limit;
pub mod password;
pub mod sessions;

use std::io::BufRead;

use sqlx::AnyPool;

use crate::accounts::{self, now_ms};
use crate::config::{AdminCommand, DatabaseArgs};
use crate::db::{self, Db};

#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    #[error("the login must not be empty")]
    EmptyLogin,
    #[error("the password must be at least 8 characters")]
    ShortPassword,
    #[error("account {account:?} already has an admin {login:?}")]
    Exists { account: String, login: String },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Creates an admin of the named account, creating the account too when it does not exist yet.
pub async fn create_admin(
    db: &AnyPool,
    account: &str,
    login: &str,
    password: &str,
) -> Result<String, CreateAdminError> {
    let login = login.trim();
    if login.is_empty() {
        return Err(CreateAdminError::EmptyLogin);
    }
    if password.chars().count() < 8 {
        return Err(CreateAdminError::ShortPassword);
    }
    let account_id = accounts::ensure_account(db, account).await?;
    let exists: Option<(String,)> =
        sqlx::query_as("SELECT id FROM admin_users WHERE account_id = $1 AND login = $2")
            .bind(&account_id)
            .bind(login)
            .fetch_optional(db)
            .await
            .map_err(anyhow::Error::from)?;
    if exists.is_some() {
        return Err(CreateAdminError::Exists {
            account: account.into(),
            login: login.into(),
        });
    }
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO admin_users (id, account_id, login, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&account_id)
    .bind(login)
    .bind(password::hash(password)?)
    .bind(now_ms())
    .execute(db)
    .await
    .map_err(anyhow::Error::from)?;
    Ok(id)
}

/// The admin whose account name, login and password match: `(account_id, user_id)`.
pub async fn check_password(
    db: &AnyPool,
    account: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<Option<(String, String)>> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT a.id, u.id, u.password_hash FROM admin_users u JOIN accounts a ON a.id = u.account_id \
         WHERE a.name = $1 AND u.login = $2",
    )
    .bind(account.trim())
    .bind(login.trim())
    .fetch_optional(db)
    .await?;
    let password = password.to_string();
    // argon2 takes tens of milliseconds of CPU: off the async threads.
    tokio::task::spawn_blocking(move || match row {
        Some((account_id, user_id, phc)) if password::verify(&password, &phc) => {
            Some((account_id, user_id))
        }
        Some(_) => None,
        None => {
            password::verify_nothing(&password);
            None
        }
    })
    .await
    .map_err(anyhow::Error::from)
}

/// The embedded default's first start: with no account at all, one account `default` and its admin
/// `admin` are created with a random password that is printed once.
pub async fn first_start(db: &AnyPool) -> anyhow::Result<Option<(String, String, String)>> {
    if accounts::any_account_exists(db).await? {
        return Ok(None);
    }
    let password = password::generate();
    create_admin(db, "default", "admin", &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(("default".into(), "admin".into(), password)))
}

/// `uis-megaplan admin …`
pub async fn run_cli(action: AdminCommand) -> anyhow::Result<()> {
    match action {
        AdminCommand::Create {
            account,
            login,
            password_stdin: _,
            db: DatabaseArgs {
                data_dir,
                database_url,
            },
        } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            std::fs::create_dir_all(&data_dir)?;
            let url = database_url.unwrap_or_else(|| db::sqlite_url_in(&data_dir));
            let db = Db::connect(&url).await?;
            create_admin(&db.pool, &account, &login, password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("admin {login:?} of account {account:?} created");
            Ok(())
        }
    }
}
