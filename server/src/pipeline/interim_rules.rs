//! INTERIM RULES — a minimal built-in action set for call events, so the pipeline can be tested
//! end to end before `domain::rules::decide` is wired in (the telephony issue replaces this module):
//! - «Потерянный звонок» → find or create the client by phone, then a «Перезвонить» todo;
//! - «Завершение звонка» → find or create the client by phone, then the call in Megaplan's history.
//!
//! Everything else is recorded and not acted on.

use chrono::{DateTime, Duration, Utc};
use domain::call::{CallOutcome, Direction};
use domain::ids::CallSessionId;
use domain::phone::{DEFAULT_REGION, Phone};
use domain::rules::{Action, CallType, ClientRef, marker};
use futures::future::BoxFuture;
use serde::Serialize;
use uis::notification::{EventKind, Notification};

/// What the worker does with one event, and why when nothing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub skipped: Option<String>,
    pub notes: Vec<String>,
    /// The planner's own note to itself, given back to [`Planner::executed`]; not traced.
    #[serde(skip)]
    pub after: Option<serde_json::Value>,
    /// How a `ShowCallCard` of this plan claims its record.
    #[serde(skip)]
    pub card: CardClaim,
    /// The E.164 phone whose client record the planner read and found without a Megaplan id: the
    /// executor asks Megaplan for that client without reading the record again.
    #[serde(skip)]
    pub unrecorded_client: Option<String>,
}

/// How the executor guards the one `POST /callInfo` of a call against a second one. The telephony
/// planner holds the call while its event runs, so no two events post at once; what is left is an
/// attempt that posted and never recorded it (a crash, a failed write).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CardClaim {
    /// Claim the record first (`started`), then post: a missing record means none was posted.
    #[default]
    Claim,
    /// The call's first event in its first hold: nothing can have posted a card, so it is posted
    /// at once and recorded after (the claim's round trip is on the way to the pop-up card).
    Fresh,
    /// A hold that did not end cleanly came before: a missing record may hide a posted card, so
    /// it is looked up by its provider id before one is created.
    LookUp,
}

impl Plan {
    pub fn skip(why: impl Into<String>) -> Plan {
        Plan {
            skipped: Some(why.into()),
            ..Plan::default()
        }
    }
}

/// What a planner may read: the account, its zone, the database (settings, what is known of the
/// call and the phone) and the parsed notification.
pub struct PlanInput<'a> {
    pub account_id: &'a str,
    /// The inbox event being planned.
    pub event_id: &'a str,
    pub time_zone: chrono_tz::Tz,
    pub pool: &'a sqlx::AnyPool,
    pub notification: &'a Notification,
    /// What the planner's [`Planner::at_commit`] statement returned in the commit that accepted
    /// this event, on its first attempt when it was handed to this process's worker.
    pub at_commit: Option<&'a str>,
}

/// A planner's statement run in one of the pipeline's commits instead of a round trip of its own:
/// in the SQLite inbox commit, right after the rows, for an event it hands to this process's
/// worker ([`Planner::at_commit`]: the one text it may return reaches [`Planner::plan`] as
/// [`PlanInput::at_commit`]), or in the commit that ends an attempt ([`Planner::executed`]).
/// `$N` in `sql` is `args[N - 1]`.
#[derive(Debug, Clone)]
pub struct AtCommit {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// A value bound into an [`AtCommit`] statement.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl AtCommit {
    /// The statement's text cut at its `$N` placeholders: each piece of text with the `N` that
    /// follows it (`None` after the last).
    pub fn pieces(&self) -> Vec<(&'static str, Option<usize>)> {
        let (sql, bytes) = (self.sql, self.sql.as_bytes());
        let mut out = Vec::new();
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            let digits = match bytes[i] {
                b'$' => bytes[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count(),
                _ => 0,
            };
            if digits == 0 {
                i += 1;
                continue;
            }
            let n = sql[i + 1..i + 1 + digits].parse().unwrap_or(0);
            out.push((&sql[start..i], Some(n)));
            i += 1 + digits;
            start = i;
        }
        out.push((&sql[start..], None));
        out
    }

    /// The statement with its `$N` placeholders moved up by `offset` (it follows `offset` values
    /// of other statements in one query).
    pub fn sql_after(&self, offset: usize) -> String {
        let mut out = String::with_capacity(self.sql.len() + 16);
        for (text, n) in self.pieces() {
            out.push_str(text);
            if let Some(n) = n {
                out.push_str(&format!("${}", n + offset));
            }
        }
        out
    }

