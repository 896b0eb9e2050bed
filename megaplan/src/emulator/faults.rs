//! Fault knobs: forced statuses, random 5xx/429, slow answers, corrupt bodies, quirks (items 5, 10–12, 15).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::Shared;
use super::wire::ApiError;

/// How a corrupted answer looks (for the client's "bad input gives a typed error" tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corruption {
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// 200 with the real JSON cut in half.
    TruncatedJson,
    /// 200 with valid JSON that is not the envelope's shape.
    WrongShape,
}

#[derive(Debug)]
pub(crate) struct FaultState {
    fail_next: Vec<u16>,
    corrupt_next: Vec<Corruption>,
    error_probability: f64,
    error_status: u16,
    rate_limit_probability: f64,
    pub retry_after_secs: u64,
    slow_probability: f64,
    slow_delay: Duration,
    delay: Duration,
    pub call_route_delay: Duration,
    pub rate_limit_per_second: Option<u32>,
    windows: HashMap<String, (Instant, u32)>,
    pub search_index_empty: bool,
    pub contractor_comments_fail: bool,
    pub todo_update_without_id_creates: bool,
    pub token_ttl: Duration,
}

impl FaultState {
    pub fn new(token_ttl: Duration) -> Self {
        FaultState {
            fail_next: Vec::new(),
            corrupt_next: Vec::new(),
            error_probability: 0.0,
            error_status: 500,
            rate_limit_probability: 0.0,
            retry_after_secs: 1,
            slow_probability: 0.0,
            slow_delay: Duration::ZERO,
            delay: Duration::ZERO,
            call_route_delay: Duration::ZERO,
            rate_limit_per_second: None,
            windows: HashMap::new(),
            search_index_empty: false,
            contractor_comments_fail: false,
            todo_update_without_id_creates: super::inferred::TODO_UPDATE_WITHOUT_ID_CREATES,
            token_ttl,
        }
    }

    /// Counts one request for `token` in the current second; false when over the limit (item 5).
    pub fn admit(&mut self, token: &str) -> bool {
        let Some(limit) = self.rate_limit_per_second else {
            return true;
        };
        let now = Instant::now();
        let w = self.windows.entry(token.to_string()).or_insert((now, 0));
        if now.duration_since(w.0) >= Duration::from_secs(1) {
            *w = (now, 0);
        }
        w.1 += 1;
        w.1 <= limit
    }
}

/// A handle to the knobs; cheap to clone.
#[derive(Clone)]
pub struct Faults {
    pub(crate) state: Arc<Mutex<FaultState>>,
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        f(&mut self.state.lock().expect("faults lock"))
    }
    /// The next `n` requests answer `status` (5xx: a non-JSON gateway page for 502/503/504; 429 with Retry-After).
    pub fn fail_next(&self, n: usize, status: u16) {
        self.with(|f| f.fail_next.extend(std::iter::repeat_n(status, n)));
    }
    /// The next `n` successful answers are corrupted this way.
    pub fn corrupt_next(&self, n: usize, how: Corruption) {
        self.with(|f| f.corrupt_next.extend(std::iter::repeat_n(how, n)));
    }
    /// Each request fails with `status` with probability `p`.
    pub fn set_error_probability(&self, p: f64, status: u16) {
        self.with(|f| {
            f.error_probability = p;
            f.error_status = status;
        });
    }
    /// Each request gets 429 with probability `p`.
    pub fn set_rate_limit_probability(&self, p: f64) {
        self.with(|f| f.rate_limit_probability = p);
    }
    /// The Retry-After seconds sent with every 429.
    pub fn set_retry_after(&self, secs: u64) {
        self.with(|f| f.retry_after_secs = secs);
    }
    /// Each request is delayed by `delay` with probability `p`.
    pub fn set_slow(&self, p: f64, delay: Duration) {
        self.with(|f| {
            f.slow_probability = p;
            f.slow_delay = delay;
        });
    }
    /// Every request is delayed by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.with(|f| f.delay = delay);
    }
    /// Only `callRoute` is delayed (item 15 latency knob).
    pub fn set_call_route_delay(&self, delay: Duration) {
        self.with(|f| f.call_route_delay = delay);
    }
    /// At most `rps` requests per second per token, then 429 (item 5; TS claims 5 rps).
    pub fn set_rate_limit_per_token(&self, rps: Option<u32>) {
        self.with(|f| f.rate_limit_per_second = rps);
    }
    /// `q` on /contractor finds nothing, like a fresh account's empty index (item 10).
    pub fn set_search_index_empty(&self, empty: bool) {
        self.with(|f| f.search_index_empty = empty);
    }
    /// Contractor comments answer 500, as PYSDK reported (item 11).
    pub fn set_contractor_comments_fail(&self, fail: bool) {
        self.with(|f| f.contractor_comments_fail = fail);
    }
    /// `POST /todo/{id}` without `id` in the body creates a new todo (item 12; on by default, PYSDK live).
    pub fn set_todo_update_without_id_creates(&self, on: bool) {
        self.with(|f| f.todo_update_without_id_creates = on);
    }
    /// `expires_in` of tokens issued from now on.
    pub fn set_token_ttl(&self, ttl: Duration) {
        self.with(|f| f.token_ttl = ttl);
    }
    /// Back to a healthy service.
    pub fn clear(&self) {
        self.with(|f| {
            let ttl = f.token_ttl;
            *f = FaultState::new(ttl);
        });
    }
}

