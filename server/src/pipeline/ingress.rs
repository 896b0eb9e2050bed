//! Ingress: authenticate by the account key in the URL, parse, persist the raw event with its dedupe
//! key and its job in one transaction, answer 200. Nothing is processed on the request path.
//!
//! Writes go through one writer task that commits batches (group commit): each request sends its row
//! and a oneshot; the writer drains what is waiting, writes rows and jobs in one transaction and
//! answers every request after COMMIT. One transaction per request would serialise on the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use uis::notification::EventKind;

use super::handoff::{HandedEvent, Handoff};
use super::interim_rules::{Arg, AtCommit, Planner};
use super::store::{EventJob, JobConn, JobSignal, JobStore, in_tx};
use super::{metrics, now_ms};

/// Larger bodies are refused with 413 (UIS and Megaplan events are a few KiB).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How many accepted events one commit holds at most.
const MAX_BATCH: usize = 512;
/// How long an account key → account answer is trusted (a revoked key stops working after this).
const ACCOUNT_CACHE_TTL: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub time_zone: chrono_tz::Tz,
}

/// One accepted event, ready for the inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    pub id: String,
    pub account_id: String,
    pub source: &'static str,
    pub event_type: String,
    pub dedupe_key: String,
    /// The UIS call the event belongs to, so events of one call are decided in arrival order.
    pub call_session_id: Option<i64>,
    pub content_type: Option<String>,
    pub query: Option<String>,
    pub body: String,
    pub received_at: i64,
    /// The account's zone, for this process's worker when the event is handed to it (not stored).
    pub time_zone: Option<chrono_tz::Tz>,
    /// The UIS notification as ingress parsed it, for this process's planner and worker (not
    /// stored: they parse the body again when the event comes from the queue).
    pub notification: Option<Arc<uis::notification::Notification>>,
}

impl InboxRow {
    pub fn new(
        account_id: &str,
        source: &'static str,
        event_type: String,
        dedupe_key: String,
    ) -> Self {
        InboxRow {
            // Time-ordered: each commit appends to the end of the id index instead of touching a
            // random page of it per event (and writing that page to the WAL).
            id: uuid::Uuid::now_v7().simple().to_string(),
            account_id: account_id.to_owned(),
            source,
            event_type,
            dedupe_key,
            call_session_id: None,
            content_type: None,
            query: None,
            body: String::new(),
            received_at: now_ms(),
            time_zone: None,
            notification: None,
        }
    }
}

/// Whether the inbox took the row or already had its dedupe key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    New,
    Duplicate,
}

type Reply = oneshot::Sender<Result<Accepted, String>>;

/// The handle requests use to reach the writer task.
#[derive(Clone)]
pub struct Inbox {
    tx: mpsc::Sender<(InboxRow, Reply)>,
}

impl Inbox {
    /// Starts the writer tasks on `store`: one on SQLite (it has one writer anyway), several on
    /// PostgreSQL, so one batch's COMMIT (an fsync) overlaps the next batch's inserts.
    /// `signal` is told after every commit that enqueued jobs; `handoff`, when this process runs a
    /// worker, takes the accepted events of a commit straight to it.
    pub fn start(
        store: JobStore,
        signal: JobSignal,
        handoff: Option<Handoff>,
    ) -> (Inbox, Vec<tokio::task::JoinHandle<()>>) {
        let (tx, rx) = mpsc::channel(8192);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let writers = match store {
            JobStore::Sqlite(_) => 1,
            JobStore::Postgres(_) => 4,
        };
        let tasks = (0..writers)
            .map(|_| {
                tokio::spawn(writer(
                    store.clone(),
                    rx.clone(),
                    signal.clone(),
                    handoff.clone(),
                ))
            })
            .collect();
        (Inbox { tx }, tasks)
    }

    /// Persists the row and its job; returns after COMMIT.
    pub async fn accept(&self, row: InboxRow) -> Result<Accepted, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((row, reply))
            .await
            .map_err(|_| "the inbox writer has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the inbox writer has stopped".to_owned())?
    }
}

