//! The binary's command line: `--help` lists the options, the emulators run standalone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_uis-megaplan");

/// Kills the child even when an assertion fails.
struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `uis-megaplan args…` and returns it with its stdout lines up to the one containing `until`.
fn start_until(args: &[&str], until: &str) -> (Running, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.contains(until);
        lines.push(line);
        if done {
            return (running, lines);
        }
    }
    panic!("the process ended before printing {until:?}: {lines:?}");
}

#[test]
fn help_lists_every_server_option() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--log-format",
        "--secret-key",
        "DATABASE_URL",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

#[tokio::test]
async fn standalone_megaplan_emulator_prints_its_account_and_accepts_that_login() {
    let (_emu, lines) = start_until(
        &["emulate", "megaplan", "--listen", "127.0.0.1:0"],
        "state (not Megaplan",
    );
    let text = lines.join("\n");
    let base = lines[0]
        .trim_start_matches("Megaplan emulator listening on ")
        .trim()
        .to_string();
    assert!(
        text.contains("admin@demo.megaplan") && text.contains("demo-password"),
        "{text}"
    );
    let token = reqwest::Client::new()
        .post(format!("{base}api/v3/auth/access_token"))
        .form(&[
            ("username", "admin@demo.megaplan"),
            ("password", "demo-password"),
            ("grant_type", "password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
}

#[tokio::test]
async fn standalone_uis_emulator_places_a_scripted_call_from_the_command_line() {
    let (_emu, lines) = start_until(
        &["emulate", "uis", "--listen", "127.0.0.1:0"],
        "place a call:",
    );
    let text = lines.join("\n");
    assert!(text.contains("uis-demo-api-key"), "{text}");
    let emulator = lines
        .last()
        .unwrap()
        .split("--emulator ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let out = tokio::process::Command::new(BIN)
        .args([
            "emulate",
            "call",
            "--emulator",
            &emulator,
            "--flow",
            "inbound_lost",
            "--phone",
            "79991112233",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sim: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sim["flow"], "inbound_lost");
    assert!(sim["call_session_id"].as_i64().unwrap() > 0);

    let bad = tokio::process::Command::new(BIN)
        .args([
            "emulate",
            "call",
            "--emulator",
            &emulator,
            "--flow",
            "no_such_flow",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        !bad.status.success(),
        "an unknown flow is an error, not a silent call"
    );
}
