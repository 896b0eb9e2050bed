//! Application events to the app's `streamUri`, retried with the same uuid until 200, in order (item 17, §9);
//! and the install callback to `preferencesUri` (item 18).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use super::{EmulatorConfig, Shared};

/// One event and what happened to it, for tests to assert on.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub uuid: String,
    pub event: String,
    pub model: String,
    pub entity_id: Option<String>,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub delivered: bool,
    /// The exact body sent, `{"event","data","accountInfo"}`.
    pub body: Value,
}

pub(crate) struct Webhooks {
    url: Mutex<Option<url::Url>>,
    queue: Mutex<VecDeque<Delivery>>,
    log: Mutex<Vec<Delivery>>,
    notify: Notify,
    integration_uuid: String,
    retry_delay: Duration,
    timeout: Duration,
}

impl Webhooks {
    pub fn new(config: &EmulatorConfig) -> Self {
        Webhooks {
            url: Mutex::new(config.webhook_url.clone()),
            queue: Mutex::new(VecDeque::new()),
            log: Mutex::new(Vec::new()),
            notify: Notify::new(),
            integration_uuid: config.seed.integration_uuid.clone(),
            retry_delay: config.webhook_retry_delay,
            timeout: config.webhook_timeout,
        }
    }

    pub fn set_url(&self, url: Option<url::Url>) {
        *self.url.lock().expect("webhook url") = url;
        self.notify.notify_one();
    }

    /// Only an installed app (a URL is set) gets events; the body is MPSDK's listener shape (§9).
    pub fn emit(&self, event: &str, model: &str, data: &Value) {
        if self.url.lock().expect("webhook url").is_none() {
            return;
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        let body = json!({"event": event, "data": data,
            "accountInfo": {"integrationUuid": self.integration_uuid, "uuid": uuid, "model": model}});
        self.queue
            .lock()
            .expect("webhook queue")
            .push_back(Delivery {
                uuid,
                event: event.into(),
                model: model.into(),
                entity_id: data.get("id").and_then(Value::as_str).map(str::to_string),
                attempts: 0,
                last_status: None,
                delivered: false,
                body,
            });
        self.notify.notify_one();
    }

    /// Delivered and pending events, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let mut all = self.log.lock().expect("webhook log").clone();
        all.extend(self.queue.lock().expect("webhook queue").iter().cloned());
        all
    }
}

/// The sender: the head event blocks the ones behind it until it gets a 200 (§9: failures stall the app).
pub(crate) async fn run(shared: Shared) {
    let http = reqwest::Client::new();
    let hooks = &shared.webhooks;
    loop {
        let head = hooks.queue.lock().expect("webhook queue").front().cloned();
        let url = hooks.url.lock().expect("webhook url").clone();
        let (Some(mut d), Some(url)) = (head, url) else {
            hooks.notify.notified().await;
            continue;
        };
        let status = http
            .post(url)
            .timeout(hooks.timeout)
            .json(&d.body)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .ok();
        d.attempts += 1;
        d.last_status = status;
        d.delivered = status == Some(200);
        {
            let mut q = hooks.queue.lock().expect("webhook queue");
            if d.delivered {
                q.pop_front();
                hooks.log.lock().expect("webhook log").push(d);
                continue;
            }
            if let Some(front) = q.front_mut() {
                *front = d;
            }
        }
        tokio::time::sleep(hooks.retry_delay).await;
    }
}

/// GET `preferencesUri` with the install parameters and a fresh application token (§9 Install callback;
/// GET with query parameters is inferred).
pub(crate) async fn install_callback(shared: &Shared, mut uri: url::Url) -> Result<u16, String> {
    let token = super::auth::issue_token(shared);
    let expires =
        chrono::Utc::now() + chrono::Duration::seconds(token["expires_in"].as_i64().unwrap_or(0));
    let host = shared
        .base_url
        .host_str()
        .unwrap_or("localhost")
        .to_string();
    uri.query_pairs_mut()
        .append_pair("accountId", &host)
        .append_pair("uniqueAccountId", &shared.seed.account_name)
        .append_pair(
            "applicationToken",
            token["access_token"].as_str().unwrap_or(""),
        )
        .append_pair("expirationTime", &expires.to_rfc3339())
        .append_pair("applicationUuid", &shared.seed.integration_uuid)
        .append_pair("permanentHost", &host)
        .append_pair(
            "userSign",
            &format!("sign-{}", uuid::Uuid::new_v4().simple()),
        );
    reqwest::Client::new()
        .get(uri)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}
