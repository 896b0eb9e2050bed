//! Runs actions in Megaplan with an idempotency record per (account, action key), so a retry after a
//! crash or a timeout finds the earlier result instead of creating a second entity.
//!
//! - A record `done` → the earlier result is reused, Megaplan is not called.
//! - A record `started` → an earlier attempt may have created the entity before it could record it:
//!   the entity is looked up in Megaplan (client by phone, call by provider id, todo by its marker).
//! - Clients are serialised per (account, phone) by a row in `phone_locks`, so two events of one
//!   new caller — on one server or two — create one client.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use domain::phone::Phone;
use domain::rules::{Action, CallType, ClientRef};
use megaplan::{CallInfoFields, CallState, ContactInfo, Id, Link, NewContractorHuman, NewTodo};
use serde_json::{Value, json};
use sqlx::AnyPool;

use super::{metrics, now_ms};

#[derive(Debug)]
pub enum ActionError {
    /// May pass on its own: 5xx, 429, timeout, a busy phone. Retried with backoff.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Retrying will not help (422 with a field, 403, no credential): stop and show the reason.
    Permanent(String),
    /// Megaplan refused the login and password (a refresh and a password login were tried): the
    /// credential set is marked broken, and nobody logs in with it again until it is fixed.
    CredentialsBroken(String),
}

impl ActionError {
    pub fn message(&self) -> &str {
        match self {
            ActionError::Transient { message, .. }
            | ActionError::Permanent(message)
            | ActionError::CredentialsBroken(message) => message,
        }
    }
}

impl From<sqlx::Error> for ActionError {
    fn from(e: sqlx::Error) -> Self {
        ActionError::Transient {
            message: format!("database: {e}"),
            retry_after: None,
        }
    }
}

impl From<megaplan::Error> for ActionError {
    fn from(e: megaplan::Error) -> Self {
        if let megaplan::Error::CredentialsBroken { .. } = e {
            metrics::api_error("megaplan", "permanent");
            return ActionError::CredentialsBroken(e.to_string());
        }
        // A corrupt or cut answer is worth another try, like a 5xx.
        let transient = e.is_transient() || matches!(e, megaplan::Error::Decode { .. });
        metrics::api_error(
            "megaplan",
            if transient { "transient" } else { "permanent" },
        );
        if transient {
            ActionError::Transient {
                message: e.to_string(),
                retry_after: e.retry_after(),
            }
        } else {
            ActionError::Permanent(e.to_string())
        }
    }
}

/// What an action ended with, for the trace.
#[derive(Debug, Clone)]
pub struct Done {
    pub megaplan: Option<Link>,
    /// created | earlier result | found in Megaplan | updated
    pub how: &'static str,
}

pub struct Executor<'a> {
    pub pool: &'a AnyPool,
    pub account_id: &'a str,
    pub event_id: &'a str,
    pub mp: &'a megaplan::Client,
    pub http: &'a reqwest::Client,
    /// Who holds phone locks and started records (this worker, this attempt).
    pub holder: &'a str,
    /// After this, a lock or a started record of a silent holder is taken over.
    pub lease: Duration,
    /// Clients found or created by earlier actions of this event, by E.164 phone.
    pub(super) clients: HashMap<String, Link>,
    /// How a call card's record is claimed (the plan tells).
    pub card: super::interim_rules::CardClaim,
    /// A phone the plan found no client record for (see `Plan::unrecorded_client`).
    pub unrecorded_client: Option<String>,
    /// The call of the action running: its records are forgotten with the call's last events
    /// ([`super::trace::prune`]).
    call_session_id: Option<i64>,
}

/// What claiming an action's record found.
pub(super) enum Claim {
    /// No earlier attempt: create.
    First,
    /// An earlier attempt lapsed; it may have created the entity before it could record it.
    MaybeCreated,
    /// An earlier attempt finished: its result.
    Done(Done),
}

