//! `uis-megaplan emulate …`: the Megaplan and UIS emulators on their own, for people and scripts.

use crate::config::EmulateCommand;

pub async fn run(command: EmulateCommand) -> anyhow::Result<()> {
    match command {
        EmulateCommand::Megaplan {
            listen,
            webhook_url,
        } => {
            let config = megaplan::emulator::EmulatorConfig {
                listen,
                webhook_url,
                ..Default::default()
            };
            megaplan::emulator::Emulator::run_until(config, crate::shutdown_signal()).await?;
        }
        EmulateCommand::Uis {
            listen,
            notify_to,
            route_url,
        } => {
            let config = uis::emulator::EmulatorConfig {
                listen,
                notify_base: notify_to,
                route_url,
                ..Default::default()
            };
            let emulator = uis::emulator::Emulator::start(config)?;
            println!("{}", emulator.describe());
            println!(
                "place a call: uis-megaplan emulate call --emulator {} --flow inbound_lost",
                emulator.base_url()
            );
            crate::shutdown_signal().await;
            emulator.shutdown().await;
        }
        EmulateCommand::Call {
            emulator,
            flow,
            phone,
            employees,
            ask_route,
        } => {
            let mut script = serde_json::json!({
                "flow": flow,
                "contact_phone_number": phone,
                "ask_route": ask_route,
            });
            if !employees.is_empty() {
                script["employee_ids"] = serde_json::json!(employees);
            }
            let url = emulator.join("_emulator/calls")?;
            let response = reqwest::Client::new()
                .post(url.clone())
                .json(&script)
                .send()
                .await?;
            let status = response.status();
            let body = response.text().await?;
            if !status.is_success() {
                anyhow::bail!("{url} answered {status}: {body}");
            }
            match serde_json::from_str::<serde_json::Value>(&body) {
                Ok(v) => println!("{}", serde_json::to_string_pretty(&v)?),
                Err(_) => println!("{body}"),
            }
        }
    }
    Ok(())
}