enum Decision {
    Pass(Option<Corruption>),
    Fail(u16),
}

/// Applies delays, forced failures and corruption in front of every route.
pub(crate) async fn layer(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    // The inspection page is not Megaplan and must not eat a planned failure.
    if req.uri().path().starts_with("/_emulator") {
        return next.run(req).await;
    }
    let (delay, decision) = {
        let mut f = shared.faults.state.lock().expect("faults lock");
        let mut rng = rand::rng();
        let mut delay = f.delay;
        if f.slow_probability > 0.0 && rng.random_bool(f.slow_probability.min(1.0)) {
            delay += f.slow_delay;
        }
        let decision = if !f.fail_next.is_empty() {
            Decision::Fail(f.fail_next.remove(0))
        } else if f.error_probability > 0.0 && rng.random_bool(f.error_probability.min(1.0)) {
            Decision::Fail(f.error_status)
        } else if f.rate_limit_probability > 0.0
            && rng.random_bool(f.rate_limit_probability.min(1.0))
        {
            Decision::Fail(429)
        } else {
            Decision::Pass((!f.corrupt_next.is_empty()).then(|| f.corrupt_next.remove(0)))
        };
        (delay, decision)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match decision {
        Decision::Fail(status) => failure(&shared, status),
        Decision::Pass(None) => next.run(req).await,
        Decision::Pass(Some(how)) => corrupt(next.run(req).await, how).await,
    }
}

pub(crate) fn failure(shared: &Shared, status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status {
        429 => {
            let mut e = ApiError::new(code, None, "Слишком много запросов");
            e.retry_after = Some(shared.faults.with(|f| f.retry_after_secs));
            e.into_response()
        }
        // A gateway in front of the app answers HTML, not the envelope.
        502..=504 => (
            code,
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><head><title>{status}</title></head><body><center><h1>{status} {}</h1></center><hr><center>nginx</center></body></html>", code.canonical_reason().unwrap_or("")),
        )
            .into_response(),
        _ => ApiError::new(code, None, "Внутренняя ошибка сервера").into_response(),
    }
}

async fn corrupt(resp: Response, how: Corruption) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let new: Vec<u8> = match how {
        Corruption::MalformedJson => b"<?xml version=\"1.0\"?><oops/>".to_vec(),
        Corruption::TruncatedJson => bytes[..bytes.len() / 2].to_vec(),
        Corruption::WrongShape => {
            br#"{"meta":{"status":200,"errors":[]},"data":{"unexpected":true}}"#.to_vec()
        }
    };
    let mut resp = Response::from_parts(parts, Body::from(new));
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}