struct Record {
    state: String,
    megaplan: Option<Link>,
    started_at: i64,
}

impl<'a> Executor<'a> {
    pub fn new(
        pool: &'a AnyPool,
        account_id: &'a str,
        event_id: &'a str,
        mp: &'a megaplan::Client,
        http: &'a reqwest::Client,
        holder: &'a str,
        lease: Duration,
    ) -> Self {
        Executor {
            pool,
            account_id,
            event_id,
            mp,
            http,
            holder,
            lease,
            clients: HashMap::new(),
            card: Default::default(),
            unrecorded_client: None,
            call_session_id: None,
        }
    }

    pub async fn run(&mut self, action: &Action) -> Result<Done, ActionError> {
        let key = action.idempotency_key();
        self.call_session_id = Some(action.call_session_id().get());
        // Actions that claim their record first learn of an earlier result from the claim itself:
        // one statement before Megaplan is called instead of a read and then the claim.
        let claims_first = matches!(
            action,
            Action::ShowCallCard { .. } | Action::CreateTodo { .. } | Action::CreateDeal { .. }
        );
        if !claims_first
            && let Some(r) = self.record(&key).await?
            && r.state == "done"
        {
            if let (Action::EnsureClient { phone, .. }, Some(link)) = (action, &r.megaplan) {
                self.clients
                    .insert(phone.as_e164().to_owned(), link.clone());
            }
            return Ok(Done {
                megaplan: r.megaplan,
                how: "earlier result",
            });
        }
        match action {
            Action::EnsureClient {
                phone,
                responsible,
                extra_fields,
                ..
            } => {
                let new = NewContractorHuman {
                    first_name: Some(phone.international()),
                    contact_info: vec![ContactInfo::phone(phone.as_e164())],
                    responsibles: responsible
                        .iter()
                        .map(|r| Link::employee(r.as_str()))
                        .collect(),
                    extra_fields: extra_fields
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                    ..NewContractorHuman::default()
                };
                self.ensure_client(&key, phone, &new).await
            }
            Action::CreateTodo {
                client,
                name,
                description,
                marker,
                responsible,
                ..
            } => {
                let new = NewTodo {
                    name: name.clone(),
                    description: Some(description.clone()),
                    responsible: responsible.as_ref().map(|r| Link::employee(r.as_str())),
                    ..NewTodo::default()
                };
                self.create_todo(&key, client.as_ref(), new, marker).await
            }
            Action::LogCall {
                call_session_id,
                call_type,
                direction,
                phone,
                start,
                end,
                ..
            } => {
                let p = phone.as_ref().map(|p| p.as_e164().to_owned());
                let (from_phone, to_phone) = match direction {
                    domain::call::Direction::In => (p, None),
                    domain::call::Direction::Out => (None, p),
                };
                let fields = CallInfoFields {
                    provider_id: Some(call_session_id.to_string()),
                    kind: Some(match call_type {
                        CallType::In => megaplan::CallType::In,
                        CallType::Out => megaplan::CallType::Out,
                        CallType::Miss => megaplan::CallType::Miss,
                        CallType::Fail => megaplan::CallType::Fail,
                    }),
                    state: Some(CallState::Finished),
                    from_phone,
                    to_phone,
                    time_from: Some((*start).into()),
                    time_to: Some((*end).into()),
                    ..CallInfoFields::default()
                };
                self.log_call(&key, fields).await
            }
            other => self.run_more(&key, other).await,
        }
    }

