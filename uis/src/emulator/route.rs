//! The emulator as a client of the interactive call-processing URL (uis-api.md §4.1, §9).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::Inner;
use crate::routing::{RouteAnswer, RouteRequest};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteMethod {
    /// Query string, as in the vendor's example.
    #[default]
    Get,
    /// `application/x-www-form-urlencoded` body.
    PostForm,
    /// JSON body.
    PostJson,
}

/// How the routing step of a simulated call went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RouteOutcome {
    /// No routing URL configured, or the script said not to ask.
    NotAsked,
    /// The service answered `phones`; those that reach an employee ring first.
    Phones {
        phones: Vec<String>,
        employee_ids: Vec<i64>,
    },
    /// The service chose a scenario branch.
    ReturnedCode { code: i64 },
    /// The service only asked to play a message.
    MessageOnly,
    /// Timeout, non-200, unreadable or empty answer: UIS takes the fallback branch.
    Fallback { reason: String },
}

pub(crate) async fn ask_route(
    inner: &Arc<Inner>,
    call_session_id: i64,
    numa: &str,
    numb: &str,
    t0: NaiveDateTime,
) -> RouteOutcome {
    let (url, method, timeout) = {
        let st = inner.state();
        (st.route_url.clone(), st.route_method, st.route_timeout)
    };
    let Some(url) = url else {
        return RouteOutcome::NotAsked;
    };
    let request = RouteRequest {
        call_session_id: Some(call_session_id),
        cdr_id: Some(call_session_id),
        numa: Some(numa.to_string()),
        numb: Some(numb.to_string()),
        start_time: Some(crate::time::format(t0)),
        input_result: None,
    };
    let builder = match method {
        RouteMethod::Get => {
            let mut u = url.clone();
            u.set_query(Some(&request.to_query()));
            inner.http.get(u)
        }
        RouteMethod::PostForm => inner
            .http
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(request.to_query()),
        RouteMethod::PostJson => inner.http.post(url.clone()).json(&request),
    };
    let answer = match tokio::time::timeout(timeout, fetch(builder)).await {
        Err(_) => return fallback(format!("no answer within {timeout:?}")),
        Ok(Err(reason)) => return fallback(reason),
        Ok(Ok(answer)) => answer,
    };
    interpret(inner, answer)
}

fn fallback(reason: String) -> RouteOutcome {
    RouteOutcome::Fallback { reason }
}

async fn fetch(builder: reqwest::RequestBuilder) -> Result<RouteAnswer, String> {
    let response = builder.send().await.map_err(|e| e.to_string())?;
    if response.status().as_u16() != 200 {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = response.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("invalid answer: {e}"))
}

fn interpret(inner: &Arc<Inner>, answer: RouteAnswer) -> RouteOutcome {
    if !answer.phones.is_empty() {
        let st = inner.state();
        let employee_ids = answer
            .phones
            .iter()
            .filter_map(|p| st.employee_by_phone(p).map(|e| e.id))
            .collect();
        return RouteOutcome::Phones {
            phones: answer.phones,
            employee_ids,
        };
    }
    if let Some(code) = answer.returned_code {
        return RouteOutcome::ReturnedCode { code };
    }
    if answer.message_name.is_some() || answer.text.is_some() {
        return RouteOutcome::MessageOnly;
    }
    fallback("empty answer".into())
}

/// Default wait for the routing answer before the fallback branch ([I] 3 s, uis-api.md §9).
pub const DEFAULT_ROUTE_TIMEOUT: Duration = Duration::from_secs(3);