async fn writer(
    store: JobStore,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<(InboxRow, Reply)>>>,
    signal: JobSignal,
    handoff: Option<Handoff>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut sink = Sink::new(store);
    loop {
        // The lock is held only while waiting for requests, not while committing them.
        if rx.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let n = batch.len();
        tracing::trace!(target: "latency", stage = "inbox writer");
        // Handed to this process's worker when it has room: the rows are committed already
        // claimed by it (no claim of its own on the way to a pop-up card, and no queue job).
        let local = handoff.as_ref().filter(|h| h.reserve(n));
        let claimed_until = local.map(|h| now_ms() + h.lease.as_millis() as i64);
        let started = Instant::now();
        let written = {
            let rows: Vec<&InboxRow> = batch.iter().map(|(r, _)| r).collect();
            let planner = local.map(|h| &*h.planner);
            sink.write(&rows, claimed_until, planner).await
        };
        tracing::trace!(target: "latency", stage = "committed");
        metrics::inbox_commit(n, started.elapsed());
        match written {
            Ok(outcomes) => {
                let mut accepted = Vec::new();
                for ((row, reply), (outcome, at_commit)) in batch.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                    if outcome == Accepted::New {
                        accepted.push((row, at_commit));
                    }
                }
                match (local, claimed_until) {
                    (Some(h), Some(claimed_until)) => {
                        h.release(n - accepted.len());
                        if !accepted.is_empty() {
                            let handed = accepted
                                .into_iter()
                                .map(|(row, at_commit)| HandedEvent {
                                    row,
                                    claimed_until,
                                    at_commit,
                                })
                                .collect();
                            h.send(handed);
                        }
                    }
                    _ if !accepted.is_empty() => signal.pushed(),
                    _ => {}
                }
            }
            Err(e) => {
                if let Some(h) = local {
                    h.release(n);
                }
                tracing::error!(error = %e, rows = n, "inbox commit failed");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Where a writer commits. SQLite: a connection of the writer's own, one round trip to SQLite's
/// thread per commit; PostgreSQL: the job store's pool.
enum Sink {
    Sqlite {
        options: Box<sqlx::sqlite::SqliteConnectOptions>,
        conn: Option<sqlx::SqliteConnection>,
    },
    Pool(JobStore),
}

impl Sink {
    fn new(store: JobStore) -> Sink {
        match store {
            JobStore::Sqlite(pool) => Sink::Sqlite {
                options: Box::new((*pool.connect_options()).clone()),
                conn: None,
            },
            store => Sink::Pool(store),
        }
    }

    /// Each row's outcome with what the planner's [`Planner::at_commit`] statement for it
    /// returned (SQLite, `planner` given: rows handed to this process's worker).
    async fn write(
        &mut self,
        rows: &[&InboxRow],
        claimed_until: Option<i64>,
        planner: Option<&dyn Planner>,
    ) -> anyhow::Result<Vec<(Accepted, Option<String>)>> {
        match self {
            Sink::Pool(store) => Ok(write_batch(store, rows, claimed_until)
                .await?
                .into_iter()
                .map(|a| (a, None))
                .collect()),
            Sink::Sqlite { options, conn } => {
                let c = match conn {
                    Some(c) => c,
                    None => {
                        let mut c =
                            <sqlx::SqliteConnection as sqlx::Connection>::connect_with(options)
                                .await?;
                        sqlx::Executor::execute(&mut c, crate::db::busy_wait::INSTALL).await?;
                        conn.insert(c)
                    }
                };
                let mut written = write_sqlite(c, rows, claimed_until, planner).await;
                if let (Err(e), Some(_)) = (&written, planner) {
                    // The planner's statements never cost an event: the rows alone, once more.
                    tracing::warn!(error = %e, "inbox commit with the planner's statements failed");
                    let _ = sqlx::Executor::execute(&mut *c, "ROLLBACK").await;
                    written = write_sqlite(c, rows, claimed_until, None).await;
                }
                if written.is_err() {
                    // Closing the connection rolls back whatever the failed commit left open.
                    *conn = None;
                }
                written
            }
        }
    }
}

/// The SQLite commit in one round trip: `BEGIN IMMEDIATE; INSERT …; INSERT INTO Jobs …; COMMIT`
/// in one multi-statement query (a round trip to SQLite's thread costs more than a batch's rows
/// when the cores are busy). The job names every row; a duplicate's id never reaches the inbox and
/// the worker passes it over. With a `planner` (the rows are claimed for this process's worker),
/// each row gets its statement before the COMMIT; what it returns comes back with the row's outcome.
async fn write_sqlite(
    conn: &mut sqlx::SqliteConnection,
    rows: &[&InboxRow],
    claimed_until: Option<i64>,
    planner: Option<&dyn Planner>,
) -> anyhow::Result<Vec<(Accepted, Option<String>)>> {
    use futures::TryStreamExt;
    use sqlx::Row;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let chunks: Vec<&[&InboxRow]> = rows.chunks(1000).collect();
    let mut q = sqlx::QueryBuilder::new("BEGIN IMMEDIATE; ");
    for chunk in &chunks {
        push_inbox_rows(&mut q, chunk, claimed_until);
        q.push("; ");
    }
    // Claimed rows need no job: should this process die, their lapsed claim sends them back to
    // the queue (`handoff::requeue_lapsed`). A job's seven indexes are half of a commit's pages.
    let jobs = usize::from(claimed_until.is_none());
    if claimed_until.is_none() {
        let job = EventJob {
            event_ids: rows.iter().map(|r| r.id.clone()).collect(),
        }
        .task(None);
        super::store::push_sqlite_jobs(&mut q, &[job], now);
        q.push("; ");
    }
    // Which row each planner statement is for, in order.
    let mut planned = Vec::new();
    if let Some(planner) = planner {
        for (i, row) in rows.iter().enumerate() {
            if let Some(statement) = planner.at_commit(row) {
                push_at_commit(&mut q, &statement);
                q.push("; ");
                planned.push(i);
            }
        }
    }
    q.push("COMMIT");
    let first_planned = 1 + chunks.len() + jobs;
    let mut returned: Vec<Option<String>> = vec![None; rows.len()];
    let mut counts: Vec<u64> = Vec::new();
    {
        // sqlx 0.9 deprecates several statements in one prepared query (SQLite alone runs them), but
        // `raw_sql` takes no bound values; pinned by Cargo.lock, revisit when sqlx drops it.
        #[allow(deprecated)]
        let mut steps = q.build().fetch_many(&mut *conn);
        while let Some(step) = steps.try_next().await? {
            match step {
                sqlx::Either::Left(done) => counts.push(done.rows_affected()),
                // A row comes before its statement's count: the statement is the next to count.
                sqlx::Either::Right(row) => {
                    if let Some(&i) = counts
                        .len()
                        .checked_sub(first_planned)
                        .and_then(|k| planned.get(k))
                    {
                        returned[i] = row.try_get::<Option<String>, _>(0)?;
                    }
                }
            }
        }
    }
    // One count per statement: BEGIN, each INSERT into the inbox, the job (if any), the planner's,
    // COMMIT.
    if counts.len() != first_planned + planned.len() + 1 {
        anyhow::bail!("the inbox commit ran {} of its statements", counts.len());
    }
    let inserted: u64 = counts[1..=chunks.len()].iter().sum();
    if inserted as usize == rows.len() {
        return Ok(vec![Accepted::New; rows.len()]
            .into_iter()
            .zip(returned)
            .collect());
    }
    // Some were duplicates (rare): the fresh ids now in the inbox are the rows taken.
    let mut q = sqlx::QueryBuilder::new("SELECT id FROM inbox_events WHERE id IN (");
    let mut ids = q.separated(", ");
    for r in rows {
        ids.push_bind(r.id.as_str());
    }
    q.push(")");
    let taken: std::collections::HashSet<String> = q
        .build_query_as::<(String,)>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    Ok(rows
        .iter()
        .zip(returned)
        .map(|(r, returned)| {
            if taken.contains(&r.id) {
                (Accepted::New, returned)
            } else {
                (Accepted::Duplicate, None)
            }
        })
        .collect())
}

/// Appends a planner's statement to the commit, each `$N` bound to its `N`th argument (an `N`
/// with no argument is left as written: the statement then fails and the commit is retried
/// without the planner's statements).
fn push_at_commit(q: &mut sqlx::QueryBuilder<sqlx::Sqlite>, statement: &AtCommit) {
    for (text, n) in statement.pieces() {
        q.push(text);
        let Some(n) = n else { continue };
        match n.checked_sub(1).and_then(|i| statement.args.get(i)) {
            Some(Arg::Text(t)) => {
                q.push_bind(t.clone());
            }
            Some(Arg::Int(v)) => {
                q.push_bind(*v);
            }
            Some(Arg::OptInt(v)) => {
                q.push_bind(*v);
            }
            None => {
                q.push(format!("${n}"));
            }
        }
    }
}

/// Appends the inbox's multi-row `INSERT … ON CONFLICT DO NOTHING` of `rows` to `q`: queued, or
/// — `claimed_until` — in their first attempt, claimed by this process's worker until then.
fn push_inbox_rows<DB>(
    q: &mut sqlx::QueryBuilder<DB>,
    rows: &[&InboxRow],
    claimed_until: Option<i64>,
) where
    DB: sqlx::Database,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i32: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push(INSERT_INBOX);
    q.push_values(rows, |mut b, r| {
        b.push_bind(r.id.as_str())
            .push_bind(r.account_id.as_str())
            .push_bind(r.source)
            .push_bind(r.event_type.as_str())
            .push_bind(r.dedupe_key.as_str())
            .push_bind(r.call_session_id)
            .push_bind(r.content_type.as_deref())
            .push_bind(r.query.as_deref())
            .push_bind(r.body.as_str())
            .push_bind(r.received_at)
            .push_bind(if claimed_until.is_some() {
                "processing"
            } else {
                "queued"
            })
            .push_bind(i32::from(claimed_until.is_some()))
            .push_bind(claimed_until);
    });
    q.push(" ON CONFLICT (account_id, dedupe_key) DO NOTHING");
}

const INSERT_INBOX: &str = "INSERT INTO inbox_events (id, account_id, source, event_type, dedupe_key, \
    call_session_id, content_type, query, body, received_at, status, attempts, locked_until) ";

/// Inserts rows (a duplicate dedupe key inserts nothing) and one job for the new rows — none when
/// they are claimed for this process's worker until `claimed_until` (ms) — in one transaction: one multi-row INSERT, and its
/// count of rows tells whether all are new.
pub async fn write_batch(
    store: &JobStore,
    rows: &[&InboxRow],
    claimed_until: Option<i64>,
) -> anyhow::Result<Vec<Accepted>> {
    in_tx!(store, |conn| {
        let mut new = std::collections::HashSet::new();
        // In key order, so concurrent writers (PostgreSQL) wait on each other instead of deadlocking.
        let mut sorted = rows.to_vec();
        sorted.sort_by(|a, b| (&a.account_id, &a.dedupe_key).cmp(&(&b.account_id, &b.dedupe_key)));
        // 12 parameters a row; SQLite allows 32766 in one statement.
        for chunk in sorted.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("");
            push_inbox_rows(&mut q, chunk, claimed_until);
            let inserted = q.build().execute(&mut *conn).await?.rows_affected();
            if inserted as usize == chunk.len() {
                new.extend(chunk.iter().map(|r| r.id.clone()));
                continue;
            }
            // Some were duplicates (rare): the fresh ids now in the table are the rows taken.
            // Not RETURNING on every commit: SQLite's driver hands each returned row across threads.
            let mut q = sqlx::QueryBuilder::new("SELECT id FROM inbox_events WHERE id IN (");
            let mut ids = q.separated(", ");
            for r in chunk {
                ids.push_bind(r.id.as_str());
            }
            q.push(")");
            let taken: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await?;
            new.extend(taken.into_iter().map(|(id,)| id));
        }
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut accepted = Vec::new();
        for r in rows {
            if new.contains(&r.id) {
                outcomes.push(Accepted::New);
                accepted.push(r.id.clone());
            } else {
                outcomes.push(Accepted::Duplicate);
            }
        }
        // In arrival order: the worker starts them in this order (a call's earlier event first).
        // Rows claimed for this process's worker need none (see `handoff::requeue_lapsed`).
        let jobs = if accepted.is_empty() || claimed_until.is_some() {
            Vec::new()
        } else {
            vec![
                EventJob {
                    event_ids: accepted,
                }
                .task(None),
            ]
        };
        conn.push_jobs(jobs).await?;
        Ok::<_, anyhow::Error>(outcomes)
    })
}

/// Webhook key → the account (or none) and when that was read.
type AccountCache = HashMap<String, (Option<Account>, Instant)>;

/// What the ingress handlers share.
#[derive(Clone)]
pub struct IngressState {
    pub pool: AnyPool,
    pub inbox: Inbox,
    accounts: Arc<RwLock<AccountCache>>,
}

impl IngressState {
    pub fn new(pool: AnyPool, inbox: Inbox) -> Self {
        IngressState {
            pool,
            inbox,
            accounts: Arc::default(),
        }
    }

    /// The account whose webhook key this is; cached briefly (both hits and misses).
    async fn account(&self, key: &str) -> Result<Option<Account>, sqlx::Error> {
        if let Some((a, at)) = self.accounts.read().expect("cache").get(key)
            && at.elapsed() < ACCOUNT_CACHE_TTL
        {
            return Ok(a.clone());
        }
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT id, time_zone FROM accounts WHERE webhook_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        let account = row.map(|(id, tz)| Account {
            id,
            time_zone: tz.parse().unwrap_or(chrono_tz::Europe::Moscow),
        });
        let mut cache = self.accounts.write().expect("cache");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key.to_owned(), (account.clone(), Instant::now()));
        Ok(account)
    }
}

