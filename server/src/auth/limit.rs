//! Sign-in attempts per client address and login: a burst of 10, then one more every 6 seconds.
//! Counted in the database (GCRA, one row per key), so an attacker gains nothing by spreading the
//! attempts over the servers behind a load balancer.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::accounts::now_ms;

#[derive(Clone)]
pub struct SignInLimiter {
    pool: AnyPool,
    /// One attempt comes back every `interval_ms`.
    interval_ms: i64,
    burst: i64,
}

impl SignInLimiter {
    pub fn new(pool: AnyPool) -> Self {
        SignInLimiter::with_quota(pool, 10, Duration::from_secs(6))
    }

    pub fn with_quota(pool: AnyPool, burst: u32, interval: Duration) -> Self {
        SignInLimiter {
            pool,
            interval_ms: interval.as_millis() as i64,
            burst: i64::from(burst.max(1)),
        }
    }

    /// Counts one attempt; `Ok(Err(wait))` when this address has tried this login too often.
    pub async fn attempt(
        &self,
        ip: Option<IpAddr>,
        account: &str,
        login: &str,
    ) -> Result<Result<(), Duration>, sqlx::Error> {
        let key = hex::encode(Sha256::digest(format!(
            "{}|{}|{}",
            ip.map(|i| i.to_string()).unwrap_or_default(),
            account.trim().to_lowercase(),
            login.trim().to_lowercase()
        )));
        let now = now_ms();
        let limit = self.burst * self.interval_ms;
        // One statement, so two servers counting the same key at once both count.
        let counted = sqlx::query(
            "INSERT INTO sign_in_limits (key_hash, tat) VALUES ($1, $2) \
             ON CONFLICT (key_hash) DO UPDATE SET \
               tat = (CASE WHEN sign_in_limits.tat > $3 THEN sign_in_limits.tat ELSE $3 END) + $4 \
             WHERE (CASE WHEN sign_in_limits.tat > $3 THEN sign_in_limits.tat ELSE $3 END) + $4 <= $5",
        )
        .bind(&key)
        .bind(now + self.interval_ms)
        .bind(now)
        .bind(self.interval_ms)
        .bind(now + limit)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if counted > 0 {
            sqlx::query("DELETE FROM sign_in_limits WHERE tat < $1")
                .bind(now)
                .execute(&self.pool)
                .await?;
            return Ok(Ok(()));
        }
        let (tat,): (i64,) = sqlx::query_as("SELECT tat FROM sign_in_limits WHERE key_hash = $1")
            .bind(&key)
            .fetch_one(&self.pool)
            .await?;
        let wait = (tat + self.interval_ms - now - limit).max(1);
        Ok(Err(Duration::from_millis(wait as u64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::testing::{TestBackend, TestDb};

    #[tokio::test]
    async fn the_eleventh_quick_attempt_waits_on_every_server_and_others_are_not_affected() {
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let Some(test_db) = TestDb::new(backend).await else {
                continue;
            };
            let db = Db::connect(&test_db.url).await.unwrap();
            // Two servers of one deployment: each its own limiter, one database.
            let (one, two) = (
                SignInLimiter::new(db.pool.clone()),
                SignInLimiter::new(db.pool.clone()),
            );
            let ip = Some(IpAddr::from([10, 0, 0, 1]));
            for n in 0..10 {
                let server = if n % 2 == 0 { &one } else { &two };
                assert_eq!(
                    server.attempt(ip, "acc", "admin").await.unwrap(),
                    Ok(()),
                    "{backend:?}: attempt {n}"
                );
            }
            let wait = one.attempt(ip, "acc", "ADMIN ").await.unwrap().unwrap_err();
            assert!(
                wait > Duration::ZERO && wait <= Duration::from_secs(6),
                "{backend:?}: {wait:?}"
            );
            assert!(two.attempt(ip, "acc", "admin").await.unwrap().is_err());
            assert!(
                two.attempt(ip, "acc", "other").await.unwrap().is_ok(),
                "another login"
            );
            assert!(
                one.attempt(Some(IpAddr::from([10, 0, 0, 2])), "acc", "admin")
                    .await
                    .unwrap()
                    .is_ok(),
                "another address"
            );
            let stored: Vec<(String,)> = sqlx::query_as("SELECT key_hash FROM sign_in_limits")
                .fetch_all(&db.pool)
                .await
                .unwrap();
            assert!(
                stored.iter().all(|(k,)| !k.contains("admin")),
                "{backend:?}: no login stored"
            );
        }
    }

    #[tokio::test]
    async fn attempts_come_back_one_per_interval() {
        let test_db = TestDb::sqlite();
        let db = Db::connect(&test_db.url).await.unwrap();
        let l = SignInLimiter::with_quota(db.pool.clone(), 2, Duration::from_millis(200));
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert!(l.attempt(ip, "a", "b").await.unwrap().is_ok());
        assert!(l.attempt(ip, "a", "b").await.unwrap().is_ok());
        let wait = l.attempt(ip, "a", "b").await.unwrap().unwrap_err();
        tokio::time::sleep(wait + Duration::from_millis(20)).await;
        assert!(
            l.attempt(ip, "a", "b").await.unwrap().is_ok(),
            "one came back"
        );
        assert!(l.attempt(ip, "a", "b").await.unwrap().is_err(), "only one");
    }
}
