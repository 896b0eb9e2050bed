//! The one in-memory account behind the Data API, the Call API and the notification sender.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::seed::Seed;
use super::simulator::{Delivery, Simulation};
use crate::call_api::ActiveCall;
use crate::data_api::{
    CallLegReport, CallReport, ChatMessage, ChatReport, Employee, OfflineMessage, Site, Status,
    Tag, VirtualNumber,
};
use crate::rpc::Mnemonic;

/// A `start.employee_call` the emulator accepted, with the params as sent (for assertions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartedCall {
    pub call_session_id: i64,
    pub params: Value,
}

/// Faults the tests can switch on (uis-api.md §9).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer `-32003 ip_not_whitelisted` to everything.
    pub ip_not_whitelisted: bool,
    /// `(method or any, mnemonic, times)`: answer that error instead of running the method.
    pub errors: Vec<(Option<String>, Mnemonic, u32)>,
    /// `(status, times)`: answer HTTP errors instead of JSON-RPC.
    pub http_status: Option<(u16, u32)>,
    /// Answer every API request this late.
    pub api_delay: Option<Duration>,
}

/// Point budget (uis-api.md §2 "Limits"); every successful call costs one point.
#[derive(Debug, Clone)]
pub struct LimitState {
    pub day_limit: i64,
    pub day_used: i64,
    pub minute_limit: i64,
    pub minute_used: i64,
    pub minute_started: DateTime<Utc>,
}

pub(crate) struct ActiveEntry {
    pub call: ActiveCall,
    pub release: Arc<tokio::sync::Notify>,
}

pub(crate) struct State {
    pub seed: Seed,
    pub employees: Vec<Employee>,
    pub statuses: Vec<Status>,
    pub virtual_numbers: Vec<VirtualNumber>,
    pub sites: Vec<Site>,
    pub tags: Vec<Tag>,
    pub calls: Vec<CallReport>,
    pub call_legs: Vec<CallLegReport>,
    pub chats: Vec<ChatReport>,
    pub chat_messages: Vec<ChatMessage>,
    pub offline_messages: Vec<OfflineMessage>,
    pub started_calls: Vec<StartedCall>,
    pub active_calls: BTreeMap<i64, ActiveEntry>,
    pub simulations: Vec<Simulation>,
    /// login.user sessions: token → expire_at (unix, emulator clock).
    pub sessions: HashMap<String, i64>,
    pub clock_offset: chrono::Duration,
    pub limits: LimitState,
    pub faults: Faults,
    pub notify_base: Option<Url>,
    pub route_url: Option<Url>,
    pub route_method: super::route::RouteMethod,
    pub route_timeout: Duration,
    pub delivery: Delivery,
    /// How long a click-to-call talk lasts in real time unless `release.call` ends it.
    pub click_to_call_hold: Duration,
    /// Every API method called, in order (for assertions).
    pub requests: Vec<String>,
    next_id: i64,
}

impl State {
    pub fn new(seed: Seed) -> State {
        State {
            employees: seed.employees.clone(),
            statuses: seed.statuses.clone(),
            virtual_numbers: seed.virtual_numbers.clone(),
            sites: seed.sites.clone(),
            tags: seed.tags.clone(),
            seed,
            calls: Vec::new(),
            call_legs: Vec::new(),
            chats: Vec::new(),
            chat_messages: Vec::new(),
            offline_messages: Vec::new(),
            started_calls: Vec::new(),
            active_calls: BTreeMap::new(),
            simulations: Vec::new(),
            sessions: HashMap::new(),
            clock_offset: chrono::Duration::zero(),
            limits: LimitState {
                day_limit: 10_000,
                day_used: 0,
                minute_limit: 1_000,
                minute_used: 0,
                minute_started: Utc::now(),
            },
            faults: Faults::default(),
            notify_base: None,
            route_url: None,
            route_method: super::route::RouteMethod::default(),
            route_timeout: super::route::DEFAULT_ROUTE_TIMEOUT,
            delivery: Delivery::default(),
            click_to_call_hold: Duration::ZERO,
            requests: Vec::new(),
            next_id: 0,
        }
    }

    /// The emulator's clock: real time plus whatever the tests advanced.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    /// Ids look like UIS's (large, increasing); one counter serves calls, legs, chats.
    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        900_000_000 + self.next_id
    }

    pub fn employee(&self, id: i64) -> Option<&Employee> {
        self.employees.iter().find(|e| e.id == id)
    }

    pub fn is_own_virtual_number(&self, number: &str) -> bool {
        let digits = super::digits(number);
        self.virtual_numbers
            .iter()
            .any(|n| super::digits(&n.virtual_phone_number) == digits)
    }

    /// The employee a dialled number reaches: any of its phones or its extension.
    pub fn employee_by_phone(&self, phone: &str) -> Option<&Employee> {
        let digits = super::digits(phone);
        if digits.is_empty() {
            return None;
        }
        self.employees.iter().find(|e| {
            e.phone_numbers
                .iter()
                .any(|p| super::digits(&p.phone_number) == digits)
                || e.extension
                    .as_ref()
                    .and_then(|x| x.extension_phone_number.as_deref())
                    .is_some_and(|x| super::digits(x) == digits)
        })
    }
}
