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

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, ResponseError, web};

use crate::auth::extractor::{LookedUpKey, VerifiedToken, api_key_secret, verified_token};
use crate::config::Settings;
use crate::error::AppError;
use crate::state::AppState;

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

/// Who a request counts against: a valid API key, the signed-in user (a
/// valid access token), or else the client address — also for a key that
/// does not exist, so that random keys do not each get a budget. What was
/// found is handed to the `Authorized` extractor, which does not look again.
async fn client_key(state: &AppState, limits: &RateLimits, req: &ServiceRequest) -> String {
    let http = req.request();
    if let Ok(Some(secret)) = api_key_secret(http) {
        match crate::auth::api_keys::lookup(&state.db, &secret).await {
            Ok(found) => {
                let key = found.as_ref().map(|found| format!("key:{}", found.id));
                req.extensions_mut().insert(LookedUpKey(found));
                if let Some(key) = key {
                    return key;
                }
            }
            // The extractor looks again and answers for the database.
            Err(error) => tracing::warn!(%error, "looking up an API key for the request budget failed"),
        }
    } else if let Ok(claims) = verified_token(state, http) {
        let key = format!("user:{}", claims.sub);
        req.extensions_mut().insert(VerifiedToken(claims));
        return key;
    }
    format!("ip:{}", limits.client_address(http))
}

fn number(value: u64) -> HeaderValue {
    HeaderValue::from(value)
}

fn announce(headers: &mut HeaderMap, limit: u64, remaining: u64, reset_secs: u64) {
    headers.insert(HeaderName::from_static("ratelimit-limit"), number(limit));
    headers.insert(HeaderName::from_static("ratelimit-remaining"), number(remaining));
    headers.insert(HeaderName::from_static("ratelimit-reset"), number(reset_secs));
    if let Ok(policy) = HeaderValue::from_str(&format!("{limit};w=60")) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
}

/// Whether the per-client limit applies to a path (probes and the
/// documentation are never limited).
pub fn applies_to(path: &str) -> bool {
    !UNLIMITED_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// The general per-client limit.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limited = req.method() != actix_web::http::Method::OPTIONS && applies_to(req.path());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| limited) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Some(limiter) = state.limits.requests.as_ref() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = client_key(&state, &state.limits, &req).await;
    match limiter.take(&key) {
        Decision::Allowed { remaining, reset_secs } => {
            let mut response = next.call(req).await?.map_into_boxed_body();
            announce(response.headers_mut(), limiter.capacity(), remaining, reset_secs);
            Ok(response)
        }
        Decision::Refused { retry_after_secs } => {
            let error = AppError::TooManyRequests {
                detail: format!("Too many requests; at most {} a minute per client.", limiter.capacity()),
                retry_after_secs,
            };
            let mut response = error.error_response();
            announce(response.headers_mut(), limiter.capacity(), 0, retry_after_secs);
            Ok(req.into_response(response))
        }
    }
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
