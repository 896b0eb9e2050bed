use clap::Parser;
use uis_megaplan::config::{Cli, Command};
use uis_megaplan::shutdown_signal;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Demo(mut args)) => {
            // The emulators and the seeded demo account; the sign-in link is printed on start.
            args.e2e = true;
            if args.data_dir == std::path::Path::new("data") {
                // A fresh database each time: the emulators start empty on new ports.
                args.data_dir =
                    std::env::temp_dir().join(format!("uis-megaplan-demo-{}", std::process::id()));
            }
            args
        }
        Some(Command::Admin { action }) => {
            uis_megaplan::telemetry::init(cli.serve.log_format);
            return uis_megaplan::auth::run_cli(action).await;
        }
        Some(Command::Emulate { which }) => {
            uis_megaplan::telemetry::init(cli.serve.log_format);
            return uis_megaplan::emulate::run(which).await;
        }
        None => cli.serve,
    };
    uis_megaplan::telemetry::init(args.log_format);
    let running = uis_megaplan::start(&args).await?;
    tracing::info!(url = %running.url(), "uis-megaplan is listening");
    println!("uis-megaplan is listening on {}", running.url());
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.shutdown().await
}
