//! A real HTTP receiver standing in for our server: records notifications, answers `/route`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use uis::emulator::{Emulator, EmulatorConfig};
use uis::notification::{EventKind, Notification, parse};
use url::Url;

#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub method: String,
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn parse(&self) -> Notification {
        let kind = EventKind::from_path_segment(&self.event).expect("known event");
        parse(
            kind,
            self.content_type.as_deref(),
            self.query.as_deref(),
            &self.body,
            chrono_tz::Europe::Moscow,
        )
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// How `/route` answers.
#[derive(Debug, Clone)]
pub enum RouteBehaviour {
    Answer(Value),
    Status(u16),
    Raw(String),
    Slow(Duration, Value),
}

#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    route: Arc<Mutex<RouteBehaviour>>,
}

pub struct Receiver {
    /// `http://127.0.0.1:PORT/hooks/uis/test-key` — what the emulator appends `/{event}` to.
    pub base: Url,
    shared: Shared,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Shared {
            received: Arc::default(),
            route: Arc::new(Mutex::new(RouteBehaviour::Answer(json!({})))),
        };
        let app = Router::new()
            .route("/hooks/uis/{key}/{event}", any(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            base: Url::parse(&format!("http://{addr}/hooks/uis/test-key")).unwrap(),
            shared,
        }
    }

    pub fn route_url(&self) -> Url {
        Url::parse(&format!("{}/route", self.base)).unwrap()
    }

    pub fn set_route(&self, behaviour: RouteBehaviour) {
        *self.shared.route.lock().unwrap() = behaviour;
    }

    /// Notifications (not route requests) received so far.
    pub fn notifications(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.event != "route")
            .cloned()
            .collect()
    }

    pub fn route_requests(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.event == "route")
            .cloned()
            .collect()
    }

    pub fn events(&self) -> Vec<String> {
        self.notifications().into_iter().map(|r| r.event).collect()
    }
}

async fn hook(
    State(shared): State<Shared>,
    Path((_key, event)): Path<(String, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.received.lock().unwrap().push(Received {
        event: event.clone(),
        method: method.to_string(),
        query,
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    });
    if event != "route" {
        return StatusCode::OK.into_response();
    }
    let behaviour = shared.route.lock().unwrap().clone();
    match behaviour {
        RouteBehaviour::Answer(v) => axum::Json(v).into_response(),
        RouteBehaviour::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        RouteBehaviour::Raw(s) => s.into_response(),
        RouteBehaviour::Slow(d, v) => {
            tokio::time::sleep(d).await;
            axum::Json(v).into_response()
        }
    }
}

/// An emulator with the demo seed sending to `receiver`.
pub fn emulator(receiver: Option<&Receiver>) -> Emulator {
    Emulator::start(EmulatorConfig {
        notify_base: receiver.map(|r| r.base.clone()),
        ..EmulatorConfig::default()
    })
    .expect("emulator starts")
}