pub fn routes(state: IngressState) -> Router {
    Router::new()
        .route(
            "/hooks/uis/{account_key}/{event}",
            get(uis_hook).post(uis_hook),
        )
        .route("/hooks/megaplan/{account_key}/events", post(megaplan_hook))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The errors of the webhook edge; detail goes to the log, the sender gets a short reason.
#[derive(Debug)]
pub enum IngressError {
    NotFound,
    BadRequest(String),
    Unavailable(String),
}

impl IntoResponse for IngressError {
    fn into_response(self) -> Response {
        match self {
            IngressError::NotFound => (StatusCode::NOT_FOUND, "not found").into_response(),
            IngressError::BadRequest(why) => (StatusCode::BAD_REQUEST, why).into_response(),
            IngressError::Unavailable(why) => {
                tracing::error!(error = %why, "webhook not persisted");
                (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response()
            }
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> IngressError {
    IngressError::Unavailable(e.to_string())
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn uis_hook(
    State(s): State<IngressState>,
    Path((key, event)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<&'static str, IngressError> {
    // `latency` events mark a pop-up card's way; the pop-up bench times each step (BENCH_STAGES=1).
    tracing::trace!(target: "latency", stage = "hook");
    let kind = EventKind::from_path_segment(&event).ok_or(IngressError::NotFound)?;
    let account = s
        .account(&key)
        .await
        .map_err(unavailable)?
        .ok_or(IngressError::NotFound)?;
    let ct = content_type(&headers);
    let parsed = uis::notification::parse(
        kind,
        ct.as_deref(),
        query.as_deref(),
        &body,
        account.time_zone,
    );
    let mut row = match parsed {
        Ok(n) => {
            let mut row = InboxRow::new(
                &account.id,
                "uis",
                kind.path_segment().to_owned(),
                n.dedupe_key(),
            );
            row.call_session_id = n.call_session_id;
            row.time_zone = Some(account.time_zone);
            row.notification = Some(Arc::new(n));
            row
        }
        Err(e) => {
            let why = e.to_string();
            reject(
                &s,
                &account,
                "uis",
                kind.path_segment(),
                &why,
                ct,
                query,
                &body,
            )
            .await;
            return Err(IngressError::BadRequest(why));
        }
    };
    row.content_type = ct;
    row.query = query;
    row.body = String::from_utf8_lossy(&body).into_owned();
    accept(&s, row).await
}

async fn megaplan_hook(
    State(s): State<IngressState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<&'static str, IngressError> {
    let account = s
        .account(&key)
        .await
        .map_err(unavailable)?
        .ok_or(IngressError::NotFound)?;
    let ct = content_type(&headers);
    let parsed = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(|e| format!("Megaplan event is not JSON: {e}"))
        .and_then(|v| {
            let uuid = v["accountInfo"]["uuid"]
                .as_str()
                .filter(|u| !u.is_empty())
                .ok_or("Megaplan event without accountInfo.uuid")?
                .to_owned();
            let event = v["event"].as_str().unwrap_or("event");
            let model = v["accountInfo"]["model"].as_str().unwrap_or("unknown");
            Ok((uuid, format!("{event}:{model}")))
        });
    let (uuid, event_type) = match parsed {
        Ok(p) => p,
        Err(why) => {
            reject(&s, &account, "megaplan", "events", &why, ct, None, &body).await;
            return Err(IngressError::BadRequest(why));
        }
    };
    let mut row = InboxRow::new(
        &account.id,
        "megaplan",
        event_type,
        format!("megaplan:{uuid}"),
    );
    row.time_zone = Some(account.time_zone);
    row.content_type = ct;
    row.body = String::from_utf8_lossy(&body).into_owned();
    accept(&s, row).await
}

async fn accept(s: &IngressState, row: InboxRow) -> Result<&'static str, IngressError> {
    let (source, event_type) = (row.source, row.event_type.clone());
    match s.inbox.accept(row).await.map_err(unavailable)? {
        Accepted::New => {
            metrics::event_received(source, &event_type);
            Ok("ok")
        }
        Accepted::Duplicate => {
            metrics::event_duplicate(source, &event_type);
            Ok("ok (duplicate)")
        }
    }
}

/// Keeps a body we answered 400 for, so the event log can show it; a failure here is only logged.
#[allow(clippy::too_many_arguments)]
async fn reject(
    s: &IngressState,
    account: &Account,
    source: &str,
    event_type: &str,
    reason: &str,
    ct: Option<String>,
    query: Option<String>,
    body: &[u8],
) {
    metrics::event_rejected(source, event_type);
    let r = sqlx::query(
        "INSERT INTO rejected_events (id, account_id, source, event_type, reason, content_type, query, body, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(&account.id)
    .bind(source)
    .bind(event_type)
    .bind(reason)
    .bind(ct)
    .bind(query)
    .bind(String::from_utf8_lossy(body).into_owned())
    .bind(now_ms())
    .execute(&s.pool)
    .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not keep a rejected event");
    }
}
