//! Configuration from flags and environment; `uis-megaplan --help` lists every option.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "uis-megaplan",
    version,
    about = "UIS ⇄ Megaplan integration service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the server (also accepted without the `serve` word).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the integration server (the default).
    Serve(ServeArgs),
    /// Manage the admin users who sign in to the settings page.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// Try it all on one machine: the server with in-process Megaplan and UIS emulators, a demo account
    /// already connected to them, and a one-time sign-in link printed (a fresh temporary data directory
    /// unless `--data-dir` is given).
    Demo(ServeArgs),
    /// Run an emulator of Megaplan or UIS on its own, to try a client or a script against it over HTTP.
    Emulate {
        #[command(subcommand)]
        which: EmulateCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum EmulateCommand {
    /// Megaplan API v3 with a seeded demo account (its login, password and ids are printed).
    Megaplan {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        /// Where the emulated Megaplan application sends its deal/client/todo events.
        #[arg(long)]
        webhook_url: Option<url::Url>,
    },
    /// UIS Data API (/v2.0) and Call API (/v4.0) with seeded employees and virtual numbers.
    Uis {
        #[arg(long, default_value = "127.0.0.1:8082")]
        listen: SocketAddr,
        /// Notification base `{server}/hooks/uis/{account_key}`; each event goes to `/{event}` below it.
        #[arg(long)]
        notify_to: Option<url::Url>,
        /// Interactive call-processing URL (`{server}/hooks/uis/{account_key}/route`).
        #[arg(long)]
        route_url: Option<url::Url>,
    },
    /// Place a scripted call on a running UIS emulator; prints what the emulator sent.
    Call {
        /// The UIS emulator's address.
        #[arg(long, default_value = "http://127.0.0.1:8082")]
        emulator: url::Url,
        /// inbound_answered, inbound_lost, outbound or transfer.
        #[arg(long, default_value = "inbound_answered")]
        flow: String,
        /// The client's number.
        #[arg(long, default_value = "79991112233")]
        phone: String,
        /// UIS employee ids that ring (inbound) or call (outbound); default: all.
        #[arg(long, value_delimiter = ',')]
        employees: Vec<i64>,
        /// Ask the interactive call-processing URL who the personal manager is.
        #[arg(long)]
        ask_route: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an admin user of an account (the account too, if it does not exist yet).
    Create {
        /// The account (one UIS client) the admin belongs to.
        #[arg(long)]
        account: String,
        /// The admin's login on the sign-in page.
        #[arg(long)]
        login: String,
        /// Read the password from the first line of standard input (it never appears in argv).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Where the database lies (the same options as the server's).
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// The database options alone, for subcommands that only touch the database.
#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// The server's data directory (its embedded SQLite database is used without --database-url).
    #[arg(long, env = "UIS_MEGAPLAN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite:…`, as given to the server.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on [default: $LEPTOS_SITE_ADDR or 127.0.0.1:3000].
    #[arg(long, env = "UIS_MEGAPLAN_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory for the embedded SQLite database and the generated secret key; created on first start.
    #[arg(long, env = "UIS_MEGAPLAN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL or `sqlite:…`; without it, SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "UIS_MEGAPLAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Key (64 hex characters) that encrypts stored credentials; without it, one is generated
    /// into `<data-dir>/secret.key` on first start.
    #[arg(long, env = "UIS_MEGAPLAN_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Where the built site (`pkg/` with wasm, js, css) lies [default: $LEPTOS_SITE_ROOT or target/site].
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// The address UIS and Megaplan reach this server at (webhook URLs are built from it)
    /// [default: http://<listen address>].
    #[arg(long, env = "UIS_MEGAPLAN_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Hosts besides `*.megaplan.ru` that Megaplan credentials may point at (`host:port`, comma-separated;
    /// plain http is allowed for them). Keeps the server from being pointed at internal addresses.
    #[arg(
        long = "megaplan-allow-host",
        env = "UIS_MEGAPLAN_MEGAPLAN_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub megaplan_allow_hosts: Vec<String>,
    /// UIS Data API endpoint that saved API keys are checked against.
    #[arg(
        long,
        env = "UIS_MEGAPLAN_UIS_DATA_API_URL",
        default_value = "https://dataapi.uiscom.ru/v2.0"
    )]
    pub uis_data_api_url: String,
    /// UIS Call API endpoint that saved logins are checked against.
    #[arg(
        long,
        env = "UIS_MEGAPLAN_UIS_CALL_API_URL",
        default_value = "https://callapi.uiscom.ru/v4.0"
    )]
    pub uis_call_api_url: String,
    /// Test hook for the browser tests: start in-process emulators and seed an account (never in production).
    #[arg(long, env = "UIS_MEGAPLAN_E2E", hide = true, action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub e2e: bool,
    /// Days the event log keeps each event's trace (payload, decision, actions), then prunes it.
    #[arg(long, env = "UIS_MEGAPLAN_TRACE_RETENTION_DAYS", default_value_t = 30)]
    pub trace_retention_days: u32,
    /// Seconds the UIS employee statuses shown to the Megaplan widget (do-not-disturb) are kept: UIS
    /// is read at most this often per account, each read one Data API point.
    #[arg(
        long,
        env = "UIS_MEGAPLAN_UIS_STATUS_REFRESH_SECS",
        default_value_t = 60
    )]
    pub uis_status_refresh_secs: u64,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl ServeArgs {
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok()?.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)))
    }

    /// Settings for a server in tests: a given data directory and database, a random port.
    pub fn for_tests(data_dir: PathBuf, database_url: Option<String>) -> Self {
        ServeArgs {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            data_dir,
            database_url,
            log_format: LogFormat::Text,
            secret_key: None,
            site_root: "target/site".into(),
            public_url: None,
            megaplan_allow_hosts: Vec::new(),
            uis_data_api_url: "https://dataapi.uiscom.ru/v2.0".into(),
            uis_call_api_url: "https://callapi.uiscom.ru/v4.0".into(),
            e2e: false,
            trace_retention_days: 30,
            // Short, so a test sees a status changed in UIS without waiting a minute.
            uis_status_refresh_secs: 1,
        }
    }
}