    async fn record(&self, key: &str) -> Result<Option<Record>, sqlx::Error> {
        let row: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT state, megaplan_type, megaplan_id, started_at FROM action_records \
             WHERE account_id = $1 AND action_key = $2",
        )
        .bind(self.account_id)
        .bind(key)
        .fetch_optional(self.pool)
        .await?;
        Ok(row.map(|(state, ty, id, started_at)| Record {
            state,
            megaplan: ty.zip(id).map(|(t, i)| Link::new(&t, i)),
            started_at,
        }))
    }

    pub(super) async fn record_done(&self, key: &str, link: &Link) -> Result<(), sqlx::Error> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO action_records (account_id, action_key, event_id, state, megaplan_type, megaplan_id, started_at, done_at, call_session_id) \
             VALUES ($1, $2, $3, 'done', $4, $5, $6, $6, $7) \
             ON CONFLICT (account_id, action_key) DO UPDATE SET state = 'done', \
             megaplan_type = excluded.megaplan_type, megaplan_id = excluded.megaplan_id, done_at = excluded.done_at",
        )
        .bind(self.account_id)
        .bind(key)
        .bind(self.event_id)
        .bind(&link.content_type)
        .bind(link.id.as_str())
        .bind(now)
        .bind(self.call_session_id)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// Claims the right to create the entity of `key`: `First` (no earlier attempt), `MaybeCreated`
    /// (an earlier attempt lapsed and may have created it: look it up first) or `Done` with the
    /// earlier result. A live claim of another holder is a transient error.
    pub(super) async fn start(&self, key: &str) -> Result<Claim, ActionError> {
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO action_records (account_id, action_key, event_id, state, started_at, call_session_id) \
             VALUES ($1, $2, $3, 'started', $4, $5) ON CONFLICT (account_id, action_key) DO NOTHING",
        )
        .bind(self.account_id)
        .bind(key)
        .bind(self.event_id)
        .bind(now)
        .bind(self.call_session_id)
        .execute(self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Claim::First);
        }
        let Some(r) = self.record(key).await? else {
            return Err(transient("the idempotency record vanished"));
        };
        if r.state == "done" {
            return Ok(Claim::Done(Done {
                megaplan: r.megaplan,
                how: "earlier result",
            }));
        }
        let stale = r.started_at + self.lease.as_millis() as i64 <= now;
        let taken = stale
            && sqlx::query(
                "UPDATE action_records SET started_at = $1 \
                 WHERE account_id = $2 AND action_key = $3 AND state = 'started' AND started_at = $4",
            )
            .bind(now)
            .bind(self.account_id)
            .bind(key)
            .bind(r.started_at)
            .execute(self.pool)
            .await?
            .rows_affected()
                == 1;
        if taken {
            Ok(Claim::MaybeCreated)
        } else {
            // Retried when the other claim lapses, not before: earlier tries only spend attempts.
            let lapses = r.started_at + self.lease.as_millis() as i64 - now;
            Err(ActionError::Transient {
                message: "another worker is executing this action".into(),
                retry_after: Some(Duration::from_millis(lapses.clamp(0, i64::MAX) as u64 + 50)),
            })
        }
    }

    /// The client an action names and the claim of its record, looked up side by side (both are
    /// on the way to the pop-up card). A claim taken while the client lookup failed is let go.
    pub(super) async fn claim_with_client(
        &self,
        key: &str,
        client: Option<&ClientRef>,
    ) -> Result<(Option<Link>, Claim), ActionError> {
        match tokio::join!(self.client(client), self.start(key)) {
            (Ok(owner), Ok(claim)) => Ok((owner, claim)),
            (Err(e), Ok(Claim::First | Claim::MaybeCreated)) => {
                self.release_start(key).await;
                Err(e)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }

    /// Ends a created-once action: recorded done with what it made, or its start released so the
    /// next attempt looks for it again.
    pub(super) async fn settle(
        &self,
        key: &str,
        out: Result<(Link, &'static str), ActionError>,
    ) -> Result<Done, ActionError> {
        match out {
            Ok((link, how)) => {
                self.record_done(key, &link).await?;
                Ok(Done {
                    megaplan: Some(link),
                    how,
                })
            }
            Err(e) => {
                self.release_start(key).await;
                Err(e)
            }
        }
    }

    /// After a failed attempt the claim ends at once: the next attempt looks up, without waiting a lease.
    pub(super) async fn release_start(&self, key: &str) {
        let _ = sqlx::query(
            "UPDATE action_records SET started_at = 0 \
             WHERE account_id = $1 AND action_key = $2 AND state = 'started'",
        )
        .bind(self.account_id)
        .bind(key)
        .execute(self.pool)
        .await;
    }

    async fn lock_phone(&self, phone: &Phone) -> Result<(), ActionError> {
        let deadline = Instant::now() + self.lease.min(Duration::from_secs(10));
        loop {
            let now = now_ms();
            let expires = now + self.lease.as_millis() as i64;
            let got = sqlx::query(
                "INSERT INTO phone_locks (account_id, phone, holder, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, phone) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE phone_locks.expires_at < $5 OR phone_locks.holder = excluded.holder",
            )
            .bind(self.account_id)
            .bind(phone.as_e164())
            .bind(self.holder)
            .bind(expires)
            .bind(now)
            .execute(self.pool)
            .await?
            .rows_affected();
            if got == 1 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                // Retried when the lock's lease ends at the latest.
                return Err(ActionError::Transient {
                    message: "another event is creating this phone's client".into(),
                    retry_after: Some(self.lease),
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn unlock_phone(&self, phone: &Phone) {
        let _ = sqlx::query(
            "DELETE FROM phone_locks WHERE account_id = $1 AND phone = $2 AND holder = $3",
        )
        .bind(self.account_id)
        .bind(phone.as_e164())
        .bind(self.holder)
        .execute(self.pool)
        .await;
    }

    async fn ensure_client(
        &mut self,
        key: &str,
        phone: &Phone,
        new: &NewContractorHuman,
    ) -> Result<Done, ActionError> {
        self.lock_phone(phone).await?;
        let out = self.ensure_client_locked(key, phone, new).await;
        self.unlock_phone(phone).await;
        let done = out?;
        if let Some(link) = &done.megaplan {
            self.clients
                .insert(phone.as_e164().to_owned(), link.clone());
        }
        Ok(done)
    }

    /// Finds the client by phone, else creates `new` (with the rules' responsible and extra fields).
    async fn ensure_client_locked(
        &self,
        key: &str,
        phone: &Phone,
        new: &NewContractorHuman,
    ) -> Result<Done, ActionError> {
        // Another event of this phone may have finished while we waited for the lock.
        if let Some(r) = self.record(key).await?
            && r.state == "done"
        {
            return Ok(Done {
                megaplan: r.megaplan,
                how: "earlier result",
            });
        }
        let found = self.mp.find_contractors_by_phone(phone.digits()).await?;
        let (link, how) = match found.into_iter().next() {
            Some(c) => (c.link(), "found in Megaplan"),
            None => (
                self.mp.create_contractor_human(new).await?.link(),
                "created",
            ),
        };
        self.record_done(key, &link).await?;
        Ok(Done {
            megaplan: Some(link),
            how,
        })
    }

    /// The client an action names: one this event found or created, an earlier record, or Megaplan's.
    pub(super) async fn client(&self, r: Option<&ClientRef>) -> Result<Option<Link>, ActionError> {
        match r {
            None => Ok(None),
            Some(ClientRef::Id(id)) => Ok(Some(Link::new("ContractorHuman", id.as_str()))),
            Some(ClientRef::Phone(p)) => {
                if let Some(l) = self.clients.get(p.as_e164()) {
                    return Ok(Some(l.clone()));
                }
                // The plan read this record a moment ago; a client created since is in Megaplan.
                if self.unrecorded_client.as_deref() != Some(p.as_e164())
                    && let Some(r) = self.record(&Action::client_key(p)).await?
                    && let Some(l) = r.megaplan
                {
                    return Ok(Some(l));
                }
                let found = self.mp.find_contractors_by_phone(p.digits()).await?;
                Ok(found.into_iter().next().map(|c| c.link()))
            }
        }
    }

    pub(super) async fn create_todo(
        &mut self,
        key: &str,
        client: Option<&ClientRef>,
        new: NewTodo,
        marker: &str,
    ) -> Result<Done, ActionError> {
        let (owner, claim) = self.claim_with_client(key, client).await?;
        let maybe_created = match claim {
            Claim::Done(d) => return Ok(d),
            Claim::First => false,
            Claim::MaybeCreated => true,
        };
        let out = async {
            if maybe_created
                && let Some(id) = find_by_marker(self.mp, self.http, "todo", "Todo", marker).await?
            {
                return Ok((Link::new("Todo", id), "found in Megaplan"));
            }
            let todo = match &owner {
                Some(o) => self.mp.create_todo_on(o, &new).await?,
                None => self.mp.create_todo(&new).await?,
            };
            Ok::<_, ActionError>((Link::new("Todo", todo.id), "created"))
        }
        .await;
        self.settle(key, out).await
    }

    /// `callInfo/history` upserts by providerId, so a repeat updates the same call.
    async fn log_call(&mut self, key: &str, fields: CallInfoFields) -> Result<Done, ActionError> {
        let calls = self.mp.call_info_history(&[fields]).await?;
        let call = calls
            .into_iter()
            .next()
            .ok_or_else(|| ActionError::Permanent("callInfo/history answered no call".into()))?;
        let link = Link::new("CallInfo", call.id);
        self.record_done(key, &link).await?;
        Ok(Done {
            megaplan: Some(link),
            how: "created or updated",
        })
    }
}

pub(super) fn transient(message: &str) -> ActionError {
    ActionError::Transient {
        message: message.to_owned(),
        retry_after: None,
    }
}

/// Pages through `GET /api/v3/{resource}` for an entity whose name or description holds `marker`.
///
/// Stopgap: `megaplan::Client` has no todo or deal search yet (a `find_*` there should replace
/// this); it reuses the client's token and the v3 query convention (JSON in the query string).
pub(super) async fn find_by_marker(
    mp: &megaplan::Client,
    http: &reqwest::Client,
    resource: &str,
    content_type: &str,
    marker: &str,
) -> Result<Option<Id>, ActionError> {
    if mp.token_snapshot().is_none() {
        mp.todo_categories().await?;
    }
    let token = mp
        .token_snapshot()
        .map(|t| t.access_token)
        .ok_or_else(|| transient("no Megaplan token"))?;
    let id_of = |v: &Value| match &v["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let mut q = json!({"limit": 100});
        if let Some(a) = &after {
            q["pageAfter"] = json!({"contentType": content_type, "id": a});
        }
        let mut url = mp
            .base_url()
            .join(&format!("api/v3/{resource}"))
            .map_err(|e| ActionError::Permanent(e.to_string()))?;
        let encoded: String =
            url::form_urlencoded::byte_serialize(q.to_string().as_bytes()).collect();
        url.set_query(Some(&encoded));
        let r = http
            .get(url)
            .bearer_auth(&token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| transient(&format!("{resource} lookup: {e}")))?;
        let status = r.status();
        if !status.is_success() {
            metrics::api_error("megaplan", "transient");
            return Err(transient(&format!("{resource} lookup answered {status}")));
        }
        let body: Value = r
            .json()
            .await
            .map_err(|e| transient(&format!("{resource} lookup: {e}")))?;
        let items = body["data"].as_array().cloned().unwrap_or_default();
        let holds = |v: &Value, field: &str| v[field].as_str().is_some_and(|n| n.contains(marker));
        if let Some(t) = items
            .iter()
            .find(|t| holds(t, "name") || holds(t, "description"))
        {
            return Ok(Some(Id(id_of(t))));
        }
        match items.last().map(id_of) {
            Some(l) if items.len() >= 100 && after.as_ref() != Some(&l) => after = Some(l),
            _ => return Ok(None),
        }
    }
    Ok(None)
}
