//! Abuse resistance, in memory per process: a general per-client request
//! limit (announced in `RateLimit-*` headers on every limited response) and
//! login attempt limits per account and per IP address.
//!
//! Both are token buckets: a bucket holds up to `capacity` tokens, each
//! request takes one, and tokens come back at a steady rate. A client that
//! keeps under the rate is never refused; one that bursts gets `capacity`
//! requests at once, then one per refill interval. Several instances behind
//! a load balancer each apply the limits on their own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::config::Settings;
use crate::error::AppError;

/// Paths no client limit applies to: probes and the documentation.
const UNLIMITED_PREFIXES: [&str; 4] = ["/healthz", "/readyz", "/swagger-ui", "/api-docs"];

/// Above this many tracked clients, buckets that have refilled completely
/// (which are the same as no bucket) are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The outcome of taking a token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// Allowed; `remaining` tokens are left, and the bucket is full again
    /// after `reset_secs` seconds.
    Allowed { remaining: u64, reset_secs: u64 },
    /// Refused; a token is back after `retry_after_secs` seconds.
    Refused { retry_after_secs: u64 },
}

/// Token buckets by key.
pub struct Limiter {
    capacity: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    prune_at: Mutex<usize>,
}

impl Limiter {
    /// `capacity` tokens, all back within `window`.
    pub fn new(capacity: u32, window: Duration) -> Self {
        let capacity = f64::from(capacity.max(1));
        Limiter {
            capacity,
            per_sec: capacity / window.as_secs_f64().max(0.001),
            buckets: Mutex::new(HashMap::new()),
            prune_at: Mutex::new(PRUNE_ABOVE),
        }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity as u64
    }

    fn refilled(&self, bucket: Option<&Bucket>, now: Instant) -> f64 {
        match bucket {
            None => self.capacity,
            Some(b) => {
                (b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * self.per_sec).min(self.capacity)
            }
        }
    }

    fn secs_until(&self, tokens: f64, wanted: f64) -> u64 {
        ((wanted - tokens).max(0.0) / self.per_sec).ceil() as u64
    }

    /// Takes a token for `key`, if one is there.
    pub fn take(&self, key: &str) -> Decision {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Decision {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tokens = self.refilled(buckets.get(key), now);
        if tokens < 1.0 {
            return Decision::Refused { retry_after_secs: self.secs_until(tokens, 1.0).max(1) };
        }
        let left = tokens - 1.0;
        buckets.insert(key.to_owned(), Bucket { tokens: left, updated: now });
        let mut prune_at = self.prune_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > *prune_at {
            buckets.retain(|_, b| self.refilled(Some(b), now) < self.capacity);
            *prune_at = (buckets.len() * 2).max(PRUNE_ABOVE);
        }
        Decision::Allowed { remaining: left.floor() as u64, reset_secs: self.secs_until(left, self.capacity) }
    }

    /// Gives back a token taken for `key` (an attempt that turned out fine).
    pub fn give_back(&self, key: &str) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(bucket) = buckets.get_mut(key) {
            bucket.tokens = (self.refilled(Some(bucket), now) + 1.0).min(self.capacity);
            bucket.updated = now;
        }
    }
}

/// The limits of one process.
pub struct RateLimits {
    /// Requests per client, if limited (`CRM_RATE_LIMIT` per minute).
    pub requests: Option<Limiter>,
    /// Login attempts per account (`CRM_LOGIN_ATTEMPTS` per 15 minutes).
    pub login_account: Limiter,
    /// Login attempts per client address (four times the per-account
    /// figure, so that one address cannot try many accounts).
    pub login_address: Limiter,
    trust_forwarded: bool,
}

pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

impl RateLimits {
    pub fn new(settings: &Settings) -> Self {
        RateLimits {
            requests: (settings.rate_limit_per_minute > 0)
                .then(|| Limiter::new(settings.rate_limit_per_minute, Duration::from_secs(60))),
            login_account: Limiter::new(settings.login_attempts, LOGIN_WINDOW),
            login_address: Limiter::new(settings.login_attempts.saturating_mul(4), LOGIN_WINDOW),
            trust_forwarded: settings.trust_forwarded_for,
        }
    }

    /// The client's address: the peer, or with `CRM_TRUST_FORWARDED_FOR`
    /// (behind a reverse proxy) the address the proxy reports.
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let forwarded = self
            .trust_forwarded
            .then(|| req.connection_info().realip_remote_addr().map(str::to_owned))
            .flatten()
            .and_then(|a| a.parse::<IpAddr>().ok().or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())));
        forwarded.or_else(|| req.peer_addr().map(|a| a.ip())).map(|ip| ip.to_string()).unwrap_or_default()
    }

    /// Takes a login attempt for this account and address; refused with
    /// 429 when either has used up its attempts. A successful login gives
    /// them back ([`RateLimits::login_succeeded`]).
    pub fn login_attempt(&self, email: &str, address: &str) -> Result<(), AppError> {
        let account = self.login_account.take(&account_key(email));
        let from = self.login_address.take(address);
        let wait = [account, from]
            .iter()
            .filter_map(|d| match d {
                Decision::Refused { retry_after_secs } => Some(*retry_after_secs),
                Decision::Allowed { .. } => None,
            })
            .max();
        match wait {
            None => Ok(()),
            Some(retry_after_secs) => {
                // The attempt that was allowed on one side is given back:
                // a refused attempt costs nothing.
                if matches!(account, Decision::Allowed { .. }) {
                    self.login_account.give_back(&account_key(email));
                }
                if matches!(from, Decision::Allowed { .. }) {
                    self.login_address.give_back(address);
                }
                tracing::warn!(retry_after_secs, "login attempts rate limited");
                Err(AppError::TooManyRequests {
                    detail: "Too many sign-in attempts; wait before trying again.".into(),
                    retry_after_secs,
                })
            }
        }
    }

    pub fn login_succeeded(&self, email: &str, address: &str) {
        self.login_account.give_back(&account_key(email));
        self.login_address.give_back(address);
    }
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether the per-client limit applies to a path (probes and the
/// documentation are never limited).
pub fn applies_to(path: &str) -> bool {
    !UNLIMITED_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_capacity_then_refills_at_its_rate() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for left in [2, 1, 0] {
            assert!(matches!(limiter.take_at("a", start), Decision::Allowed { remaining, .. } if remaining == left));
        }
        assert_eq!(limiter.take_at("a", start), Decision::Refused { retry_after_secs: 20 });
        // Another key has its own bucket.
        assert!(matches!(limiter.take_at("b", start), Decision::Allowed { remaining: 2, .. }));
        // One token is back after 20 s.
        let later = start + Duration::from_secs(20);
        assert_eq!(limiter.take_at("a", later), Decision::Allowed { remaining: 0, reset_secs: 60 });
    }

    #[test]
    fn a_given_back_token_can_be_used_again() {
        let limiter = Limiter::new(1, Duration::from_secs(900));
        assert!(matches!(limiter.take("k"), Decision::Allowed { .. }));
        assert!(matches!(limiter.take("k"), Decision::Refused { .. }));
        limiter.give_back("k");
        assert!(matches!(limiter.take("k"), Decision::Allowed { .. }));
    }
}
