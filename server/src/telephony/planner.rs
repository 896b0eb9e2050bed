//! The telephony planner (issue 7): a parsed UIS notification → `domain::call::CallEvent` (with the
//! facts earlier events of the call brought), the account's telephony settings and what is known
//! (client, staff, call facts, zone) → `domain::rules::decide` → the pipeline's `Plan`.
//!
//! One event of a call is planned and executed at a time, in the order the events arrived: an event
//! waits while an earlier event of its call (the inbox row names the call) is not processed, then
//! holds the call's row in `call_facts` (`busy_event`, `busy_until`) from `plan` to `executed`, so a
//! ringing leg, the talk and the call's end never race for the one call card. Taking the call reads
//! its facts in the same statement. When the event gives the call back, `executed` stores what its
//! notification brought and what the next decision must know: a card exists, who talked, the call
//! is finished, this call created its client.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use domain::call::{CallEvent, CallEventKind, Direction, Finished};
use domain::ids::{CallSessionId, MegaplanId, UisEmployeeId};
use domain::phone::{DEFAULT_REGION, Phone};
use domain::rules::{Action, Known, KnownClient, Staff, Talked, decide};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyPool;
use uis::notification::{EventKind, Notification};

use crate::pipeline::ingress::InboxRow;
use crate::pipeline::interim_rules::{
    Arg, AtCommit, CardClaim, Executed, Plan, PlanInput, Planner,
};
use crate::pipeline::now_ms;

/// How long an event may hold its call without finishing (a crashed worker's hold ends then).
const HOLD: Duration = Duration::from_secs(60);
/// How long an event waits for another event of its call before it is retried later.
const WAIT_FOR_CALL: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct TelephonyPlanner {
    /// Each account's staff directory with the `accounts.staff_version` it was read at.
    staff: Mutex<HashMap<String, (i64, Staff)>>,
}

impl TelephonyPlanner {
    /// The account's staff directory as of `version` (read from the database when the one kept
    /// is older).
    async fn staff(&self, pool: &AnyPool, account: &str, version: i64) -> Result<Staff, String> {
        if let Some((v, staff)) = self.staff.lock().expect("staff").get(account)
            && *v == version
        {
            return Ok(staff.clone());
        }
        // Read after `version` was: at worst newer than it, never older.
        let staff = super::staff::known_staff(pool, account)
            .await
            .map_err(|e| format!("database: {e}"))?;
        self.staff
            .lock()
            .expect("staff")
            .insert(account.to_owned(), (version, staff.clone()));
        Ok(staff)
    }
}

impl Planner for TelephonyPlanner {
    fn plan<'a>(&'a self, input: PlanInput<'a>) -> BoxFuture<'a, Result<Plan, String>> {
        Box::pin(async move {
            let Some(call) = input.notification.call_session_id else {
                return Ok(Plan::skip(
                    "Не звонок: чаты и заявки обрабатываются вместе со сделками",
                ));
            };
            let phone = phone(input.notification.contact_phone_number.as_deref());
            let Some(Taken {
                event,
                facts,
                account,
            }) = hold(&input, call, phone.as_ref()).await?
            else {
                return Ok(Plan::skip(format!(
                    "«{}»: в уведомлении нет сотрудника, без которого событие не обработать",
                    input.notification.kind.cabinet_label()
                )));
            };
            let planned = match self
                .staff(input.pool, input.account_id, account.staff_version)
                .await
            {
                Ok(staff) => {
                    let view = AccountView {
                        settings: crate::observe::preview::settings_of(
                            account.active,
                            account.settings.as_deref(),
                        ),
                        staff,
                        client: phone.map(|p| (p.as_e164().to_owned(), account.client)),
                    };
                    plan_call(&input, call, event, &facts, view).await
                }
                Err(e) => Err(e),
            };
            match planned {
                Ok(plan) => Ok(plan),
                Err(e) => {
                    let brought = Brought::from(&facts);
                    release(
                        input.pool,
                        input.account_id,
                        call,
                        input.event_id,
                        Some(&brought),
                        false,
                    )
                    .await;
                    Err(e)
                }
            }
        })
    }

