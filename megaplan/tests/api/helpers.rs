use std::time::Duration;

use megaplan::emulator::{Emulator, EmulatorConfig};
use megaplan::{Client, Credentials};
use serde_json::Value;

pub const LOGIN: &str = "admin@demo.megaplan";
pub const PASSWORD: &str = "demo-password";

pub fn spawn_with(config: EmulatorConfig) -> (Emulator, Client) {
    let emu = Emulator::start(config).expect("emulator starts");
    let client = client_for(&emu, PASSWORD, Duration::from_secs(5));
    (emu, client)
}

pub fn spawn() -> (Emulator, Client) {
    spawn_with(EmulatorConfig::default())
}

pub fn client_for(emu: &Emulator, password: &str, timeout: Duration) -> Client {
    Client::with_http(
        reqwest::Client::new(),
        emu.base_url(),
        Credentials {
            login: LOGIN.into(),
            password: password.into(),
        },
        timeout,
    )
}

/// A raw password grant, for tests that speak HTTP without the client.
pub async fn raw_token(emu: &Emulator) -> String {
    let resp: Value = reqwest::Client::new()
        .post(emu.base_url().join("api/v3/auth/access_token").unwrap())
        .form(&[
            ("grant_type", "password"),
            ("username", LOGIN),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    resp["access_token"].as_str().unwrap().to_string()
}

/// A raw request with the v3 conventions: JSON-in-query for GET, JSON body for POST.
pub async fn raw(
    emu: &Emulator,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let token = raw_token(emu).await;
    let mut url = emu.base_url().join(path).unwrap();
    url.set_query(query);
    let mut rb = reqwest::Client::new()
        .request(method.parse().unwrap(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let v = resp.json().await.unwrap_or(Value::Null);
    (status, v)
}

/// The first `meta.errors[].field` of an envelope.
pub fn error_field(v: &Value) -> Option<&str> {
    v["meta"]["errors"][0]["field"].as_str()
}
