//! Interactive call processing ("Интерактивная обработка вызова", uis-api.md §4.1): UIS asks our
//! `/route` URL whom to dial and we answer with `phones`, a message or a `returned_code` branch.

use serde::{Deserialize, Serialize};

/// What UIS sends (GET query, form or JSON body); every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteRequest {
    pub call_session_id: Option<i64>,
    pub cdr_id: Option<i64>,
    /// Caller (contact) number.
    pub numa: Option<String>,
    /// Dialed virtual number.
    pub numb: Option<String>,
    pub start_time: Option<String>,
    /// DTMF digits, or absent (UIS sends `None`).
    pub input_result: Option<String>,
}

impl RouteRequest {
    /// Lenient like notifications: form, JSON or query, quotes and placeholders tolerated.
    pub fn parse(content_type: Option<&str>, query: Option<&str>, body: &[u8]) -> RouteRequest {
        let p = crate::notification::decode_params(content_type, query, body);
        RouteRequest {
            call_session_id: p.i64("call_session_id"),
            cdr_id: p.i64("cdr_id"),
            numa: p.str("numa"),
            numb: p.str("numb"),
            start_time: p.str("start_time"),
            input_result: p.str("input_result"),
        }
    }

    /// The parameters the admin selects for the operation, as a query string (GET mode).
    pub fn to_query(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(v) = self.cdr_id {
            pairs.append_pair("cdr_id", &v.to_string());
        }
        if let Some(v) = self.call_session_id {
            pairs.append_pair("call_session_id", &v.to_string());
        }
        if let Some(v) = &self.start_time {
            pairs.append_pair("start_time", v);
        }
        pairs.append_pair(
            "input_result",
            self.input_result.as_deref().unwrap_or("None"),
        );
        if let Some(v) = &self.numa {
            pairs.append_pair("numa", v);
        }
        if let Some(v) = &self.numb {
            pairs.append_pair("numb", v);
        }
        pairs.finish()
    }
}

/// Our answer; an empty answer (or a timeout) makes UIS take the fallback branch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteAnswer {
    /// Numbers to dial, in order (E.164 digits of the manager's phone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_message: Option<String>,
    /// Go to the scenario operation linked to this code (e.g. "manager not assigned").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_code: Option<i64>,
}

impl RouteAnswer {
    pub fn phones(phones: Vec<String>) -> RouteAnswer {
        RouteAnswer {
            phones,
            ..RouteAnswer::default()
        }
    }

    pub fn returned_code(code: i64) -> RouteAnswer {
        RouteAnswer {
            returned_code: Some(code),
            ..RouteAnswer::default()
        }
    }
}

/// Parameters to tick in the cabinet for the routing operation (documented in README).
pub const ROUTE_PARAMS: [&str; 6] = [
    "call_session_id",
    "cdr_id",
    "start_time",
    "input_result",
    "numa",
    "numb",
];