    /// A UIS call event handed to this process's worker takes its call in the commit that
    /// accepted it: the take's round trip to SQLite is off the way to the pop-up card.
    fn at_commit(&self, row: &InboxRow) -> Option<AtCommit> {
        let n = row.notification.as_deref()?;
        let call = n.call_session_id?;
        let client_key = phone(n.contact_phone_number.as_deref()).map(|p| Action::client_key(&p));
        Some(AtCommit {
            sql: TAKE_AT_COMMIT,
            args: take_args(&row.account_id, call, &row.id, client_key),
        })
    }

    /// Records what the event brought and did, giving the call back — in the commit that ends
    /// the attempt; after a failure the call is given back with what the notification brought.
    fn executed(&self, input: Executed<'_>) -> Option<AtCommit> {
        let after = input
            .plan
            .after
            .clone()
            .and_then(|v| serde_json::from_value::<After>(v).ok())?;
        Some(if input.succeeded {
            record(&input, &after)
        } else {
            release_statement(
                input.account_id,
                after.call,
                input.event_id,
                Some(&after.brought),
                true,
            )
        })
    }
}

/// What `executed` must record, decided at planning time.
#[derive(Debug, Serialize, Deserialize)]
struct After {
    call: i64,
    /// A `CallInfo` exists after these actions.
    card: bool,
    /// «Начало разговора» of this employee.
    talked: Option<i64>,
    /// «Завершение звонка» was handled.
    finished: bool,
    /// The phone whose client this call's `EnsureClient` looked for.
    client_key: Option<String>,
    /// What the notification brought, stored when the call is given back.
    brought: Brought,
    /// This hold created the call's row (a card it posts is its first).
    fresh: bool,
}

/// Facts of one call, as stored.
#[derive(Debug, Default)]
struct Facts {
    virtual_number: Option<String>,
    contact_phone: Option<String>,
    direction: Option<String>,
    external_id: Option<String>,
    params: BTreeMap<String, String>,
    first_talked: Option<i64>,
    last_talked: Option<i64>,
    card_shown: bool,
    finished: bool,
    created_client: bool,
    /// `call_facts.card_unsure` as this hold found it: 2 this hold created the row, 1 a card may
    /// be in Megaplan unrecorded.
    card_unsure: i64,
}

type FactsRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// What taking the call read.
struct Taken {
    event: CallEvent,
    facts: Facts,
    account: AccountRow,
}

/// The account's side of a decision, read with the call: its telephony settings as stored, the
/// version of its staff directory, the Megaplan client an earlier event found or created for the
/// notification's phone.
#[derive(Debug, Default)]
struct AccountRow {
    active: Option<i64>,
    settings: Option<String>,
    staff_version: i64,
    client: Option<String>,
}

