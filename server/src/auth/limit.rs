//! Sign-in attempts per client address and login: a burst of 10, then one more every 6 seconds.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct SignInLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        SignInLimiter::new(Quota::per_minute(NonZeroU32::new(10).expect("10 > 0")))
    }
}

impl SignInLimiter {
    pub fn new(quota: Quota) -> Self {
        SignInLimiter {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt; `Err(wait)` when this address has tried this login too often.
    pub fn attempt(&self, ip: Option<IpAddr>, account: &str, login: &str) -> Result<(), Duration> {
        let key = format!(
            "{}|{}|{}",
            ip.map(|i| i.to_string()).unwrap_or_default(),
            account.trim().to_lowercase(),
            login.trim().to_lowercase()
        );
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))?;
        // Keys of quiet clients are dropped now and then, so the map does not grow without end.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_quick_attempt_waits_and_others_are_not_affected() {
        let l = SignInLimiter::default();
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..10 {
            assert!(l.attempt(ip, "acc", "admin").is_ok());
        }
        let wait = l.attempt(ip, "acc", "ADMIN ").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        assert!(l.attempt(ip, "acc", "other").is_ok(), "another login");
        assert!(
            l.attempt(Some(IpAddr::from([10, 0, 0, 2])), "acc", "admin")
                .is_ok(),
            "another address"
        );
    }
}
