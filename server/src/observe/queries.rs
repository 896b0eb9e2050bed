//! Read-only queries of the event log and health, always with the account in the WHERE clause.

use app::observe::{EventDetail, EventRow, Health, RejectedRow, SourceSeen, TraceStep};
use chrono_tz::Tz;
use serde_json::Value;
use sqlx::AnyPool;

use crate::pipeline::{now_ms, trace};

/// A validated filter of the event log.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub source: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<String>,
    /// Digits of the number, e.g. `79991112233`.
    pub phone: Option<String>,
    pub call_id: Option<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub limit: i64,
}

pub async fn time_zone(pool: &AnyPool, account_id: &str) -> Result<Tz, sqlx::Error> {
    let tz: Option<(String,)> = sqlx::query_as("SELECT time_zone FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?;
    Ok(tz
        .and_then(|(t,)| t.parse().ok())
        .unwrap_or(chrono_tz::Europe::Moscow))
}

pub fn format_ms(ms: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

const PHONE_KEYS: [&str; 5] = [
    "contact_phone_number",
    "calling_phone_number",
    "visitor_phone_number",
    "contact_phone",
    "phone",
];

fn clean(v: &str) -> Option<String> {
    let s = v.trim().trim_matches('"').trim();
    (!s.is_empty() && !s.starts_with("{{")).then(|| s.to_owned())
}

/// The phone (digits) and the call id an event's payload names, if any: JSON body or GET query.
pub fn extract(body: &str, query: Option<&str>) -> (Option<String>, Option<String>) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) {
        for (k, v) in map {
            let s = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            pairs.push((k, s));
        }
    }
    for q in [query.unwrap_or(""), body] {
        if q.contains('=') && !q.trim_start().starts_with('{') {
            pairs.extend(url::form_urlencoded::parse(q.as_bytes()).into_owned());
        }
    }
    let get = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            pairs
                .iter()
                .find(|(pk, _)| pk == k)
                .and_then(|(_, v)| clean(v))
        })
    };
    let phone = get(&PHONE_KEYS).map(|p| p.chars().filter(char::is_ascii_digit).collect());
    let call = get(&["call_session_id"]);
    (phone.filter(|p: &String| !p.is_empty()), call)
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
);

fn row(r: Row, tz: Tz) -> EventRow {
    let (id, source, event_type, status, received_at, attempts, last_error, body, query) = r;
    let (phone, call_id) = extract(&body, query.as_deref());
    EventRow {
        id,
        source,
        event_type,
        status,
        received: format_ms(received_at, tz),
        attempts,
        last_error,
        phone,
        call_id,
    }
}

/// The newest events of the account that pass the filter.
pub async fn events(
    pool: &AnyPool,
    account_id: &str,
    f: &Filter,
    tz: Tz,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, source, event_type, status, received_at, CAST(attempts AS BIGINT), last_error, body, query \
         FROM inbox_events WHERE account_id = $1 AND received_at >= $2 AND received_at < $3",
    );
    let mut binds: Vec<String> = Vec::new();
    let mut n = 3;
    for (col, v) in [
        ("source", &f.source),
        ("event_type", &f.event_type),
        ("status", &f.status),
    ] {
        if let Some(v) = v {
            n += 1;
            sql.push_str(&format!(" AND {col} = ${n}"));
            binds.push(v.clone());
        }
    }
    for v in [&f.phone, &f.call_id].into_iter().flatten() {
        sql.push_str(&format!(
            " AND (body LIKE ${} OR query LIKE ${})",
            n + 1,
            n + 2
        ));
        n += 2;
        binds.push(format!("%{v}%"));
        binds.push(format!("%{v}%"));
    }
    // Fetch more than shown: the payload check below may drop some.
    sql.push_str(&format!(
        " ORDER BY received_at DESC LIMIT {}",
        f.limit.clamp(1, 1000) * 2
    ));
    let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(f.from_ms)
        .bind(f.to_ms);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|r| row(r, tz))
        .filter(|e| {
            f.phone.as_ref().is_none_or(|p| {
                e.phone
                    .as_ref()
                    .is_some_and(|x| x.ends_with(p.as_str()) || p.ends_with(x.as_str()))
            }) && f
                .call_id
                .as_ref()
                .is_none_or(|c| e.call_id.as_deref() == Some(c.as_str()))
        })
        .take(f.limit.clamp(1, 1000) as usize)
        .collect())
}

/// Bodies refused with 400 (only the source, type, time and text filters apply).
pub async fn rejected(
    pool: &AnyPool,
    account_id: &str,
    f: &Filter,
    tz: Tz,
) -> Result<Vec<RejectedRow>, sqlx::Error> {
    type R = (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<R> = sqlx::query_as(
        "SELECT id, source, event_type, reason, received_at, content_type, query, body FROM rejected_events \
         WHERE account_id = $1 AND received_at >= $2 AND received_at < $3 ORDER BY received_at DESC LIMIT 100",
    )
    .bind(account_id)
    .bind(f.from_ms)
    .bind(f.to_ms)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            f.source.as_ref().is_none_or(|s| &r.1 == s)
                && f.event_type.as_ref().is_none_or(|t| &r.2 == t)
                && [&f.phone, &f.call_id].into_iter().flatten().all(|v| {
                    r.7.contains(v.as_str())
                        || r.6.as_deref().is_some_and(|q| q.contains(v.as_str()))
                })
        })
        .map(
            |(id, source, event_type, reason, at, content_type, query, body)| RejectedRow {
                id,
                source,
                event_type,
                reason,
                received: format_ms(at, tz),
                content_type,
                query,
                body,
            },
        )
        .collect())
}