/// Waits until every earlier event of the call is processed and no other event holds it, then
/// takes the call for this event and reads its facts and the account's side — one statement on
/// the way to every pop-up card; the facts the notification brings are stored when the call is
/// given back. `Ok(None)`: the notification lacks the employee its event needs; the call is given
/// back at once.
async fn hold(
    input: &PlanInput<'_>,
    call: i64,
    phone: Option<&Phone>,
) -> Result<Option<Taken>, String> {
    let db = |e: sqlx::Error| format!("database: {e}");
    let (pool, account, event_id) = (input.pool, input.account_id, input.event_id);
    let client_key = phone.map(Action::client_key);
    let deadline = std::time::Instant::now() + WAIT_FOR_CALL;
    // Taken in the commit that accepted the event, when it was handed to this process's worker.
    let mut at_commit = input.at_commit;
    loop {
        let taken = match at_commit.take().map(serde_json::from_str::<FactsRow>) {
            Some(Ok(row)) => Some(split(row)),
            other => {
                if let Some(Err(e)) = other {
                    tracing::warn!(error = %e, call, "the commit's take of the call unreadable; taken again");
                }
                take(pool, account, call, event_id, client_key.as_deref())
                    .await
                    .map_err(db)?
            }
        };
        if let Some((mut facts, side)) = taken {
            let Some(event) = call_event(input.notification, call, &mut facts) else {
                release(pool, account, call, event_id, None, false).await;
                return Ok(None);
            };
            return Ok(Some(Taken {
                event,
                facts,
                account: side,
            }));
        }
        if std::time::Instant::now() > deadline {
            let earlier = earlier(pool, account, event_id, call).await.map_err(db)?;
            return Err(if earlier > 0 {
                format!("an earlier event of call {call} is not processed yet; later")
            } else {
                format!("another event of call {call} is being processed; later")
            });
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

/// Events of a call are decided in the order they arrived (a talk after its ringing): those of
/// the call before `event_id` still queued or running. One that failed and waits for its retry (a
/// recording before its call exists) holds nobody up.
macro_rules! earlier {
    () => {
        "SELECT 1 FROM inbox_events e JOIN inbox_events me ON me.id = $3 \
         WHERE e.account_id = $1 AND e.call_session_id = $2 \
         AND e.status IN ('queued', 'processing') AND e.id <> me.id \
         AND (e.received_at < me.received_at OR (e.received_at = me.received_at AND e.id < me.id))"
    };
}

async fn earlier(
    pool: &AnyPool,
    account: &str,
    event_id: &str,
    call: i64,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(concat!("SELECT COUNT(*) FROM (", earlier!(), ") e"))
        .bind(account)
        .bind(call)
        .bind(event_id)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// Takes the call for `$3` (account `$1`, call `$2`, hold until `$4`, now `$5`) — unless the
/// event is not in the inbox (a duplicate), an earlier event of the call is still to be
/// processed, or another event holds it and its hold has not lapsed — returning the call's stored
/// facts and the account's side (`$6`: the action key of the phone's client) as `$returning`.
macro_rules! take_sql {
    ($returning:expr) => {
        concat!(
            "INSERT INTO call_facts (account_id, call_session_id, busy_event, busy_until, updated_at, \
               version, card_unsure) \
             SELECT $1, $2, $3, $4, $5, 1, 2 WHERE NOT EXISTS (",
            earlier!(),
            ") AND EXISTS (SELECT 1 FROM inbox_events WHERE id = $3) \
             ON CONFLICT (account_id, call_session_id) DO UPDATE SET \
               busy_event = excluded.busy_event, busy_until = excluded.busy_until, \
               updated_at = excluded.updated_at, version = call_facts.version + 1, \
               card_unsure = CASE WHEN call_facts.card_unsure = 2 THEN 1 ELSE call_facts.card_unsure END \
             WHERE call_facts.busy_event IS NULL OR call_facts.busy_event = excluded.busy_event \
               OR call_facts.busy_until < excluded.updated_at \
             RETURNING ",
            $returning
        )
    };
}

/// The columns of [`FactsRow`].
macro_rules! facts_columns {
    () => {
        "virtual_number, contact_phone, direction, external_id, params, first_talked, \
         last_talked, card_shown, finished, created_client, card_unsure, \
         (SELECT active FROM account_settings WHERE account_id = $1 AND section = 'telephony'), \
         (SELECT settings FROM account_settings WHERE account_id = $1 AND section = 'telephony'), \
         (SELECT staff_version FROM accounts WHERE id = $1), \
         (SELECT megaplan_id FROM action_records \
           WHERE account_id = $1 AND action_key = $6 AND state = 'done')"
    };
}

/// The take in the inbox commit (SQLite): the [`FactsRow`] as one JSON array.
const TAKE_AT_COMMIT: &str = take_sql!(concat!("json_array(", facts_columns!(), ")"));

/// The arguments of [`take_sql`].
fn take_args(account: &str, call: i64, event_id: &str, client_key: Option<String>) -> Vec<Arg> {
    let now = now_ms();
    vec![
        Arg::Text(Some(account.to_owned())),
        Arg::Int(call),
        Arg::Text(Some(event_id.to_owned())),
        Arg::Int(now + HOLD.as_millis() as i64),
        Arg::Int(now),
        Arg::Text(client_key),
    ]
}

/// Takes the call for `event_id` (see [`take_sql`]).
async fn take(
    pool: &AnyPool,
    account: &str,
    call: i64,
    event_id: &str,
    client_key: Option<&str>,
) -> Result<Option<(Facts, AccountRow)>, sqlx::Error> {
    let mut q = sqlx::query_as::<_, FactsRow>(take_sql!(facts_columns!()));
    for arg in take_args(account, call, event_id, client_key.map(str::to_owned)) {
        q = match arg {
            Arg::Text(t) => q.bind(t),
            Arg::Int(v) => q.bind(v),
            Arg::OptInt(v) => q.bind(v),
        };
    }
    Ok(q.fetch_optional(pool).await?.map(split))
}

/// A taken call's row as its facts and the account's side.
fn split(row: FactsRow) -> (Facts, AccountRow) {
    let (
        virtual_number,
        contact_phone,
        direction,
        external_id,
        params,
        first_talked,
        last_talked,
        card,
        fin,
        created,
        card_unsure,
        active,
        settings,
        staff_version,
        client,
    ) = row;
    let facts = Facts {
        virtual_number,
        contact_phone,
        direction,
        external_id,
        params: params
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default(),
        first_talked,
        last_talked,
        card_shown: card != 0,
        finished: fin != 0,
        created_client: created != 0,
        card_unsure,
    };
    let side = AccountRow {
        active,
        settings,
        staff_version: staff_version.unwrap_or(0),
        client,
    };
    (facts, side)
}

/// The facts a notification brought, stored when its event gives the call back.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Brought {
    virtual_number: Option<String>,
    contact_phone: Option<String>,
    direction: Option<String>,
    external_id: Option<String>,
    params: Option<String>,
}

impl From<&Facts> for Brought {
    fn from(f: &Facts) -> Brought {
        Brought {
            virtual_number: f.virtual_number.clone(),
            contact_phone: f.contact_phone.clone(),
            direction: f.direction.clone(),
            external_id: f.external_id.clone(),
            params: serde_json::to_string(&f.params).ok(),
        }
    }
}

/// Gives the call back (after a failure: a later event may go on), keeping what the
/// notification brought. `ran`: actions ran, so a card may have been posted unrecorded.
async fn release(
    pool: &AnyPool,
    account: &str,
    call: i64,
    event_id: &str,
    facts: Option<&Brought>,
    ran: bool,
) {
    let r = release_statement(account, call, event_id, facts, ran)
        .run(pool)
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, call, "call hold not released; it lapses");
    }
}

/// The statement of [`release`].
fn release_statement(
    account: &str,
    call: i64,
    event_id: &str,
    facts: Option<&Brought>,
    ran: bool,
) -> AtCommit {
    let none = Brought::default();
    let f = facts.unwrap_or(&none);
    AtCommit {
        sql: "UPDATE call_facts SET busy_event = NULL, busy_until = NULL, \
               virtual_number = COALESCE($4, virtual_number), contact_phone = COALESCE($5, contact_phone), \
               direction = COALESCE($6, direction), external_id = COALESCE($7, external_id), \
               params = COALESCE($8, params), version = version + 1, \
               card_unsure = CASE WHEN card_unsure = 2 AND $9 = 0 THEN 0 ELSE card_unsure END \
             WHERE account_id = $1 AND call_session_id = $2 AND busy_event = $3",
        args: vec![
            Arg::Text(Some(account.to_owned())),
            Arg::Int(call),
            Arg::Text(Some(event_id.to_owned())),
            Arg::Text(f.virtual_number.clone()),
            Arg::Text(f.contact_phone.clone()),
            Arg::Text(f.direction.clone()),
            Arg::Text(f.external_id.clone()),
            Arg::Text(f.params.clone()),
            Arg::Int(i64::from(ran)),
        ],
    }
}

async fn plan_call(
    input: &PlanInput<'_>,
    call: i64,
    event: CallEvent,
    facts: &Facts,
    view: AccountView,
) -> Result<Plan, String> {
    let db = |e: sqlx::Error| format!("database: {e}");
    let (known, unrecorded) = known(input, call, &event, facts, view.staff, view.client)
        .await
        .map_err(db)?;
    let d = decide(&event, &view.settings, &known);
    let after = After {
        call,
        card: d.actions.iter().any(|a| {
            matches!(
                a,
                Action::ShowCallCard { .. }
                    | Action::LogCall { .. }
                    | Action::UpdateCallCard { .. }
            )
        }),
        talked: match &event.kind {
            CallEventKind::Answered { employee } if !d.actions.is_empty() => Some(employee.0),
            _ => None,
        },
        finished: matches!(event.kind, CallEventKind::Finished(_)) && d.skipped.is_none(),
        client_key: d.actions.iter().find_map(|a| match a {
            Action::EnsureClient { .. } => Some(a.idempotency_key()),
            _ => None,
        }),
        brought: Brought::from(facts),
        fresh: facts.card_unsure == 2,
    };
    Ok(Plan {
        actions: d.actions,
        skipped: d.skipped.map(|s| s.to_string()),
        notes: d.notes,
        after: serde_json::to_value(&after).ok(),
        card: match facts.card_unsure {
            2 => CardClaim::Fresh,
            1 => CardClaim::LookUp,
            _ => CardClaim::Claim,
        },
        unrecorded_client: unrecorded,
    })
}

fn phone(raw: Option<&str>) -> Option<Phone> {
    raw.and_then(|p| Phone::parse(p, DEFAULT_REGION).ok())
}

/// The notification as the rules see it; the facts gain what it brings and fill what it lacks.
/// `None` when an event that needs an employee came without one.
fn call_event(n: &Notification, call: i64, facts: &mut Facts) -> Option<CallEvent> {
    if let Some(v) = n.virtual_phone_number.as_deref().filter(|v| !v.is_empty()) {
        facts.virtual_number = Some(v.to_owned());
    }
    let contact = n
        .contact_phone_number
        .as_deref()
        .filter(|v| phone(Some(v)).is_some());
    if let Some(c) = contact {
        facts.contact_phone = Some(c.to_owned());
    }
    match n.direction {
        Some(uis::notification::Direction::Out) => facts.direction = Some("out".into()),
        Some(uis::notification::Direction::In) => facts.direction = Some("in".into()),
        _ => {}
    }
    if n.direction.is_none() && n.kind == EventKind::Outbound {
        facts.direction = Some("out".into());
    }
    if let Some(x) = n.external_id.as_deref().filter(|x| !x.is_empty()) {
        facts.external_id = Some(x.to_owned());
    }
    for (k, v) in &n.params {
        let text = match v {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        facts.params.insert(k.clone(), text);
    }
    let employee = n.employee_id.map(UisEmployeeId);
    let kind = match n.kind {
        EventKind::CallStarted => CallEventKind::Started,
        EventKind::Ringing => CallEventKind::Ringing {
            leg: n.leg_id,
            employee: employee?,
        },
        EventKind::Answered => CallEventKind::Answered {
            employee: employee?,
        },
        EventKind::TalkFinished => CallEventKind::TalkFinished {
            employee,
            talk_secs: secs(n.talk_time_duration),
        },
        EventKind::Outbound => CallEventKind::Outbound {
            employee: employee?,
        },
        EventKind::CallFinished => CallEventKind::Finished(Finished {
            talk_secs: secs(n.talk_time_duration),
            total_secs: secs(n.total_time_duration),
            wait_secs: secs(n.wait_time_duration),
            employee,
            last_talked: n.last_talked_employee_id.map(UisEmployeeId),
            first_talked: None,
            is_lost: n.is_lost,
        }),
        EventKind::Lost => CallEventKind::Lost {
            employees_tried: n.employee_ids.iter().copied().map(UisEmployeeId).collect(),
        },
        EventKind::Recorded => CallEventKind::Recorded {
            file_link: n.file_link.clone().filter(|l| !l.is_empty())?,
            employee,
        },
        EventKind::Chat | EventKind::Lead => return None,
    };
    Some(CallEvent {
        call_session_id: CallSessionId(call),
        kind,
        direction: match facts.direction.as_deref() {
            Some("out") => Direction::Out,
            _ => Direction::In,
        },
        contact_phone: phone(facts.contact_phone.as_deref()),
        virtual_number: phone(facts.virtual_number.as_deref()),
        at: n
            .notification_time
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now),
        started_at: None,
        external_id: facts.external_id.clone(),
        params: facts.params.clone(),
    })
}

fn secs(v: Option<i64>) -> u32 {
    v.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32
}

/// The account's side of a decision.
struct AccountView {
    settings: domain::settings::TelephonySettings,
    staff: domain::rules::Staff,
    /// The client record of this phone: (E.164, Megaplan id when one is done).
    client: Option<(String, Option<String>)>,
}

/// The Megaplan client an earlier event found or created for `phone`.
async fn client_record(
    pool: &AnyPool,
    account: &str,
    phone: Option<&Phone>,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let Some(p) = phone else {
        return Ok(None);
    };
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT megaplan_id FROM action_records WHERE account_id = $1 AND action_key = $2 AND state = 'done'",
    )
    .bind(account)
    .bind(Action::client_key(p))
    .fetch_optional(pool)
    .await?;
    Ok(Some((p.as_e164().to_owned(), row.and_then(|(id,)| id))))
}