    /// Binds the statement's arguments, in order, after what `q` has bound.
    pub fn bind_to<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for arg in &self.args {
            q = match arg {
                Arg::Text(t) => q.bind(t.clone()),
                Arg::Int(v) => q.bind(*v),
                Arg::OptInt(v) => q.bind(*v),
            };
        }
        q
    }

    /// Runs the statement alone.
    pub async fn run<'c, E>(&self, db: E) -> Result<(), sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        self.bind_to(sqlx::query(self.sql)).execute(db).await?;
        Ok(())
    }
}

/// Turns a parsed UIS notification into actions; the telephony issue plugs `domain::rules::decide`
/// in here. `Err` is a transient failure (the event is retried); a permanent refusal is a `Plan`
/// with `skipped` set.
pub trait Planner: Send + Sync + 'static {
    fn plan<'a>(&'a self, input: PlanInput<'a>) -> BoxFuture<'a, Result<Plan, String>>;

    /// After the worker ran a plan's actions (`succeeded`: all of them, else it stopped at a
    /// failure): the statement that records what the planner's next decisions must know, run in
    /// the commit that ends the attempt (`$N` is `args[N - 1]`). Not called when `plan` returned
    /// `Err`.
    fn executed(&self, _input: Executed<'_>) -> Option<AtCommit> {
        None
    }

    /// The statement the inbox commit runs for `row`, an event handed to this process's worker
    /// (`row.id` is in the inbox only if the row was not a duplicate). `None`: nothing.
    fn at_commit(&self, _row: &super::ingress::InboxRow) -> Option<AtCommit> {
        None
    }
}

/// What [`Planner::executed`] sees.
pub struct Executed<'a> {
    pub account_id: &'a str,
    pub event_id: &'a str,
    pub plan: &'a Plan,
    pub succeeded: bool,
    /// Idempotency keys of the actions that created their entity in this attempt.
    pub created: &'a [String],
}

#[derive(Debug, Default)]
pub struct InterimRules;

impl Planner for InterimRules {
    fn plan<'a>(&'a self, input: PlanInput<'a>) -> BoxFuture<'a, Result<Plan, String>> {
        let plan = interim_plan(input.notification);
        Box::pin(async move { Ok(plan) })
    }
}

fn interim_plan(n: &Notification) -> Plan {
    let Some(call) = n.call_session_id.map(CallSessionId) else {
        return Plan::skip("not a call event");
    };
    let phone = n
        .contact_phone_number
        .as_deref()
        .or(n.calling_phone_number.as_deref())
        .and_then(|p| Phone::parse(p, DEFAULT_REGION).ok());
    let direction = match n.direction {
        Some(uis::notification::Direction::Out) => Direction::Out,
        _ => Direction::In,
    };
    let start: DateTime<Utc> = n
        .notification_time
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    let mut actions = Vec::new();
    if let Some(phone) = &phone {
        actions.push(Action::EnsureClient {
            call_session_id: call,
            phone: phone.clone(),
            responsible: None,
            extra_fields: Default::default(),
            update_existing_extra_fields: false,
        });
    }
    let client = phone.clone().map(ClientRef::Phone);
    match n.kind {
        EventKind::Lost => {
            let m = marker(call);
            let who = phone
                .as_ref()
                .map_or_else(|| "(скрытый номер)".to_owned(), Phone::international);
            actions.push(Action::CreateTodo {
                call_session_id: call,
                outcome: CallOutcome::Lost,
                client,
                responsible: None,
                name: format!("Перезвонить: пропущенный звонок {who} {m}"),
                description: format!("Пропущенный входящий звонок {who}\n{m}"),
                marker: m,
            });
        }
        EventKind::CallFinished => {
            let talked = n.talk_time_duration.unwrap_or(0) > 0 && n.is_lost != Some(true);
            let outcome = CallOutcome::of(direction, talked);
            let total = n.total_time_duration.unwrap_or(0).max(0);
            actions.push(Action::LogCall {
                call_session_id: call,
                call_type: CallType::from(outcome),
                direction,
                phone,
                employee: None,
                extension: None,
                client,
                start,
                end: start + Duration::seconds(total),
            });
        }
        other => {
            return Plan::skip(format!(
                "«{}»: the interim rules act only on lost and finished calls",
                other.cabinet_label()
            ));
        }
    }
    Plan {
        actions,
        skipped: None,
        notes: vec!["interim rules (domain::rules::decide is not wired yet)".into()],
        after: None,
        // No hold of the call: every card claims its record.
        card: CardClaim::Claim,
        unrecorded_client: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_after_others_has_its_placeholders_moved_up() {
        let s = AtCommit {
            sql: "UPDATE t SET a = $2, b = COALESCE($10, b) WHERE id = $1 AND c = '$'",
            args: vec![],
        };
        assert_eq!(
            s.sql_after(5),
            "UPDATE t SET a = $7, b = COALESCE($15, b) WHERE id = $6 AND c = '$'"
        );
        assert_eq!(s.sql_after(0), s.sql);
    }
}