/// Whether the event belongs to the account.
pub async fn owns(pool: &AnyPool, account_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM inbox_events WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .fetch_one(pool)
            .await?;
    Ok(n > 0)
}

/// One event of the account with its whole trace.
pub async fn event(
    pool: &AnyPool,
    account_id: &str,
    id: &str,
) -> Result<Option<EventDetail>, sqlx::Error> {
    let Some(v) = trace::event(pool, account_id, id).await? else {
        return Ok(None);
    };
    let tz = time_zone(pool, account_id).await?;
    let ct: Option<(Option<String>,)> =
        sqlx::query_as("SELECT content_type FROM inbox_events WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    let (phone, call_id) = extract(&v.body, v.query.as_deref());
    let pretty = |s: String| {
        serde_json::from_str::<Value>(&s)
            .ok()
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
            .unwrap_or(s)
    };
    Ok(Some(EventDetail {
        row: EventRow {
            id: v.id,
            source: v.source,
            event_type: v.event_type,
            status: v.status,
            received: format_ms(v.received_at, tz),
            attempts: v.attempts,
            last_error: v.last_error,
            phone,
            call_id,
        },
        content_type: ct.and_then(|(c,)| c),
        query: v.query,
        body: pretty(v.body),
        decision: v.decision.map(pretty),
        steps: v
            .steps
            .into_iter()
            .map(|s| TraceStep {
                at: format_ms(s.at, tz),
                step: s.step,
                action_key: s.action_key,
                request: s.request,
                status: s.status,
                created_ids: s.created_ids,
                duration_ms: s.duration_ms,
                detail: s.detail,
            })
            .collect(),
    }))
}

async fn count(
    pool: &AnyPool,
    sql: &str,
    account_id: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(account_id)
        .bind(since)
        .fetch_one(pool)
        .await?;
    Ok(n)
}

pub async fn health(pool: &AnyPool, account_id: &str) -> Result<Health, sqlx::Error> {
    let tz = time_zone(pool, account_id).await?;
    let mut h = Health::default();
    let mp: Option<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT c.name, c.status, c.checked_at, CAST(CASE WHEN c.token_enc IS NULL THEN 0 ELSE 1 END AS BIGINT) \
         FROM account_megaplan m JOIN megaplan_credentials c ON c.id = m.credential_id WHERE m.account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    match mp {
        Some((name, status, checked, token)) => {
            h.megaplan = status;
            h.megaplan_name = Some(name);
            h.megaplan_checked = Some(format_ms(checked, tz));
            h.megaplan_token = Some(
                if token == 1 {
                    "saved (refreshed on expiry) / сохранён, обновляется сам"
                } else {
                    "not issued yet / ещё не выдан"
                }
                .into(),
            );
        }
        None => h.megaplan = "none".into(),
    }
    let uis: Option<(String, i64)> =
        sqlx::query_as("SELECT call_api_login, checked_at FROM uis_access WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    match uis {
        Some((login, checked)) => {
            h.uis = "saved".into();
            h.uis_login = Some(login);
            h.uis_checked = Some(format_ms(checked, tz));
        }
        None => h.uis = "none".into(),
    }
    for source in ["uis", "megaplan", "reconcile"] {
        let last: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT event_type, received_at, status FROM inbox_events WHERE account_id = $1 AND source = $2 \
             ORDER BY received_at DESC LIMIT 1",
        )
        .bind(account_id)
        .bind(source)
        .fetch_optional(pool)
        .await?;
        if let Some((event_type, at, status)) = last {
            h.last_events.push(SourceSeen {
                source: source.into(),
                event_type,
                received: format_ms(at, tz),
                status,
            });
        }
    }
    let hour_ago = now_ms() - 3_600_000;
    // The few open (or dead) events by their status, then their account: `account_id || ''` is no
    // index term, else SQLite walks the account's whole history by account.
    h.queue_depth = count(
        pool,
        "SELECT COUNT(*) FROM inbox_events WHERE status IN ('queued', 'processing', 'retrying') \
         AND received_at >= $2 AND account_id || '' = $1",
        account_id,
        0,
    )
    .await?;
    h.failures_last_hour = count(
        pool,
        "SELECT COUNT(*) FROM event_trace WHERE account_id = $1 AND at >= $2 \
         AND step IN ('failed', 'dead', 'retry')",
        account_id,
        hour_ago,
    )
    .await?;
    h.rejected_last_hour = count(
        pool,
        "SELECT COUNT(*) FROM rejected_events WHERE account_id = $1 AND received_at >= $2",
        account_id,
        hour_ago,
    )
    .await?;
    h.dead = count(
        pool,
        "SELECT COUNT(*) FROM inbox_events WHERE status = 'dead' AND received_at >= $2 \
         AND account_id || '' = $1",
        account_id,
        0,
    )
    .await?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::extract;

    #[test]
    fn phone_and_call_come_from_json_or_a_query() {
        assert_eq!(
            extract(
                r#"{"contact_phone_number":"79991112233","call_session_id":42}"#,
                None
            ),
            (Some("79991112233".into()), Some("42".into()))
        );
        assert_eq!(
            extract(
                "",
                Some("call_session_id=7&contact_phone_number=%2B79990000001")
            ),
            (Some("79990000001".into()), Some("7".into()))
        );
        assert_eq!(extract("not json", None), (None, None));
    }
}