async fn known(
    input: &PlanInput<'_>,
    call: i64,
    event: &CallEvent,
    facts: &Facts,
    staff: domain::rules::Staff,
    read: Option<(String, Option<String>)>,
) -> Result<(Known, Option<String>), sqlx::Error> {
    // The phone the view was read for, or — the notification lacked it — the call's.
    let client_id = match (&event.contact_phone, read) {
        (Some(p), Some((e164, id))) if p.as_e164() == e164 => id,
        (Some(p), _) => client_record(input.pool, input.account_id, Some(p))
            .await?
            .and_then(|(_, id)| id),
        (None, _) => None,
    };
    let unrecorded = match (&event.contact_phone, &client_id) {
        (Some(p), None) => Some(p.as_e164().to_owned()),
        _ => None,
    };
    let client = client_id
        .and_then(|id| MegaplanId::parse(&id).ok())
        .map(|id| KnownClient {
            id,
            created_by_call: facts.created_client.then_some(CallSessionId(call)),
        });
    let known = Known {
        client,
        staff,
        call_card_shown: facts.card_shown,
        call_finished: facts.finished,
        talked: Talked {
            first: facts.first_talked.map(UisEmployeeId),
            last: facts.last_talked.map(UisEmployeeId),
        },
        time_zone: input.time_zone,
    };
    Ok((known, unrecorded))
}

/// After the actions of an event all ran: what the next event of the call must know; the call is
/// released in the same statement.
fn record(input: &Executed<'_>, after: &After) -> AtCommit {
    // The attempt's trace is written after this: the worker tells which actions created.
    let created = after
        .client_key
        .as_ref()
        .is_some_and(|key| input.created.contains(key));
    AtCommit {
        sql: "UPDATE call_facts SET \
           card_shown = CASE WHEN $3 = 1 THEN 1 ELSE card_shown END, \
           finished = CASE WHEN $4 = 1 THEN 1 ELSE finished END, \
           created_client = CASE WHEN $5 = 1 THEN 1 ELSE created_client END, \
           first_talked = COALESCE(first_talked, $6), \
           last_talked = COALESCE($6, last_talked), \
           busy_until = CASE WHEN busy_event = $8 THEN NULL ELSE busy_until END, \
           busy_event = CASE WHEN busy_event = $8 THEN NULL ELSE busy_event END, \
           virtual_number = COALESCE($9, virtual_number), contact_phone = COALESCE($10, contact_phone), \
           direction = COALESCE($11, direction), external_id = COALESCE($12, external_id), \
           params = COALESCE($13, params), \
           card_unsure = CASE WHEN $14 = 1 OR $3 = 1 THEN 0 ELSE card_unsure END, \
           updated_at = $7, version = version + 1 \
         WHERE account_id = $1 AND call_session_id = $2",
        args: vec![
            Arg::Text(Some(input.account_id.to_owned())),
            Arg::Int(after.call),
            Arg::Int(i64::from(after.card)),
            Arg::Int(i64::from(after.finished)),
            Arg::Int(i64::from(created)),
            Arg::OptInt(after.talked),
            Arg::Int(now_ms()),
            Arg::Text(Some(input.event_id.to_owned())),
            Arg::Text(after.brought.virtual_number.clone()),
            Arg::Text(after.brought.contact_phone.clone()),
            Arg::Text(after.brought.direction.clone()),
            Arg::Text(after.brought.external_id.clone()),
            Arg::Text(after.brought.params.clone()),
            Arg::Int(i64::from(after.fresh)),
        ],
    }
}
